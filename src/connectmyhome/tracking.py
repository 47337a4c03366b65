"""The customer's view of a request: status, what happens next, timeline."""

from typing import Any

from . import i18n, pricing, repository, service_area
from .errors import RequestNotFoundError
from .notifications import display_phone, format_address

# Events shown to the customer; the rest of the log (technical steps) stays internal.
CUSTOMER_EVENTS = ("request.submitted", "email.sent", "status.changed", "request.failed",
                   "case_manager.assigned", "survey.recorded", "quote.submitted",
                   "quote.declined", "decision.recorded", "works_day.planned",
                   "works_day.accepted", "works_day.rejected", "works.completed",
                   "works.failed")
OPERATOR_EVENTS = ("quote.submitted", "quote.declined", "works_day.accepted",
                   "works_day.rejected", "works.completed", "works.failed")
# Who acts next at each status: the customer, the case manager, the operators, or nobody.
NEXT_ACTORS = {"submitted": "platform", "survey_pending": "case_manager",
               "quoting": "operators", "offer_sent": "customer", "accepted": "operators",
               "scheduled": "operators", "failed": "case_manager"}


def _timeline_entry(event: dict[str, Any], language: str) -> dict[str, Any]:
    data = event.get("data") or {}
    entry: dict[str, Any] = {"at": event["at"], "type": event["type"],
                             "label": i18n.text("events", event["type"], language)}
    if event["type"] == "status.changed":
        entry["status"] = data["to"]
        entry["label"] = i18n.text("statuses", data["to"], language)
    if event["type"] == "email.sent":
        entry["email"] = data.get("email")
        if data.get("email") and i18n.has_text("email_names", data["email"]):
            name = i18n.text("email_names", data["email"], language)
            separator = i18n.text("words", "label_separator", language)
            entry["label"] = f"{entry['label']}{separator}{name}"
    if event["type"] == "works_day.planned":
        entry["day"] = data.get("day")
    if event["type"] in OPERATOR_EVENTS:
        entry["operator_id"] = data.get("operator_id")
        entry["label"] = f"{entry['label']} ({service_area.partner(data['operator_id']).name})"
    return entry


def _offer_view(offer: dict[str, Any] | None, language: str) -> dict[str, Any] | None:
    if not offer:
        return None
    return {
        "operators": [{"operator_id": item["operator_id"], "name": item["operator_name"],
                       "total_cents": int(item["total_cents"]),
                       "total": pricing.format_euros(int(item["total_cents"]), language),
                       "free": bool(item["free"])}
                      for item in offer["operators"]],
        "total_cents": int(offer["total_cents"]),
        "total": pricing.format_euros(int(offer["total_cents"]), language),
        "valid_until": offer["valid_until"],
    }


def _actions(request_id: str, status: str) -> dict[str, Any]:
    """Describe what the customer can do now; only a POST changes anything."""
    if status != "offer_sent":
        return {}
    path = f"/requests/{request_id}/decision"
    return {"accept": {"method": "POST", "path": path, "body": {"decision": "accept"}},
            "decline": {"method": "POST", "path": path,
                        "body": {"decision": "decline", "reason": "..."}}}


def _case_manager_view(manager: dict[str, Any] | None) -> dict[str, Any] | None:
    if not manager:
        return None
    return {"name": manager["name"], "email": manager["email"],
            "phone": display_phone(manager["phone"])}


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
             "label": i18n.utility_label(item["label_key"], language),
             "operator_id": item["operator_id"]}
            for item in connections
        ],
        "next_actor": NEXT_ACTORS.get(status, "nobody"),
        "case_manager": _case_manager_view(request.get("case_manager")),
        "works_day": request.get("works_day"),
        "decision": (request.get("decision") or {}).get("decision"),
        "actions": _actions(request_id, status),
        "offer": _offer_view(request.get("offer"), language),
        "handover_reasons": request.get("handover_reasons"),
        "timeline": [_timeline_entry(event, language) for event in events],
    }
