"""Translating pydantic's validation errors into the platform's field errors and codes."""

from typing import Any

from pydantic import ValidationError

from .errors import FieldError

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
