"""The end of the quote round: one combined offer, or the hand-over to each operator."""

import json
from decimal import Decimal
from typing import Any

from . import clock, decisions, operators, pricing, repository
from .errors import RequestNotFoundError


def build(request_id: str) -> dict[str, Any]:
    """Combine every operator's stored quote into the offer, store it and mark it sent.

    A retried step rebuilds the same offer from the same quotes and changes nothing more.
    """
    request = repository.load_request(request_id)
    if request is None:
        raise RequestNotFoundError(request_id=request_id)
    if request.get("offer"):
        return _with_timeout(request["offer"])

    parties = {party["operator_id"]: party
               for party in repository.load_operator_parties(request_id)}
    quotes = []
    for operator_id in request["operator_ids"]:
        quote = parties[operator_id]["quote"]
        quotes.append({"operator_id": operator_id,
                       "operator_name": operators.get(operator_id).name,
                       "lines": quote["lines"], "valid_until": quote["valid_until"]})

    offer = pricing.build_offer(quotes)
    offer["built_at"] = clock.isoformat(clock.now())
    repository.update_request(request_id, {"offer": offer})
    repository.change_status(request_id, "offer_sent", ("quoting",), actor="platform",
                             data={"total_cents": offer["total_cents"],
                                   "valid_until": offer["valid_until"]})
    return _with_timeout(offer)


def _with_timeout(offer: dict[str, Any]) -> dict[str, Any]:
    """Add how long the state machine waits for the customer's decision on this offer."""
    plain = json.loads(json.dumps(offer, default=_plain_number))
    plain["decision_timeout_seconds"] = decisions.decision_timeout_seconds(plain, clock.now())
    return plain


def _plain_number(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def hand_over(request_id: str, reasons: list[dict[str, Any]]) -> dict[str, Any]:
    """Hand the request over to each operator, recording why; a retry changes nothing more."""
    request = repository.load_request(request_id)
    if request is None:
        raise RequestNotFoundError(request_id=request_id)

    if request["status"] != "handed_over":
        repository.update_request(request_id, {"handover_reasons": reasons})
        repository.change_status(request_id, "handed_over",
                                 ("survey_pending", "quoting", "accepted", "scheduled"),
                                 actor="platform", data={"reasons": reasons})
    return {"operator_ids": request["operator_ids"], "reasons": reasons}
