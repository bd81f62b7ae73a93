"""Names for the fictional force, weighted by how common they are.

Each heritage group has its own forenames and surnames, so a generated person's names go together the way
they do in the West Midlands (a "Piotr Begum" would give the test data away). The group shares follow the
2021 census for the West Midlands county only roughly: about three in five White British or Irish, and
large Pakistani, Bangladeshi, Indian (mostly Punjabi Sikh and Gujarati), Black Caribbean, Black African
and Eastern European communities. British forenames follow the birth cohort (a Tracey was born in the
1970s, an Olivia after 2000). The weights are relative frequencies within one list, not real counts.

Nicknames and spelling variants (William -> Bill, Mohammed -> Muhammad, Katarzyna -> Kasia) are used
to make the duplicate records that person search and record linkage have to cope with.
"""

from __future__ import annotations

import bisect
import itertools
import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Weighted:
    """Items with relative weights, picked in O(log n) from one uniform draw."""

    items: tuple[str, ...]
    cumulative: tuple[float, ...]

    @classmethod
    def parse(cls, text: str) -> Weighted:
        """`"Smith:100 Jones:80"`; a name without a weight counts 1. Repeats add up."""
        weights: dict[str, float] = {}
        for token in text.split():
            name, _, weight = token.partition(":")
            weights[name] = weights.get(name, 0.0) + (float(weight) if weight else 1.0)
        return cls(tuple(weights), tuple(itertools.accumulate(weights.values())))

    def pick(self, rng: random.Random) -> str:
        return self.items[bisect.bisect_right(self.cumulative, rng.random() * self.cumulative[-1])]

    def __len__(self) -> int:
        return len(self.items)


BRITISH_FEMALE = {
    # born before 1965
    "older": Weighted.parse("""
        Margaret:40 Susan:40 Patricia:30 Linda:30 Christine:30 Elizabeth:25 Mary:30 Janet:25 Carol:25 Ann:20
        Anne:20 Barbara:25 Jean:20 Pauline:18 Sandra:22 Maureen:18 Brenda:15 Valerie:15 Kathleen:15 Sheila:15
        Jacqueline:18 Julie:15 Gillian:15 Hilary:8 Judith:12 Diane:15 Doreen:10 Irene:10 Joan:15 Shirley:15
        Marion:8 Rosemary:8 Lynn:10 Wendy:10 Joyce:10 Sylvia:8 Eileen:10 Pamela:12 Beryl:6 June:8 Veronica:6
        Theresa:8 Denise:12 Glenys:4 Jennifer:12 Helen:12 Catherine:10 Angela:15 Gail:6 Yvonne:8 Bridget:5
        Kathryn:5 Lesley:8 Dorothy:6"""),
    # born 1965-1989
    "middle": Weighted.parse("""
        Sarah:40 Claire:30 Emma:35 Lisa:30 Nicola:30 Rebecca:25 Michelle:28 Karen:25 Kelly:25 Joanne:25
        Louise:25 Rachel:25 Laura:30 Stacey:18 Donna:15 Tracey:18 Dawn:12 Samantha:22 Gemma:22 Hayley:18
        Kerry:15 Natalie:18 Amanda:15 Victoria:18 Helen:15 Jennifer:12 Katie:15 Danielle:18 Leanne:15
        Kirsty:12 Amy:18 Lucy:12 Charlotte:15 Zoe:12 Vicky:6 Jodie:10 Jade:10 Carly:10 Kate:10 Katherine:10
        Catherine:10 Elizabeth:8 Joanna:8 Melanie:10 Alison:12 Deborah:12 Sharon:15 Julie:12 Tina:8
        Lorraine:10 Andrea:8 Angela:10 Suzanne:8 Caroline:10 Hannah:10 Sophie:8 Natasha:10 Sian:6 Cheryl:8
        Toni:6 Siobhan:5 Niamh:3"""),
    # born 1990 or later
    "younger": Weighted.parse("""
        Jessica:25 Chloe:28 Emily:28 Sophie:28 Megan:25 Charlotte:22 Hannah:22 Lauren:25 Rebecca:18 Amy:20
        Shannon:15 Bethany:18 Jade:18 Danielle:12 Ellie:18 Olivia:20 Holly:15 Georgia:15 Abigail:12 Amelia:15
        Grace:15 Lucy:18 Paige:15 Courtney:15 Chelsea:12 Leah:12 Molly:12 Caitlin:12 Jasmine:12 Katie:15
        Eleanor:8 Millie:10 Evie:8 Isabelle:8 Rachel:8 Stephanie:10 Natasha:8 Kayleigh:12 Jodie:8 Zoe:8
        Laura:12 Amber:12 Demi:10 Tia:8 Keeley:6 Rhiannon:6 Nicole:10 Alice:8 Freya:8 Poppy:8 Phoebe:6
        Sophia:6 Ruby:8 Lily:8 Daisy:6 Scarlett:5 Summer:5 Niamh:6 Aimee:8 Kimberley:6 Elizabeth:5"""),
}

