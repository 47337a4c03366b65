"""`cmh demo` as a user runs it: a fresh platform in its own process, exit status 0."""

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT


@pytest.mark.parametrize(("scenario", "email"), [("joint", "Offer email"),
                                                 ("handover", "Hand-over email")])
def test_demo_reaches_final_email(tmp_path: Path, scenario: str, email: str) -> None:
    cmh = Path(sys.executable).parent / "cmh"

    result = subprocess.run([str(cmh), "demo", "--scenario", scenario, "--state",
                             str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                            timeout=120, check=False)

    assert result.returncode == 0, result.stderr[-2000:]
    assert email in result.stdout
    assert "Timeline:" in result.stdout
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 2
