"""Events that operators send to the platform, checked and applied.

Each event is {"type", "timestamp", "data"}; `data.request_id` names the request. The checks
run in the order of the replies they lead to: payload (422), request (404), party (403),
waiting step (409). Signature and delivery-id checks happen before, in the handler.
"""

import os
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from . import clock, pricing, repository, task_tokens
from .errors import DomainError, FieldError, RequestNotFoundError
from .validation import field_errors_from

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class QuoteLine(_Model):
    label: Text
    quantity: Annotated[Decimal, Field(gt=0, le=10_000, decimal_places=3)]
    unit_price_cents: Annotated[int, Field(ge=0, le=100_000_000)]
    vat_rate: int


class QuoteSubmitted(_Model):
    request_id: Text
    feasible: bool = True
    network_extension_required: bool = False
    lines: Annotated[list[QuoteLine], Field(min_length=1, max_length=50)]
    available_days: Annotated[list[date], Field(max_length=120)] = Field(default_factory=list)
    valid_until: date
    message: LongText | None = None


class QuoteDeclined(_Model):
    request_id: Text
    reason: Literal["network_extension_required", "not_feasible", "other"]
    message: LongText | None = None


class WorksDayAccepted(_Model):
    request_id: Text
    day: date


class WorksDayRejected(_Model):
    request_id: Text
    day: date
    alternative_days: Annotated[list[date], Field(max_length=120)] = Field(default_factory=list)
    reason: LongText | None = None


class Meter(_Model):
    utility: Literal["electricity", "gas", "water"]
    # GSRN of the connection point: 18 digits, "54" for Belgium, GS1 check digit last.
    ean: Annotated[str, StringConstraints(pattern=r"^54[0-9]{16}$")] | None = None
    meter_number: Text | None = None


class WorksCompleted(_Model):
    request_id: Text
    meters: Annotated[list[Meter], Field(max_length=20)] = Field(default_factory=list)
    message: LongText | None = None


class WorksFailed(_Model):
    request_id: Text
    reason: Literal["site_not_ready", "access_denied", "technical_problem", "other"]
    message: LongText | None = None


EVENT_MODELS: dict[str, type[BaseModel]] = {
    "quote.submitted": QuoteSubmitted,
    "quote.declined": QuoteDeclined,
    "works_day.accepted": WorksDayAccepted,
    "works_day.rejected": WorksDayRejected,
    "works.completed": WorksCompleted,
    "works.failed": WorksFailed,
}
# The step each event answers.
EVENT_STEPS = {"quote.submitted": "quote", "quote.declined": "quote",
               "works_day.accepted": "works_day", "works_day.rejected": "works_day",
               "works.completed": "works", "works.failed": "works"}


def gsrn_check_digit_valid(code: str) -> bool:
    """Check the GS1 check digit: weights 3 and 1 alternate from the rightmost data digit."""
    digits = [int(character) for character in code]
    total = sum(digit * (3 if index % 2 == 0 else 1)
                for index, digit in enumerate(reversed(digits[:-1])))
    return (10 - total % 10) % 10 == digits[-1]


class InvalidPayloadError(DomainError):
    code = "invalid_payload"

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__()
        self.errors = errors


class NotPartyError(DomainError):
    """The operator is not party to this request."""

    code = "not_party"


class StepNotWaitingError(DomainError):
    code = "step_not_waiting"


@dataclass(frozen=True)
class Applied:
    request_id: str
    event_type: str


def parse(payload: Any) -> tuple[str, BaseModel]:
    """Validate an event's envelope and data; raise InvalidPayloadError naming each field."""
    if not isinstance(payload, dict):
        raise InvalidPayloadError([FieldError("", "body_not_object")])
    event_type = payload.get("type")
    if event_type not in EVENT_MODELS:
        raise InvalidPayloadError([FieldError("type", "literal_error",
                                              {"expected": ", ".join(EVENT_MODELS)})])
    try:
        data = EVENT_MODELS[event_type].model_validate(payload.get("data"))
    except ValidationError as error:
        raise InvalidPayloadError(_field_errors(error)) from error

    errors = _check_rules(data, clock.today_in_brussels())
    if errors:
        raise InvalidPayloadError(errors)
    return event_type, data


def _field_errors(error: ValidationError) -> list[FieldError]:
    return [FieldError(f"data.{item.field}" if item.field else "data", item.code, item.params)
            for item in field_errors_from(error, max_connections=0)]


