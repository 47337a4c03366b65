"""Filing a connection request: check it, store it, start its workflow."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from aws_lambda_powertools import Logger

from . import clock, repository, rules, service_area, tokens, workflow
from .models import ConnectionRequest

# The promise of the joint service: works done at most six weeks after the request.
PROMISE = timedelta(weeks=6)
INITIAL_STATUS = "submitted"
REFERENCE_ATTEMPTS = 5
logger = Logger(child=True)


@dataclass(frozen=True)
class FiledRequest:
    request_id: str
    reference: str
    status: str
    tracking_url: str


def tracking_url(public_base_url: str, request_id: str, token: str) -> str:
    """Return the link to the tracking page; the token rides in the fragment, which browsers
    never send to a server, so it stays out of access logs and Referer headers."""
    return f"{public_base_url}/suivi.html?request={request_id}#token={token}"


def file_request(request: ConnectionRequest, public_base_url: str) -> FiledRequest:
    """Check the request against every intake rule, store it and start its workflow.

    Raises InvalidRequestError or OutsideServiceAreaError when a rule is broken; nothing is
    stored then.
    """
    municipality = rules.check_request(request, clock.today_in_brussels())
    operator_ids = rules.partners_for(request, municipality.nis_code)

    request_id = repository.new_request_id()
    reference = _store(request, request_id, municipality.nis_code, operator_ids, public_base_url)

    execution_arn = workflow.start(request_id, reference)
    if execution_arn is None:
        repository.append_event(request_id, "workflow.start_failed", actor="platform")

    token = tokens.issue(request_id)
    return FiledRequest(request_id=request_id, reference=reference, status=INITIAL_STATUS,
                        tracking_url=tracking_url(public_base_url, request_id, token))


def _store(request: ConnectionRequest, request_id: str, nis_code: str, operator_ids: list[str],
           public_base_url: str) -> str:
    """Store the request under a newly allocated reference and return that reference.

    The reference item is written with the request under a uniqueness condition. Should the
    counter hand out a reference already taken (after a restore from backup, or on an emulator
    without atomic updates), the next number is tried.
    """
    for _attempt in range(REFERENCE_ATTEMPTS):
        reference = repository.allocate_reference(clock.now().astimezone(clock.BRUSSELS).year)
        items = _new_request_items(request, request_id, reference, nis_code, operator_ids,
                                   public_base_url)
        try:
            repository.create_request(items)
        except repository.ReferenceTakenError:
            logger.warning("Reference already taken, allocating another", reference=reference)
            continue
        return reference
    raise repository.ReferenceTakenError(f"no free reference after {REFERENCE_ATTEMPTS} attempts")


def _new_request_items(request: ConnectionRequest, request_id: str, reference: str,
                       nis_code: str, operator_ids: list[str],
                       public_base_url: str) -> repository.NewRequest:
    now = clock.now()
    created_at = clock.isoformat(now)
    body = request.model_dump(mode="json", by_alias=True, exclude={"connections"})
    deadline = (now.astimezone(clock.BRUSSELS) + PROMISE).date().isoformat()

    request_item: dict[str, Any] = {
        **repository.request_key(request_id),
        **repository.status_index_keys(INITIAL_STATUS, created_at, request_id),
        **repository.due_index_keys(deadline, request_id),
        **repository.creation_index_keys(created_at, request_id),
        "request_id": request_id,
        "reference": reference,
        "status": INITIAL_STATUS,
        "created_at": created_at,
        "updated_at": created_at,
        "deadline": deadline,
        "language": request.applicant.language,
        "applicant": body["applicant"],
        "site": {**body["site"], "nis_code": nis_code,
                 "municipality": service_area.official_place_name(
                     request.site.postal_code, request.site.municipality,
                     request.applicant.language) or request.site.municipality},
        "project": request.project,
        "preferred_period": body["preferred_period"],
        "unavailable_days": body["unavailable_days"],
        "notes": request.notes,
        "consent_at": created_at,
        "operator_ids": sorted(set(operator_ids)),
        "public_base_url": public_base_url,
    }

    connections = []
    for index, (connection, operator_id) in enumerate(
        zip(request.connections, operator_ids, strict=True)
    ):
        details = connection.model_dump(mode="json")
        connections.append({
            "PK": f"REQUEST#{request_id}",
            "SK": f"CONNECTION#{index:02d}",
            "index": index,
            "utility": connection.utility,
            "label_key": rules.connection_label_key(connection),
            "operator_id": operator_id,
            "details": details,
        })

    operators = [
        {
            "PK": f"REQUEST#{request_id}",
            "SK": f"OPERATOR#{operator_id}",
            "GSI2PK": f"OPERATOR#{operator_id}",
            "GSI2SK": f"{created_at}#{request_id}",
            "operator_id": operator_id,
            "request_id": request_id,
            "state": "pending",
        }
        for operator_id in sorted(set(operator_ids))
    ]

    event = repository.event_item(request_id, "request.submitted", now, actor="applicant",
                                  data={"reference": reference,
                                        "connections": len(request.connections)})
    return repository.NewRequest(request=request_item, connections=connections,
                                 operators=operators, event=event)
