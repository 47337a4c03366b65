"""Reminding an operator of the step that waits for it, by sending its event again."""

from datetime import datetime
from typing import Any

from . import admin, outbound, repository


def remind(request_id: str, operator_id: str, by: str) -> dict[str, Any]:
    """Send the operator's waiting event again, marked as a reminder; log it."""
    request = repository.load_request(request_id)
    if request is None:
        from .errors import RequestNotFoundError

        raise RequestNotFoundError(request_id=request_id)

    waiting = admin.pending_step(request_id, operator_id)
    parties = {party["operator_id"]: party
               for party in repository.load_operator_parties(request_id)}
    count = int(parties.get(operator_id, {}).get("reminders", 0)) + 1
    deadline = (datetime.fromisoformat(waiting["deadline"].replace("Z", "+00:00"))
                if waiting.get("deadline") else None)

    event_type = admin.STEP_EVENTS[waiting["step"]]
    result = outbound.send(request_id, operator_id, event_type, waiting["step"],
                           deadline=deadline,
                           extra={"reminder": count, "report_by": waiting.get("deadline")})
    repository.update_operator_party(request_id, operator_id, {"reminders": count})
    repository.append_event(request_id, "operator.reminded", actor=by,
                            data={"operator_id": operator_id, "step": waiting["step"],
                                  "reminder": count, "webhook_id": result["webhook_id"]})
    return {"operator_id": operator_id, "step": waiting["step"], "reminder": count,
            "webhook_id": result["webhook_id"]}
