"""The cost model: the counts of one request priced with AWS's published prices.

Every price comes from bench/prices.json, with its source, the date it was read and the
region its page showed. Lambda duration is priced on the handler time measured on the local
platform (in process, against moto), at the memory size of template.yaml.
"""

import json
from pathlib import Path
from typing import Any

MONTHLY_REQUESTS = 10_000


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def _usd(prices: dict[str, Any], name: str, quantity: float) -> float:
    price = prices[name]
    return quantity * price["usd"] / price["per"]


def price_usage(counts: dict[str, Any], milliseconds: dict[str, float], memory_gb: float,
                prices: dict[str, Any]) -> dict[str, float]:
    """Price one metered piece of work; return USD by item."""
    dynamodb = counts["dynamodb"]
    gb_seconds = sum(milliseconds.values()) / 1000 * memory_gb
    secrets_calls = sum(count for name, count in counts["aws_calls"].items()
                        if name.startswith("secretsmanager:"))
    return {
        "lambda_requests": _usd(prices, "lambda_request", counts["lambda_invocations"]),
        "lambda_duration": _usd(prices, "lambda_gb_second", gb_seconds),
        "http_api": _usd(prices, "http_api_request", counts.get("http_api_requests", 0)),
        "state_transitions": _usd(prices, "state_transition",
                                  counts.get("state_transitions", 0)),
        "dynamodb_writes": _usd(prices, "dynamodb_write_request_unit",
                                dynamodb["write_request_units"]),
        "dynamodb_reads": _usd(prices, "dynamodb_read_request_unit",
                               dynamodb["read_request_units"]),
        "emails": _usd(prices, "ses_email", counts["emails"]),
        "secrets_calls": _usd(prices, "secrets_api_call", secrets_calls),
    }


def price(work: dict[str, Any], prices_path: Path, memory_mb: int = 512) -> dict[str, Any]:
    """Price the work per request and a month of 10,000 requests, in euros."""
    table = _load(prices_path)
    prices = table["prices"]
    usd_per_eur = table["usd_per_eur"]["value"]
    memory_gb = memory_mb / 1024

    per_request = price_usage(work["stored_10000"], work["lambda_milliseconds_by_function"],
                              memory_gb, prices)
    watchdog = work["watchdog_run"]
    watchdog_usd = sum(price_usage(
        {**watchdog, "state_transitions": 0}, watchdog["lambda_milliseconds_by_function"],
        memory_gb, prices).values())
    fixed = table["fixed"]
    fixed_usd = {
        "secrets": fixed["secrets"] * prices["secret_month"]["usd"],
        "watchdog": fixed["watchdog_runs_per_month"] * watchdog_usd,
    }
    request_usd = sum(per_request.values())
    month_usd = MONTHLY_REQUESTS * request_usd + sum(fixed_usd.values())

    def euros(usd: float) -> float:
        return usd / usd_per_eur

    return {
        "eur_per_completed_request": round(euros(request_usd), 6),
        "eur_per_10000_requests_month": round(euros(month_usd), 2),
        "per_request_eur_by_item": {name: round(euros(value), 7)
                                    for name, value in per_request.items()},
        "fixed_eur_per_month": {name: round(euros(value), 2) for name, value in fixed_usd.items()},
        "usd_per_eur": usd_per_eur,
        "exchange_rate": table["usd_per_eur"],
        "prices_read_on": table["read_on"],
        "region": table["region"],
        "prices": prices,
        "left_out": table["left_out"],
    }