BRITISH_MALE = {
    "older": Weighted.parse("""
        John:50 David:45 Michael:35 Peter:30 Robert:30 Anthony:20 Brian:20 Alan:20 William:22 James:25
        Richard:20 Keith:15 Christopher:15 Stephen:20 Paul:22 Kenneth:12 Terence:10 Barry:12 Colin:12
        Graham:12 Roger:10 Trevor:10 Geoffrey:8 Derek:10 Raymond:10 Malcolm:8 Dennis:8 Frank:8 George:12
        Thomas:12 Charles:10 Philip:12 Martin:10 Ian:12 Gordon:6 Leslie:6 Roy:8 Ronald:8 Eric:6 Gerald:6
        Norman:6 Patrick:8 Edward:8 Kevin:10 Gary:8 Stuart:6 Neil:6 Clive:5 Nigel:8 Desmond:4 Bernard:5"""),
    "middle": Weighted.parse("""
        Paul:30 Mark:35 David:30 Andrew:30 Richard:22 Stephen:18 Steven:20 Michael:25 Christopher:28
        Darren:20 Lee:20 Craig:18 Jason:18 Dean:15 Wayne:15 Carl:12 Gary:18 Simon:15 Neil:12 Ian:12
        Matthew:25 James:25 Daniel:22 Robert:12 Scott:15 Jonathan:12 Anthony:15 Kevin:12 Shaun:10 Adam:15
        Stuart:10 Martin:10 Jamie:12 Ryan:12 Ben:8 Benjamin:8 Thomas:15 John:15 Nathan:10 Kieran:8 Luke:10
        Ashley:8 Marc:6 Russell:6 Glen:6 Barry:6 Justin:5 Dale:6 Karl:8 Liam:8 Philip:8 Sean:8 Nicholas:10
        Peter:8 Timothy:6 Gareth:6 Alexander:6 Declan:3 Ciaran:3"""),
    "younger": Weighted.parse("""
        Thomas:25 Jack:28 Joshua:25 James:25 Daniel:25 Samuel:18 Joseph:18 Matthew:18 Ryan:20 Luke:20
        Callum:18 Liam:18 Connor:18 Jordan:18 Kieran:12 Bradley:15 Reece:12 Tyler:12 Lewis:15 Jake:15
        Nathan:12 Adam:12 Alex:10 Alexander:10 Harry:15 Oliver:15 George:12 Charlie:12 William:12 Ben:10
        Benjamin:10 Dylan:10 Ethan:10 Jamie:10 Aaron:10 Kyle:10 Owen:8 Jacob:10 Cameron:8 Mason:6 Alfie:6
        Archie:5 Leo:5 Finley:5 Louis:6 Max:6 Harvey:6 Elliot:6 Corey:8 Brandon:8 Jay:6 Shane:5 Rhys:6
        Toby:5 Michael:12 Christopher:10 Sam:5 Joe:5 Danny:5 Declan:4"""),
}

BRITISH_SURNAMES = Weighted.parse("""
    Smith:100 Jones:80 Williams:60 Taylor:55 Brown:55 Davies:50 Evans:40 Wilson:40 Thomas:38 Johnson:36
    Roberts:36 Robinson:30 Thompson:30 Wright:30 Walker:29 White:28 Edwards:28 Hughes:28 Green:27 Hall:27
    Lewis:26 Harris:26 Clarke:26 Jackson:25 Wood:25 Turner:23 Martin:23 Cooper:23 Hill:23 Ward:22 Morris:22
    Moore:21 Clark:21 Lee:21 King:21 Baker:20 Harrison:20 Morgan:20 Allen:19 James:19 Scott:18 Phillips:18
    Watson:18 Davis:18 Parker:18 Price:17 Bennett:17 Young:17 Griffiths:17 Mitchell:17 Kelly:16 Cook:16
    Carter:16 Richardson:16 Bailey:16 Collins:16 Bell:15 Shaw:15 Murphy:15 Miller:15 Cox:15 Richards:14
    Marshall:14 Anderson:14 Simpson:14 Ellis:14 Adams:14 Wilkinson:13 Foster:13 Chapman:13 Powell:13
    Webb:13 Rogers:13 Gray:13 Mason:13 Hunt:12 Campbell:12 Matthews:12 Owen:12 Palmer:12 Holmes:12 Mills:12
    Barnes:12 Knight:11 Lloyd:11 Butler:11 Russell:11 Barker:11 Fisher:11 Stevens:11 Jenkins:11 Murray:11
    Dixon:11 Harvey:11 Graham:10 Pearson:10 Fletcher:10 Walsh:10 Gibson:10 Howard:10 Andrews:10 Stewart:10
    Elliott:10 Reynolds:10 Saunders:10 Payne:10 Fox:9 Ford:9 Pearce:9 Day:9 Brooks:9 West:9 Lawrence:9
    Cole:9 Atkinson:9 Bradley:9 Spencer:9 Dawson:9 Ball:9 Burton:9 O'Brien:9 Watts:9 Rose:8 Booth:8 Perry:8
    Ryan:8 Grant:8 Wells:8 Armstrong:8 Francis:8 Rees:8 Hayes:8 Hart:8 Hudson:8 Newman:8 Barrett:8
    Webster:8 Hunter:8 Gregory:8 Carr:8 Lowe:8 Page:7 Marsh:7 Riley:7 Dunn:7 Woods:7 Parsons:7 Berry:7
    Stone:7 Reid:7 Holland:7 Hawkins:7 Harding:7 Porter:7 Robertson:7 Newton:7 Oliver:7 Reed:7 Kennedy:7
    Williamson:7 Bird:7 Gardner:7 Dean:6 Lane:6 Cunningham:6 Warren:6 Nicholson:6 Gordon:6 O'Connor:6
    O'Sullivan:5 McCarthy:5 Byrne:6 Doyle:6 Gallagher:5 Quinn:5 Kavanagh:4 Nolan:5 Brennan:5 Daly:5
    McDonald:6 MacLeod:3 Fraser:5 Hamilton:6 Crawford:5 Mellor:4 Bourne:4 Pritchard:5 Hickman:4 Tonks:3
    Bagley:3 Cartwright:5 Bate:3 Whitehouse:5 Beddow:2 Round:3 Plant:4 Nock:2 Bissell:2 Hingley:2
    Millward:3 Faulkner:4 Jukes:2 Onions:2 Ashcroft:3 Share:2 Dudley:3 Hodgetts:2 Partridge:3 Pountney:2""")


