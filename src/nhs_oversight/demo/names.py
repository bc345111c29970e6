"""Invented English-sounding place names and organisation-name templates for the demo data.

Every name produced here is fictional.  Place names are built from a prefix and a
suffix that sound English ("North" + "bridge" = "Northbridge"); combinations that are
real towns, boroughs or the place names of real NHS trusts and primary care trusts are
removed by :data:`REAL_PLACE_BLOCKLIST`, so no generated organisation carries the name of
a real one.  A coincidence with a small real village is possible and of no consequence.
"""

from __future__ import annotations

from typing import Final

PLACE_PREFIXES: Final[tuple[str, ...]] = (
    "Alder",
    "Amber",
    "Ash",
    "Brack",
    "Bram",
    "Brin",
    "Carrow",
    "Cors",
    "Dun",
    "East",
    "Elder",
    "Elm",
    "Fallow",
    "Fen",
    "Fern",
    "Gilder",
    "Gorse",
    "Hallow",
    "Hask",
    "Heron",
    "Holm",
    "Ivy",
    "Kest",
    "Lark",
    "Marl",
    "Mirk",
    "Nether",
    "North",
    "Oak",
    "Orm",
    "Pell",
    "Quarry",
    "Raven",
    "Rook",
    "Sedge",
    "Skel",
    "South",
    "Tarr",
    "Thistle",
    "Thorn",
    "Ulls",
    "West",
    "Whin",
    "Wold",
    "Wren",
    "Yew",
)
"""First halves of invented place names."""

PLACE_SUFFIXES: Final[tuple[str, ...]] = (
    "borough",
    "bridge",
    "by",
    "cliffe",
    "combe",
    "dale",
    "field",
    "ford",
    "ham",
    "haven",
    "hurst",
    "ley",
    "minster",
    "moor",
    "mouth",
    "stow",
    "thorpe",
    "well",
    "wick",
    "worth",
)
"""Second halves of invented place names."""

REAL_PLACE_BLOCKLIST: Final[frozenset[str]] = frozenset(
    {
        # real towns, cities and boroughs that the prefixes and suffixes can spell
        "Ashby",
        "Ashford",
        "Ashley",
        "Ashwell",
        "Ashworth",
        "Ashbourne",
        "Ashcombe",
        "Bramley",
        "Bramhall",
        "Bramford",
        "Dunstable",
        "Dunford",
        "Dunham",
        "Dunwich",
        "Eastbourne",
        "Eastbridge",
        "Eastham",
        "Eastleigh",
        "Eastwick",
        "Eastby",
        "Elmbridge",
        "Elmley",
        "Elmstow",
        "Fenwick",
        "Fernhurst",
        "Fernham",
        "Holmfield",
        "Holmwood",
        "Larkfield",
        "Northam",
        "Northborough",
        "Northfield",
        "Northwick",
        "Northwold",
        "Northwell",
        "Oakham",
        "Oakley",
        "Oakworth",
        "Oakwell",
        "Oakmoor",
        "Ravenscliffe",
        "Ravensworth",
        "Ravensthorpe",
        "Southam",
        "Southborough",
        "Southwick",
        "Southwell",
        "Southwold",
        "Southby",
        "Thornbury",
        "Thornby",
        "Thornley",
        "Thornham",
        "Thornthorpe",
        "Thornwell",
        "Westbury",
        "Westbridge",
        "Westcliffe",
        "Westfield",
        "Westham",
        "Westhaven",
        "Westminster",
        "Westmoor",
        "Westley",
        "Westwell",
        "Westwick",
        "Whinfield",
        "Wrenbury",
        "Yewdale",
        "Alderley",
        "Aldershot",
        "Alderholt",
        "Elderfield",
        "Sedgefield",
        "Sedgeford",
        "Sedgemoor",
        "Sedgley",
        "Rookley",
        "Marlborough",
        "Marlow",
        "Marlcliffe",
        "Fenby",
        "Fenham",
        "Fenstow",
        "Holmby",
        "Ormby",
        "Skelby",
        "Skelton",
        "Ivybridge",
        "Oakhurst",
        "Thornhurst",
        "Brackley",
        "Brackenfield",
        "Dunsby",
        "Ashbridge",
        "Ambergate",
        "Amberley",
        "Hallowell",
        "Gorsley",
        "Kestley",
        "Fallowfield",
        "Netherby",
        "Netherfield",
        "Netherthorpe",
        "Fencombe",
        "Elmstead",
        # place names of real NHS trusts and PCTs (never reused, even in part)
        "Airedale",
        "Barnsley",
        "Basildon",
        "Bedford",
        "Bexley",
        "Blackpool",
        "Bolton",
        "Bradford",
        "Bromley",
        "Burnley",
        "Calderdale",
        "Chesterfield",
        "Colchester",
        "Croydon",
        "Darlington",
        "Dartford",
        "Doncaster",
        "Dudley",
        "Ealing",
        "Enfield",
        "Epsom",
        "Frimley",
        "Gateshead",
        "Greenwich",
        "Harrogate",
        "Hartlepool",
        "Hillingdon",
        "Homerton",
        "Huddersfield",
        "Ipswich",
        "Kettering",
        "Kingston",
        "Knowsley",
        "Lewisham",
        "Luton",
        "Macclesfield",
        "Mansfield",
        "Medway",
        "Middlesbrough",
        "Northampton",
        "Northumbria",
        "Oldham",
        "Peterborough",
        "Plymouth",
        "Poole",
        "Portsmouth",
        "Redbridge",
        "Rochdale",
        "Rotherham",
        "Salford",
        "Salisbury",
        "Scarborough",
        "Sheffield",
        "Sherwood",
        "Southampton",
        "Southend",
        "Southport",
        "Stockport",
        "Tameside",
        "Taunton",
        "Torbay",
        "Wakefield",
        "Walsall",
        "Warrington",
        "Wexham",
        "Whittington",
        "Wirral",
        "Worthing",
        "Wrightington",
        "Yeovil",
        "Weston",
        "Walton",
        "Stockton",
        "Great Yarmouth",
        "Yarmouth",
        "Lichfield",
        "Hexham",
        "Morecambe",
        "Burton",
    }
)
"""Real place names that must never be generated (checked after joining prefix and suffix)."""


