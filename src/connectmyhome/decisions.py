"""The customer's decision on the combined offer: accept or decline, once."""

import os
from datetime import date, datetime, time, timedelta
from typing import Any

from . import clock, repository, task_tokens
from .errors import DomainError, RequestNotFoundError

STEP = "decision"
PARTY = "customer"


class DecisionNotAwaitedError(DomainError):
    """No offer waits for a decision: not sent yet, expired, or decided otherwise."""

    code = "decision_not_awaited"


def offer_end(offer: dict[str, Any]) -> datetime:
    """Return the end of the offer's last valid day, midnight in Brussels."""
    last_day = date.fromisoformat(offer["valid_until"])
    return datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=clock.BRUSSELS)


def decision_timeout_seconds(offer: dict[str, Any], now: datetime) -> int:
    """Return how long the state machine waits for the decision: until the offer expires,
    or less when the deployment caps the wait (DECISION_TIMEOUT_SECONDS)."""
    seconds = max(1, int((offer_end(offer) - now).total_seconds()))
    cap = int(os.environ.get("DECISION_TIMEOUT_SECONDS", "0") or 0)
    return min(seconds, cap) if cap > 0 else seconds


def decide(request_id: str, decision: str, reason: str | None) -> tuple[dict[str, Any], bool]:
    """Record the customer's decision and resume the workflow with it.

    Returns (decision, recorded): `recorded` is False when the same decision was already
    recorded, which changes nothing. Raises DecisionNotAwaitedError when no offer waits for
    a decision, or when the request was decided the other way.
    """
    request = repository.load_request(request_id)
    if request is None:
        raise RequestNotFoundError(request_id=request_id)

    previous = request.get("decision")
    if previous is not None:
        if previous["decision"] == decision:
            return previous, False
        raise DecisionNotAwaitedError(reason="already_decided")

    outcome = {"decision": decision, "reason": reason,
               "decided_at": clock.isoformat(clock.now())}
    try:
        task_tokens.release(request_id, STEP, PARTY, f"decision_{request_id}", outcome)
    except task_tokens.DuplicateDeliveryError:
        stored = (repository.load_request(request_id) or {}).get("decision")
        if stored is not None and stored["decision"] == decision:
            return stored, False
        raise DecisionNotAwaitedError(reason="already_decided") from None
    except task_tokens.StepNotWaitingError as error:
        reason_code = "offer_expired" if request["status"] == "expired" else error.reason
        raise DecisionNotAwaitedError(reason=reason_code) from error

    repository.update_request(request_id, {"decision": outcome})
    repository.append_event(request_id, "decision.recorded", actor="applicant",
                            data={"decision": decision})
    return outcome, True
