"""Happy-path requests driven through the local platform's HTTP API, many at once.

Each request goes the way of `cmh demo`'s joint scenario: filed by the customer, surveyed by
the case manager, quoted by the four simulated operators, accepted by the customer, planned
with every crew, worked and closed. The robot customer and case manager act as soon as they
can: the case manager records the survey once the request waits for it, the customer accepts
once the offer email is sent. The driver learns that by reading moto's stores directly
(`Peek`), never through the platform's API, so that watching does not add to what is metered.
"""

import json
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from cmh.demo import demo_request
from cmh.platform import ACCOUNT_ID, REGION
from cmh.runtime import LocalRuntime
from connectmyhome.emails import EMAIL_HEADER, REQUEST_HEADER

REQUESTS_TABLE = "RequestsTable"
POLL_SECONDS = 0.02
# Each waiting request is looked at again after this long, or longer when many wait, so that
# watching costs the platform little: about PEEKS_PER_SECOND look-ups in all.
PEEK_SECONDS = 0.05
PEEKS_PER_SECOND = 400
# How often the driver counts the requests that are done.
COUNT_SECONDS = 0.25


def _can_go_on(journey: "Journey") -> bool:
    """Return whether a request's robot acts next: the survey once acknowledged, the decision
    once offered."""
    if journey.done:
        return False
    if not journey.surveyed:
        return journey.emails["acknowledgement"] > 0
    return not journey.decided and journey.emails["offer"] > 0


class WorkloadError(Exception):
    pass


class Peek:
    """Reads the platform's state from moto's stores, outside the metered API."""

    def __init__(self) -> None:
        from moto.dynamodb.models import dynamodb_backends
        from moto.ses.models import ses_backends

        self._dynamodb = dynamodb_backends[ACCOUNT_ID][REGION]
        self._ses = ses_backends[ACCOUNT_ID][REGION]
        self._seen = 0

    def item(self, key: dict[str, str]) -> dict[str, Any] | None:
        from cmh import serialise

        wire = {name: {"S": value} for name, value in key.items()}
        with serialise._lock:
            found = self._dynamodb.get_item(REQUESTS_TABLE, wire)
        return None if found is None else found.to_json()["Attributes"]

    def waits(self, request_id: str, step: str, party: str) -> bool:
        return self.item({"PK": f"REQUEST#{request_id}", "SK": f"TASK#{step}#{party}"}) is not None

    def status(self, request_id: str) -> str | None:
        item = self.item({"PK": f"REQUEST#{request_id}", "SK": "REQUEST"})
        return None if item is None else item["status"]["S"]

    def new_emails(self) -> list[tuple[str, str]]:
        """Return (request id, email name) of each email sent since the last call."""
        found = []
        sent = self._ses.sent_messages
        while self._seen < len(sent):
            message = sent[self._seen]
            self._seen += 1
            raw = getattr(message, "raw_data", None)
            if raw is None:
                continue
            headers = _headers(raw, (REQUEST_HEADER, EMAIL_HEADER))
            found.append((headers.get(REQUEST_HEADER, ""), headers.get(EMAIL_HEADER, "")))
        return found


def _headers(raw: str, names: tuple[str, ...]) -> dict[str, str]:
    """Return the values of the named headers of a raw message (short, unfolded ones)."""
    names_by_lower = {name.lower(): name for name in names}
    values = {}
    for line in raw.split("\r\n\r\n", 1)[0].split("\r\n"):
        name, _, value = line.partition(":")
        if name.lower() in names_by_lower:
            values[names_by_lower[name.lower()]] = value.strip()
    return values


@dataclass
class Journey:
    """One request's way through the platform, with the time of each step."""

    number: int
    request_id: str = ""
    reference: str = ""
    token: str = ""
    sent_at: float = 0.0
    filed_at: float = 0.0
    emails: Counter[str] = field(default_factory=Counter)
    email_at: dict[str, float] = field(default_factory=dict)
    surveyed: bool = False
    decided: bool = False
    error: str = ""
    next_peek: float = 0.0
    # (action, HTTP status) of each call the robots made for this request.
    actions: list[tuple[str, int]] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return self.emails["closing"] > 0 or bool(self.error)

    def note_email(self, name: str, at: float) -> None:
        self.emails[name] += 1
        self.email_at.setdefault(name, at)

    def milliseconds(self, email_name: str) -> float | None:
        at = self.email_at.get(email_name)
        return None if at is None else (at - self.filed_at) * 1000


