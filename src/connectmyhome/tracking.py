"""The customer's view of a request: status, what happens next, timeline."""

from typing import Any

from . import i18n, repository
from .errors import RequestNotFoundError
from .notifications import format_address

# Events shown to the customer; the rest of the log (technical steps) stays internal.
CUSTOMER_EVENTS = ("request.submitted", "email.sent", "status.changed", "request.failed")


def _timeline_entry(event: dict[str, Any], language: str) -> dict[str, Any]:
    data = event.get("data") or {}
    entry: dict[str, Any] = {"at": event["at"], "type": event["type"],
                             "label": i18n.text("events", event["type"], language)}
    if event["type"] == "status.changed":
        entry["status"] = data["to"]
        entry["label"] = i18n.text("statuses", data["to"], language)
    if event["type"] == "email.sent":
        entry["email"] = data.get("email")
    return entry


def view(request_id: str, language: str | None = None) -> dict[str, Any]:
    """Build the tracking reply, in `language` or else the applicant's language."""
    request = repository.load_request(request_id)
    if request is None:
        raise RequestNotFoundError(request_id=request_id)

    language = language or request.get("language", i18n.DEFAULT_LANGUAGE)
    status = request["status"]
    connections = sorted(repository.load_connections(request_id),
                         key=lambda item: int(item["index"]))
    events = [event for event in repository.load_events(request_id)
              if event["type"] in CUSTOMER_EVENTS]
    return {
        "request_id": request_id,
        "reference": request["reference"],
        "status": status,
        "status_label": i18n.text("statuses", status, language),
        "next_step": i18n.text("status_next", status, language),
        "created_at": request["created_at"],
        "deadline": request["deadline"],
        "language": language,
        "address": format_address(request["site"], language),
        "connections": [
            {"utility": item["utility"],
             "label": i18n.text("utilities", item["label_key"], language),
             "operator_id": item["operator_id"]}
            for item in connections
        ],
        "timeline": [_timeline_entry(event, language) for event in events],
    }
