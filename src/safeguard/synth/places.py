"""The fictional force's geography and telephone numbers.

The force polices an invented conurbation around 52.48 N, 1.89 W (where the West Midlands would be).
Postcodes are in the "ZZ" area, which does not exist, but they have the real shape ("ZZ7 3QJ": outward
code, sector digit, two unit letters without C, I, K, M, O or V), so parsing and normalising code sees
the real thing. ZZ99 is left alone: the NHS uses it for "no fixed abode".

Telephone numbers come only from the ranges Ofcom keeps for drama, which are never allocated to anyone.
There are few of them (1,000 mobiles, and about 1,000 per city landline range), so a large force must
share numbers between people; that is realistic enough (family phones, passed-on handsets).
"""

from __future__ import annotations

from dataclasses import dataclass

CENTRE = (52.4800, -1.8900)


@dataclass(frozen=True)
class AreaSpec:
    code: str
    name: str
    town: str  # the post town of the area's addresses
    weight: float  # relative population
    offset: tuple[float, float]  # centre, in degrees from CENTRE (lat, lon)


AREAS: tuple[AreaSpec, ...] = (
    AreaSpec("LPA-C", "City Centre", "Brindleford", 1.0, (0.0, 0.0)),
    AreaSpec("LPA-N", "Northfield", "Brindleford", 1.3, (0.065, 0.005)),
    AreaSpec("LPA-E", "Eastbrook", "Brindleford", 1.4, (0.005, 0.105)),
    AreaSpec("LPA-S", "Southgate", "Brindleford", 1.2, (-0.070, -0.010)),
    AreaSpec("LPA-W", "Westmere", "Westmere", 1.1, (0.010, -0.120)),
    AreaSpec("LPA-H", "Hollyfield", "Hollyfield", 0.8, (0.110, 0.120)),
    AreaSpec("LPA-K", "Kingsmoor", "Kingsmoor", 0.9, (-0.105, -0.140)),
    AreaSpec("LPA-R", "Riverside", "Brindleford", 1.0, (-0.060, 0.115)),
    AreaSpec("LPA-A", "Ashbury", "Ashbury", 0.7, (0.080, -0.150)),
    AreaSpec("LPA-M", "Millbrook", "Millbrook", 0.6, (-0.140, 0.060)),
)

STREET_STEMS = """High Church Station Mill Park Victoria Queen King Manor School Green Chapel New Albert Windsor
Grange Springfield Kingsway Highfield Meadow Orchard Willow Oak Ash Beech Elm Cedar Chestnut Holly Maple Birch
Hawthorn Primrose Clarendon Stratford Warwick Coventry Lichfield Tamworth Worcester Hagley Bristol Pershore
Alcester Canal Wharf Foundry Forge Anvil Chain Nailers Glassworks Brewery Tannery Kiln Colliery Brook Ford Bridge
Hill Vale Dale Heath Moor Common Fieldhouse Coppice Spinney Larch Rowan Sycamore Poplar Hazel Lime Laburnum
Lilac Lavender Heather Bluebell Foxglove Clover Sandy Stony Cherry Damson Pear Plum Apple Hamstead Wellington
Nelson Trafalgar Waterloo Balmoral Sandringham Osborne Cambridge Oxford Essex Kent Suffolk Norfolk Devon Dorset
Somerset Salisbury Chester Lancaster York Gladstone Peel Attwood Boulton Watt Murdoch Priestley Brindley Telford
Darby Wedgwood Cadbury Chamberlain Lench Elkington Mander Tildasley Stafford Shrewsbury Hereford Ludlow Malvern
Kenilworth Leamington Rugby Nuneaton Bromsgrove Redditch Evesham Tewkesbury Cotswold Clent Lickey Wrekin Clee
Abbey Priory Rectory Vicarage Glebe Croft Paddock Stable Barn Cottage Lodge Hall Castle Tower Mount Pleasant
Sunnyside Fairview Bellevue Redhill Greenfield Blackberry Nightingale Lark Swallow Kestrel Heron Wren Robin
Thrush Linnet Finch""".split()
STREET_KINDS = ("Road:30 Street:18 Lane:10 Avenue:10 Close:9 Drive:7 Grove:5 Crescent:5 Way:4 Place:3 Walk:2 "
                "Gardens:2 Terrace:2 Rise:1 Mews:1")
BLOCK_KINDS = ("Court", "House", "Tower", "Point", "Heights")

# Letters a postcode's unit (its last two characters) never uses.
UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"

# Ofcom's numbers for drama, in E.164. Mobiles: 07700 900000-900999.
MOBILE_NUMBERS: tuple[str, ...] = tuple(f"+447700900{n:03d}" for n in range(1000))
# Landlines: the area's own range (0121 496 0xxx) first, then the others: city ranges 0113-0191 with
# 496 0xxx (498 0xxx on Tyneside), London 020 7946 0xxx and the "no area" range 01632 960xxx.
LOCAL_LANDLINES: tuple[str, ...] = tuple(f"+441214960{n:03d}" for n in range(1000))
OTHER_LANDLINES: tuple[str, ...] = tuple(
    number
    for prefix in ("+441134960", "+441144960", "+441154960", "+441164960", "+441174960", "+441184960",
                   "+441314960", "+441414960", "+441514960", "+441614960", "+441914980", "+442079460",
                   "+441632960")
    for number in (f"{prefix}{n:03d}" for n in range(1000))
)
ALL_NUMBERS: tuple[str, ...] = MOBILE_NUMBERS + LOCAL_LANDLINES + OTHER_LANDLINES


def is_mobile(number: str) -> bool:
    return number.startswith("+447")
