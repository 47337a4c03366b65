"""The site survey: one visit by a technical agent, recorded by the case manager."""

from typing import Any

from . import clock, repository, task_tokens
from .errors import DomainError, RequestNotFoundError

STEP = "site_survey"
PARTY = "case_manager"


class SurveyNotAwaitedError(DomainError):
    """The request does not wait for a survey: recorded already, too early, or too late."""

    code = "survey_not_awaited"


def record(request_id: str, joint_works_feasible: bool, notes: str | None,
           recorded_by: str) -> dict[str, Any]:
    """Record the visit's outcome and resume the request's workflow with it."""
    request = repository.load_request(request_id)
    if request is None:
        raise RequestNotFoundError(request_id=request_id)

    survey = {"joint_works_feasible": joint_works_feasible, "notes": notes,
              "recorded_by": recorded_by, "recorded_at": clock.isoformat(clock.now())}
    try:
        task_tokens.release(request_id, STEP, PARTY, f"survey_{request_id}", survey)
    except (task_tokens.StepNotWaitingError, task_tokens.DuplicateDeliveryError) as error:
        raise SurveyNotAwaitedError(reason=getattr(error, "reason", "already_answered")) \
            from error

    repository.update_request(request_id, {"survey": survey})
    repository.append_event(request_id, "survey.recorded", actor=f"admin:{recorded_by}",
                            data={"joint_works_feasible": joint_works_feasible})
    return survey
