"""Pricing of the operators' quotes into one offer, with amounts computed by hand."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Any

import pytest

from connectmyhome.pricing import VAT_RATES, build_offer, format_euros, round_half_up


def line(label: str, quantity: str, unit_price_cents: int, vat_rate: int) -> dict[str, Any]:
    return {"label": label, "quantity": quantity, "unit_price_cents": unit_price_cents,
            "vat_rate": vat_rate}


def quote(operator_id: str, lines: list[dict[str, Any]],
          valid_until: str = "2027-03-04") -> dict[str, Any]:
    return {"operator_id": operator_id, "operator_name": operator_id.upper(), "lines": lines,
            "valid_until": valid_until}


ORES = quote("ores", [line("Raccordement électrique standard", "1", 120000, 21)])
SWDE = quote("swde", [line("Raccordement eau", "1", 95000, 6),
                      line("Pose du compteur", "1", 10000, 21)], valid_until="2027-02-15")
PROXIMUS = quote("proximus", [line("Raccordement standard", "1", 0, 21)])
VOO = quote("voo", [line("Raccordement standard", "1", 0, 21)], valid_until="2027-04-30")


# (case, quote, expected net per line, expected VAT per rate as (rate, base, VAT), net, VAT,
# total). Every figure is computed by hand in the comment beside it.
OPERATOR_CASES = [
    # 1 * 120000 cents at 21 %: VAT 25200, total 145200.
    ("one line at 21 %", ORES, [120000], [(21, 120000, 25200)], 120000, 25200, 145200),
    # 95000 cents at 6 % (VAT 5700) and 10000 cents at 21 % (VAT 2100).
    ("6 % and 21 % in one quote", SWDE, [95000, 10000], [(6, 95000, 5700), (21, 10000, 2100)],
     105000, 7800, 112800),
    # 1 * 100000 cents at 12 %: VAT 12000.
    ("one line at 12 %", quote("ores", [line("Étude", "1", 100000, 12)]), [100000],
     [(12, 100000, 12000)], 100000, 12000, 112000),
    # 0 % VAT gives a VAT entry of 0 cents on its base.
    ("one line at 0 %", quote("swde", [line("Frais de dossier", "2", 1500, 0)]), [3000],
     [(0, 3000, 0)], 3000, 0, 3000),
    # 12.5 * 333 = 4162.5 cents rounds half up to 4163; 6 % of that is 249.78, so 250.
    ("fractional quantity half up", quote("swde", [line("Tranchée (m)", "12.5", 333, 6)]),
     [4163], [(6, 4163, 250)], 4163, 250, 4413),
    # 0.125 * 4 = 0.5 cent, exactly half, rounds up to 1 cent.
    ("exact half cent rounds up", quote("ores", [line("Câble (m)", "0.125", 4, 0)]), [1],
     [(0, 1, 0)], 1, 0, 1),
    # 2.345 * 10 = 23.45 cents rounds down to 23 cents.
    ("below half rounds down", quote("ores", [line("Câble (m)", "2.345", 10, 0)]), [23],
     [(0, 23, 0)], 23, 0, 23),
    # 21 % of 50 cents is 10.5 cents, which rounds up to 11 cents.
    ("VAT half cent rounds up", quote("ores", [line("Scellés", "1", 50, 21)]), [50],
     [(21, 50, 11)], 50, 11, 61),
    # Two lines of 3 cents at 21 %: per line the VAT would be 0.63, so 1 cent each and 2 in
    # all. On the sum per rate it is 21 % of 6 = 1.26, so 1 cent.
    ("VAT on the sum per rate", quote("ores", [line("A", "1", 3, 21), line("B", "1", 3, 21)]),
     [3, 3], [(21, 6, 1)], 6, 1, 7),
    # Lines at 21 %, 6 % and 21 % again: bases are grouped by rate and listed by rate.
    ("rates grouped and sorted",
     quote("swde", [line("A", "1", 20000, 21), line("B", "3", 5000, 6), line("C", "1", 1000, 21)]),
     [20000, 15000, 1000], [(6, 15000, 900), (21, 21000, 4410)], 36000, 5310, 41310),
    # A standard Proximus connection costs 0 €.
    ("free quote", PROXIMUS, [0], [(21, 0, 0)], 0, 0, 0),
]


@pytest.mark.parametrize(("quote_", "line_nets", "vat", "net", "vat_total", "total"),
                         [case[1:] for case in OPERATOR_CASES],
                         ids=[case[0] for case in OPERATOR_CASES])
def test_operator_figures(quote_: dict[str, Any], line_nets: list[int],
                          vat: list[tuple[int, int, int]], net: int, vat_total: int,
                          total: int) -> None:
    operator = build_offer([quote_])["operators"][0]

    assert [item["net_cents"] for item in operator["lines"]] == line_nets
    assert [(item["rate"], item["base_cents"], item["vat_cents"])
            for item in operator["vat_by_rate"]] == vat
    assert operator["net_cents"] == net
    assert operator["vat_cents"] == vat_total
    assert operator["total_cents"] == total
    assert operator["total_cents"] == operator["net_cents"] + operator["vat_cents"]
    assert operator["free"] is (total == 0)


def test_operator_keeps_quote_fields() -> None:
    operator = build_offer([SWDE])["operators"][0]

    assert operator["operator_id"] == "swde"
    assert operator["operator_name"] == "SWDE"
    assert operator["valid_until"] == "2027-02-15"
    assert operator["lines"][0] == {"label": "Raccordement eau", "quantity": "1",
                                    "unit_price_cents": 95000, "vat_rate": 6,
                                    "net_cents": 95000}


def test_free_quote_without_lines() -> None:
    operator = build_offer([quote("voo", [])])["operators"][0]

    assert operator["lines"] == []
    assert operator["vat_by_rate"] == []
    assert operator["total_cents"] == 0
    assert operator["free"] is True


def test_offer_totals_four_operators() -> None:
    offer = build_offer([ORES, SWDE, PROXIMUS, VOO])

    assert [operator["operator_id"] for operator in offer["operators"]] == [
        "ores", "swde", "proximus", "voo"]
    # 6 %: SWDE's 95000 cents, VAT 5700. 21 %: ORES 120000 + SWDE 10000 + 0 + 0 = 130000
    # cents, VAT 25200 + 2100 = 27300.
    assert offer["vat_by_rate"] == [{"rate": 6, "base_cents": 95000, "vat_cents": 5700},
                                    {"rate": 21, "base_cents": 130000, "vat_cents": 27300}]
    assert offer["net_cents"] == 225000
    assert offer["vat_cents"] == 33000
    # 145200 + 112800 + 0 + 0.
    assert offer["total_cents"] == 258000
    assert [operator["free"] for operator in offer["operators"]] == [False, False, True, True]
    assert offer["valid_until"] == "2027-02-15"


def test_offer_totals_equal_sums() -> None:
    # Each operator rounds its own 21 % VAT: 10.5 becomes 11 cents twice, 22 cents in all,
    # where 21 % of the combined 100 cents would be 21. The offer keeps the operators' 22.
    offer = build_offer([quote("ores", [line("A", "1", 50, 21)]),
                         quote("swde", [line("B", "1", 50, 21)]),
                         SWDE | {"operator_id": "proximus"}, ORES | {"operator_id": "voo"}])
    operators = offer["operators"]

    assert offer["total_cents"] == sum(operator["total_cents"] for operator in operators)
    assert offer["net_cents"] == sum(operator["net_cents"] for operator in operators)
    assert offer["vat_cents"] == sum(operator["vat_cents"] for operator in operators)
    assert offer["total_cents"] == offer["net_cents"] + offer["vat_cents"]
    assert offer["vat_cents"] == sum(vat["vat_cents"] for vat in offer["vat_by_rate"])
    assert offer["net_cents"] == sum(vat["base_cents"] for vat in offer["vat_by_rate"])
    assert {"rate": 21, "base_cents": 100 + 10000 + 120000,
            "vat_cents": 11 + 11 + 2100 + 25200} in offer["vat_by_rate"]


def test_offer_is_json_safe() -> None:
    offer = build_offer([ORES, SWDE, PROXIMUS, VOO])

    assert json.loads(json.dumps(offer)) == offer


def test_offer_leaves_quotes_unchanged() -> None:
    quotes = [ORES, SWDE]
    before = copy.deepcopy(quotes)

    build_offer(quotes)

    assert quotes == before


def test_numbers_from_dynamodb_accepted() -> None:
    # DynamoDB returns numbers as Decimal; whole ones are taken as ints.
    stored = quote("swde", [{"label": "Tranchée (m)", "quantity": Decimal("12.5"),
                             "unit_price_cents": Decimal("333"), "vat_rate": Decimal("6")}])

    operator = build_offer([stored])["operators"][0]

    assert operator["total_cents"] == 4413
    assert type(operator["lines"][0]["unit_price_cents"]) is int
    assert type(operator["vat_by_rate"][0]["rate"]) is int
    assert operator["lines"][0]["quantity"] == "12.5"


@pytest.mark.parametrize("rate", VAT_RATES)
def test_every_belgian_rate_accepted(rate: int) -> None:
    operator = build_offer([quote("ores", [line("A", "1", 10000, rate)])])["operators"][0]

    assert operator["vat_cents"] == 100 * rate


def bad_line(**changes: Any) -> list[dict[str, Any]]:
    return [quote("ores", [line("Raccordement", "1", 120000, 21) | changes])]


ERROR_CASES = [
    ("VAT rate 20", bad_line(vat_rate=20), "unknown VAT rate 20"),
    ("VAT rate as string", bad_line(vat_rate="21"), "unknown VAT rate '21'"),
    ("VAT rate as float", bad_line(vat_rate=21.0), "unknown VAT rate 21.0"),
    ("VAT rate as bool", bad_line(vat_rate=True), "unknown VAT rate True"),
    ("VAT rate missing", [quote("ores", [{"label": "A", "quantity": "1",
                                          "unit_price_cents": 100}])], "unknown VAT rate None"),
    ("negative price", bad_line(unit_price_cents=-1), "unit_price_cents must be 0 or more"),
    ("price as float", bad_line(unit_price_cents=1200.5), "must be a whole number"),
    ("price as string", bad_line(unit_price_cents="120000"), "must be a whole number"),
    ("price as fractional Decimal", bad_line(unit_price_cents=Decimal("0.5")),
     "must be a whole number"),
    ("zero quantity", bad_line(quantity="0"), "quantity must be more than 0"),
    ("zero quantity with places", bad_line(quantity="0.000"), "quantity must be more than 0"),
    ("negative quantity", bad_line(quantity="-1"), "invalid quantity '-1'"),
    ("four decimal places", bad_line(quantity="1.2345"), "invalid quantity '1.2345'"),
    ("quantity as float", bad_line(quantity=1.5), "invalid quantity 1.5"),
    ("quantity as int", bad_line(quantity=1), "invalid quantity 1"),
    ("quantity with comma", bad_line(quantity="1,5"), "invalid quantity '1,5'"),
    ("quantity in exponent form", bad_line(quantity="1e3"), "invalid quantity '1e3'"),
    ("quantity not a number", bad_line(quantity="NaN"), "invalid quantity 'NaN'"),
    ("quantity empty", bad_line(quantity=""), "invalid quantity ''"),
    ("Decimal quantity with 4 places", bad_line(quantity=Decimal("1.2345")),
     "invalid quantity Decimal"),
    ("Decimal quantity negative", bad_line(quantity=Decimal("-2")),
     "quantity must be more than 0"),
    ("no quotes", [], "no quotes"),
    ("same operator twice", [ORES, ORES], "operator 'ores' has more than one quote"),
    ("missing label", bad_line(label=""), "'label' must be a non-empty string"),
    ("missing operator name", [ORES | {"operator_name": None}],
     "'operator_name' must be a non-empty string"),
    ("lines not a list", [ORES | {"lines": None}], "'lines' must be a list"),
    ("validity not ISO", [ORES | {"valid_until": "04/03/2027"}],
     "valid_until must be an ISO date"),
]


@pytest.mark.parametrize(("quotes", "message"), [case[1:] for case in ERROR_CASES],
                         ids=[case[0] for case in ERROR_CASES])
def test_invalid_quotes_rejected(quotes: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        build_offer(quotes)


def test_error_names_operator_and_line() -> None:
    quotes = [ORES, quote("swde", [line("A", "1", 100, 21), line("B", "1", 100, 19)])]

    with pytest.raises(ValueError, match=r"quote of 'swde', line 2: unknown VAT rate 19"):
        build_offer(quotes)


@pytest.mark.parametrize(("value", "expected"), [
    (Decimal("0.5"), 1), (Decimal("1.5"), 2), (Decimal("2.4999"), 2), (Decimal("2.5"), 3),
    (Decimal("0"), 0), (Decimal("123456789012345678901234567890.5"),
                        123456789012345678901234567891)])
def test_round_half_up(value: Decimal, expected: int) -> None:
    assert round_half_up(value) == expected


@pytest.mark.parametrize(("language", "cents", "expected"), [
    ("fr", 145200, "1 452,00 €"),
    ("fr", 0, "0,00 €"),
    ("fr", 5, "0,05 €"),
    ("nl", 145200, "€ 1.452,00"),
    ("de", 145200, "1.452,00 €"),
    ("en", 145200, "1.452,00 €"),
])
def test_format_euros(language: str, cents: int, expected: str) -> None:
    # Babel separates with no-break spaces; compare them as plain spaces.
    formatted = format_euros(cents, language)

    assert formatted.replace("\u202f", " ").replace("\xa0", " ") == expected


def test_format_euros_rejects_float() -> None:
    with pytest.raises(ValueError, match="whole number"):
        format_euros(1452.0, "fr")  # type: ignore[arg-type]
