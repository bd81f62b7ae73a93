"""Fictional-force name lists: common UK forenames and surnames, most frequent first.

The West Midlands is diverse, so the lists carry South Asian, Black British, Irish, Eastern European and
other names alongside the most common English ones. Frequencies are implied by position (Zipf-like).
"""

FEMALE = """Olivia Amelia Isla Ava Emily Sophie Grace Mia Poppy Ella Lily Evie Isabella Sophia Jessica Chloe
Sarah Emma Laura Rebecca Hannah Charlotte Lucy Amy Gemma Rachel Hayley Kelly Nicola Lisa Michelle Claire
Karen Julie Tracey Donna Joanne Louise Stacey Danielle Samantha Natalie Leanne Kirsty Jade Chelsea
Elizabeth Margaret Susan Patricia Linda Jennifer Helen Catherine Katherine Victoria Jacqueline Deborah
Amanda Angela Sharon Paula Dawn Wendy Jane Anne Mary Ann Carol Christine Janet Lesley Maureen Sandra
Aisha Fatima Amina Zainab Maryam Ayesha Khadija Hafsa Sana Noor Priya Anjali Simran Harpreet Manpreet
Jaspreet Gurpreet Kiran Sunita Parveen Nasreen Shabana Rukhsana Samina Yasmin Nadia Sadia Iqra Hina
Chantelle Shanice Tiana Abena Ama Chioma Ngozi Adaeze Folake Yetunde Precious Blessing Grace
Aleksandra Agnieszka Katarzyna Magdalena Joanna Anna Monika Ewa Marta Justyna Oksana Irina Elena
Siobhan Niamh Aoife Roisin Ciara Orla Bridget Maeve Sinead Kathleen Megan Bethany Abigail Molly Ellie
Freya Daisy Ruby Phoebe Holly Scarlett Jasmine Leah Zara Imogen Harriet Eleanor Florence Alice Matilda""".split()

MALE = """Oliver George Harry Noah Jack Leo Arthur Muhammad Oscar Charlie Jacob Thomas Henry William James
Joshua Daniel Matthew Ryan Liam Luke Adam Jamie Craig Lee Dean Wayne Carl Darren Mark Paul Stephen
Steven Andrew David Michael Christopher Richard Robert John Peter Anthony Gary Kevin Simon Neil Ian
Martin Jason Scott Shaun Nathan Kieran Callum Connor Jordan Bradley Reece Tyler Kyle Ashley Jake
Mohammed Mohammad Ahmed Ali Hassan Hussain Imran Bilal Usman Tariq Asif Kamran Zubair Amir Omar Yusuf
Ibrahim Abdul Rashid Khalid Faisal Arjun Rahul Vikram Sanjay Rajesh Amit Gurdeep Harjit Jaswinder
Kuldeep Manjit Sukhdev Baljit Jagdeep Ravinder Kwame Kofi Chidi Emeka Tunde Olu Segun Jerome Marcus
Tyrone Delroy Winston Leroy Andre Dwayne Kareem Piotr Tomasz Krzysztof Marcin Pawel Lukasz Michal
Jakub Andrzej Dariusz Mihai Andrei Ion Vasile Sean Patrick Declan Ciaran Niall Eoin Brendan Kieron
Joseph Samuel Benjamin Alexander Edward Alfie Archie Freddie Theo Max Lewis Ethan Mason Logan Dylan
Harvey Toby Finley Reuben Louis Elliot Ben Sam Tom Joe Danny Tony Jim Bob Rob Dave Mike Chris Steve""".split()

