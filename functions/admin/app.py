"""The case managers' and admins' API (/admin), behind the Cognito JWT authorizer.

API Gateway rejects a request without a valid token (401); this function rejects a valid
token whose user is not in the "admins" group (403).

GET  /admin/requests                       listing: ?status= &operator= &case_manager=
                                           &overdue=true &limit= &cursor=
GET  /admin/requests/{id}                  one request, operators, merged timeline
POST /admin/requests/{id}/survey           record the site survey
POST /admin/requests/{id}/cancel           cancel, and notify the customer and operators
POST /admin/requests/{id}/remind           {"operator_id"}: send the waiting step again
POST /admin/requests/{id}/resend           {"email"}: send one of the request's emails again
POST /admin/requests/{id}/restart          start a failed workflow again
"""

from __future__ import annotations

from http import HTTPStatus
from typing import TYPE_CHECKING, Any, TypeVar

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths

from connectmyhome.errors import ActionNotAllowedError, RequestNotFoundError
from connectmyhome_http import replies, requests
from connectmyhome_http.router import HttpRouter

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import Response
    from aws_lambda_powertools.utilities.typing import LambdaContext
    from pydantic import BaseModel

# Cold start: only Powertools and light project modules are imported at module level. The
# domain modules load boto3, pydantic and more, so each function imports the ones it uses
# (bench/cold_start.py measures it, docs/benchmarks.md has the figures).

logger = Logger()
app = HttpRouter()

ADMINS_GROUP = "admins"
ModelT = TypeVar("ModelT", bound="BaseModel")


def _claims() -> dict[str, Any]:
    authorizer = app.current_event.request_context.authorizer
    return (authorizer.jwt_claim if authorizer else None) or {}


def _groups(claims: dict[str, Any]) -> set[str]:
    """Read "cognito:groups", which HTTP APIs pass as a list or as the text "[a b]"."""
    value = claims.get("cognito:groups") or []
    if isinstance(value, str):
        value = value.strip("[]").replace(",", " ").split()
    return {str(group) for group in value}


