"""Sending the emails of a request through SESv2, each recorded in the request's timeline."""

from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

import boto3
import phonenumbers
from babel.numbers import format_decimal
from botocore.config import Config

from . import clock, emails, i18n, operators, repository, service_area, tokens
from .config import settings
from .errors import RequestNotFoundError
from .intake import tracking_url

EMAIL_NAMES = ("acknowledgement", "offer", "handover", "appointment", "closing", "declined",
               "expired", "cancelled", "escalation")
# Emails to the case manager rather than the applicant, in the case managers' language.
CASE_MANAGER_EMAILS = ("escalation",)
CASE_MANAGER_LANGUAGE = "fr"


@cache
def _ses() -> Any:
    return boto3.client("sesv2", config=Config(retries={"mode": "standard", "max_attempts": 5}))


def format_address(site: dict[str, Any], language: str) -> str:
    """Format a Belgian address on one line: "Rue de la Station 12 bte B, 7000 Mons"."""
    number = site["house_number"]
    if site.get("box"):
        number = f"{number} {i18n.text('words', 'box', language)} {site['box']}"
    return f"{site['street']} {number}, {site['postal_code']} {site['municipality']}"


def display_phone(e164: str) -> str:
    """Format a phone number for reading, e.g. "+32 470 12 34 56".

    Numbers are stored in E.164; a national Belgian number (an operator's published line)
    is read as Belgian.
    """
    number = phonenumbers.parse(e164, "BE")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _connection_lines(connections: list[dict[str, Any]], language: str) -> list[str]:
    """Describe each connection on one line, e.g. "électricité : 1 compteur, 9,2 kVA"."""
    separator = i18n.text("words", "label_separator", language)
    lines = []
    for connection in sorted(connections, key=lambda item: int(item["index"])):
        label = i18n.utility_label(connection["label_key"], language)
        details = connection["details"]

        parts = []
        if "meters" in details:
            count = int(details["meters"])
            key = "meters_one" if count == 1 else "meters_other"
            parts.append(i18n.text("words", key, language, count=count))
        if "power_kva" in details:
            power = format_decimal(Decimal(str(details["power_kva"])), locale=f"{language}_BE")
            parts.append(f"{power} kVA")
        if "phases" in details:
            parts.append(i18n.text("words", f"phases_{details['phases']}", language))

        lines.append(f"{label}{separator}{', '.join(parts)}" if parts else label)
    return lines


def _preferred_period(period: dict[str, str] | None) -> dict[str, date] | None:
    if not period:
        return None
    return {"start": date.fromisoformat(period["from"]), "end": date.fromisoformat(period["to"])}


def request_values(request: dict[str, Any], language: str) -> dict[str, Any]:
    """Return the values that every email of a request takes from the stored request."""
    applicant = request["applicant"]
    return {
        "subject": {"reference": request["reference"]},
        "reference": request["reference"],
        "first_name": applicant["first_name"],
        "last_name": applicant["last_name"],
        "address": format_address(request["site"], language),
    }


def acknowledgement_context(request: dict[str, Any], connections: list[dict[str, Any]],
                            language: str) -> dict[str, Any]:
    operator_names = [service_area.partner(operator_id).name
                      for operator_id in request["operator_ids"]]
    return {
        **request_values(request, language),
        "phone": display_phone(request["applicant"]["phone"]),
        "connections": _connection_lines(connections, language),
        "operators": i18n.join_words(operator_names, language),
        "deadline": date.fromisoformat(request["deadline"]),
        "operator_count": len(operator_names),
        "has_telecom": any(item["utility"] == "telecom" for item in connections),
        "preferred_period": _preferred_period(request.get("preferred_period")),
        "tracking_url": customer_tracking_url(request),
    }


def customer_tracking_url(request: dict[str, Any]) -> str:
    """Return the request's tracking link with a fresh customer token."""
    token = tokens.issue(request["request_id"])
    return tracking_url(request["public_base_url"], request["request_id"], token)


def email_context(email_name: str, request: dict[str, Any], language: str) -> dict[str, Any]:
    """Build the template context of one email of the request."""
    # offer_emails and works_emails reuse this module's formatting helpers, so they are
    # imported here.
    from . import offer_emails, works_emails

    if email_name == "acknowledgement":
        connections = repository.load_connections(request["request_id"])
        return acknowledgement_context(request, connections, language)
    if email_name == "offer":
        return offer_emails.offer_context(request, request["offer"], request["case_manager"],
                                          customer_tracking_url(request), language)
    if email_name == "handover":
        return offer_emails.handover_context(request, _operator_contacts(request),
                                             request.get("case_manager"),
                                             request.get("handover_reasons", []),
                                             customer_tracking_url(request), language)
    if email_name == "appointment":
        return works_emails.appointment_context(
            request, date.fromisoformat(request["works_day"]), request["case_manager"],
            _operator_contacts(request), customer_tracking_url(request), language)
    if email_name == "closing":
        return works_emails.closing_context(request, _works_reports(request),
                                            request["case_manager"],
                                            customer_tracking_url(request), language)
    if email_name == "escalation":
        return escalation_context(request, language)
    if email_name == "cancelled":
        reason = (request.get("cancellation") or {}).get("reason")
        return {**works_emails.declined_context(request, request.get("case_manager"),
                                                customer_tracking_url(request), language),
                "reason": reason}
    if email_name in ("declined", "expired"):
        builder = (works_emails.declined_context if email_name == "declined"
                   else works_emails.expired_context)
        return builder(request, request.get("case_manager"), customer_tracking_url(request),
                       language)
    raise ValueError(f"unknown email {email_name!r}")


