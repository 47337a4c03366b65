"""Operator simulators of the local platform.

Each partner operator gets an endpoint, `/_local/simulators/<operator_id>/webhooks`, that the
platform's outbound webhooks reach. A simulator verifies the signature with the operator's
real secret, then answers through the platform's real inbound endpoint
(`/operators/<operator_id>/webhooks`) with a real signature, as its behaviour says:

- quote: a quote for each of its connections (standard telecom connections at 0 €);
- decline: quote.declined, reason not_feasible;
- needs_extension: a quote that needs a network extension;
- slow: a quote after `delay_seconds`;
- silent: no answer at all, to any event;
- invalid_payload: a quote with a negative price, which the platform rejects (422);
- failing: the endpoint answers 503, so deliveries fail.

For the works day, `works_day` is "accept" (the proposed day), "reject_once" (reject the
first proposal, offering its other available days), "reject" (reject every proposal) or
"silent"; and `works` is "complete" (report works.completed, with EAN codes, as soon as the
day is confirmed), "fail" or "silent".

The prices are made up for the demonstration; they are not any operator's tariff.
"""

import hashlib
import json
import logging
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from connectmyhome import webhooks, working_days

logger = logging.getLogger("cmh.simulators")

BEHAVIOURS = ("quote", "decline", "needs_extension", "slow", "silent", "invalid_payload",
              "failing")
WORKS_DAY_BEHAVIOURS = ("accept", "reject_once", "reject", "silent")
WORKS_BEHAVIOURS = ("complete", "fail", "silent")
DEFAULT_SLOW_SECONDS = 5.0
# Made-up unit prices in euro cents, per utility, for the demonstration.
DEMO_PRICES = {"electricity": 145_000, "gas": 98_000, "water": 132_000, "telecom": 0}
DEMO_METER_PRICE = 9_500
VALIDITY_DAYS = 90


@dataclass
class Simulator:
    operator_id: str
    secret: str
    behaviour: str = "quote"
    delay_seconds: float = 0.0
    works_day: str = "accept"
    works: str = "complete"
    rejections: int = 0
    received: list[dict[str, Any]] = field(default_factory=list)
    replies: list[dict[str, Any]] = field(default_factory=list)
    utilities_by_request: dict[str, list[str]] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        return {"operator_id": self.operator_id, "secret": self.secret,
                "behaviour": self.behaviour, "delay_seconds": self.delay_seconds,
                "works_day": self.works_day, "works": self.works,
                "received": self.received, "replies": self.replies}


