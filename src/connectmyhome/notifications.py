"""Sending the emails of a request through SESv2, each recorded in the request's timeline."""

from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any

import boto3
import phonenumbers
from babel.numbers import format_decimal
from botocore.config import Config

from . import clock, emails, i18n, repository, service_area, tokens
from .config import settings
from .errors import RequestNotFoundError
from .intake import tracking_url

EMAIL_NAMES = ("acknowledgement",)


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
    """Format a stored E.164 number for reading, e.g. "+32 470 12 34 56"."""
    number = phonenumbers.parse(e164)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _connection_lines(connections: list[dict[str, Any]], language: str) -> list[str]:
    """Describe each connection on one line, e.g. "électricité : 1 compteur, 9,2 kVA"."""
    separator = i18n.text("words", "label_separator", language)
    lines = []
    for connection in sorted(connections, key=lambda item: int(item["index"])):
        label = i18n.text("utilities", connection["label_key"], language)
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


def acknowledgement_context(request: dict[str, Any], connections: list[dict[str, Any]],
                            language: str) -> dict[str, Any]:
    token = tokens.issue(request["request_id"])
    operator_names = [service_area.partner(operator_id).name
                      for operator_id in request["operator_ids"]]
    applicant = request["applicant"]
    return {
        "subject": {"reference": request["reference"]},
        "reference": request["reference"],
        "first_name": applicant["first_name"],
        "last_name": applicant["last_name"],
        "phone": display_phone(applicant["phone"]),
        "address": format_address(request["site"], language),
        "connections": _connection_lines(connections, language),
        "operators": i18n.join_words(operator_names, language),
        "deadline": date.fromisoformat(request["deadline"]),
        "tracking_url": tracking_url(request["public_base_url"], request["request_id"], token),
    }


def send(request_id: str, email_name: str, step: str) -> str:
    """Render and send one email of the request in the applicant's language.

    Returns the SES message id. Callers make the call idempotent on (request, email, step).
    """
    request = repository.load_request(request_id)
    if request is None:
        raise RequestNotFoundError(request_id=request_id)

    language = request.get("language", i18n.DEFAULT_LANGUAGE)
    connections = repository.load_connections(request_id)
    context = acknowledgement_context(request, connections, language)
    rendered = emails.render(email_name, language, context)

    applicant = request["applicant"]
    message = emails.build_message(
        rendered,
        sender=settings().sender_email,
        recipient_name=f"{applicant['first_name']} {applicant['last_name']}",
        recipient_email=applicant["email"],
        language=language,
        request_id=request_id,
        email_name=email_name,
        sent_at=clock.now(),
    )
    answer = _ses().send_email(
        FromEmailAddress=emails.ascii_address(settings().sender_email),
        Destination={"ToAddresses": [emails.ascii_address(applicant["email"])]},
        Content={"Raw": {"Data": message.as_bytes()}},
        EmailTags=[{"Name": "email", "Value": email_name}],
    )
    message_id = answer["MessageId"]

    repository.append_event(request_id, "email.sent", actor="platform",
                            data={"email": email_name, "step": step, "message_id": message_id,
                                  "language": language})
    return message_id
