"""Outbound operator events: what each carries, and their signed delivery."""

from datetime import datetime
from typing import Any

from . import clock, operators, quote_round, repository, task_tokens, webhooks
from .errors import RequestNotFoundError

EVENT_TYPES = ("quote.requested", "works_day.proposed", "works_day.confirmed",
               "request.handed_over", "request.cancelled")


def webhook_id(request_id: str, event_type: str, operator_id: str) -> str:
    """Return the delivery id of one event of one step: the same on every retry."""
    return f"msg_{request_id}_{event_type.replace('.', '_')}_{operator_id}"


def event_data(event_type: str, request: dict[str, Any], operator_id: str,
               deadline: datetime | None) -> dict[str, Any]:
    if event_type == "quote.requested":
        return quote_round.quote_requested_data(
            request, operator_id, clock.isoformat(deadline) if deadline else None)
    if event_type == "request.handed_over":
        return {"request_id": request["request_id"], "reference": request["reference"],
                "reasons": request.get("handover_reasons", []),
                "case_manager": request.get("case_manager")}
    if event_type == "request.cancelled":
        return {"request_id": request["request_id"], "reference": request["reference"]}
    raise ValueError(f"unknown outbound event {event_type!r}")


def send(request_id: str, operator_id: str, event_type: str, step: str,
         task_token: str | None = None, deadline: datetime | None = None) -> dict[str, Any]:
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

    message_id = webhook_id(request_id, event_type, operator_id)
    body = webhooks.encode_event(event_type, event_data(event_type, request, operator_id,
                                                        deadline))
    headers = webhooks.signature_headers(webhooks.operator_secrets(operator_id), message_id,
                                         body)
    status = webhooks.deliver(operator.webhook_url, body, headers)

    repository.append_event(request_id, "operator.notified", actor="platform",
                            data={"operator_id": operator_id, "event": event_type,
                                  "webhook_id": message_id})
    return {"webhook_id": message_id, "status": status}
