"""Shared fixtures: the local platform built from template.yaml on moto, served over HTTP."""

import copy
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cmh.outbox import Outbox
from cmh.platform import Platform
from cmh.runtime import LocalRuntime

ROOT = Path(__file__).resolve().parent.parent

VALID_REQUEST: dict[str, Any] = {
    "applicant": {"first_name": "Élise", "last_name": "Dupont", "email": "elise@example.org",
                  "phone": "0470 12 34 56", "language": "fr"},
    "site": {"street": "Rue de la Station", "house_number": "12", "box": "B",
             "postal_code": "7000", "municipality": "Mons"},
    "project": "new_build",
    "connections": [
        {"utility": "electricity", "meters": 1, "power_kva": 9.2, "phases": 1},
        {"utility": "gas", "meters": 1},
        {"utility": "water", "meters": 1},
        {"utility": "telecom", "operator": "proximus"},
        {"utility": "telecom", "operator": "voo"},
    ],
    "consent": True,
    "notes": "Accès par l'arrière du terrain.",
}


def valid_request(**changes: Any) -> dict[str, Any]:
    """Return a deep copy of the valid Mons request with top-level keys replaced."""
    body = copy.deepcopy(VALID_REQUEST)
    body.update(changes)
    return body


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class LocalApi:
    base_url: str
    runtime: LocalRuntime

    @property
    def platform(self) -> Platform:
        return self.runtime.platform

    @property
    def outbox(self) -> Outbox:
        return self.runtime.outbox

    def admin_headers(self, groups: tuple[str, ...] = ("admins",)) -> dict[str, str]:
        token = self.runtime.auth.issue("case.manager@example.org", list(groups))
        return {"Authorization": f"Bearer {token}"}

    def call(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None,
             raw: bytes | None = None) -> Reply:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None
                                            else None)
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        if data is not None and raw is None:
            request.add_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return Reply(answer.status, dict(answer.headers), answer.read())
        except urllib.error.HTTPError as error:
            return Reply(error.code, dict(error.headers), error.read())

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Reply:
        return self.call("POST", path, body, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Reply:
        return self.call("GET", path, **kwargs)

    def emails_for(self, request_id: str) -> list[dict[str, Any]]:
        return self.get(f"/_local/outbox?request_id={request_id}").json()["emails"]


def file_request(api: "LocalApi", body: dict[str, Any] | None = None) -> dict[str, Any]:
    reply = api.post("/requests", body or valid_request())
    assert reply.status == 201, reply.body
    return reply.json()


def wait_for(condition: Callable[[], Any], timeout: float = 30.0,
             interval: float = 0.05) -> Any:
    """Poll `condition` until it returns a true value; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout} s")
        time.sleep(interval)


@pytest.fixture(scope="session")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalApi]:
    """The whole local platform, as `cmh serve` runs it, on a free loopback port.

    Its operator registry adds a fifth operator, FibreCo (telecom in Mons and Namur), by
    configuration alone.
    """
    runtime = LocalRuntime(root=ROOT, state_dir=tmp_path_factory.mktemp("state"), port=0,
                           operators_file=ROOT / "tests" / "data" / "operators.json",
                           schedule_seconds=1.0,
                           parameters={"DeliveryRetryIntervalSeconds": "1",
                                       "AcceptWorksReportsBeforeWorksDay": "true"})
    runtime.start(background=True)
    try:
        yield LocalApi(f"http://127.0.0.1:{runtime.port}", runtime)
    finally:
        runtime.stop()
