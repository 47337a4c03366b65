"""`cmh demo`: one request through a fresh local platform, printed as a timeline.

Scenarios:
- "joint": every simulated operator quotes, the customer accepts the offer, every crew
  accepts the works day and reports its works: the request is completed;
- "handover": SWDE declines to quote, so the request is handed over to each operator;
- "decline": the customer declines the offer;
- "expiry": the customer does not answer before the offer expires (shortened to seconds);
- "rejected_day": ORES rejects the first works day, and a second round finds another.
The exit status is 0 only when the scenario's emails, one of each, are in the outbox.
"""

import json
import sys
import time
import urllib.error
import urllib.request
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from connectmyhome import working_days

from .runtime import LocalRuntime

WAIT_SECONDS = 60
SCENARIOS = ("joint", "handover", "decline", "expiry", "rejected_day")
# The emails each scenario ends with, one of each.
EXPECTED_EMAILS = {
    "joint": ("acknowledgement", "offer", "appointment", "closing"),
    "handover": ("acknowledgement", "handover"),
    "decline": ("acknowledgement", "offer", "declined"),
    "expiry": ("acknowledgement", "offer", "expired"),
    "rejected_day": ("acknowledgement", "offer", "appointment", "closing"),
}
EXPIRY_SECONDS = 3


class DemoError(Exception):
    pass


def demo_request(today: date) -> dict[str, Any]:
    """Build a request for a real address in Mons, with five connections and future dates."""
    start = working_days.add_working_days(today, 15)
    return {
        "applicant": {"first_name": "Élise", "last_name": "Dupont",
                      "email": "elise.dupont@example.org", "phone": "0470 12 34 56",
                      "language": "fr"},
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
        "preferred_period": {"from": start.isoformat(),
                             "to": (start + timedelta(weeks=4)).isoformat()},
        "unavailable_days": [working_days.add_working_days(start, 2).isoformat()],
        "consent": True,
        "notes": "Accès par l'arrière du terrain.",
    }


