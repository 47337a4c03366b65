"""The case managers' and admins' API (/admin), behind the Cognito JWT authorizer.

API Gateway rejects a request without a valid token (401); this function rejects a valid
token whose user is not in the "admins" group (403).
"""

from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError

from connectmyhome import survey
from connectmyhome.errors import RequestNotFoundError
from connectmyhome.validation import field_errors_from
from connectmyhome_http import replies, requests

logger = Logger()
tracer = Tracer()
app = APIGatewayHttpResolver()

ADMINS_GROUP = "admins"


class SurveyOutcome(BaseModel):
    model_config = ConfigDict(extra="forbid")

    joint_works_feasible: bool
    notes: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None


def _claims() -> dict[str, Any]:
    authorizer = app.current_event.request_context.authorizer
    return (authorizer.jwt_claim if authorizer else None) or {}


def _groups(claims: dict[str, Any]) -> set[str]:
    """Read "cognito:groups", which HTTP APIs pass as a list or as the text "[a b]"."""
    value = claims.get("cognito:groups") or []
    if isinstance(value, str):
        value = value.strip("[]").replace(",", " ").split()
    return {str(group) for group in value}


@app.post("/admin/requests/<request_id>/survey")
@tracer.capture_method
def handle_record_survey(request_id: str) -> Response:
    event = app.current_event
    language = requests.language(event)
    claims = _claims()
    if ADMINS_GROUP not in _groups(claims):
        logger.warning("Admin route refused: not in the admins group", sub=claims.get("sub"))
        return replies.error_response(HTTPStatus.FORBIDDEN, "forbidden", language)

    try:
        outcome = SurveyOutcome.model_validate(requests.json_object(event))
    except requests.BodyError as error:
        return replies.error_response(error.status, error.code, language, **error.params)
    except ValidationError as error:
        return replies.error_response(HTTPStatus.UNPROCESSABLE_ENTITY, "invalid_request",
                                      language, errors=field_errors_from(error, 0))

    recorded_by = str(claims.get("email") or claims.get("sub") or "unknown")
    try:
        result = survey.record(request_id, outcome.joint_works_feasible, outcome.notes,
                               recorded_by)
    except RequestNotFoundError:
        return replies.error_response(HTTPStatus.NOT_FOUND, "not_found", language)
    except survey.SurveyNotAwaitedError as error:
        logger.info("Survey not awaited", request_id=request_id,
                    reason=error.params.get("reason"))
        return replies.error_response(HTTPStatus.CONFLICT, "survey_not_awaited", language,
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
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
