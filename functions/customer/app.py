"""The customer's side of a request, behind the customer token of the emailed link.

GET /requests/{request_id}: status, timeline, offer, works day, who acts next.
POST /requests/{request_id}/decision: accept or decline the combined offer, once.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths

from connectmyhome.errors import RequestNotFoundError, UnauthorizedError
from connectmyhome_http import replies, requests
from connectmyhome_http.router import HttpRouter

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import Response
    from aws_lambda_powertools.utilities.typing import LambdaContext

# Cold start: only Powertools and light project modules are imported at module level. The
# domain modules load boto3, pydantic and more, so each function imports the ones it uses
# (bench/cold_start.py measures it, docs/benchmarks.md has the figures).

logger = Logger()
app = HttpRouter()


@app.get("/requests/<request_id>")
def handle_get_request(request_id: str) -> Response:
    from connectmyhome import tokens, tracking

    event = app.current_event
    asked_language = requests.header(event, "Accept-Language")
    language = requests.language(event)

    try:
        tokens.verify(requests.bearer_token(event), request_id)
    except UnauthorizedError:
        logger.info("Tracking token rejected", request_id=request_id)
        return replies.error_response(HTTPStatus.UNAUTHORIZED, "unauthorized", language)

    try:
        answer = tracking.view(request_id, language if asked_language else None)
    except RequestNotFoundError:
        return replies.error_response(HTTPStatus.NOT_FOUND, "not_found", language)
    return replies.json_response(HTTPStatus.OK, answer,
                                 headers={"Cache-Control": "no-store",
                                          "Content-Language": answer["language"]})


@app.post("/requests/<request_id>/decision")
def handle_decide_on_offer(request_id: str) -> Response:
    from pydantic import ValidationError

    from connectmyhome import decisions, tokens
    from connectmyhome.validation import field_errors_from
    from connectmyhome_http.bodies import Decision

    event = app.current_event
    language = requests.language(event)
    try:
        tokens.verify(requests.bearer_token(event), request_id)
    except UnauthorizedError:
        logger.info("Customer token rejected", request_id=request_id)
        return replies.error_response(HTTPStatus.UNAUTHORIZED, "unauthorized", language)

    try:
        body = Decision.model_validate(requests.json_object(event))
    except requests.BodyError as error:
        return replies.error_response(error.status, error.code, language, **error.params)
    except ValidationError as error:
        return replies.error_response(HTTPStatus.UNPROCESSABLE_ENTITY, "invalid_request",
                                      language, errors=field_errors_from(error, 0))

    try:
        outcome, recorded = decisions.decide(request_id, body.decision, body.reason)
    except RequestNotFoundError:
        return replies.error_response(HTTPStatus.NOT_FOUND, "not_found", language)
    except decisions.DecisionNotAwaitedError as error:
        logger.info("Decision not awaited", request_id=request_id,
                    reason=error.params.get("reason"))
        return replies.error_response(HTTPStatus.CONFLICT,
                                      f"decision_{error.params.get('reason')}", language)

    logger.info("Customer decision", request_id=request_id, decision=body.decision,
                recorded=recorded)
    status = HTTPStatus.ACCEPTED if recorded else HTTPStatus.OK
    return replies.json_response(status, {"status": "recorded" if recorded else "unchanged",
                                          "decision": outcome["decision"],
                                          "decided_at": outcome["decided_at"]})


@app.exception_handler(Exception)
def handle_unexpected_error(error: Exception) -> Response:
    logger.exception("Unexpected error while reading a request")
    return replies.error_response(HTTPStatus.INTERNAL_SERVER_ERROR, "internal_error",
                                  requests.language(app.current_event))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
