"""The customer's decision on the combined offer: accept or decline, once.

The offer shows on the tracking page, and its email goes out, a moment before the state
machine's decision step waits. A decision made in that moment is kept on the request and the
decision step, once waiting, finds it and resumes at once (`release_early_decision`).
"""

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
        task_tokens.release(request_id, STEP, PARTY, _delivery_id(request_id), outcome)
    except task_tokens.DuplicateDeliveryError:
        return _decided_already(request_id, decision)
    except task_tokens.StepNotWaitingError as error:
        if error.reason == "not_requested" and request["status"] == "offer_sent":
            return _keep_early_decision(request_id, outcome)
        reason_code = "offer_expired" if request["status"] == "expired" else error.reason
        raise DecisionNotAwaitedError(reason=reason_code) from error

    repository.update_request(request_id, {"decision": outcome})
    repository.append_event(request_id, "decision.recorded", actor="applicant",
                            data={"decision": decision})
    return outcome, True


def _delivery_id(request_id: str) -> str:
    """Return the id under which the decision releases its step, so it releases it once."""
    return f"decision_{request_id}"


def _decided_already(request_id: str, decision: str) -> tuple[dict[str, Any], bool]:
    stored = (repository.load_request(request_id) or {}).get("decision")
    if stored is not None and stored["decision"] == decision:
        return stored, False
    raise DecisionNotAwaitedError(reason="already_decided")


def _keep_early_decision(request_id: str, outcome: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """Keep a decision made before the decision step waits; release the step if it now does.

    The step, once its token is stored, reads the request and releases itself with this
    decision. Whichever of the two writes second reads the other's write. When both release,
    the delivery id lets only one through.
    """
    from botocore.exceptions import ClientError

    try:
        repository.table().update_item(
            Key=repository.request_key(request_id),
            UpdateExpression="SET decision = :outcome, decided_before_step = :yes",
            ConditionExpression="attribute_not_exists(decision) AND #status = :offer_sent",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={":outcome": outcome, ":yes": True,
                                       ":offer_sent": "offer_sent"})
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        return _decided_already(request_id, outcome["decision"])
    repository.append_event(request_id, "decision.recorded", actor="applicant",
                            data={"decision": outcome["decision"]})
    # The step may have stored its token meanwhile. If not, it finds this decision itself.
    try:
        task_tokens.release(request_id, STEP, PARTY, _delivery_id(request_id), outcome)
    except (task_tokens.DuplicateDeliveryError, task_tokens.StepNotWaitingError):
        pass
    return outcome, True


def release_early_decision(request_id: str) -> bool:
    """Resume the waiting decision step with a decision kept before it waited, if any.

    Returns True when this call released the step. Without such a decision it reads the
    request alone, whatever the customer does meanwhile.
    """
    request = repository.load_request(request_id) or {}
    outcome = request.get("decision")
    if outcome is None or not request.get("decided_before_step"):
        return False
    try:
        task_tokens.release(request_id, STEP, PARTY, _delivery_id(request_id), outcome)
    except (task_tokens.DuplicateDeliveryError, task_tokens.StepNotWaitingError):
        return False
    return True