class Demo:
    """One scenario, driven only through the platform's HTTP endpoints."""

    def __init__(self, base_url: str, admin_token: str) -> None:
        self.base_url = base_url
        self.admin_token = admin_token
        self.started = time.monotonic()

    def say(self, text: str) -> None:
        print(f"{time.monotonic() - self.started:7.2f} s  {text}", flush=True)

    def call(self, method: str, path: str, body: Any = None,
             headers: dict[str, str] | None = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base_url + path, data=data, method=method,
                                         headers={"Content-Type": "application/json",
                                                  **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return answer.status, json.loads(answer.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def wait(self, description: str, condition: Any) -> Any:
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            time.sleep(0.1)
        raise DemoError(f"timed out after {WAIT_SECONDS} s waiting for {description}")

    def emails(self, request_id: str, name: str) -> list[dict[str, Any]]:
        return [entry for entry in self.outbox(request_id) if entry["email"] == name]

    def outbox(self, request_id: str) -> list[dict[str, Any]]:
        status, answer = self.call("GET", f"/_local/outbox?request_id={request_id}")
        if status != 200:
            raise DemoError(f"the outbox returned HTTP {status}: {answer}")
        return answer["emails"]

    def configure(self, operator_id: str, **settings: Any) -> None:
        status, answer = self.call("PUT", f"/_local/simulators/{operator_id}", settings)
        if status != 200:
            raise DemoError(f"configuring the {operator_id} simulator returned HTTP "
                            f"{status}: {answer}")

    def tracking(self, tracking_url: str) -> dict[str, Any]:
        """Read the tracking answer that the link's page shows, with the link's token."""
        request_id = tracking_url.split("request=", 1)[1].split("#", 1)[0]
        token = tracking_url.split("#token=", 1)[1]
        status, answer = self.call("GET", f"/requests/{request_id}",
                                   headers={"Authorization": f"Bearer {token}"})
        if status != 200:
            raise DemoError(f"tracking link returned HTTP {status}: {answer}")
        return answer

    def run(self, scenario: str) -> int:
        status, filed = self.call("POST", "/requests", demo_request(date.today()),
                                  headers={"Idempotency-Key": f"demo-{time.time_ns()}"})
        if status != 201:
            raise DemoError(f"POST /requests returned HTTP {status}: {filed}")
        request_id = filed["request_id"]
        token = filed["tracking_url"].split("token=", 1)[1]
        self.say(f"Request filed: {filed['reference']} (Mons, five connections), HTTP 201")

        acknowledgement = self.wait_email(request_id, "acknowledgement")
        self.say(f"Acknowledgement email: \"{acknowledgement['subject']}\"")

        def survey_awaited() -> dict[str, Any] | None:
            answer = self.tracking(filed["tracking_url"])
            return answer if answer["status"] == "survey_pending" else None

        view = self.wait("the site survey step", survey_awaited)
        manager = view["case_manager"]
        self.say(f"Case manager assigned: {manager['name']} ({manager['phone']}); "
                 "waiting for the site survey")
        self.record_survey(request_id)

        if scenario == "handover":
            handover = self.wait_email(request_id, "handover")
            self.print_replies(request_id)
            self.say(f"Hand-over email: \"{handover['subject']}\"")
            return self.finish(filed, scenario)

        offer = self.wait_email(request_id, "offer")
        self.print_replies(request_id)
        self.say(f"Offer email: \"{offer['subject']}\"")
        self.print_offer(self.tracking(filed["tracking_url"]))

        if scenario == "expiry":
            expired = self.wait_email(request_id, "expired")
            self.say(f"No answer: the offer expired. Email: \"{expired['subject']}\"")
            return self.finish(filed, scenario)

        decision = "decline" if scenario == "decline" else "accept"
        status, answer = self.call("POST", f"/requests/{request_id}/decision",
                                   {"decision": decision},
                                   headers={"Authorization": f"Bearer {token}"})
        if status != 202:
            raise DemoError(f"the decision returned HTTP {status}: {answer}")
        self.say(f"The customer chose to {decision} the offer, HTTP 202")

        if scenario == "decline":
            declined = self.wait_email(request_id, "declined")
            self.say(f"Decline confirmed. Email: \"{declined['subject']}\"")
            return self.finish(filed, scenario)

        appointment = self.wait_email(request_id, "appointment")
        view = self.tracking(filed["tracking_url"])
        rounds = [entry for entry in view["timeline"] if entry["type"] == "works_day.planned"]
        self.say(f"Works day set after {len(rounds)} round(s): {view['works_day']}. "
                 f"Email: \"{appointment['subject']}\"")
        closing = self.wait_email(request_id, "closing")
        self.say(f"Every operator reported its works. Email: \"{closing['subject']}\"")
        return self.finish(filed, scenario)

    def wait_email(self, request_id: str, name: str) -> dict[str, Any]:
        return self.wait(f"the {name} email", lambda: self.emails(request_id, name))[0]

    def record_survey(self, request_id: str) -> None:
        token = self.admin_token
        status, answer = self.call("POST", f"/admin/requests/{request_id}/survey",
                                   {"joint_works_feasible": True,
                                    "notes": "Visite faite, tranchée commune possible."},
                                   headers={"Authorization": f"Bearer {token}"})
        if status != 202:
            raise DemoError(f"recording the survey returned HTTP {status}: {answer}")
        self.say("Site survey recorded by the case manager, HTTP 202; quotes requested")

    def print_replies(self, request_id: str) -> None:
        _, simulators = self.call("GET", "/_local/simulators")
        for operator_id, simulator in sorted(simulators.items()):
            for reply in simulator["replies"]:
                if reply["request_id"] == request_id and reply["type"].startswith("quote."):
                    self.say(f"  {operator_id:9} answered {reply['type']}: HTTP {reply['status']}")

    def print_offer(self, view: dict[str, Any]) -> None:
        offer = view["offer"]
        for item in offer["operators"]:
            print(f"{'':11}{item['name']:10} {item['total']:>14}")
        print(f"{'':11}{'Total':10} {offer['total']:>14}   valid until {offer['valid_until']}")

    def finish(self, filed: dict[str, Any], scenario: str) -> int:
        request_id = filed["request_id"]
        view = self.tracking(filed["tracking_url"])
        self.print_result(view)

        missing = [name for name in EXPECTED_EMAILS[scenario]
                   if len(self.emails(request_id, name)) != 1]
        if missing:
            raise DemoError(f"expected one email of each kind, not so for: {', '.join(missing)}")
        return 0

    def print_result(self, view: dict[str, Any]) -> None:
        print(f"\nStatus: {view['status']} ({view['status_label']}). {view['next_step']}")
        for reason in view.get("handover_reasons") or []:
            print(f"  {reason['name']}: {reason['cause']}")
        print("\nTimeline:")
        for entry in view["timeline"]:
            print(f"  {entry['at']}  {entry['label']}")
        print("\nEmails:")
        for entry in self.outbox(view["request_id"]):
            print(f"  {entry['email']:16} {entry['path']}")


def running_platform(state_dir: Path) -> tuple[str, str] | None:
    """Return the base URL and an admin token of a local platform started with `make run`."""
    from .auth import DevelopmentAuth

    try:
        state = json.loads((state_dir / "local.json").read_text(encoding="utf-8"))
        auth = DevelopmentAuth.load(state_dir / "dev-auth.json")
        with urllib.request.urlopen(state["base_url"] + "/_local/health", timeout=2) as answer:
            if answer.status != 200:
                return None
    except (OSError, ValueError, KeyError):
        return None
    return state["base_url"], auth.issue("demo.admin@example.org", ["admins"])


def run_demo(root: Path, state_dir: Path, scenario: str, platform_state: Path) -> int:
    """Run a scenario on the platform of `make run` if one answers, else on a fresh one.

    The expiry scenario always takes a fresh platform, whose wait for a decision is cut to
    seconds.
    """
    running = running_platform(platform_state) if scenario != "expiry" else None
    if running is not None:
        base_url, token = running
        print(f"Using the local platform running on {base_url} (scenario: {scenario})",
              flush=True)
        demo = Demo(base_url, token)
        try:
            _configure_scenario(demo, scenario)
            return demo.run(scenario)
        except DemoError as error:
            print(f"cmh demo failed: {error}", file=sys.stderr)
            return 1
        finally:
            _configure_scenario(demo, "reset")

    # The functions log JSON at ERROR only, so that the timeline stays readable. The
    # simulated crews report their works at once, weeks before the works day.
    parameters = {"LogLevel": "ERROR", "AcceptWorksReportsBeforeWorksDay": "true"}
    if scenario == "expiry":
        parameters["DecisionTimeoutSeconds"] = str(EXPIRY_SECONDS)
    print(f"Starting a fresh local platform (scenario: {scenario})...", flush=True)
    runtime = LocalRuntime(root=root, state_dir=state_dir / scenario, port=0,
                           parameters=parameters)
    runtime.start(background=True)
    try:
        demo = Demo(f"http://127.0.0.1:{runtime.port}", runtime.admin_token())
        _configure_scenario(demo, scenario)
        return demo.run(scenario)
    except DemoError as error:
        print(f"cmh demo failed: {error}", file=sys.stderr)
        return 1
    finally:
        runtime.stop()


def _configure_scenario(demo: Demo, scenario: str) -> None:
    """Set the simulators for a scenario; "reset" puts back every default."""
    if scenario == "handover":
        demo.configure("swde", behaviour="decline")
    elif scenario == "rejected_day":
        demo.configure("ores", works_day="reject_once")
    elif scenario == "reset":
        _, simulators = demo.call("GET", "/_local/simulators")
        for operator_id in simulators:
            demo.configure(operator_id, behaviour="quote", delay_seconds=0, works_day="accept",
                           works="complete")
