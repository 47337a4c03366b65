"""The operator registry: each partner's identity, area, contact and webhook settings.

The packaged default (`data/service_area.json`, section "partners") covers ORES, SWDE,
Proximus and VOO. A deployment adds or changes operators without code, with a JSON document
`{"operators": [{"id": ..., "name": ..., "contact": {...}, "utilities": {...},
"webhook": {"url": ...}, "quote_deadline_working_days": 10}]}` read from the file named by
`OPERATOR_REGISTRY_FILE` or from the SSM parameter named by `OPERATOR_REGISTRY_PARAMETER`.
"""

import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from . import service_area

DEFAULT_QUOTE_DEADLINE_WORKING_DAYS = 10


@dataclass(frozen=True)
class Operator:
    id: str
    name: str
    website: str | None
    phone: str | None
    utilities: tuple[str, ...]
    webhook_url: str | None
    quote_deadline_working_days: int
    # Exact deadline in seconds, for demonstrations and tests; overrides the working days.
    quote_deadline_seconds: int | None = None
    # Exact time to answer a proposed works day, in seconds, likewise.
    works_day_answer_seconds: int | None = None


@cache
def registry_overrides() -> tuple[dict[str, Any], ...]:
    """Read the deployment's registry document, if any; entries are validated by their use."""
    document: Any = None
    path = os.environ.get("OPERATOR_REGISTRY_FILE")
    parameter = os.environ.get("OPERATOR_REGISTRY_PARAMETER")
    if path:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    elif parameter:
        from aws_lambda_powertools.utilities import parameters

        document = parameters.get_parameter(parameter, transform="json")
    if not document:
        return ()

    entries = document.get("operators")
    if not isinstance(entries, list) or not all(isinstance(item, dict) and "id" in item
                                                for item in entries):
        raise ValueError("operator registry: expected {\"operators\": [{\"id\": ...}, ...]}")
    return tuple(entries)


def get(operator_id: str) -> Operator:
    """Return an operator of the registry; KeyError for an unknown id."""
    entry = service_area.partner_entry(operator_id)
    contact = entry.get("contact") or {}
    default_days = int(os.environ.get("QUOTE_DEADLINE_WORKING_DAYS",
                                      DEFAULT_QUOTE_DEADLINE_WORKING_DAYS))
    return Operator(
        id=entry["id"],
        name=entry["name"],
        website=contact.get("website"),
        phone=contact.get("phone"),
        utilities=tuple(entry.get("utilities", {})),
        webhook_url=(entry.get("webhook") or {}).get("url"),
        quote_deadline_working_days=int(entry.get("quote_deadline_working_days", default_days)),
        quote_deadline_seconds=entry.get("quote_deadline_seconds"),
        works_day_answer_seconds=entry.get("works_day_answer_seconds"),
    )


def all_operators() -> list[Operator]:
    return [get(operator_id) for operator_id in service_area.partner_ids()]