@dataclass(frozen=True)
class Group:
    key: str
    share: float
    female: Weighted | None  # None: British, by birth cohort
    male: Weighted | None
    surnames: Weighted
    # Surnames carried mostly by one sex, each with its probability: "Kaur" for Sikh women, "Begum" and
    # "Bibi" for many Bangladeshi and Pakistani women.
    female_surnames: tuple[tuple[str, float], ...] = ()
    male_surnames: tuple[tuple[str, float], ...] = ()


GROUPS: tuple[Group, ...] = (
    Group("british", 0.61, None, None, BRITISH_SURNAMES),
    Group(
        "pakistani_bangladeshi", 0.11,
        Weighted.parse("""
            Ayesha:15 Aisha:15 Fatima:18 Maryam:15 Zainab:12 Amina:10 Khadija:10 Hafsa:8 Sana:10 Noor:8
            Nadia:12 Sadia:10 Iqra:10 Hina:8 Samina:10 Shabana:10 Rukhsana:10 Nasreen:10 Parveen:10 Shazia:10
            Rubina:8 Saima:10 Nazia:8 Asma:10 Farah:8 Sumaira:6 Bushra:8 Uzma:8 Yasmin:10 Salma:10 Shamima:8
            Rahima:6 Nasima:6 Jasmin:6 Sabrina:6 Tahmina:5 Sabina:6 Anisa:6 Mariam:8 Safiya:6 Zara:8 Sofia:6
            Alisha:6 Humaira:5 Mehwish:5 Shaista:5 Rizwana:5"""),
        Weighted.parse("""
            Mohammed:40 Muhammad:30 Mohammad:15 Ahmed:12 Ali:15 Hassan:12 Hussain:10 Imran:15 Bilal:12
            Usman:12 Tariq:10 Asif:10 Kamran:10 Zubair:8 Amir:10 Omar:10 Yusuf:10 Ibrahim:10 Abdul:15 Rashid:8
            Khalid:8 Faisal:8 Adnan:10 Arif:8 Shahid:10 Zahid:8 Naveed:8 Waqas:8 Aamir:6 Nadeem:8 Sajid:8
            Wasim:8 Majid:6 Irfan:8 Mahmood:6 Rizwan:8 Haroon:6 Saqib:6 Umar:8 Abdullah:8 Ismail:8 Zain:8
            Ayaan:5 Hamza:10 Rayyan:5 Shakil:5 Jamal:6 Mizanur:5 Abu:5 Rahim:5 Kabir:4"""),
        Weighted.parse("""
            Khan:60 Hussain:40 Ali:40 Ahmed:35 Mahmood:20 Akhtar:20 Iqbal:20 Rahman:18 Malik:15 Shah:15
            Mirza:8 Rashid:10 Qureshi:10 Butt:12 Chaudhry:12 Aslam:10 Javed:8 Sadiq:8 Younis:8 Arshad:8
            Rafiq:8 Anwar:8 Ashraf:8 Bashir:8 Mohammed:10 Uddin:15 Miah:15 Islam:10 Hassan:8 Karim:6
            Hossain:8 Choudhury:8 Riaz:6 Nawaz:8 Zaman:6 Sultan:5 Haq:5 Saleem:6 Hanif:6"""),
        female_surnames=(("Begum", 0.13), ("Bibi", 0.05)),
    ),
    Group(
        "indian", 0.07,
        Weighted.parse("""
            Harpreet:12 Manpreet:12 Jaspreet:10 Gurpreet:10 Amandeep:10 Kiran:10 Simran:8 Rajinder:8 Balbir:6
            Surinder:8 Jasvinder:8 Parminder:8 Sukhwinder:6 Kulwinder:6 Navdeep:6 Ravneet:5 Priya:10 Anjali:6
            Sunita:10 Neelam:8 Asha:6 Meena:6 Pooja:8 Nisha:8 Reena:8 Seema:8 Rupa:5 Hema:5 Geeta:6 Shital:5
            Bhavna:5 Komal:5 Divya:5 Sonia:6 Anita:8 Kamaljit:6 Baljit:5 Narinder:6 Mandeep:6"""),
        Weighted.parse("""
            Gurdeep:10 Harjit:10 Jaswinder:10 Kuldeep:10 Manjit:10 Sukhdev:8 Baljit:8 Jagdeep:8 Ravinder:10
            Amarjit:8 Harpal:6 Parminder:6 Sukhjinder:6 Gurpreet:8 Harvinder:8 Jasbir:8 Kulwant:6 Mandeep:8
            Rajinder:8 Balwinder:8 Arjun:8 Rahul:8 Vikram:6 Sanjay:10 Rajesh:10 Amit:10 Anil:8 Sunil:8 Ashok:6
            Deepak:8 Vijay:8 Ravi:8 Nikhil:6 Rohit:6 Sandeep:8 Pradeep:6 Manoj:6 Hitesh:5 Nitin:5 Kishan:5
            Jatinder:6 Ranjit:6"""),
        Weighted.parse("""
            Patel:60 Sharma:15 Kumar:15 Chauhan:8 Sandhu:12 Sidhu:10 Gill:15 Dhillon:10 Bains:8 Johal:8
            Atwal:6 Mann:8 Virdi:6 Mistry:10 Parmar:10 Chohan:5 Grewal:8 Sahota:6 Bassi:6 Kang:6 Dhaliwal:8
            Bhogal:6 Sangha:6 Rai:6 Sohal:5 Lal:6 Mehta:6 Shah:8 Joshi:6 Desai:6 Solanki:6 Lakhani:4 Kalsi:5
            Heer:5 Bhatti:6 Hayer:5 Thandi:4"""),
        female_surnames=(("Kaur", 0.32), ("Singh", 0.03)),
        male_surnames=(("Singh", 0.35),),
    ),
    Group(
        "black_caribbean", 0.035,
        Weighted.parse("""
            Marcia:8 Sharon:8 Michelle:8 Donna:6 Paulette:6 Beverley:6 Claudette:5 Jacqueline:5 Yvonne:6
            Maxine:6 Simone:8 Tanisha:6 Shanice:8 Chantelle:8 Keisha:8 Aaliyah:6 Jasmine:6 Tia:6 Shantelle:5
            Latoya:5 Natasha:6 Monique:5 Nadine:5 Precious:4 Jada:5 Tiana:6 Nia:5"""),
        Weighted.parse("""
            Delroy:6 Winston:6 Leroy:6 Errol:6 Clive:5 Lloyd:6 Everton:5 Tyrone:8 Jermaine:8 Dwayne:8 Marcus:8
            Andre:8 Kareem:6 Jerome:8 Devon:6 Courtney:5 Tyrell:6 Kyle:5 Nathaniel:5 Reuben:5 Malachi:5
            Isaiah:5 Elijah:6 Dante:4 Leon:6 Curtis:6 Trevor:5 Carlton:5 Junior:4 Omari:5"""),
        Weighted.parse("""
            Campbell:15 Brown:15 Williams:15 Smith:12 Johnson:10 Grant:10 Francis:10 Henry:8 Reid:8 Thomas:8
            Clarke:8 Robinson:8 Lewis:8 James:8 Morgan:6 Walker:6 Bailey:6 McKenzie:8 Samuels:6 Forbes:6
            Gayle:6 Lindo:5 Spence:6 Ellis:5 Murray:5 Powell:6 Edwards:6 Gordon:5 Hinds:5 Bennett:5 Barrett:5
            Wright:6 Stewart:5 Allen:5 Douglas:5 Anderson:5 Hylton:5 Lawrence:5 Facey:4 Blake:5"""),
    ),
    Group(
        "black_african", 0.045,
        Weighted.parse("""
            Blessing:8 Precious:6 Grace:6 Abena:6 Ama:6 Akosua:5 Chioma:6 Ngozi:6 Adaeze:5 Folake:5 Yetunde:5
            Funmilayo:5 Amara:6 Ifeoma:5 Nneka:5 Chiamaka:5 Temitope:5 Oluwaseun:4 Fatuma:5 Hodan:5 Amina:6
            Faduma:5 Sagal:5 Ayan:5 Halima:5 Ruth:5 Esther:6 Patience:5 Joy:5 Mercy:5 Favour:5 Tendai:4
            Rutendo:4 Nyasha:4 Chipo:4 Ruvimbo:3 Deborah:5 Eunice:4"""),
        Weighted.parse("""
            Kwame:6 Kofi:6 Kwabena:5 Kojo:5 Yaw:5 Chidi:6 Emeka:6 Chinedu:6 Obinna:5 Tunde:6 Segun:6 Olumide:5
            Babatunde:5 Oluwaseun:5 Femi:6 Ade:5 Tobi:5 Daniel:8 David:8 Samuel:8 Emmanuel:8 Joseph:6
            Michael:6 Godfrey:4 Abdi:6 Mohamed:8 Abdirahman:5 Ahmed:6 Hassan:5 Farah:4 Tendai:4 Tinashe:4
            Tatenda:4 Blessing:4 Prince:4 Solomon:5"""),
        Weighted.parse("""
            Okafor:8 Okoye:6 Adeyemi:8 Mensah:8 Asante:6 Boateng:6 Owusu:6 Adebayo:8 Okonkwo:6 Eze:6 Nwosu:6
            Ibrahim:6 Mohamed:10 Ali:6 Hassan:6 Abdi:8 Omar:6 Yusuf:6 Ahmed:5 Osei:6 Appiah:5 Agyeman:5
            Ogunleye:5 Oladipo:5 Balogun:5 Adeleke:5 Olawale:4 Ncube:5 Moyo:6 Dube:5 Sibanda:5 Banda:4 Okeke:5
            Nwachukwu:4 Okoro:5 Danso:4 Ansah:4 Afolabi:5 Ogunbiyi:4 Egbe:4"""),
    ),
    Group(
        "eastern_european", 0.05,
        Weighted.parse("""
            Anna:12 Katarzyna:10 Agnieszka:10 Magdalena:8 Joanna:8 Aleksandra:8 Monika:8 Ewa:6 Marta:6
            Justyna:6 Karolina:6 Natalia:6 Paulina:6 Dorota:5 Barbara:4 Oksana:5 Irina:5 Elena:6 Ioana:6
            Andreea:6 Maria:8 Mihaela:5 Alina:6 Daniela:5 Simona:4 Gabriela:5 Raluca:4 Iveta:4 Lucie:3 Jana:5
            Kristina:5 Inga:4 Laura:4 Viktoria:4 Olga:4 Natalija:3"""),
        Weighted.parse("""
            Piotr:10 Tomasz:10 Krzysztof:8 Marcin:8 Pawel:8 Lukasz:8 Michal:8 Jakub:8 Andrzej:6 Dariusz:6
            Adam:6 Kamil:6 Mateusz:6 Grzegorz:6 Robert:5 Bartosz:5 Mihai:6 Andrei:6 Ion:6 Vasile:5
            Alexandru:6 Florin:6 Marian:5 Gheorghe:4 Adrian:6 Ionut:5 Cristian:5 Bogdan:5 Tomas:5 Jan:5
            Martin:5 Lukas:4 Mindaugas:4 Darius:4 Aleksandr:4 Sergei:4 Dmitri:3 Vladimir:3 Marek:5 Milan:4"""),
        Weighted.parse("""
            Nowak:10 Kowalski:8 Wisniewski:6 Wojcik:6 Kowalczyk:6 Kaminski:6 Lewandowski:6 Zielinski:5
            Szymanski:5 Wozniak:6 Dabrowski:5 Kozlowski:5 Jankowski:5 Mazur:5 Krawczyk:5 Piotrowski:4
            Grabowski:4 Nowakowski:4 Pawlowski:4 Michalski:4 Wrobel:5 Jablonski:4 Popescu:8 Ionescu:6 Popa:6
            Pop:5 Radu:5 Dumitru:5 Stan:5 Stoica:4 Gheorghe:4 Munteanu:4 Constantin:4 Matei:4 Balan:4
            Horvath:5 Kazlauskas:4 Jankauskas:3 Petrov:4 Ivanov:4 Novak:5 Dvorak:3 Kovac:4 Balog:4 Lakatos:3"""),
    ),
    Group(
        "middle_eastern", 0.02,
        Weighted.parse("""
            Fatima:6 Mariam:6 Layla:6 Noor:5 Rania:5 Huda:5 Shirin:5 Zahra:6 Leila:5 Dilan:4 Rozhin:3 Sara:6
            Yasmin:5 Hana:5 Ayat:3 Nour:4 Lina:4"""),
        Weighted.parse("""
            Ahmad:6 Mohammed:8 Ali:8 Hassan:6 Karwan:4 Dilshad:4 Rebwar:4 Hawre:3 Reza:5 Amir:5 Mehdi:4
            Omar:6 Khaled:5 Mustafa:6 Yousef:5 Sami:5 Tariq:4 Nabil:4 Rahim:3"""),
        Weighted.parse("""
            Ahmadi:5 Hosseini:5 Rahimi:4 Karimi:4 Mohammadi:5 Rezaei:3 Abdullah:5 Hussein:6 Hassan:5 Saleh:5
            Mahmoud:5 Aziz:5 Rasul:4 Qadir:4 Salih:4 Osman:5 Mustafa:5 Ibrahim:5 Jaff:3 Barzani:3"""),
    ),
    Group(
        "east_asian", 0.01,
        Weighted.parse("Mei:5 Li:4 Xin:3 Yan:3 Ying:3 Hui:3 Thi:3 Linh:4 Thu:3 Hoa:3 Jenny:4 Amy:4 Grace:3 "
                       "Wendy:3 Helen:3"),
        Weighted.parse("Wei:5 Jun:4 Hao:3 Ming:4 Jian:3 Minh:4 Tuan:4 Duc:3 Long:3 Kevin:4 Jason:3 Peter:3 "
                       "Daniel:3 Eric:3"),
        Weighted.parse("Wang:8 Li:8 Zhang:6 Chen:8 Liu:6 Yang:5 Huang:5 Wong:8 Chan:8 Lee:6 Cheung:5 Lam:5 Ng:5 "
                       "Nguyen:10 Tran:6 Le:5 Pham:5 Hoang:3 Vu:3"),
    ),
    # Mixed heritage: a forename from one group and a surname from another (see `pick_names`).
    Group("mixed", 0.05, None, None, BRITISH_SURNAMES),
)
GROUP_PICK = Weighted(tuple(g.key for g in GROUPS), tuple(itertools.accumulate(g.share for g in GROUPS)))
GROUP_BY_KEY = {g.key: g for g in GROUPS}
_MIXED_FORENAMES = ("british", "british", "black_caribbean")
_MIXED_SURNAMES = ("black_caribbean", "black_caribbean", "black_african", "british", "pakistani_bangladeshi",
                   "indian")


