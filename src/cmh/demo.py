"""`cmh demo`: one request through a fresh local platform, printed as a timeline.

Scenario "joint": every simulated operator quotes and the customer gets one offer email.
Scenario "handover": SWDE declines and the customer gets one hand-over email instead.
The exit status is 0 only when that email is in the outbox.
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


class DemoError(Exception):
    pass


def demo_request(today: date) -> dict[str, Any]:
    """A request for a real address in Mons, with five connections and future dates."""
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
    def __init__(self, runtime: LocalRuntime) -> None:
        self.runtime = runtime
        self.base_url = f"http://127.0.0.1:{runtime.port}"
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
        return [entry for entry in self.runtime.outbox.listing(request_id)
                if entry["email"] == name]

    def tracking(self, tracking_url: str) -> dict[str, Any]:
        path = "/requests/" + tracking_url.split("/requests/", 1)[1]
        status, answer = self.call("GET", path)
        if status != 200:
            raise DemoError(f"tracking link answered {status}: {answer}")
        return answer

    def run(self, scenario: str) -> int:
        expected_email = "offer" if scenario == "joint" else "handover"
        status, filed = self.call("POST", "/requests", demo_request(date.today()),
                                  headers={"Idempotency-Key": f"demo-{time.time_ns()}"})
        if status != 201:
            raise DemoError(f"POST /requests answered {status}: {filed}")
        request_id = filed["request_id"]
        self.say(f"Request filed: {filed['reference']} (Mons, five connections), HTTP 201")

        acknowledgement = self.wait("the acknowledgement email",
                                    lambda: self.emails(request_id, "acknowledgement"))[0]
        self.say(f"Acknowledgement email: \"{acknowledgement['subject']}\"")

        def survey_awaited() -> dict[str, Any] | None:
            answer = self.tracking(filed["tracking_url"])
            return answer if answer["status"] == "survey_pending" else None

        view = self.wait("the site survey step", survey_awaited)
        manager = view["case_manager"]
        self.say(f"Case manager assigned: {manager['name']} ({manager['phone']}); "
                 "waiting for the site survey")

        token = self.runtime.admin_token()
        status, answer = self.call("POST", f"/admin/requests/{request_id}/survey",
                                   {"joint_works_feasible": True,
                                    "notes": "Visite faite, tranchée commune possible."},
                                   headers={"Authorization": f"Bearer {token}"})
        if status != 202:
            raise DemoError(f"recording the survey answered {status}: {answer}")
        self.say("Site survey recorded by the case manager, HTTP 202; quotes requested")

        final = self.wait(f"the {expected_email} email",
                          lambda: self.emails(request_id, expected_email))
        for operator_id, simulator in sorted(self.runtime.simulators.simulators.items()):
            for reply in simulator.replies:
                if reply["request_id"] == request_id:
                    self.say(f"  {operator_id:9} answered {reply['type']}: HTTP {reply['status']}")
        label = {"offer": "Offer", "handover": "Hand-over"}[expected_email]
        self.say(f"{label} email: \"{final[0]['subject']}\"")

        self.print_result(self.tracking(filed["tracking_url"]), final[0])
        count = len(self.emails(request_id, expected_email))
        if count != 1:
            raise DemoError(f"expected one {expected_email} email, found {count}")
        return 0

    def print_result(self, view: dict[str, Any], email: dict[str, Any]) -> None:
        print(f"\nStatus: {view['status']} ({view['status_label']})")
        if view.get("offer"):
            offer = view["offer"]
            for item in offer["operators"]:
                print(f"  {item['name']:10} {item['total']:>14}")
            print(f"  {'Total':10} {offer['total']:>14}   valid until {offer['valid_until']}")
        for reason in view.get("handover_reasons") or []:
            print(f"  {reason['name']}: {reason['cause']}")
        print("\nTimeline:")
        for entry in view["timeline"]:
            print(f"  {entry['at']}  {entry['label']}")
        print(f"\nEmail file: {email['path']}")
        print(f"Outbox: {self.runtime.outbox.folder}")


def run_demo(root: Path, state_dir: Path, scenario: str) -> int:
    behaviours = {"swde": "decline"} if scenario == "handover" else {}
    print(f"Starting a fresh local platform (scenario: {scenario})...", flush=True)
    # The functions log JSON at ERROR only, so that the timeline stays readable.
    runtime = LocalRuntime(root=root, state_dir=state_dir, port=0, behaviours=behaviours,
                           parameters={"LogLevel": "ERROR"})
    runtime.start(background=True)
    try:
        return Demo(runtime).run(scenario)
    except DemoError as error:
        print(f"cmh demo failed: {error}", file=sys.stderr)
        return 1
    finally:
        runtime.stop()
