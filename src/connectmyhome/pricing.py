"""Combining the operators' quotes into one offer, with Belgian VAT.

Money is integer euro cents everywhere. Quantities are decimals read from strings (or from
`Decimal`, which DynamoDB returns), never from floats, so every amount is exact until the one
rounding step of each formula, which rounds half up:

- a line's net amount is `quantity * unit_price_cents`, rounded to the cent;
- an operator's VAT is computed per rate on the sum of that rate's net amounts, not per line;
- the overall figures are sums of the operators' figures, so they add up to the cent.

This module imports nothing from HTTP or AWS. `build_offer` returns only JSON-safe values
(ints, strings, lists, dicts) so that the offer can be stored and put in email contexts.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

from babel.numbers import format_currency

VAT_RATES = (0, 6, 12, 21)
"""Belgian VAT rates, in percent."""

MAX_QUANTITY_PLACES = 3
# A positive decimal written with digits and an optional point, e.g. "1", "12.5", "0.125".
_QUANTITY = re.compile(rf"\d+(\.\d{{1,{MAX_QUANTITY_PLACES}}})?")
# Enough significant digits that no product of a quantity and a price is ever rounded by the
# decimal context; only round_half_up rounds.
_PRECISION = 60


def round_half_up(value: Decimal) -> int:
    """Round an amount of cents to a whole cent, halves away from zero (0.5 becomes 1)."""
    with localcontext() as context:
        context.prec = _PRECISION
        return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def format_euros(cents: int, language: str) -> str:
    """Format cents as euros the Belgian way of `language`, e.g. "1 452,00 €" in French."""
    amount = Decimal(_whole_number(cents, "amount in cents")) / 100
    return format_currency(amount, "EUR", locale=f"{language}_BE")


def build_offer(quotes: list[dict[str, Any]]) -> dict[str, Any]:
    """Price every quote and total them into one offer, operators in the order given.

    Raises ValueError when there is no quote or an operator appears twice. It also raises
    ValueError for a quote with a missing field, an unknown VAT rate, a negative price, a
    quantity that is not a positive decimal with at most three places, or a validity that is
    not an ISO date.
    """
    if not quotes:
        raise ValueError("no quotes: an offer needs at least one operator quote")

    operators = []
    seen: set[str] = set()
    for position, quote in enumerate(quotes, start=1):
        operator = _price_quote(quote, position)
        if operator["operator_id"] in seen:
            raise ValueError(f"operator {operator['operator_id']!r} has more than one quote")
        seen.add(operator["operator_id"])
        operators.append(operator)

    bases: dict[int, int] = {}
    taxes: dict[int, int] = {}
    for operator in operators:
        for vat in operator["vat_by_rate"]:
            bases[vat["rate"]] = bases.get(vat["rate"], 0) + vat["base_cents"]
            taxes[vat["rate"]] = taxes.get(vat["rate"], 0) + vat["vat_cents"]

    return {
        "operators": operators,
        "vat_by_rate": [{"rate": rate, "base_cents": bases[rate], "vat_cents": taxes[rate]}
                        for rate in sorted(bases)],
        "net_cents": sum(operator["net_cents"] for operator in operators),
        "vat_cents": sum(operator["vat_cents"] for operator in operators),
        "total_cents": sum(operator["total_cents"] for operator in operators),
        "valid_until": min(operator["valid_until"] for operator in operators),
    }


def _price_quote(quote: dict[str, Any], position: int) -> dict[str, Any]:
    """Price one operator's quote: its lines, its VAT per rate and its totals."""
    where = f"quote {position}"
    operator_id = _text(quote, "operator_id", where)
    where = f"quote of {operator_id!r}"
    operator_name = _text(quote, "operator_name", where)
    valid_until = _iso_date(quote.get("valid_until"), where)

    lines = quote.get("lines")
    if not isinstance(lines, list):
        raise ValueError(f"{where}: 'lines' must be a list of quote lines, got {lines!r}")
    priced = [_price_line(line, f"{where}, line {number}")
              for number, line in enumerate(lines, start=1)]

    bases: dict[int, int] = {}
    for line in priced:
        bases[line["vat_rate"]] = bases.get(line["vat_rate"], 0) + line["net_cents"]
    vat_by_rate = [{"rate": rate, "base_cents": bases[rate],
                    "vat_cents": round_half_up(Decimal(bases[rate] * rate) / 100)}
                   for rate in sorted(bases)]

    net_cents = sum(line["net_cents"] for line in priced)
    vat_cents = sum(vat["vat_cents"] for vat in vat_by_rate)
    total_cents = net_cents + vat_cents
    return {
        "operator_id": operator_id,
        "operator_name": operator_name,
        "lines": priced,
        "net_cents": net_cents,
        "vat_by_rate": vat_by_rate,
        "vat_cents": vat_cents,
        "total_cents": total_cents,
        "valid_until": valid_until,
        # Standard Proximus and VOO connections cost nothing.
        "free": total_cents == 0,
    }


