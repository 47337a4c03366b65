"""Reading what a caller sent: language, JSON body within a size limit, bearer credentials."""

import base64
import json
from typing import TYPE_CHECKING, Any

from connectmyhome import i18n

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

# Larger than any valid request body (five connections, notes of 2,000 characters).
MAX_BODY_BYTES = 64 * 1024
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data", "text/plain")


class BodyError(Exception):
    """The body cannot be read as a JSON object; `code` and `params` describe why."""

    def __init__(self, status: int, code: str, **params: Any) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.params = params


def header(event: "APIGatewayProxyEventV2", name: str) -> str | None:
    """Read a header case-insensitively (HTTP API lowercases names, tests may not)."""
    wanted = name.lower()
    for key, value in (event.headers or {}).items():
        if key.lower() == wanted:
            return value
    return None


def language(event: "APIGatewayProxyEventV2") -> str:
    return i18n.negotiate(header(event, "Accept-Language"))


def raw_body(event: "APIGatewayProxyEventV2") -> bytes:
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        return base64.b64decode(body)
    return body.encode("utf-8")


def json_object(event: "APIGatewayProxyEventV2") -> dict[str, Any]:
    """Return the body as a JSON object, or raise BodyError (413, 415 or 400)."""
    content_type = (header(event, "Content-Type") or "").split(";")[0].strip().lower()
    if content_type in _FORM_TYPES:
        raise BodyError(415, "unsupported_media_type")

    data = raw_body(event)
    if len(data) > MAX_BODY_BYTES:
        raise BodyError(413, "payload_too_large", limit=MAX_BODY_BYTES)

    try:
        value = json.loads(data)
    except UnicodeDecodeError as error:
        raise BodyError(400, "malformed_json", line=1, column=error.start + 1) from error
    except json.JSONDecodeError as error:
        raise BodyError(400, "malformed_json", line=error.lineno, column=error.colno) from error

    if not isinstance(value, dict):
        raise BodyError(400, "body_not_object")
    return value


def bearer_token(event: "APIGatewayProxyEventV2") -> str | None:
    """Return the customer token from `Authorization: Bearer` or the `token` query parameter."""
    authorization = header(event, "Authorization") or ""
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    parameters = event.get("queryStringParameters") or {}
    return parameters.get("token")
