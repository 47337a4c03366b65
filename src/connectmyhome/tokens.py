"""Customer tokens: the signed credential carried by the tracking link of a request.

A token is `<payload>.<signature>`, both base64url without padding. The payload is compact
JSON: request id ("rid"), scope ("scp") and expiry in Unix seconds ("exp"); the signature is
HMAC-SHA256 of the payload text with the key kept in Secrets Manager.
"""

import base64
import hashlib
import hmac
import json
from datetime import datetime, timedelta

from aws_lambda_powertools.utilities import parameters

from . import clock
from .config import settings
from .errors import UnauthorizedError

CUSTOMER_SCOPE = "customer"
# How long a Lambda keeps the signing key before it reads Secrets Manager again.
SECRET_CACHE_SECONDS = 300


def _signing_key() -> bytes:
    secret = parameters.get_secret(settings().customer_token_secret_arn,
                                   max_age=SECRET_CACHE_SECONDS)
    return str(secret).encode()


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(payload: str, key: bytes) -> str:
    return _encode(hmac.new(key, payload.encode(), hashlib.sha256).digest())


def issue(request_id: str, valid_for: timedelta | None = None, now: datetime | None = None,
          key: bytes | None = None) -> str:
    """Issue a customer token for one request, valid for the deployment's number of days."""
    lifetime = valid_for or timedelta(days=settings().customer_token_days)
    expires = int(((now or clock.now()) + lifetime).timestamp())
    claims = {"rid": request_id, "scp": CUSTOMER_SCOPE, "exp": expires}
    payload = _encode(json.dumps(claims, separators=(",", ":")).encode())
    return f"{payload}.{_sign(payload, key or _signing_key())}"


def verify(token: str | None, request_id: str, now: datetime | None = None,
           key: bytes | None = None) -> None:
    """Raise UnauthorizedError unless `token` is a valid, unexpired token for `request_id`."""
    if not token or token.count(".") != 1 or len(token) > 1024:
        raise UnauthorizedError()

    payload, signature = token.split(".")
    expected = _sign(payload, key or _signing_key())
    if not hmac.compare_digest(signature, expected):
        raise UnauthorizedError()

    try:
        claims = json.loads(_decode(payload))
    except (ValueError, UnicodeDecodeError) as error:
        raise UnauthorizedError() from error

    current = int((now or clock.now()).timestamp())
    if claims.get("scp") != CUSTOMER_SCOPE or claims.get("rid") != request_id:
        raise UnauthorizedError()
    if not isinstance(claims.get("exp"), int) or claims["exp"] <= current:
        raise UnauthorizedError()