SURNAMES = """Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Robinson Thompson
Wright Walker White Edwards Hughes Green Hall Lewis Harris Clarke Patel Jackson Wood Turner Martin
Cooper Hill Ward Morris Moore Clark Lee King Baker Harrison Morgan Allen James Scott Phillips Watson
Davis Parker Price Bennett Young Griffiths Mitchell Kelly Cook Carter Richardson Bailey Collins Bell
Shaw Murphy Miller Cox Richards Khan Marshall Anderson Simpson Ellis Adams Singh Begum Wilkinson Foster
Chapman Powell Webb Rogers Gray Mason Ali Hunt Hussain Campbell Matthews Owen Palmer Holmes Mills Barnes
Knight Lloyd Butler Russell Barker Fisher Stevens Jenkins Murray Dixon Harvey Graham Pearson Ahmed
Fletcher Walsh Kaur Gibson Howard Andrews Stewart Elliott Reynolds Saunders Payne Fox Ford Pearce Day
Brooks West Lawrence Cole Atkinson Bradley Spencer Gill Dawson Ball Burton OBrien Watts Rose Booth Perry
Ryan Grant Wells Armstrong Francis Rees Hayes Hart Hudson Newman Barrett Webster Hunter Gregory Carr Lowe
Page Marsh Riley Dunn Woods Parsons Berry Stone Reid Holland Hawkins Harding Porter Robertson Newton
Oliver Reed Kennedy Williamson Bird Gardner Shah Dean Lane Cunningham Warren Nicholson Gordon Rahman
Iqbal Akhtar Mahmood Bibi Hussein Malik Mirza Rashid Qureshi Sharma Kumar Chauhan Sandhu Sidhu Gill
Dhillon Bains Johal Atwal Mann Virdi Mistry Parmar Chohan Okafor Okoye Adeyemi Mensah Asante Boateng
Owusu Campbell Francis Henry Grant Reid Brown Nowak Kowalski Wisniewski Wojcik Kaminski Lewandowski
Zielinski Szymanski Dabrowski Popescu Ionescu Murphy Byrne Doyle McCarthy OConnor OSullivan Walsh
Gallagher Quinn Kavanagh Moran Nolan Brennan Daly McDonald MacLeod Fraser Hamilton Crawford""".split()

STREETS = """High Church Station Mill Park Victoria Queen King Manor School Green Chapel New Albert
Windsor Grange Springfield Kingsway Highfield Meadow Orchard Willow Oak Ash Beech Elm Cedar Chestnut
Holly Maple Birch Hawthorn Primrose Clarendon Stratford Warwick Coventry Lichfield Soho Hockley Aston
Sparkbrook Handsworth Erdington Moseley Kings Heath Selly Bournville Harborne Edgbaston Quinton""".split()
STREET_KINDS = ["Road", "Street", "Lane", "Avenue", "Close", "Drive", "Grove", "Crescent", "Way", "Place"]

AREAS = [
    ("LPA-N", "Northfield"), ("LPA-E", "Eastbrook"), ("LPA-S", "Southgate"), ("LPA-W", "Westmere"),
    ("LPA-C", "City Centre"), ("LPA-H", "Hollyfield"), ("LPA-K", "Kingsmoor"), ("LPA-R", "Riverside"),
]

# Nicknames and spelling variants used to make duplicate records.
NICKNAMES = {
    "William": ["Bill", "Will", "Liam", "Billy"], "Elizabeth": ["Liz", "Beth", "Lizzie"],
    "Jonathan": ["Jon", "Johnny"], "John": ["Jon", "Jack"], "Robert": ["Rob", "Bob", "Bobby"],
    "Richard": ["Rich", "Dick"], "Michael": ["Mike", "Mick"], "Christopher": ["Chris"],
    "Thomas": ["Tom", "Tommy"], "Daniel": ["Dan", "Danny"], "Samuel": ["Sam"], "Samantha": ["Sam"],
    "Katherine": ["Kate", "Katie"], "Catherine": ["Cath", "Kate"], "Rebecca": ["Becky"],
    "Joseph": ["Joe"], "Anthony": ["Tony"], "Stephen": ["Steve"], "Steven": ["Steve"], "David": ["Dave"],
    "Margaret": ["Maggie", "Peggy"], "Jennifer": ["Jen", "Jenny"], "Victoria": ["Vicky", "Tori"],
    "Mohammed": ["Mohammad", "Muhammad", "Mo"], "Muhammad": ["Mohammed", "Mohamed"], "Alexander": ["Alex"],
    "Benjamin": ["Ben"], "Edward": ["Ed", "Eddie"], "James": ["Jim", "Jamie"], "Andrew": ["Andy"],
    "Nicola": ["Nicky"], "Deborah": ["Debbie"], "Patricia": ["Pat", "Trish"], "Susan": ["Sue"],
    "Jacqueline": ["Jackie"], "Christine": ["Chris"], "Aleksandra": ["Ola"], "Katarzyna": ["Kasia"],
}