class Workload:
    """Files requests on a running LocalRuntime and drives each to its closing email."""

    def __init__(self, runtime: LocalRuntime, workers: int = 16) -> None:
        self.runtime = runtime
        self.base_url = f"http://127.0.0.1:{runtime.port}"
        self.admin_token = runtime.admin_token()
        self.peek = Peek()
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bench-client")
        self.journeys: dict[str, Journey] = {}
        # Emails of requests whose filing response has not come back yet, by request id.
        self.early_emails: dict[str, list[tuple[str, float]]] = {}
        self._lock = threading.Lock()
        self._body = json.dumps(demo_request(date.today())).encode()
        # Called with a journey and the stage it reached: "survey_pending", "offer_sent",
        # "completed"; the seeding takes its snapshots there.
        self.on_stage: Callable[[Journey, str], None] | None = None
        self._numbers = iter(range(1, 10**9))
        # Requests whose robot may act once the platform waits for it, by request id.
        self._waiting: dict[str, Journey] = {}

    def close(self) -> None:
        self.pool.shutdown(wait=True)

    # --- HTTP --------------------------------------------------------------------------

    def call(self, method: str, path: str, body: bytes | None = None,
             headers: dict[str, str] | None = None) -> tuple[int, Any]:
        """Make one HTTP call; a call that gets no response at all returns status 0."""
        request = urllib.request.Request(self.base_url + path, data=body, method=method,
                                         headers={"Content-Type": "application/json",
                                                  **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=120) as answer:
                return answer.status, json.loads(answer.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")
        except OSError as error:
            return 0, {"error": f"{type(error).__name__}: {error}"}

    def file(self) -> Journey:
        """File one request and wait for its response (HTTP 201)."""
        journey = Journey(number=next(self._numbers))
        journey.sent_at = time.monotonic()
        status, answer = self.call("POST", "/requests", self._body,
                                   {"Idempotency-Key": f"bench-{time.time_ns()}-{journey.number}"})
        journey.filed_at = time.monotonic()
        if status != 201:
            raise WorkloadError(f"POST /requests returned HTTP {status}: {answer}")
        journey.request_id = answer["request_id"]
        journey.reference = answer["reference"]
        journey.token = answer["tracking_url"].split("#token=", 1)[1]
        with self._lock:
            self.journeys[journey.request_id] = journey
            for name, at in self.early_emails.pop(journey.request_id, []):
                self._note(journey, name, at)
        return journey

    def _record_survey(self, journey: Journey) -> None:
        status, answer = self.call(
            "POST", f"/admin/requests/{journey.request_id}/survey",
            json.dumps({"joint_works_feasible": True, "notes": "Visite faite."}).encode(),
            {"Authorization": f"Bearer {self.admin_token}"})
        journey.actions.append(("survey", status))
        if status != 202:
            journey.error = f"survey: HTTP {status}: {answer}"

    def _accept(self, journey: Journey) -> None:
        status, answer = self.call("POST", f"/requests/{journey.request_id}/decision",
                                   json.dumps({"decision": "accept"}).encode(),
                                   {"Authorization": f"Bearer {journey.token}"})
        journey.actions.append(("decision", status))
        if status != 202:
            journey.error = f"decision: HTTP {status}: {answer}"

    # --- driving -----------------------------------------------------------------------

    def step(self) -> None:
        """Note the emails sent since the last step; act for every request that can go on."""
        now = time.monotonic()
        with self._lock:
            for request_id, name in self.peek.new_emails():
                journey = self.journeys.get(request_id)
                if journey is None:
                    self.early_emails.setdefault(request_id, []).append((name, now))
                else:
                    self._note(journey, name, now)

        interval = max(PEEK_SECONDS, len(self._waiting) / PEEKS_PER_SECOND)
        for journey in list(self._waiting.values()):
            if not _can_go_on(journey):
                self._waiting.pop(journey.request_id, None)
                continue
            if journey.next_peek > now:
                continue
            journey.next_peek = now + interval
            if not journey.surveyed:
                if self.peek.waits(journey.request_id, "site_survey", "case_manager"):
                    journey.surveyed = True
                    self._waiting.pop(journey.request_id, None)
                    self._reached(journey, "survey_pending")
                    self.pool.submit(self._record_survey, journey)
            elif self.peek.waits(journey.request_id, "decision", "customer"):
                journey.decided = True
                self._waiting.pop(journey.request_id, None)
                self._reached(journey, "offer_sent")
                self.pool.submit(self._accept, journey)

    def _note(self, journey: Journey, name: str, at: float) -> None:
        """Note an email; a request may then wait for its survey or its decision."""
        journey.note_email(name, at)
        if _can_go_on(journey):
            self._waiting[journey.request_id] = journey

    def _reached(self, journey: Journey, stage: str) -> None:
        if self.on_stage is not None:
            self.on_stage(journey, stage)

    def drive(self, journeys: list[Journey], timeout_seconds: float,
              on_progress: Callable[[int, int], None] | None = None) -> None:
        """Act for `journeys` until each has its closing email or `timeout_seconds` pass."""
        deadline = time.monotonic() + timeout_seconds
        last_report = 0.0
        last_count = 0.0
        while time.monotonic() < deadline:
            self.step()
            if time.monotonic() - last_count > COUNT_SECONDS:
                last_count = time.monotonic()
                finished = sum(1 for journey in journeys if journey.done)
                if on_progress is not None and time.monotonic() - last_report > 5:
                    last_report = time.monotonic()
                    on_progress(finished, len(journeys))
                if finished == len(journeys):
                    return
            time.sleep(POLL_SECONDS)
        raise WorkloadError(f"{sum(1 for j in journeys if not j.done)} of {len(journeys)} "
                            f"requests not completed after {timeout_seconds:.0f} s")

    def settle(self, seconds: float = 0.5) -> None:
        """Wait until no email has been sent for `seconds`: late duplicates would show."""
        quiet_since = time.monotonic()
        while time.monotonic() - quiet_since < seconds:
            before = sum(sum(j.emails.values()) for j in self.journeys.values())
            self.step()
            if sum(sum(j.emails.values()) for j in self.journeys.values()) != before:
                quiet_since = time.monotonic()
            time.sleep(POLL_SECONDS)

    def file_many(self, count: int) -> list[Journey]:
        """File `count` requests at once from the client pool; return them in filing order."""
        futures = [self.pool.submit(self.file) for _ in range(count)]
        return [future.result() for future in futures]
