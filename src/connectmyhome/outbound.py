"""Outbound operator events: what each carries, and their signed delivery."""

from datetime import datetime
from typing import Any

from . import clock, operators, quote_round, repository, task_tokens, webhooks
from .errors import RequestNotFoundError

EVENT_TYPES = ("quote.requested", "works_day.proposed", "works_day.confirmed",
               "request.handed_over", "request.cancelled")


def webhook_id(request_id: str, event_type: str, operator_id: str,
               round_number: int | None = None, reminder: int | None = None) -> str:
    """Return the delivery id of one event of one step: the same on every retry of it.

    A reminder is a new message, so it has an id of its own.
    """
    suffix = f"_r{round_number}" if round_number is not None else ""
    suffix += f"_reminder{reminder}" if reminder is not None else ""
    return f"msg_{request_id}_{event_type.replace('.', '_')}_{operator_id}{suffix}"


def _site(request: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in request["site"].items()}


def event_data(event_type: str, request: dict[str, Any], operator_id: str,
               deadline: datetime | None, extra: dict[str, Any]) -> dict[str, Any]:
    reply_by = clock.isoformat(deadline) if deadline else None
    if event_type == "quote.requested":
        return quote_round.quote_requested_data(request, operator_id, reply_by)
    if event_type == "works_day.proposed":
        planning = request.get("works_planning") or {}
        return {"request_id": request["request_id"], "reference": request["reference"],
                "day": extra.get("day", planning.get("proposed_day")),
                "round": extra.get("round", planning.get("round")), "reply_by": reply_by,
                "site": _site(request), "case_manager": request.get("case_manager")}
    if event_type == "works_day.confirmed":
        return {"request_id": request["request_id"], "reference": request["reference"],
                "day": request["works_day"], "site": _site(request),
                "report_by": extra.get("report_by"),
                "case_manager": request.get("case_manager")}
    if event_type == "request.handed_over":
        return {"request_id": request["request_id"], "reference": request["reference"],
                "reasons": request.get("handover_reasons", []),
                "case_manager": request.get("case_manager")}
    if event_type == "request.cancelled":
        return {"request_id": request["request_id"], "reference": request["reference"],
                "reason": extra.get("reason")}
    raise ValueError(f"unknown outbound event {event_type!r}")


def send(request_id: str, operator_id: str, event_type: str, step: str,
         task_token: str | None = None, deadline: datetime | None = None,
         extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Deliver one event to the operator's webhook endpoint; keep the task token first.

    Raises webhooks.DeliveryFailedError when the endpoint keeps failing or rejects it.
    """
    request = repository.load_request(request_id)
    if request is None:
        raise RequestNotFoundError(request_id=request_id)
    operator = operators.get(operator_id)
    if not operator.webhook_url:
        raise webhooks.DeliveryFailedError(f"operator {operator_id} has no webhook URL")

    if task_token is not None:
        task_tokens.store(request_id, step, operator_id, task_token, deadline)

    extra = extra or {}
    message_id = webhook_id(request_id, event_type, operator_id, extra.get("round"),
                            extra.get("reminder"))
    data = event_data(event_type, request, operator_id, deadline, extra)
    if extra.get("reminder") is not None:
        data["reminder"] = extra["reminder"]
    body = webhooks.encode_event(event_type, data)
    headers = webhooks.signature_headers(webhooks.operator_secrets(operator_id), message_id,
                                         body)
    status = webhooks.deliver(operator.webhook_url, body, headers)

    repository.append_event(request_id, "operator.notified", actor="platform",
                            data={"operator_id": operator_id, "event": event_type,
                                  "webhook_id": message_id})
    return {"webhook_id": message_id, "status": status}