def _price_line(line: Any, where: str) -> dict[str, Any]:
    if not isinstance(line, dict):
        raise ValueError(f"{where}: a quote line must be an object, got {line!r}")

    label = _text(line, "label", where)
    quantity_text, quantity = _quantity(line.get("quantity"), where)

    unit_price_cents = _whole_number(line.get("unit_price_cents"), f"{where}: unit_price_cents")
    if unit_price_cents < 0:
        raise ValueError(f"{where}: unit_price_cents must be 0 or more, got {unit_price_cents}")

    vat_rate = line.get("vat_rate")
    is_number = isinstance(vat_rate, int | Decimal) and not isinstance(vat_rate, bool)
    if not is_number or vat_rate not in VAT_RATES:
        raise ValueError(f"{where}: unknown VAT rate {vat_rate!r}, expected one of "
                         f"{', '.join(str(rate) for rate in VAT_RATES)} (percent)")

    return {
        "label": label,
        "quantity": quantity_text,
        "unit_price_cents": unit_price_cents,
        "vat_rate": int(vat_rate),
        "net_cents": round_half_up(quantity * unit_price_cents),
    }


def _quantity(value: Any, where: str) -> tuple[str, Decimal]:
    """Return a quantity as given and as a Decimal, after checking it is > 0 with <= 3 places."""
    expected = (f"a positive decimal string with at most {MAX_QUANTITY_PLACES} decimal places, "
                f"e.g. \"1\" or \"12.5\"")
    if isinstance(value, str):
        if not _QUANTITY.fullmatch(value):
            raise ValueError(f"{where}: invalid quantity {value!r}, expected {expected}")
        quantity = Decimal(value)
        text = value
    elif isinstance(value, Decimal) and value.is_finite():
        quantity = value
        text = str(value)
        if quantity.as_tuple().exponent < -MAX_QUANTITY_PLACES:
            raise ValueError(f"{where}: invalid quantity {value!r}, expected {expected}")
    else:
        raise ValueError(f"{where}: invalid quantity {value!r}, expected {expected}")

    if quantity <= 0:
        raise ValueError(f"{where}: quantity must be more than 0, got {value!r}")
    return text, quantity


def _whole_number(value: Any, field: str) -> int:
    """Return an int given as int or as a whole Decimal (as DynamoDB returns numbers)."""
    if isinstance(value, bool):
        raise ValueError(f"{field} must be a whole number, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value)
    raise ValueError(f"{field} must be a whole number, got {value!r}")


def _text(item: dict[str, Any], key: str, where: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{where}: {key!r} must be a non-empty string, got {value!r}")
    return value


def _iso_date(value: Any, where: str) -> str:
    """Return an ISO date string (YYYY-MM-DD) in its canonical form."""
    if isinstance(value, str):
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    raise ValueError(f"{where}: valid_until must be an ISO date such as \"2027-03-04\", "
                     f"got {value!r}")