def _check_rules(data: BaseModel, today: date) -> list[FieldError]:
    errors: list[FieldError] = []
    if isinstance(data, QuoteSubmitted):
        for index, line in enumerate(data.lines):
            if line.vat_rate not in pricing.VAT_RATES:
                errors.append(FieldError(f"data.lines[{index}].vat_rate", "vat_rate_unknown",
                                         {"expected": ", ".join(map(str, pricing.VAT_RATES))}))
        if data.valid_until < today:
            errors.append(FieldError("data.valid_until", "date_in_past"))
        for index, day in enumerate(data.available_days):
            if day < today:
                errors.append(FieldError(f"data.available_days[{index}]", "date_in_past"))
    if isinstance(data, WorksDayRejected):
        for index, day in enumerate(data.alternative_days):
            if day < today:
                errors.append(FieldError(f"data.alternative_days[{index}]", "date_in_past"))
    if isinstance(data, WorksCompleted):
        for index, meter in enumerate(data.meters):
            if meter.ean is not None and not gsrn_check_digit_valid(meter.ean):
                errors.append(FieldError(f"data.meters[{index}].ean", "ean_invalid"))
    return errors


def apply(operator_id: str, delivery_id: str, event_type: str, data: BaseModel) -> Applied:
    """Apply a valid event: release the waiting step of this operator with its answer."""
    request_id = data.request_id  # type: ignore[attr-defined]
    request = repository.load_request(request_id)
    if request is None:
        raise RequestNotFoundError(request_id=request_id)
    if operator_id not in request.get("operator_ids", []):
        raise NotPartyError(request_id=request_id)

    step = EVENT_STEPS[event_type]
    if step == "works_day":
        proposed = (request.get("works_planning") or {}).get("proposed_day")
        if proposed != data.day.isoformat():  # type: ignore[attr-defined]
            raise StepNotWaitingError(reason="other_day")
    if step == "works" and not _early_reports_allowed():
        works_day = request.get("works_day")
        if works_day and clock.today_in_brussels().isoformat() < works_day:
            raise StepNotWaitingError(reason="before_works_day")
    output = _step_output(operator_id, event_type, data)
    try:
        # The party item changes with the release: the resumed step reads it at once.
        task_tokens.release(request_id, step, operator_id, delivery_id, output,
                            party_values=_party_values(event_type, output))
    except task_tokens.StepNotWaitingError as error:
        raise StepNotWaitingError(reason=error.reason) from error

    _record(request_id, operator_id, event_type, output)
    return Applied(request_id=request_id, event_type=event_type)


def _early_reports_allowed() -> bool:
    """Return whether works reports may come before the works day (demonstrations only)."""
    return os.environ.get("ACCEPT_WORKS_REPORTS_BEFORE_WORKS_DAY", "false") == "true"


def _step_output(operator_id: str, event_type: str, data: BaseModel) -> dict[str, Any]:
    if isinstance(data, QuoteSubmitted):
        quote = data.model_dump(mode="json", exclude={"request_id"})
        for line in quote["lines"]:
            line["quantity"] = format(Decimal(str(line["quantity"])), "f")
        return {"operator_id": operator_id, "outcome": "quoted", "quote": quote}
    if isinstance(data, QuoteDeclined):
        return {"operator_id": operator_id, "outcome": "declined", "reason": data.reason,
                "message": data.message}
    if isinstance(data, WorksDayAccepted):
        return {"operator_id": operator_id, "outcome": "accepted", "day": data.day.isoformat()}
    if isinstance(data, WorksDayRejected):
        return {"operator_id": operator_id, "outcome": "rejected", "day": data.day.isoformat(),
                "alternative_days": [day.isoformat() for day in data.alternative_days],
                "reason": data.reason}
    if isinstance(data, WorksCompleted):
        return {"operator_id": operator_id, "outcome": "completed",
                "meters": [meter.model_dump() for meter in data.meters]}
    if isinstance(data, WorksFailed):
        return {"operator_id": operator_id, "outcome": "failed", "reason": data.reason,
                "message": data.message}
    raise ValueError(f"no step output for {event_type}")


def _party_values(event_type: str, output: dict[str, Any]) -> dict[str, Any]:
    """Return what the event sets on the operator's party item."""
    if event_type == "quote.submitted":
        return {"state": "quoted", "quote": output["quote"],
                "quoted_at": clock.isoformat(clock.now())}
    if event_type == "quote.declined":
        return {"state": "declined", "decline": output}
    if event_type.startswith("works_day."):
        return {"state": "day_accepted" if output["outcome"] == "accepted" else "day_rejected"}
    if event_type == "works.completed":
        return {"state": "works_completed", "meters": output["meters"]}
    return {"state": "works_failed", "works_failure": output}


def _record(request_id: str, operator_id: str, event_type: str, output: dict[str, Any]) -> None:
    repository.append_event(request_id, event_type, actor=f"operator:{operator_id}",
                            data={"operator_id": operator_id})