def _cohort(birth_year: int) -> str:
    return "older" if birth_year < 1965 else "middle" if birth_year < 1990 else "younger"


def forename(rng: random.Random, group: str, female: bool, birth_year: int) -> str:
    if group == "mixed":
        group = _MIXED_FORENAMES[rng.randrange(len(_MIXED_FORENAMES))]
    spec = GROUP_BY_KEY[group]
    table = spec.female if female else spec.male
    if table is None:
        table = (BRITISH_FEMALE if female else BRITISH_MALE)[_cohort(birth_year)]
    return table.pick(rng)


def _feminine(surname: str) -> str:
    # Polish surnames agree with the bearer: Kowalski, Kowalska.
    for masculine, feminine in (("ski", "ska"), ("cki", "cka"), ("dzki", "dzka")):
        if surname.endswith(masculine):
            return surname[: -len(masculine)] + feminine
    return surname


def surname(rng: random.Random, group: str, female: bool) -> str:
    if group == "mixed":
        group = _MIXED_SURNAMES[rng.randrange(len(_MIXED_SURNAMES))]
    spec = GROUP_BY_KEY[group]
    roll = rng.random()
    for name, probability in spec.female_surnames if female else spec.male_surnames:
        if roll < probability:
            return name
        roll -= probability
    name = spec.surnames.pick(rng)
    if group == "british" and rng.random() < 0.015:
        other = spec.surnames.pick(rng)
        if other != name:
            name = f"{name}-{other}"  # double-barrelled
    return _feminine(name) if female and group == "eastern_european" else name


