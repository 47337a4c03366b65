"""Operator webhooks, both ways, following the Standard Webhooks specification.

Headers `webhook-id`, `webhook-timestamp` and `webhook-signature` (HMAC-SHA256 over
"id.timestamp.body", base64, prefixed "v1,"). Each operator has one or more secrets
(`whsec_...`): several during a rotation, when outbound messages carry one signature per
secret and inbound ones may be signed with any. The secrets live in one Secrets Manager
secret, a JSON object mapping operator ids to a secret or a list of secrets.
"""

import json
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities import parameters
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from . import clock
from .config import settings

logger = Logger(child=True)
SECRET_CACHE_SECONDS = 300
DELIVERY_TIMEOUT_SECONDS = 10
USER_AGENT = "ConnectMyHome-Webhooks/1"


class InvalidSignatureError(Exception):
    """The signature, its headers or its timestamp (five minutes tolerance) do not verify."""


class DeliveryFailedError(Exception):
    """The operator's endpoint did not accept the message after every attempt."""


def operator_secrets(operator_id: str) -> list[str]:
    """Return the operator's current secrets, newest first; KeyError when it has none."""
    document = parameters.get_secret(settings().operator_secrets_arn, transform="json",
                                     max_age=SECRET_CACHE_SECONDS)
    value = document[operator_id]
    secrets = [value] if isinstance(value, str) else list(value)
    if not secrets:
        raise KeyError(operator_id)
    return secrets


def signature_headers(secrets: list[str], message_id: str, body: bytes,
                      at: datetime | None = None) -> dict[str, str]:
    timestamp = at or clock.now()
    signatures = " ".join(Webhook(secret).sign(message_id, timestamp, body) for secret in secrets)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signatures,
    }


def verify(secrets: list[str], body: bytes, headers: Mapping[str, str]) -> None:
    """Raise InvalidSignatureError unless one secret verifies the raw body and headers."""
    lowered = {name.lower(): value for name, value in headers.items()}
    for secret in secrets:
        try:
            Webhook(secret).verify(body, lowered, json_parse=False)
        except WebhookVerificationError as error:
            last_error: Exception = error
            continue
        return
    raise InvalidSignatureError(str(last_error) if secrets else "no secret")


def encode_event(event_type: str, data: dict[str, Any], at: datetime | None = None) -> bytes:
    """Serialise an event as {"type", "timestamp", "data"}, the Standard Webhooks payload."""
    timestamp = (at or clock.now()).astimezone(UTC)
    payload = {"type": event_type, "timestamp": clock.isoformat(timestamp), "data": data}
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"),
                      default=_json_number).encode()


def _json_number(value: Any) -> Any:
    """Write DynamoDB's Decimals as JSON numbers: integers exactly, others as their text."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(str(value))
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def deliver(url: str, body: bytes, headers: dict[str, str], attempts: int = 3,
            first_delay_seconds: float = 0.5) -> int:
    """POST a signed message, retrying network errors and 5xx/429 answers with backoff.

    Returns the HTTP status of the accepted delivery (2xx). Raises DeliveryFailedError after
    the last attempt, or at once on another 4xx (the operator rejected the message).
    """
    delay = first_delay_seconds
    for attempt in range(1, attempts + 1):
        request = urllib.request.Request(url, data=body, method="POST", headers={
            **headers, "Content-Type": "application/json", "User-Agent": USER_AGENT})
        try:
            with urllib.request.urlopen(request, timeout=DELIVERY_TIMEOUT_SECONDS) as answer:
                return answer.status
        except urllib.error.HTTPError as error:
            if error.code < 500 and error.code != 429:
                message = f"{url} rejected the message: HTTP {error.code}"
                raise DeliveryFailedError(message) from error
            reason = f"HTTP {error.code}"
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            reason = str(getattr(error, "reason", error))

        logger.warning("Webhook delivery failed", attempt=attempt, attempts=attempts,
                       reason=reason, webhook_id=headers.get("webhook-id"))
        if attempt < attempts:
            time.sleep(delay)
            delay *= 2
    raise DeliveryFailedError(f"{url} did not accept the message after {attempts} attempts")
