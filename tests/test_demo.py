"""`cmh demo` as a user runs it: a fresh platform in its own process, exit status 0."""

import email
import email.policy
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import icalendar
import pytest

from cmh.simulators import available_days
from conftest import ROOT
from connectmyhome.working_days import is_working_day

SCENARIO_EMAILS = {
    "joint": ["acknowledgement", "offer", "appointment", "closing"],
    "handover": ["acknowledgement", "handover"],
    "decline": ["acknowledgement", "offer", "declined"],
    "expiry": ["acknowledgement", "offer", "expired"],
    "rejected_day": ["acknowledgement", "offer", "appointment", "closing"],
}


def run_demo(state: Path, scenario: str) -> subprocess.CompletedProcess[str]:
    cmh = Path(sys.executable).parent / "cmh"
    return subprocess.run([str(cmh), "demo", "--scenario", scenario, "--state", str(state)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)


def outbox_emails(state: Path, scenario: str) -> list[email.message.EmailMessage]:
    paths = sorted((state / scenario / "outbox").glob("*.eml"))
    return [email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            for path in paths]


# The other scenarios run in process in test_lifecycle.py; these two also prove the command.
@pytest.mark.parametrize("scenario", ["handover", "rejected_day"])
def test_demo_scenario_succeeds(tmp_path: Path, scenario: str) -> None:
    result = run_demo(tmp_path, scenario)

    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "Timeline:" in result.stdout
    names = [message["X-Connect-My-Home-Email"] for message in outbox_emails(tmp_path, scenario)]
    assert names == SCENARIO_EMAILS[scenario]


def test_demo_completes_with_calendar(tmp_path: Path) -> None:
    result = run_demo(tmp_path, "joint")
    assert result.returncode == 0, result.stderr[-2000:]
    names = [message["X-Connect-My-Home-Email"] for message in outbox_emails(tmp_path, "joint")]
    assert names == SCENARIO_EMAILS["joint"]
    appointment = next(message for message in outbox_emails(tmp_path, "joint")
                       if message["X-Connect-My-Home-Email"] == "appointment")

    attachment = next(part for part in appointment.iter_attachments()
                      if part.get_content_type() == "text/calendar")
    calendar = icalendar.Calendar.from_ical(attachment.get_content())
    event = next(iter(calendar.walk("VEVENT")))
    day = event.decoded("DTSTART")

    assert isinstance(day, date)
    assert is_working_day(day)
    assert day <= date.today() + timedelta(weeks=6)
    assert day.isoformat() in available_days(date.today())
    assert "Status: completed" in result.stdout