def escalation_context(request: dict[str, Any], language: str) -> dict[str, Any]:
    """Tell the case manager which request is at risk, why, and who is late."""
    details = request.get("escalation") or {}
    party = details.get("party")
    party_name = None
    if party and party != "case_manager":
        party_name = operators.get(party).name
    return {
        **request_values(request, language),
        "case_manager_name": request["case_manager"]["name"],
        "reason": details.get("reason", "deadline_at_risk"),
        "step": i18n.text("steps", details["step"], language) if details.get("step") else None,
        "party_name": party_name,
        "step_deadline": _long_date_of(details.get("deadline"), language),
        "promise_deadline": date.fromisoformat(request["deadline"]),
        "status_label": i18n.text("statuses", request["status"], language),
        "tracking_url": customer_tracking_url(request),
    }


def _long_date_of(timestamp: str | None, language: str) -> str | None:
    """Format an ISO timestamp as the Brussels date it falls on, e.g. "18 décembre 2026"."""
    if not timestamp:
        return None
    instant = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    return i18n.long_date(instant.astimezone(clock.BRUSSELS).date(), language)


def _utilities(request: dict[str, Any]) -> list[str]:
    connections = repository.load_connections(request["request_id"])
    return sorted({item["utility"] for item in connections})


def _operator_contacts(request: dict[str, Any]) -> list[dict[str, Any]]:
    parties = [operators.get(operator_id) for operator_id in request["operator_ids"]]
    return [{"operator_id": party.id, "name": party.name, "website": party.website,
             "phone": party.phone} for party in parties]


def _works_reports(request: dict[str, Any]) -> list[dict[str, Any]]:
    connections = repository.load_connections(request["request_id"])
    parties = {party["operator_id"]: party
               for party in repository.load_operator_parties(request["request_id"])}
    return [{"operator_id": operator_id, "name": operators.get(operator_id).name,
             "utilities": sorted({item["utility"] for item in connections
                                  if item["operator_id"] == operator_id}),
             "meters": parties.get(operator_id, {}).get("meters", [])}
            for operator_id in request["operator_ids"]]


def attachments_for(email_name: str, request: dict[str, Any],
                    language: str) -> list[emails.Attachment]:
    """Return the files attached to an email: the calendar file of the works day."""
    from . import works_emails

    if email_name != "appointment":
        return []
    works_day = date.fromisoformat(request["works_day"])
    summary, description = works_emails.calendar_texts(request, works_day,
                                                       request["case_manager"], language)
    calendar = works_emails.works_day_calendar(
        request["request_id"], request["reference"], works_day,
        format_address(request["site"], language), summary, description,
        emails.ascii_address(settings().sender_email))
    return [emails.Attachment(filename=f"{request['reference']}.ics",
                              content_type="text/calendar", data=calendar,
                              params={"method": "PUBLISH"})]


def send(request_id: str, email_name: str, step: str,
         extra: dict[str, Any] | None = None) -> str:
    """Render and send one email of the request in the applicant's language.

    Returns the SES message id. Callers make the call idempotent on (request, email, step).
    """
    request = repository.load_request(request_id)
    if request is None:
        raise RequestNotFoundError(request_id=request_id)

    language = request.get("language", i18n.DEFAULT_LANGUAGE)
    if email_name in CASE_MANAGER_EMAILS:
        language = CASE_MANAGER_LANGUAGE
        request = {**request, "escalation": extra or {}}
    if email_name == "appointment":
        request = {**request, "connections_utilities": _utilities(request)}
    context = email_context(email_name, request, language)
    rendered = emails.render(email_name, language, context)

    applicant = request["applicant"]
    recipient_name = f"{applicant['first_name']} {applicant['last_name']}"
    recipient_email = applicant["email"]
    if email_name in CASE_MANAGER_EMAILS:
        recipient_name = request["case_manager"]["name"]
        recipient_email = request["case_manager"]["email"]
    message = emails.build_message(
        rendered,
        sender=settings().sender_email,
        recipient_name=recipient_name,
        recipient_email=recipient_email,
        language=language,
        request_id=request_id,
        email_name=email_name,
        sent_at=clock.now(),
        attachments=attachments_for(email_name, request, language),
    )
    answer = _ses().send_email(
        FromEmailAddress=emails.ascii_address(settings().sender_email),
        Destination={"ToAddresses": [emails.ascii_address(recipient_email)]},
        Content={"Raw": {"Data": message.as_bytes()}},
        EmailTags=[{"Name": "email", "Value": email_name}],
    )
    message_id = answer["MessageId"]

    repository.append_event(request_id, "email.sent", actor="platform",
                            data={"email": email_name, "step": step, "message_id": message_id,
                                  "language": language})
    return message_id
