"""JSON error replies with a stable code and a message in the caller's language."""

import json
from datetime import date
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from connectmyhome import i18n
from connectmyhome.errors import FieldError, OutsideServiceAreaError

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import Response

JSON = "application/json; charset=utf-8"
def json_response(status: int, body: dict[str, Any],
                  headers: dict[str, str] | None = None) -> "Response":
    from aws_lambda_powertools.event_handler import Response

    return Response(status_code=status, content_type=JSON,
                    body=json.dumps(body, ensure_ascii=False, default=str), headers=headers)


def error_response(status: int, code: str, language: str,
                   errors: list[FieldError] | None = None, **params: Any) -> "Response":
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
        values["label"] = i18n.utility_label(params["label_key"], language)
    if "utility_key" in params:
        values["utility"] = i18n.utility_label(params["utility_key"], language)
    return values


def outside_service_area_response(error: OutsideServiceAreaError, language: str) -> "Response":
    """Reply 422 naming each utility not served at the site and whom to contact instead."""
    labels = [i18n.utility_label(item.label_key, language) for item in error.uncovered]
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
             "label": i18n.utility_label(item.label_key, language),
             "contacts": [{"name": contact.name, "website": contact.website,
                           "phone": contact.phone} for contact in item.contacts]}
            for item in error.uncovered
        ],
    }
    return json_response(HTTPStatus.UNPROCESSABLE_ENTITY, body,
                         headers={"Content-Language": language})
