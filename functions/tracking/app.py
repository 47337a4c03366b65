"""GET /requests/{request_id}: the customer's tracking answer, behind the customer token."""

from http import HTTPStatus
from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from connectmyhome import tokens, tracking
from connectmyhome.errors import RequestNotFoundError, UnauthorizedError
from connectmyhome_http import replies, requests

logger = Logger()
tracer = Tracer()
app = APIGatewayHttpResolver()


@app.get("/requests/<request_id>")
@tracer.capture_method
def handle_get_request(request_id: str) -> Response:
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


@app.exception_handler(Exception)
def handle_unexpected_error(error: Exception) -> Response:
    logger.exception("Unexpected error while reading a request")
    return replies.error_response(HTTPStatus.INTERNAL_SERVER_ERROR, "internal_error",
                                  requests.language(app.current_event))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
