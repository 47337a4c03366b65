"""Case managers: the one contact person of each request, assigned in turn."""

import json
import os
from dataclasses import asdict, dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from . import repository


@dataclass(frozen=True)
class CaseManager:
    id: str
    name: str
    email: str
    phone: str

    def as_item(self) -> dict[str, str]:
        return asdict(self)


@cache
def roster() -> tuple[CaseManager, ...]:
    """Read the case managers from the deployment's list, or the packaged sample list."""
    path = os.environ.get("CASE_MANAGERS_FILE")
    parameter = os.environ.get("CASE_MANAGERS_PARAMETER")
    document: Any
    if path:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    elif parameter:
        from aws_lambda_powertools.utilities import parameters

        document = parameters.get_parameter(parameter, transform="json")
    else:
        text = resources.files(__package__).joinpath("data/case_managers.json").read_text(
            encoding="utf-8")
        document = json.loads(text)

    managers = tuple(CaseManager(**entry) for entry in document["case_managers"])
    if not managers:
        raise ValueError("the case manager list is empty")
    return managers


def next_in_turn() -> CaseManager:
    """Pick the next case manager in turn, with an atomic counter shared by every Lambda."""
    answer = repository.table().update_item(
        Key={"PK": "COUNTER#case_manager", "SK": "turn"},
        UpdateExpression="ADD #value :one",
        ExpressionAttributeNames={"#value": "value"},
        ExpressionAttributeValues={":one": 1},
        ReturnValues="UPDATED_NEW",
    )
    managers = roster()
    return managers[(int(answer["Attributes"]["value"]) - 1) % len(managers)]


def assign(request_id: str) -> CaseManager:
    """Assign a case manager to the request, once: a retried step keeps the first choice."""
    request = repository.load_request(request_id)
    if request is None:
        raise KeyError(request_id)
    if request.get("case_manager"):
        return CaseManager(**request["case_manager"])

    manager = next_in_turn()
    repository.set_case_manager(request_id, manager.as_item())
    return manager
