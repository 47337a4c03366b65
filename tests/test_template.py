"""template.yaml: it lints, SAM validates it, and its policies and table settings hold."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cmh.template import function_properties, load, resources_of_type
from conftest import ROOT

TEMPLATE = load(ROOT / "template.yaml")
BIN = Path(sys.executable).parent
# Callback task tokens cannot be scoped by IAM, so only these actions may take Resource "*".
TOKEN_ACTIONS = {"states:SendTaskSuccess", "states:SendTaskFailure"}


def tool(name: str) -> str:
    path = BIN / name
    found = str(path) if path.exists() else shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed; run make setup")
    return found


def test_cfn_lint_passes() -> None:
    result = subprocess.run([tool("cfn-lint"), str(ROOT / "template.yaml")],
                            capture_output=True, text=True, check=False)

    assert result.returncode == 0, result.stdout + result.stderr


def test_sam_validate_lint_passes() -> None:
    environment = {**os.environ, "SAM_CLI_TELEMETRY": "0"}
    result = subprocess.run([tool("sam"), "validate", "--lint", "--region", "eu-west-1"],
                            cwd=ROOT, capture_output=True, text=True, check=False,
                            env=environment)

    assert result.returncode == 0, result.stdout + result.stderr


def test_requests_table_protected() -> None:
    properties = TEMPLATE["Resources"]["RequestsTable"]["Properties"]

    assert properties["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert properties["DeletionProtectionEnabled"] is True
    assert TEMPLATE["Resources"]["RequestsTable"]["DeletionPolicy"] == "Retain"


def policy_statements(name: str) -> list[dict]:
    statements = []
    for policy in function_properties(TEMPLATE, name).get("Policies", []):
        if isinstance(policy, dict) and "Statement" in policy:
            statements.extend(policy["Statement"])
    return statements


@pytest.mark.parametrize("name", sorted(resources_of_type(TEMPLATE, "AWS::Serverless::Function")))
def test_function_policy_is_scoped(name: str) -> None:
    statements = policy_statements(name)

    assert statements, f"{name} has no policy statement"
    for statement in statements:
        actions = statement["Action"] if isinstance(statement["Action"], list) \
            else [statement["Action"]]
        assert all("*" not in action for action in actions), statement
        if set(actions) <= TOKEN_ACTIONS:
            continue
        assert statement["Resource"] != "*", statement


def test_only_intake_and_admin_start_executions() -> None:
    starters = [name for name in resources_of_type(TEMPLATE, "AWS::Serverless::Function")
                if any("states:StartExecution" in str(statement["Action"])
                       for statement in policy_statements(name))]

    assert starters == ["IntakeFunction", "AdminFunction"]


def test_every_task_retries_and_catches() -> None:
    import json

    text = (ROOT / "statemachine" / "request.asl.json").read_text()
    definition = json.loads(re.sub(r"\$\{\w+\}", "1", text))

    states = dict(definition["States"])
    for state in definition["States"].values():
        states.update(state.get("ItemProcessor", {}).get("States", {}))
    for name, state in states.items():
        if state["Type"] != "Task":
            continue
        assert state.get("Retry"), f"{name} has no Retry"
        if name not in ("RecordFailure", "AlertUndelivered"):
            assert state.get("Catch"), f"{name} has no Catch"


def test_callback_waits_have_timeouts() -> None:
    text = (ROOT / "statemachine" / "request.asl.json").read_text()

    for match in re.finditer(r'"Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken"',
                             text):
        following = text[match.end():match.end() + 1500]
        assert "TimeoutSeconds" in following