# Forename -> nicknames and other spellings that the same person is recorded under.
NICKNAMES: dict[str, tuple[str, ...]] = {
    name: tuple(variants.split()) for name, variants in (
        ("William", "Bill Will Liam Billy"), ("Elizabeth", "Liz Beth Lizzie Betty"),
        ("Mohammed", "Mohammad Muhammad Mohamed Mohd"), ("Muhammad", "Mohammed Mohammad Muhammed"),
        ("Mohammad", "Mohammed Muhammad"), ("Mohamed", "Mohammed Mohamud"), ("Robert", "Rob Bob Bobby Robbie"),
        ("Richard", "Rich Rick Richie"), ("Michael", "Mike Mick Mikey"), ("Christopher", "Chris Kit"),
        ("Thomas", "Tom Tommy"), ("Daniel", "Dan Danny"), ("Samuel", "Sam Sammy"), ("Samantha", "Sam Sammy"),
        ("Katherine", "Kate Katie Kathryn"), ("Catherine", "Cath Kate Cathy Katherine"),
        ("Kathleen", "Kath Kathy"), ("Rebecca", "Becky Becca"), ("Joseph", "Joe Joey"), ("Anthony", "Tony Ant"),
        ("Stephen", "Steve Steven"), ("Steven", "Steve Stephen"), ("David", "Dave Davey"),
        ("Margaret", "Maggie Peggy Margret"), ("Jennifer", "Jen Jenny"), ("Victoria", "Vicky Tori Vikki"),
        ("Aleksandra", "Ola Alexandra"), ("Benjamin", "Ben Benji"),
        ("Edward", "Ed Eddie Ted"), ("James", "Jim Jimmy Jamie"), ("Andrew", "Andy Drew"),
        ("Nicola", "Nicky Nikki"), ("Nicholas", "Nick Nicky"), ("Deborah", "Debbie Debra"),
        ("Patricia", "Pat Trish Tricia"), ("Susan", "Sue Susie"), ("Jacqueline", "Jackie Jacky"),
        ("Christine", "Chris Chrissie"), ("Katarzyna", "Kasia Kate"), ("Agnieszka", "Aga Agnes"),
        ("Piotr", "Peter"), ("Pawel", "Paul Paweł"), ("Tomasz", "Tom Tomek"), ("Krzysztof", "Chris Krzys"),
        ("Jakub", "Kuba Jacob"), ("Lukasz", "Luke Łukasz"), ("Michal", "Michael Michał"),
        ("Jonathan", "Jon Johnny"), ("John", "Jon Johnny"), ("Matthew", "Matt Matty"),
        ("Joshua", "Josh"), ("Jaswinder", "Jas"), ("Jasvinder", "Jas"), ("Sukhdev", "Sukh"), ("Manjit", "Manj"),
        ("Rajinder", "Raj"), ("Rajesh", "Raj"), ("Parminder", "Pam"), ("Gurdeep", "Guru"),
        ("Oluwaseun", "Seun Shaun"), ("Babatunde", "Tunde"), ("Olumide", "Mide"), ("Temitope", "Tope Temi"),
        ("Abdirahman", "Abdi"), ("Ibrahim", "Ebrahim Ibraheem"), ("Yusuf", "Yousef Yusef Joseph"),
        ("Hussain", "Hussein Husain"), ("Ayesha", "Aisha Aysha"), ("Aisha", "Ayesha Aysha"),
        ("Fatima", "Fatimah Fatma"), ("Maryam", "Mariam Miriam"), ("Mariam", "Maryam"),
        ("Zainab", "Zaynab Zeinab"), ("Yasmin", "Yasmine Jasmin"), ("Imran", "Imraan"), ("Bilal", "Belal"),
        ("Usman", "Osman Uthman"), ("Umar", "Omar"), ("Omar", "Umar"), ("Shahid", "Shaheed"),
        ("Naveed", "Navid"), ("Hayley", "Haley Hailey"), ("Leanne", "Lee-Anne Leann"), ("Stacey", "Stacy"),
        ("Tracey", "Tracy"), ("Jodie", "Jody"), ("Zoe", "Zoë"), ("Chloe", "Chloë"), ("Natasha", "Tash Tasha"),
        ("Danielle", "Dani"), ("Gemma", "Jemma"), ("Louise", "Lou"), ("Charlotte", "Charlie Lottie"),
        ("Amelia", "Millie"), ("Abigail", "Abbie Abby"), ("Bethany", "Beth"), ("Eleanor", "Ellie Nell"),
        ("Megan", "Meg"), ("Jessica", "Jess Jessie"), ("Jasmine", "Jas Yasmin"), ("Olivia", "Liv Livvy"),
        ("Isabelle", "Izzy Isabel"), ("Sian", "Siân"), ("Rhys", "Rees"), ("Sean", "Shaun Shawn"),
        ("Shaun", "Sean Shawn"), ("Niamh", "Neve"), ("Liam", "William"), ("Callum", "Calum"),
        ("Connor", "Conor"), ("Kieran", "Kieron Ciaran"), ("Reece", "Rhys Reese"), ("Bradley", "Brad"),
        ("Nathaniel", "Nathan Nat"), ("Jerome", "Jerry"), ("Tyrone", "Ty"), ("Marcus", "Marc"),
        ("Dwayne", "Duane"), ("Jermaine", "Jermain"), ("Delroy", "Del"), ("Emmanuel", "Manny"),
        ("Mihai", "Michael"), ("Ioana", "Joanna"), ("Andrei", "Andrew"), ("Alexandru", "Alex"),
        ("Ionut", "John"), ("Gheorghe", "George"), ("Elena", "Helen Lena"), ("Anna", "Ann Anne Ania"),
        ("Magdalena", "Magda"), ("Joanna", "Jo Asia"), ("Justyna", "Justine"), ("Dorota", "Dorothy"),
        ("Ewa", "Eva"), ("Oksana", "Oxana"), ("Irina", "Irena"), ("Natalia", "Natalie"), ("Olga", "Olha"),
        ("Sergei", "Sergey"), ("Dmitri", "Dmitry"), ("Aleksandr", "Alexander"), ("Alexander", "Alex Sandy"),
        ("Harry", "Harold"), ("Charlie", "Charles"), ("Alfie", "Alfred"), ("Ellie", "Eleanor"),
        ("Kayleigh", "Kayley Kaylee"), ("Kimberley", "Kim Kimberly"), ("Courtney", "Cortney"),
        ("Sarah", "Sara"), ("Claire", "Clare"), ("Emma", "Em"), ("Michelle", "Shell Michele"),
        ("Karen", "Karin"), ("Joanne", "Jo Jo-Anne"), ("Rachel", "Rach Rachael"), ("Mark", "Marc"),
        ("Paul", "Paulie"), ("Lee", "Leigh"), ("Darren", "Daz"), ("Gary", "Gaz Garry"), ("Carl", "Karl"),
        ("Jason", "Jay"), ("Simon", "Si"), ("Ian", "Iain"), ("Neil", "Neal"), ("Scott", "Scotty"),
        ("Ryan", "Rian"), ("Luke", "Lucas"), ("Jordan", "Jordon"), ("Lewis", "Louis"), ("Jake", "Jacob"),
        ("Dylan", "Dillon"), ("Aaron", "Aron"), ("Cameron", "Cam"), ("George", "Georgie"), ("Oliver", "Ollie"),
        ("Archie", "Archibald"), ("Lauren", "Loren"), ("Sophie", "Sophia Sofie"), ("Emily", "Em Emilie"),
        ("Amy", "Aimee Amie"), ("Jade", "Jayde"), ("Holly", "Hollie"), ("Grace", "Gracie"), ("Lucy", "Lucie"),
        ("Molly", "Mollie"), ("Caitlin", "Caitlyn Katelyn"), ("Leah", "Lea"), ("Stephanie", "Steph"),
        ("Linda", "Lyn"), ("Mary", "Marie"), ("Janet", "Jan"), ("Carol", "Carole"), ("Ann", "Anne Annie"),
        ("Anne", "Ann"), ("Barbara", "Barb"), ("Sandra", "Sandy"), ("Maureen", "Mo"), ("Valerie", "Val"),
        ("Julie", "Jules"), ("Gillian", "Gill Jill"), ("Judith", "Judy"), ("Diane", "Dianne Di"),
        ("Lynn", "Lyn Lynne"), ("Pamela", "Pam"), ("Helen", "Ellen"), ("Angela", "Angie"), ("Peter", "Pete"),
        ("Brian", "Bryan"), ("Alan", "Allan Allen"), ("Kenneth", "Ken Kenny"), ("Terence", "Terry"),
        ("Barry", "Baz"), ("Graham", "Graeme"), ("Trevor", "Trev"), ("Geoffrey", "Geoff Jeff"), ("Derek", "Del"),
        ("Raymond", "Ray"), ("Malcolm", "Mal"), ("Dennis", "Denis"), ("Philip", "Phil Phillip"),
        ("Martin", "Marty"), ("Leslie", "Les"), ("Ronald", "Ron Ronnie"), ("Gerald", "Gerry"),
        ("Patrick", "Pat Paddy"), ("Kevin", "Kev"), ("Stuart", "Stewart Stu"), ("Tariq", "Tarik"),
        ("Zubair", "Zubayr"), ("Amir", "Ameer Aamir"), ("Hamza", "Hamzah"), ("Khalid", "Khaled"),
        ("Faisal", "Faysal"), ("Rashid", "Rasheed"), ("Arif", "Aarif"), ("Zahid", "Zahed"), ("Nadeem", "Nadim"),
        ("Sajid", "Sajjad"), ("Wasim", "Waseem"), ("Abdullah", "Abdalla"), ("Ismail", "Ismael"), ("Zain", "Zayn"),
        ("Abdul", "Abdal"), ("Nadia", "Nadiya"), ("Asma", "Asmaa"), ("Parveen", "Perveen Parvin"),
        ("Nasreen", "Nasrin"), ("Rukhsana", "Ruksana"), ("Harpreet", "Harprit"), ("Gurpreet", "Gurprit"),
        ("Amandeep", "Aman"), ("Kuldeep", "Kuldip"), ("Jagdeep", "Jagdip"), ("Mandeep", "Mandip"),
        ("Sandeep", "Sandip"), ("Pradeep", "Pradip"), ("Harjit", "Harjeet"), ("Amarjit", "Amarjeet"),
        ("Ranjit", "Ranjeet"), ("Baljit", "Baljeet"), ("Ravinder", "Ravi"), ("Deepak", "Dipak"),
        ("Kwame", "Kwami"), ("Andre", "André"), ("Kareem", "Karim"), ("Lloyd", "Loyd"),
        ("Chantelle", "Shantelle"), ("Shanice", "Shaniece"), ("Keisha", "Kiesha"), ("Mateusz", "Matthew Mat"),
        ("Grzegorz", "Greg"), ("Bartosz", "Bart"), ("Andrzej", "Andrew"), ("Dariusz", "Darek"), ("Marek", "Mark"),
        ("Ion", "John Ioan"), ("Vasile", "Vasily"), ("Cristian", "Christian"), ("Daniela", "Dani"),
        ("Gabriela", "Gabi Gabriella"), ("Andreea", "Andrea"), ("Maria", "Marie Mary"), ("Monika", "Monica"),
        ("Marta", "Martha"), ("Karolina", "Caroline"), ("Paulina", "Pauline"), ("Kristina", "Christina"),
        ("Viktoria", "Victoria"),
    )
}

