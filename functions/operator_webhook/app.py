"""POST /operators/{operator_id}/webhooks: an operator's signed event.

Replies: 202 applied; 200 a repeated webhook-id (no second effect); 400 malformed JSON;
401 bad or stale signature; 403 a request or step that is not the operator's; 404 unknown
operator or request; 409 the step no longer waits for this event; 413 body too large;
422 invalid payload, with field errors. Messages are in English: the readers are systems.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit

from connectmyhome.errors import RequestNotFoundError
from connectmyhome_http import replies, requests
from connectmyhome_http.router import HttpRouter

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import Response
    from aws_lambda_powertools.utilities.typing import LambdaContext

# Cold start: only Powertools and light project modules are imported at module level. The
# domain modules load boto3, pydantic and more, so each function imports the ones it uses
# (bench/cold_start.py measures it, docs/benchmarks.md has the figures).

logger = Logger()
metrics = Metrics()
app = HttpRouter()

LANGUAGE = "en"
MAX_EVENT_BYTES = 256 * 1024


@app.post("/operators/<operator_id>/webhooks")
def handle_operator_event(operator_id: str) -> Response:
    from connectmyhome import service_area, webhooks

    event = app.current_event
    logger.append_keys(operator_id=operator_id)
    try:
        service_area.partner(operator_id)
        secrets = webhooks.operator_secrets(operator_id)
    except KeyError:
        logger.info("Event from an unknown operator")
        return replies.error_response(HTTPStatus.NOT_FOUND, "unknown_operator", LANGUAGE)

    body = requests.raw_body(event)
    if len(body) > MAX_EVENT_BYTES:
        return replies.error_response(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "payload_too_large",
                                      LANGUAGE, limit=MAX_EVENT_BYTES)
    try:
        webhooks.verify(secrets, body, event.headers or {})
    except webhooks.InvalidSignatureError as error:
        logger.warning("Webhook signature rejected", reason=str(error))
        return replies.error_response(HTTPStatus.UNAUTHORIZED, "invalid_signature", LANGUAGE,
                                      reason=str(error).lower())

    delivery_id = requests.header(event, "webhook-id") or ""
    logger.append_keys(webhook_id=delivery_id)
    try:
        payload = requests.json_object(event)
    except requests.BodyError as error:
        return replies.error_response(error.status, error.code, LANGUAGE, **error.params)

    return _apply(operator_id, delivery_id, payload)


def _apply(operator_id: str, delivery_id: str, payload: dict[str, Any]) -> Response:
    """Apply an event. A repeated webhook-id is found once its step no longer waits, as only
    an applied event records its id: the first delivery costs no extra read."""
    from connectmyhome import inbound, task_tokens

    try:
        event_type, data = inbound.parse(payload)
        applied = inbound.apply(operator_id, delivery_id, event_type, data)
    except inbound.InvalidPayloadError as error:
        logger.info("Invalid operator event", fields=[item.field for item in error.errors])
        return replies.error_response(HTTPStatus.UNPROCESSABLE_ENTITY, "invalid_payload",
                                      LANGUAGE, errors=error.errors)
    except RequestNotFoundError:
        return replies.error_response(HTTPStatus.NOT_FOUND, "not_found", LANGUAGE)
    except inbound.NotPartyError:
        logger.warning("Operator is not party to the request")
        return replies.error_response(HTTPStatus.FORBIDDEN, "not_party", LANGUAGE)
    except inbound.StepNotWaitingError as error:
        if task_tokens.delivery_seen(operator_id, delivery_id):
            logger.info("Repeated delivery ignored")
            return replies.json_response(HTTPStatus.OK, {"status": "duplicate"})
        logger.info("Step not waiting", reason=error.params.get("reason"))
        return replies.error_response(HTTPStatus.CONFLICT, "step_not_waiting", LANGUAGE,
                                      reason=error.params.get("reason"))
    except task_tokens.DuplicateDeliveryError:
        return replies.json_response(HTTPStatus.OK, {"status": "duplicate"})

    logger.info("Operator event applied", request_id=applied.request_id, event_type=event_type)
    metrics.add_metric(name=f"OperatorEvents.{event_type}", unit=MetricUnit.Count, value=1)
    return replies.json_response(HTTPStatus.ACCEPTED, {"status": "accepted",
                                                       "request_id": applied.request_id,
                                                       "type": event_type})


@app.exception_handler(Exception)
def handle_unexpected_error(error: Exception) -> Response:
    logger.exception("Unexpected error while applying an operator event")
    return replies.error_response(HTTPStatus.INTERNAL_SERVER_ERROR, "internal_error", LANGUAGE)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP,
                              clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
