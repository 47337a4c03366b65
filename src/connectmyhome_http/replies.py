"""JSON error replies with a stable code and a message in the caller's language."""

import json
from datetime import date
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import Response
from pydantic import ValidationError

from connectmyhome import i18n
from connectmyhome.errors import FieldError, OutsideServiceAreaError

JSON = "application/json; charset=utf-8"
# Field-error types of pydantic that share one message.
_TYPE_CODES = {
    "missing": "missing",
    "extra_forbidden": "extra_forbidden",
    "string_too_short": "string_too_short",
    "string_too_long": "string_too_long",
    "literal_error": "literal_error",
    "enum": "literal_error",
    "greater_than": "number_too_small",
    "greater_than_equal": "number_at_least",
    "less_than_equal": "number_too_large",
    "less_than": "number_too_large",
    "decimal_max_places": "decimal_too_precise",
    "decimal_max_digits": "number_invalid",
    "decimal_parsing": "number_invalid",
    "float_parsing": "number_invalid",
    "int_parsing": "number_invalid",
    "int_from_float": "number_invalid",
    "bool_parsing": "bool_invalid",
    "bool_type": "bool_invalid",
    "date_parsing": "date_invalid",
    "date_type": "date_invalid",
    "date_from_datetime_parsing": "date_invalid",
    "date_from_datetime_inexact": "date_invalid",
    "too_long": "list_too_long",
    "too_short": "list_too_short",
    "email_invalid": "email_invalid",
    "phone_invalid": "phone_invalid",
}
_UTILITY_TAGS = {"electricity", "gas", "water", "telecom"}


def json_response(status: int, body: dict[str, Any],
                  headers: dict[str, str] | None = None) -> Response:
    return Response(status_code=status, content_type=JSON,
                    body=json.dumps(body, ensure_ascii=False, default=str), headers=headers)


def error_response(status: int, code: str, language: str,
                   errors: list[FieldError] | None = None, **params: Any) -> Response:
    body: dict[str, Any] = {"code": code, "message": i18n.text("errors", code, language, **params)}
    if errors is not None:
        body["errors"] = [field_error_json(error, language) for error in errors]
    return json_response(status, body, headers={"Content-Language": language})


def field_error_json(error: FieldError, language: str) -> dict[str, str]:
    return {"field": error.field, "code": error.code,
            "message": i18n.text("field_errors", error.code, language,
                                 **_localised_params(error.params, language))}


def _localised_params(params: dict[str, Any], language: str) -> dict[str, Any]:
    values = dict(params)
    for name, value in params.items():
        if isinstance(value, date):
            values[name] = i18n.long_date(value, language)
    if "label_key" in params:
        values["label"] = i18n.text("utilities", params["label_key"], language)
    if "utility_key" in params:
        values["utility"] = i18n.text("utilities", params["utility_key"], language)
    return values


def field_path(location: tuple[Any, ...]) -> str:
    """Turn a pydantic location into "connections[2].meters", dropping union tags."""
    path = ""
    previous: Any = None
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        elif isinstance(previous, int) and part in _UTILITY_TAGS:
            pass
        else:
            path += f".{part}" if path else str(part)
        previous = part
    return path


def field_errors_from(error: ValidationError, max_connections: int) -> list[FieldError]:
    """Translate pydantic's errors into the API's field errors."""
    result: list[FieldError] = []
    for item in error.errors(include_url=False):
        field = field_path(item["loc"])
        kind = item["type"]
        context = item.get("ctx") or {}

        if kind in ("union_tag_invalid", "union_tag_not_found"):
            result.append(FieldError(f"{field}.utility", "utility_invalid"))
        elif kind == "string_pattern_mismatch":
            result.append(FieldError(field, _pattern_code(field)))
        elif kind == "too_long" and field == "connections":
            result.append(FieldError(field, "too_many_connections",
                                     {"limit": max_connections,
                                      "count": context.get("actual_length", "?")}))
        elif kind in _TYPE_CODES:
            result.append(FieldError(field, _TYPE_CODES[kind], _limit_params(kind, context)))
        elif kind.endswith("_type"):
            result.append(FieldError(field, "invalid_type"))
        else:
            result.append(FieldError(field, "invalid_value"))
    return result


def _pattern_code(field: str) -> str:
    if field.endswith("postal_code"):
        return "postal_code_invalid"
    if field.endswith("house_number"):
        return "house_number_invalid"
    return "invalid_value"


def _limit_params(kind: str, context: dict[str, Any]) -> dict[str, Any]:
    for name in ("gt", "ge", "lt", "le"):
        if name in context:
            return {"limit": context[name]}
    return {name: value for name, value in context.items()
            if name in ("max_length", "min_length", "expected", "decimal_places")}


def outside_service_area_response(error: OutsideServiceAreaError, language: str) -> Response:
    """Reply 422 naming each utility not served at the site and whom to contact instead."""
    labels = [i18n.text("utilities", item.label_key, language) for item in error.uncovered]
    contacts = sorted({contact.name: contact for item in error.uncovered
                       for contact in item.contacts}.values(), key=lambda contact: contact.name)
    contact_names = [f"{contact.name} ({contact.website})" if contact.website else contact.name
                     for contact in contacts]

    code = "outside_service_area" if contacts else "outside_service_area_no_contact"
    message = i18n.text("errors", code, language,
                        postal_code=error.params["postal_code"],
                        municipality=error.params["municipality"],
                        utilities=i18n.join_words(labels, language),
                        contacts=i18n.join_words(contact_names, language))
    field_errors = [FieldError(item.field, "not_served", {"utility_key": item.label_key})
                    for item in error.uncovered]
    body = {
        "code": "outside_service_area",
        "message": message,
        "errors": [field_error_json(item, language) for item in field_errors],
        "uncovered": [
            {"utility": item.utility,
             "label": i18n.text("utilities", item.label_key, language),
             "contacts": [{"name": contact.name, "website": contact.website,
                           "phone": contact.phone} for contact in item.contacts]}
            for item in error.uncovered
        ],
    }
    return json_response(HTTPStatus.UNPROCESSABLE_ENTITY, body,
                         headers={"Content-Language": language})