# Surname spellings that one person is recorded under.
SURNAME_VARIANTS: dict[str, tuple[str, ...]] = {
    name: tuple(variants.split()) for name, variants in (
        ("Mohammed", "Mohamed Muhammad"), ("Hussain", "Hussein Husain"), ("Choudhury", "Chowdhury Chaudhry"),
        ("Chaudhry", "Choudhury Chaudhary"), ("Davies", "Davis"), ("Davis", "Davies"), ("Thompson", "Thomson"),
        ("Clarke", "Clark"), ("Clark", "Clarke"), ("Phillips", "Philips"), ("Matthews", "Mathews"),
        ("Reid", "Read Reed"), ("Gray", "Grey"), ("McDonald", "MacDonald Mcdonald"), ("O'Brien", "OBrien Obrien"),
        ("O'Connor", "OConnor O'Conner"), ("O'Sullivan", "OSullivan"), ("Kowalski", "Kowalsky"),
        ("Wisniewski", "Wisnieski Wiśniewski"), ("Mahmood", "Mahmud Mehmood"), ("Ahmed", "Ahmad"),
        ("Rahman", "Rehman"), ("Akhtar", "Akthar"), ("Qureshi", "Kureshi Qureishi"), ("Miah", "Mia Meah"),
        ("Uddin", "Udin"), ("Khan", "Kahn"), ("Begum", "Begam"), ("Wojcik", "Wójcik"),
        ("Kaminski", "Kamiński"), ("Lewandowski", "Lewandowsky"), ("McKenzie", "MacKenzie Mckenzie"),
        ("Whitehouse", "White-house"), ("Adeyemi", "Adeyemmi"), ("Okafor", "Okafo"), ("Nguyen", "Nguyenn"),
        ("Dhillon", "Dhilon"), ("Sandhu", "Sandu"), ("Chohan", "Chauhan"), ("Chauhan", "Chohan"),
    )
}