class _Refusal(Exception):
    """A reply decided before the route's work: carried to the exception handler below."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def _language() -> str:
    return requests.language(app.current_event)


def _require_admin() -> None:
    claims = _claims()
    if ADMINS_GROUP in _groups(claims):
        return
    logger.warning("Admin route rejected: user not in the admins group", sub=claims.get("sub"))
    raise _Refusal(replies.error_response(HTTPStatus.FORBIDDEN, "forbidden", _language()))


def _admin_name() -> str:
    claims = _claims()
    return str(claims.get("email") or claims.get("sub") or "unknown")


def _resolve(request_id: str) -> str:
    """Accept a human reference (CMH-2026-000123) wherever a request id is expected."""
    from connectmyhome import repository

    if request_id.upper().startswith("CMH-"):
        return repository.request_id_for_reference(request_id.upper()) or request_id
    return request_id


def _body(model: type[ModelT]) -> ModelT:
    from pydantic import ValidationError

    from connectmyhome.validation import field_errors_from

    try:
        return model.model_validate(requests.json_object(app.current_event))
    except requests.BodyError as error:
        raise _Refusal(replies.error_response(error.status, error.code, _language(),
                                              **error.params)) from error
    except ValidationError as error:
        raise _Refusal(replies.error_response(
            HTTPStatus.UNPROCESSABLE_ENTITY, "invalid_request", _language(),
            errors=field_errors_from(error, 0))) from error


@app.exception_handler(_Refusal)
def handle_refusal(error: _Refusal) -> Response:
    return error.response


@app.exception_handler(RequestNotFoundError)
def handle_request_not_found(error: RequestNotFoundError) -> Response:
    return replies.error_response(HTTPStatus.NOT_FOUND, "not_found", _language())


@app.exception_handler(ActionNotAllowedError)
def handle_action_not_allowed(error: ActionNotAllowedError) -> Response:
    logger.info("Admin action not allowed", reason=error.params.get("reason"))
    return replies.error_response(HTTPStatus.CONFLICT, "action_not_allowed", _language(),
                                  reason=error.params.get("reason"))


@app.get("/admin/requests")
def handle_list_requests() -> Response:
    from connectmyhome import admin

    _require_admin()
    query = app.current_event.query_string_parameters or {}
    try:
        page = admin.list_requests(_language(), status=query.get("status"),
                                   operator_id=query.get("operator"),
                                   case_manager_id=query.get("case_manager"),
                                   overdue=query.get("overdue") in ("true", "1", "yes"),
                                   open_only=query.get("open") in ("true", "1", "yes"),
                                   limit=int(query.get("limit", "25")),
                                   cursor=query.get("cursor"))
    except (ValueError, admin.InvalidCursorError):
        return replies.error_response(HTTPStatus.BAD_REQUEST, "invalid_query", _language())
    return replies.json_response(HTTPStatus.OK, page)


@app.get("/admin/requests/<request_id>")
def handle_show_request(request_id: str) -> Response:
    from connectmyhome import admin

    _require_admin()
    view = admin.show_request(_resolve(request_id), _language())
    return replies.json_response(HTTPStatus.OK, view)


@app.post("/admin/requests/<request_id>/cancel")
def handle_cancel_request(request_id: str) -> Response:
    from connectmyhome import admin, notifications, outbound, webhooks
    from connectmyhome_http.bodies import CancelBody

    _require_admin()
    request_id = _resolve(request_id)
    body = _body(CancelBody)

    request = admin.cancel(request_id, body.reason, _admin_name())
    undelivered = []
    for operator_id in request["operator_ids"]:
        try:
            outbound.send(request_id, operator_id, "request.cancelled", "cancel",
                          extra={"reason": "cancelled"})
        except webhooks.DeliveryFailedError:
            logger.exception("Cancellation not delivered", operator_id=operator_id)
            undelivered.append(operator_id)
    notifications.send(request_id, "cancelled", "AdminCancel")

    logger.info("Request cancelled", request_id=request_id, undelivered=undelivered)
    return replies.json_response(HTTPStatus.OK, {"status": "cancelled",
                                                 "operators_not_reached": undelivered})


@app.post("/admin/requests/<request_id>/remind")
def handle_remind_operator(request_id: str) -> Response:
    from connectmyhome import reminders, webhooks
    from connectmyhome_http.bodies import RemindBody

    _require_admin()
    body = _body(RemindBody)
    try:
        result = reminders.remind(_resolve(request_id), body.operator_id, by=_admin_name())
    except webhooks.DeliveryFailedError:
        logger.exception("Reminder not delivered", operator_id=body.operator_id)
        return replies.error_response(HTTPStatus.BAD_GATEWAY, "operator_unreachable",
                                      _language())
    return replies.json_response(HTTPStatus.OK, result)


@app.post("/admin/requests/<request_id>/resend")
def handle_resend_email(request_id: str) -> Response:
    from ulid import ULID

    from connectmyhome import notifications
    from connectmyhome_http.bodies import ResendBody

    _require_admin()
    body = _body(ResendBody)
    try:
        message_id = notifications.send(_resolve(request_id), body.email, f"resend-{ULID()}")
    except (KeyError, ValueError):
        logger.info("Email cannot be sent at this stage", email=body.email)
        return replies.error_response(HTTPStatus.CONFLICT, "action_not_allowed", _language(),
                                      reason="email_not_available")
    return replies.json_response(HTTPStatus.OK, {"message_id": message_id})


@app.post("/admin/requests/<request_id>/restart")
def handle_restart_request(request_id: str) -> Response:
    from connectmyhome import admin

    _require_admin()
    name = admin.restart(_resolve(request_id), _admin_name())
    return replies.json_response(HTTPStatus.ACCEPTED, {"execution": name})


@app.post("/admin/requests/<request_id>/survey")
def handle_record_survey(request_id: str) -> Response:
    from connectmyhome import survey
    from connectmyhome_http.bodies import SurveyOutcome

    _require_admin()
    request_id = _resolve(request_id)
    outcome = _body(SurveyOutcome)

    try:
        result = survey.record(request_id, outcome.joint_works_feasible, outcome.notes,
                               _admin_name())
    except survey.SurveyNotAwaitedError as error:
        logger.info("Survey not awaited", request_id=request_id,
                    reason=error.params.get("reason"))
        return replies.error_response(HTTPStatus.CONFLICT, "survey_not_awaited", _language(),
                                      reason=error.params.get("reason"))

    logger.info("Site survey recorded", request_id=request_id,
                joint_works_feasible=outcome.joint_works_feasible)
    return replies.json_response(HTTPStatus.ACCEPTED, {"status": "recorded", "survey": result})


@app.exception_handler(Exception)
def handle_unexpected_error(error: Exception) -> Response:
    logger.exception("Unexpected error in the admin API")
    return replies.error_response(HTTPStatus.INTERNAL_SERVER_ERROR, "internal_error",
                                  requests.language(app.current_event))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP,
                              clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
