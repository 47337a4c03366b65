"""POST /requests: file one connection request and start its workflow."""

from __future__ import annotations

import os
import warnings
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit

from connectmyhome.errors import InvalidRequestError, OutsideServiceAreaError
from connectmyhome.idempotency import idempotent_on_first_call
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

# A repeated Idempotency-Key returns the first answer for 24 hours; the same key with
# another body is rejected. Without a key nothing is stored, which Powertools reports with a
# warning on every such request: it is expected here.
warnings.filterwarnings("ignore", message="No idempotency key value found")
MIN_KEY_LENGTH = 8
MAX_KEY_LENGTH = 255


@idempotent_on_first_call(data_keyword_argument="submission", event_key_jmespath="key",
                          payload_validation_jmespath="body", expires_after_seconds=24 * 3600)
def _file(submission: dict[str, Any], public_base_url: str) -> dict[str, Any]:
    from connectmyhome import intake
    from connectmyhome.models import ConnectionRequest

    request = ConnectionRequest.model_validate(submission["body"])
    filed = intake.file_request(request, public_base_url)

    logger.info("Request filed", request_id=filed.request_id, reference=filed.reference)
    metrics.add_metric(name="RequestsSubmitted", unit=MetricUnit.Count, value=1)
    return {"request_id": filed.request_id, "reference": filed.reference,
            "status": filed.status, "tracking_url": filed.tracking_url}


@app.post("/requests")
def handle_file_request() -> Response:
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyValidationError,
    )
    from pydantic import ValidationError

    from connectmyhome import rules
    from connectmyhome.models import ConnectionRequest
    from connectmyhome.validation import field_errors_from

    event = app.current_event
    language = requests.language(event)

    key = requests.header(event, "Idempotency-Key")
    if key is not None and not (MIN_KEY_LENGTH <= len(key) <= MAX_KEY_LENGTH and key.isprintable()):
        return replies.error_response(HTTPStatus.BAD_REQUEST, "idempotency_key_invalid", language)

    try:
        body = requests.json_object(event)
    except requests.BodyError as error:
        return replies.error_response(error.status, error.code, language, **error.params)

    try:
        request = ConnectionRequest.model_validate(body)
    except ValidationError as error:
        errors = field_errors_from(error, rules.MAX_CONNECTIONS)
        logger.info("Request rejected by the schema", fields=[item.field for item in errors])
        return replies.error_response(HTTPStatus.UNPROCESSABLE_ENTITY, "invalid_request",
                                      language, errors=errors)

    submission = {"key": key, "body": request.model_dump(mode="json", by_alias=True)}
    try:
        filed = _file(submission=submission, public_base_url=_public_base_url())
    except InvalidRequestError as error:
        logger.info("Request rejected by a rule", codes=[item.code for item in error.errors])
        return replies.error_response(HTTPStatus.UNPROCESSABLE_ENTITY, "invalid_request",
                                      language, errors=error.errors)
    except OutsideServiceAreaError as error:
        logger.info("Request outside the service area",
                    utilities=[item.utility for item in error.uncovered])
        return replies.outside_service_area_response(error, language)
    except IdempotencyValidationError:
        return replies.error_response(HTTPStatus.UNPROCESSABLE_ENTITY, "idempotency_key_reused",
                                      language)
    except IdempotencyAlreadyInProgressError:
        return replies.error_response(HTTPStatus.CONFLICT, "request_in_progress", language)

    return replies.json_response(HTTPStatus.CREATED, filed,
                                 headers={"Location": f"/requests/{filed['request_id']}"})


def _public_base_url() -> str:
    """Return the deployment's public base URL, or the base URL this request came in on."""
    configured = os.environ.get("PUBLIC_BASE_URL", "").rstrip("/")
    if configured:
        return configured
    context = app.current_event.request_context
    stage = context.stage if context.stage and context.stage != "$default" else ""
    return f"https://{context.domain_name}" + (f"/{stage}" if stage else "")


@app.exception_handler(Exception)
def handle_unexpected_error(error: Exception) -> Response:
    logger.exception("Unexpected error while filing a request")
    return replies.error_response(HTTPStatus.INTERNAL_SERVER_ERROR, "internal_error",
                                  requests.language(app.current_event))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    _file.register_lambda_context(context)
    return app.resolve(event, context)