def quote_lines(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Build made-up quote lines for the connections of a quote.requested event."""
    vat_rate = 6 if data.get("project") == "renovation" else 21
    lines = []
    for connection in data.get("connections", []):
        utility = connection["utility"]
        label = {"electricity": "Raccordement électricité standard",
                 "gas": "Raccordement gaz naturel standard",
                 "water": "Raccordement eau standard",
                 "telecom": "Raccordement standard"}[utility]
        lines.append({"label": label, "quantity": "1",
                      "unit_price_cents": DEMO_PRICES[utility], "vat_rate": vat_rate})
        meters = int(connection.get("meters", 1))
        if utility in ("electricity", "gas", "water") and meters > 1:
            lines.append({"label": "Compteur supplémentaire", "quantity": str(meters - 1),
                          "unit_price_cents": DEMO_METER_PRICE, "vat_rate": vat_rate})
    return lines


def demo_ean(request_id: str, utility: str) -> str:
    """Make a valid-looking Belgian EAN (GSRN) for a demonstration meter."""
    digest = hashlib.sha256(f"{request_id}:{utility}".encode()).hexdigest()
    seed = int(digest, 16) % 10**15
    body = f"541{seed:015d}"[:17]
    total = sum(int(digit) * (3 if index % 2 == 0 else 1)
                for index, digit in enumerate(reversed(body)))
    return body + str((10 - total % 10) % 10)


def available_days(today: date, count: int = 30) -> list[str]:
    """Return `count` working days from two weeks ahead, when the demo crews can come."""
    days = []
    day = working_days.add_working_days(today, 10)
    while len(days) < count:
        days.append(day.isoformat())
        day = working_days.add_working_days(day, 1)
    return days


class Simulators:
    def __init__(self, platform_base_url: str, secrets: dict[str, str]) -> None:
        self.platform_base_url = platform_base_url
        self.simulators = {operator_id: Simulator(operator_id, secret)
                           for operator_id, secret in secrets.items()}
        self._lock = threading.Lock()

    def configure(self, operator_id: str, behaviour: str | None = None,
                  delay_seconds: float | None = None, works_day: str | None = None,
                  works: str | None = None) -> Simulator:
        for value, allowed, name in ((behaviour, BEHAVIOURS, "behaviour"),
                                     (works_day, WORKS_DAY_BEHAVIOURS, "works_day"),
                                     (works, WORKS_BEHAVIOURS, "works")):
            if value is not None and value not in allowed:
                raise ValueError(f"unknown {name} {value!r}; expected one of "
                                 f"{', '.join(allowed)}")
        simulator = self.simulators[operator_id]
        simulator.works_day = works_day or simulator.works_day
        simulator.works = works or simulator.works
        simulator.rejections = 0
        simulator.behaviour = behaviour or simulator.behaviour
        if delay_seconds is not None:
            simulator.delay_seconds = float(delay_seconds)
        elif behaviour == "slow" and not simulator.delay_seconds:
            simulator.delay_seconds = DEFAULT_SLOW_SECONDS
        return simulator

    def describe(self) -> dict[str, Any]:
        with self._lock:
            return {operator_id: simulator.describe()
                    for operator_id, simulator in sorted(self.simulators.items())}

    def receive(self, operator_id: str, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
        """Take one outbound webhook; return the HTTP status and body the operator answers."""
        simulator = self.simulators.get(operator_id)
        if simulator is None:
            return 404, {"error": f"no simulator for operator {operator_id!r}"}
        try:
            webhooks.verify([simulator.secret], body, headers)
        except webhooks.InvalidSignatureError as error:
            logger.warning("Simulator %s rejected a webhook: %s", operator_id, error)
            return 401, {"error": "invalid signature"}

        event = json.loads(body)
        lowered = {name.lower(): value for name, value in headers.items()}
        with self._lock:
            simulator.received.append({"webhook_id": lowered.get("webhook-id"),
                                       "type": event["type"],
                                       "request_id": event["data"].get("request_id"),
                                       "at": time.time()})
        if simulator.behaviour == "failing":
            return 503, {"error": "simulated outage"}

        if simulator.behaviour == "silent":
            return 200, {"status": "received"}
        if event["type"] == "quote.requested":
            delay = simulator.delay_seconds if simulator.behaviour == "slow" else 0.0
            threading.Timer(delay, self._answer_quote, args=(simulator, event)).start()
        elif event["type"] == "works_day.proposed" and simulator.works_day != "silent":
            threading.Timer(0.0, self._answer_day, args=(simulator, event)).start()
        elif event["type"] == "works_day.confirmed" and simulator.works != "silent":
            threading.Timer(0.0, self._report_works, args=(simulator, event)).start()
        return 200, {"status": "received"}

    def _answer_day(self, simulator: Simulator, event: dict[str, Any]) -> None:
        data = event["data"]
        reject = simulator.works_day == "reject" or (
            simulator.works_day == "reject_once" and simulator.rejections == 0)
        if not reject:
            self.send(simulator, "works_day.accepted",
                      {"request_id": data["request_id"], "day": data["day"]})
            return

        simulator.rejections += 1
        alternatives = [day for day in available_days(date.today()) if day != data["day"]]
        self.send(simulator, "works_day.rejected",
                  {"request_id": data["request_id"], "day": data["day"],
                   "alternative_days": alternatives,
                   "reason": "Simulated: crew already booked that day."})

    def _report_works(self, simulator: Simulator, event: dict[str, Any]) -> None:
        data = event["data"]
        if simulator.works == "fail":
            self.send(simulator, "works.failed", {"request_id": data["request_id"],
                                                  "reason": "site_not_ready",
                                                  "message": "Simulated: sheaths missing."})
            return
        utilities = simulator.utilities_by_request.get(data["request_id"], [])
        meters = [{"utility": utility, "ean": demo_ean(data["request_id"], utility),
                   "meter_number": f"SIM-{utility[:2].upper()}-{index + 1:04d}"}
                  for index, utility in enumerate(utilities)
                  if utility in ("electricity", "gas", "water")]
        self.send(simulator, "works.completed", {"request_id": data["request_id"],
                                                 "meters": meters})

    def _answer_quote(self, simulator: Simulator, event: dict[str, Any]) -> None:
        data = event["data"]
        simulator.utilities_by_request[data["request_id"]] = [
            connection["utility"] for connection in data.get("connections", [])]
        today = date.today()
        if simulator.behaviour == "decline":
            reply = {"request_id": data["request_id"], "reason": "not_feasible",
                     "message": "Simulated decline."}
            self.send(simulator, "quote.declined", reply)
            return

        lines = quote_lines(data)
        if simulator.behaviour == "invalid_payload":
            lines[0]["unit_price_cents"] = -100
        reply = {"request_id": data["request_id"], "feasible": True,
                 "network_extension_required": simulator.behaviour == "needs_extension",
                 "lines": lines, "available_days": available_days(today),
                 "valid_until": (today + timedelta(days=VALIDITY_DAYS)).isoformat()}
        self.send(simulator, "quote.submitted", reply)

    def send(self, simulator: Simulator, event_type: str, data: dict[str, Any],
             webhook_id: str | None = None) -> tuple[int, Any]:
        """Sign and post an event to the platform's inbound endpoint, as the operator would."""
        # Random, not a clock reading: two replies in the same nanosecond would share an id,
        # and the platform would take the second for a repeat of the first.
        message_id = webhook_id or f"sim_{simulator.operator_id}_{uuid.uuid4().hex}"
        body = webhooks.encode_event(event_type, data)
        headers = webhooks.signature_headers([simulator.secret], message_id, body)
        url = f"{self.platform_base_url}/operators/{simulator.operator_id}/webhooks"
        request = urllib.request.Request(url, data=body, method="POST", headers={
            **headers, "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                status, reply = answer.status, json.loads(answer.read() or b"{}")
        except urllib.error.HTTPError as error:
            status, reply = error.code, json.loads(error.read() or b"{}")

        with self._lock:
            simulator.replies.append({"webhook_id": message_id, "type": event_type,
                                      "request_id": data.get("request_id"), "status": status,
                                      "reply": reply, "at": time.time()})
        logger.info("Simulator %s sent %s: HTTP %s", simulator.operator_id, event_type, status)
        return status, reply
