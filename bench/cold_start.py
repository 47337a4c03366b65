"""Cold-start import time of every Lambda handler, against a minimal Powertools handler.

Run it from the repository root with the dev venv: `.venv/bin/python bench/cold_start.py`.
For each function of template.yaml it prints, as JSON, the median time to import the
handler module in a fresh interpreter and the median of the reference handler
(bench/reference/app.py) in the same run, with their ratio. It also lists the modules that
dominate the import and the import time that deferred imports move to the first invocation.

The handlers run in a runtime-only virtual environment like Lambda's (.bench/runtime): the
Lambda runtime's Python, src/requirements.txt and boto3 (which the runtime provides), and no
dev packages, because the dev venv's awscrt changes what botocore imports.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cmh.template import function_properties, load, resources_of_type

ROOT = Path(__file__).resolve().parent.parent
REFERENCE_DIR = Path("bench") / "reference"
RUNTIME_VENV = Path(".bench") / "runtime"
DOMINANT_COUNT = 5
REGION = "eu-west-1"

# Each measurement runs in a fresh interpreter: the clock starts after interpreter start-up.
_TIME_IMPORT = ("import sys, time\n"
                "start = time.perf_counter()\n"
                "__import__(sys.argv[1])\n"
                "print((time.perf_counter() - start) * 1000)\n")
_TIME_FIRST_CALL_IMPORTS = ("import sys, time\n"
                            "__import__(sys.argv[1])\n"
                            "start = time.perf_counter()\n"
                            "exec(sys.argv[2], {})\n"
                            "print((time.perf_counter() - start) * 1000)\n")
_IMPORTTIME_LINE = re.compile(r"import time:\s*(\d+) \|\s*(\d+) \|( +)(\S+)")


@dataclass(frozen=True)
class LambdaFunction:
    """One function of template.yaml, as the benchmark imports it."""

    name: str
    code_dir: Path
    module: str
    environment: dict[str, str]
    uses_aws: bool


def lambda_functions(root: Path) -> list[LambdaFunction]:
    """Read every AWS::Serverless::Function of template.yaml, with SAM's Globals applied.

    Environment values that the template computes (Ref, GetAtt, Sub) become the parameter's
    default where there is one, and a placeholder otherwise: importing a handler must not
    depend on them.
    """
    template = load(root / "template.yaml")
    defaults = {name: str(parameter["Default"])
                for name, parameter in template.get("Parameters", {}).items()
                if "Default" in parameter}

    functions = []
    for name in resources_of_type(template, "AWS::Serverless::Function"):
        properties = function_properties(template, name)
        code_dir = (root / properties["CodeUri"]).resolve()
        handler_module = properties["Handler"].rpartition(".")[0]
        environment = {
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_LAMBDA_FUNCTION_NAME": name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(properties.get("MemorySize", 128)),
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{properties.get('Runtime', 'python3')}",
            "LAMBDA_TASK_ROOT": str(code_dir),
            "_HANDLER": properties["Handler"],
        }
        for key, value in properties["Environment"]["Variables"].items():
            environment[key] = _placeholder(key, value, defaults)
        functions.append(LambdaFunction(
            name=name.removesuffix("Function"), code_dir=code_dir, module=handler_module,
            environment=environment, uses_aws=bool(properties.get("Policies"))))
    return functions


def _placeholder(key: str, value: Any, defaults: dict[str, str]) -> str:
    if not isinstance(value, dict | list):
        return str(value)
    if isinstance(value, dict) and value.get("Ref") in defaults:
        return defaults[value["Ref"]]
    return f"placeholder-{key.lower().replace('_', '-')}"


def import_environment(root: Path, code_dir: Path,
                       function: LambdaFunction) -> dict[str, str]:
    """Return the environment of a handler import: the template's variables and Lambda's path.

    Like Lambda, the function's own code comes first on the path, then the layer (src/).
    """
    return {
        "PATH": os.environ.get("PATH", os.defpath),
        "LANG": "C.UTF-8",
        "TZ": ":UTC",
        "PYTHONPATH": os.pathsep.join([str(code_dir), str(root / "src")]),
        **function.environment,
    }


def lazy_import_statements(handler_source: str) -> list[str]:
    """Return the import statements found inside the functions of a handler module, in order.

    Those run on the first invocation that reaches them, not when the module is imported.
    """
    tree = ast.parse(handler_source)
    statements: list[str] = []
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.Import | ast.ImportFrom):
                statement = ast.unparse(node)
                if statement not in statements:
                    statements.append(statement)
    return statements


def find_lambda_python(runtime: str) -> Path:
    """Find the interpreter of the Lambda runtime (e.g. python3.13): on PATH, then in pyenv.

    A name on PATH may be a pyenv shim that fails when that version is not selected, so each
    candidate must run. Without one the current interpreter is used, as the report shows.
    """
    candidates = []
    on_path = shutil.which(runtime)
    if on_path:
        candidates.append(Path(on_path))
    version = runtime.removeprefix("python")
    installed = (Path.home() / ".pyenv" / "versions").glob(f"{version}*/bin/{runtime}")
    candidates.extend(sorted(installed, key=_version_key, reverse=True))

    for candidate in candidates:
        check = subprocess.run([str(candidate), "-c", "pass"], capture_output=True,
                               check=False)
        if check.returncode == 0:
            return candidate
    return Path(sys.executable)


def _version_key(path: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", path.parent.parent.name))


def prepare_runtime(root: Path, python: Path,
                    progress: Callable[[str], None]) -> Path:
    """Create or reuse the runtime-only venv and return its interpreter.

    The venv is reused while its stamp is newer than src/requirements.txt and records the
    same base interpreter.
    """
    venv = root / RUNTIME_VENV
    stamp = venv / ".installed"
    requirements = root / "src" / "requirements.txt"
    venv_python = venv / "bin" / "python"
    if (stamp.is_file() and stamp.stat().st_mtime > requirements.stat().st_mtime
            and stamp.read_text(encoding="utf-8") == str(python)):
        return venv_python

    progress(f"creating {venv} with {python} (runtime dependencies only)")
    subprocess.run([str(python), "-m", "venv", "--clear", str(venv)], check=True)
    subprocess.run([str(venv_python), "-m", "pip", "install", "--quiet",
                    "--disable-pip-version-check", "-r", str(requirements), "boto3"],
                   check=True)
    stamp.write_text(str(python), encoding="utf-8")
    return venv_python


def _run(python: Path, arguments: list[str], cwd: Path,
         environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(python), *arguments], cwd=cwd, env=environment,
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{python} exited with status {result.returncode} in {cwd}:\n"
                           f"{result.stderr}")
    return result


def _import_ms(python: Path, module: str, cwd: Path, environment: dict[str, str]) -> float:
    result = _run(python, ["-c", _TIME_IMPORT, module], cwd, environment)
    return float(result.stdout.strip())


def dominant_modules(importtime_output: str, module: str,
                     count: int = DOMINANT_COUNT) -> list[dict[str, Any]]:
    """Rank the modules that `module` imports directly by cumulative time, from -X importtime.

    Python prints each module after its own imports, indented one step (two spaces) deeper
    than the module that imported it, so the direct imports of `module` are the entries one
    step deep since the previous top-level entry.
    """
    entries = []
    for line in importtime_output.splitlines():
        match = _IMPORTTIME_LINE.match(line)
        if match:
            depth = (len(match.group(3)) - 1) // 2
            entries.append((depth, match.group(4), int(match.group(2))))

    end = max(index for index, (depth, name, _) in enumerate(entries)
              if depth == 0 and name == module)
    start = max((index for index, (depth, _, _) in enumerate(entries[:end]) if depth == 0),
                default=-1) + 1
    direct = [(name, cumulative) for depth, name, cumulative in entries[start:end]
              if depth == 1]
    direct.sort(key=lambda entry: entry[1], reverse=True)
    return [{"module": name, "cumulative_ms": round(cumulative / 1000, 1)}
            for name, cumulative in direct[:count]]


def _measure_function(python: Path, root: Path, function: LambdaFunction, runs: int,
                      progress: Callable[[str], None]) -> tuple[dict[str, Any], list[float]]:
    reference_dir = root / REFERENCE_DIR
    environment = import_environment(root, function.code_dir, function)
    reference_environment = import_environment(root, reference_dir, function)

    # One import each first, not timed: it writes the bytecode caches.
    _import_ms(python, function.module, function.code_dir, environment)
    _import_ms(python, "app", reference_dir, reference_environment)

    # Function and reference alternate, so that noise on the machine reaches both.
    samples, reference_samples = [], []
    for _ in range(runs):
        samples.append(_import_ms(python, function.module, function.code_dir, environment))
        reference_samples.append(_import_ms(python, "app", reference_dir,
                                            reference_environment))

    importtime = _run(python, ["-X", "importtime", "-c", f"import {function.module}"],
                      function.code_dir, environment)

    source = (function.code_dir / f"{function.module.replace('.', '/')}.py").read_text(
        encoding="utf-8")
    statements = lazy_import_statements(source)
    if function.uses_aws:
        statements.append("import boto3")
    first_call = _run(python, ["-c", _TIME_FIRST_CALL_IMPORTS, function.module,
                               "\n".join(statements)], function.code_dir, environment)

    median = statistics.median(samples)
    reference_median = statistics.median(reference_samples)
    progress(f"{function.name}: {median:.0f} ms, reference {reference_median:.0f} ms")
    return {
        "ratio": round(median / reference_median, 2),
        "median_ms": round(median, 1),
        "reference_median_ms": round(reference_median, 1),
        "first_call_imports_ms": round(float(first_call.stdout.strip()), 1),
        "dominant_modules": dominant_modules(importtime.stderr, function.module),
    }, reference_samples


def measure(root: Path, runs: int = 15,
            progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Measure every function of `root`'s template.yaml against the reference handler."""
    report = progress or (lambda message: None)
    template = load(root / "template.yaml")
    runtime = template.get("Globals", {}).get("Function", {}).get("Runtime", "python3.13")
    base_python = find_lambda_python(runtime)
    python = prepare_runtime(root, base_python, report)
    version = _run(python, ["-c", "import platform; print(platform.python_version())"],
                   root, {"PATH": os.environ.get("PATH", os.defpath)}).stdout.strip()

    functions: dict[str, Any] = {}
    all_reference_samples: list[float] = []
    for function in lambda_functions(root):
        functions[function.name], reference_samples = _measure_function(
            python, root, function, runs, report)
        all_reference_samples.extend(reference_samples)

    return {
        "python": version,
        "interpreter": str(base_python),
        "lambda_runtime": runtime,
        "runtime_matches": version.startswith(runtime.removeprefix("python") + "."),
        "runs": runs,
        "reference": {"median_ms": round(statistics.median(all_reference_samples), 1)},
        "functions": functions,
        "notes": [
            "median_ms: import of the handler module in a fresh interpreter, interpreter "
            "start-up excluded; ratio: median_ms / reference_median_ms, the reference "
            "(bench/reference/app.py) being imported alternately in the same run.",
            "first_call_imports_ms: the modules that the handler imports inside its "
            "functions, plus boto3 for a function with IAM policies, imported after the "
            "handler module. This work is moved to the first invocation, not removed. It is "
            "a lower bound: creating boto3 clients and the imports inside the domain "
            "package's own functions are not counted.",
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15,
                        help="fresh imports of each handler and of the reference (default 15)")
    arguments = parser.parse_args()

    def progress(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    print(json.dumps(measure(ROOT, arguments.runs, progress), indent=2))


if __name__ == "__main__":
    main()