def candidate_places() -> tuple[str, ...]:
    """All invented place names, in a fixed order.

    Returns
    -------
    tuple of str
        Every prefix + suffix combination that is not in :data:`REAL_PLACE_BLOCKLIST`
        and does not double a letter at the join ("Ash" + "ham" is skipped), sorted
        alphabetically.
    """
    names: set[str] = set()
    for prefix in PLACE_PREFIXES:
        for suffix in PLACE_SUFFIXES:
            name = prefix + suffix
            if prefix[-1].lower() != suffix[0] and name not in REAL_PLACE_BLOCKLIST:
                names.add(name)
    return tuple(sorted(names))


GENERAL_TRUST_TEMPLATES: Final[tuple[str, ...]] = (
    "{p} Hospitals",
    "{p} Hospital",
    "{p} and {q} Hospitals",
    "University Hospitals of {p}",
    "{p} Teaching Hospitals",
    "{p} Healthcare",
    "{p} General Hospital",
)
"""Stems of acute trust names; the kind adds "NHS Foundation Trust" or "NHS Trust"."""

PCT_TEMPLATES: Final[tuple[str, ...]] = (
    "{p} Primary Care Trust",
    "{p} Primary Care Trust",
    "{p} Primary Care Trust",
    "{p} Teaching Primary Care Trust",
    "{p} and {q} Primary Care Trust",
    "{p} City Primary Care Trust",
)
"""PCT name templates (repeats weight the common form)."""

INDEPENDENT_TEMPLATES: Final[tuple[str, ...]] = (
    "{p} Treatment Centre Ltd",
    "{p} Independent Hospital Ltd",
    "{p} Surgical Centre Ltd",
    "{p} Community Healthcare CIC",
)
"""Names of independent (private or third-sector) providers."""

KIND_SUFFIX: Final[dict[str, str]] = {
    "foundation_trust": "NHS Foundation Trust",
    "nhs_trust": "NHS Trust",
}
"""The legal-form ending of an acute trust's name, by organisation kind."""

CCG_TEMPLATE: Final[str] = "NHS {p} Clinical Commissioning Group"
"""Name of a clinical commissioning group; ``{p}`` is its place ("NHS Elmworth North …")."""

CCG_DIRECTIONS: Final[tuple[str, ...]] = ("North", "South", "East", "West", "Central")
"""Words that tell apart the CCGs splitting one PCT area ("North Elmworth", "Elmworth West")."""
