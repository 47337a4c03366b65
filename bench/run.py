"""`make bench`: every benchmark in one run, written to bench/results.json and
docs/benchmarks.md.

Each figure is measured beside its reference in the same run, so the report gives ratios that
hold on a noisy machine:

- cold start: each handler's import against a minimal Powertools handler (bench/cold_start.py);
- work per request: one happy-path request metered with 10 and with 10,000 requests stored;
- cost: those counts priced with AWS's published prices (bench/prices.json);
- latency: filed to offer email and filed to appointment email over many requests, and the
  intake's throughput against the raw rate of the same DynamoDB write;
- scale: hundreds of requests in flight at once, each driven to completion.
"""

import argparse
import gc
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cmh.platform import ACCOUNT_ID, REGION
from cmh.runtime import LocalRuntime

from . import costs, report, seed
from .meter import Meter, Usage
from .workload import Journey, Workload, WorkloadError

ROOT = Path(__file__).resolve().parent.parent
STATE_MACHINE = "RequestStateMachine"
# Counts that must not change when the table contains 10,000 requests instead of 10.
COMPARED = ("lambda_invocations_by_function", "http_api_requests", "state_transitions",
            "dynamodb", "emails", "aws_calls")


def say(text: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


@contextmanager
def local_platform(state_dir: Path, name: str) -> Iterator[LocalRuntime]:
    """Start a fresh local platform whose simulated crews report their works at once."""
    runtime = LocalRuntime(root=ROOT, state_dir=state_dir / name, port=0,
                           parameters={"LogLevel": "ERROR",
                                       "AcceptWorksReportsBeforeWorksDay": "true"})
    runtime.start(background=True)
    # The platform's start-up leaves a large heap of long-lived objects (moto's models, the
    # parsed templates); frozen, the garbage collector stops scanning them again and again.
    # Fewer young-generation passes save about a tenth of the CPU of a busy run here.
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 1000)
    try:
        yield runtime
    finally:
        runtime.stop()


def state_transitions(reference: str) -> int:
    """Count the state transitions of a request's execution, as Step Functions bills them."""
    import boto3

    arn = f"arn:aws:states:{REGION}:{ACCOUNT_ID}:execution:{STATE_MACHINE}:{reference}"
    client = boto3.client("stepfunctions", region_name=REGION)
    events: list[dict[str, Any]] = []
    arguments: dict[str, Any] = {"executionArn": arn, "maxResults": 1000}
    while True:
        answer = client.get_execution_history(**arguments)
        events.extend(answer["events"])
        if not answer.get("nextToken"):
            break
        arguments["nextToken"] = answer["nextToken"]
    return sum(1 for event in events if event["type"].endswith("StateEntered"))


def watchdog_run(runtime: LocalRuntime, meter: Meter) -> dict[str, Any]:
    """Meter one scheduled run of the watchdog, as EventBridge starts it."""
    with meter.measure() as usage:
        runtime.platform.invoke("WatchdogFunction", {
            "source": "aws.events", "detail-type": "Scheduled Event", "detail": {},
            "resources": ["bench"]})
    return usage.summary()


def one_request(workload: Workload, meter: Meter) -> tuple[dict[str, Any], Usage, Journey]:
    """Meter one request alone, from filing to the last email."""
    with meter.measure() as usage:
        journey = workload.file()
        workload.drive([journey], timeout_seconds=120)
        workload.settle(1.0)
    counts = usage.summary()
    counts["state_transitions"] = state_transitions(journey.reference)
    return counts, usage, journey


# --- work per request ------------------------------------------------------------------

def work_per_request(state_dir: Path, stored: int) -> dict[str, Any]:
    with local_platform(state_dir, "work") as runtime:
        meter = Meter(runtime.platform)
        meter.install()
        workload = Workload(runtime)
        snapshots: list[seed.Snapshot] = []
        try:
            workload.on_stage = lambda journey, stage: snapshots.append(
                seed.snapshot(journey.request_id, journey.reference, stage))
            say("work per request: 10 requests to store and to copy from")
            warm = workload.file_many(10)
            workload.drive(warm, timeout_seconds=180)
            snapshots.extend(seed.snapshot(j.request_id, j.reference, "completed")
                             for j in warm)
            workload.on_stage = None

            counts_10, usage_10, _ = one_request(workload, meter)
            watchdog_10 = watchdog_run(runtime, meter)
            stored_10 = seed.stored_requests()
            say(f"work per request: measured with {stored_10 - 1} stored")

            missing = stored - seed.stored_requests()
            say(f"work per request: copying {missing} requests into the table")
            seed.copy_requests(snapshots, missing, first_number=1)
            stored_many = seed.stored_requests()
            counts_many, _, _ = one_request(workload, meter)
            watchdog_many = watchdog_run(runtime, meter)
            say(f"work per request: measured with {stored_many} stored")
        finally:
            workload.close()
            meter.uninstall()

    differences = [key for key in COMPARED if counts_10[key] != counts_many[key]]
    differences += [f"watchdog {key}" for key in COMPARED
                    if key in watchdog_10 and watchdog_10[key] != watchdog_many[key]]
    return {
        "happy_path": "4 operators (ORES, SWDE, Proximus, VOO), five connections in Mons",
        "stored_10": {"stored_requests": stored_10 - 1, **counts_10},
        "stored_10000": {"stored_requests": stored_many, **counts_many},
        "equal": not differences,
        "differences": differences,
        # Handler time with 10 stored: moto reads the whole table for a query on an index, so
        # with 10,000 stored its times measure moto rather than DynamoDB.
        "lambda_milliseconds_by_function": counts_10["lambda_milliseconds_by_function"],
        "email_bytes": usage_10.email_bytes,
        "stored_bytes_per_request": seed.stored_bytes(snapshots[-1], runtime.platform.template),
        # The scheduled watchdog, priced per month. Its handler time is the one with 10 stored,
        # because moto reads the whole table for a query on an index.
        "watchdog_run": {"stored_requests": stored_10 - 1, **watchdog_10},
        "watchdog_run_stored_10000": {"stored_requests": stored_many, **watchdog_many},
    }


# --- latency and throughput ------------------------------------------------------------

def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def latency(state_dir: Path, count: int, per_second: float) -> dict[str, Any]:
    with local_platform(state_dir, "latency") as runtime:
        workload = Workload(runtime)
        try:
            say(f"latency: {count} requests filed at {per_second:g} per second")
            journeys: list[Journey] = []
            filer = threading.Thread(target=_file_steadily,
                                     args=(workload, journeys, count, per_second))
            filer.start()
            while filer.is_alive() or any(not journey.done for journey in journeys):
                workload.step()
                time.sleep(0.02)
                if journeys and time.monotonic() - journeys[0].filed_at > 300:
                    break
            filer.join()
        finally:
            workload.close()
    offer = [j.milliseconds("offer") for j in journeys if j.milliseconds("offer") is not None]
    appointment = [j.milliseconds("appointment") for j in journeys
                   if j.milliseconds("appointment") is not None]
    filing = [(j.filed_at - j.sent_at) * 1000 for j in journeys]
    return {
        "requests": len(journeys),
        "arrivals_per_second": per_second,
        "filed_to_offer_email_ms": _spread(offer),
        "filed_to_appointment_email_ms": _spread(appointment),
        "filing_answer_ms": _spread(filing),
        "incomplete": sum(1 for j in journeys if not j.done),
    }


def _file_steadily(workload: Workload, journeys: list[Journey], count: int,
                   per_second: float) -> None:
    started = time.monotonic()
    futures = []
    for number in range(count):
        wait = started + number / per_second - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        futures.append(workload.pool.submit(workload.file))
    for future in futures:
        journeys.append(future.result())


def _spread(values: list[float]) -> dict[str, float]:
    if not values:
        return {"count": 0}
    return {"count": len(values), "median": round(statistics.median(values), 1),
            "p95": round(percentile(values, 0.95), 1), "max": round(max(values), 1)}


def throughput(state_dir: Path, count: int, clients: int) -> dict[str, Any]:
    """Requests filed per second through the API, against the same write done raw."""
    import boto3

    with local_platform(state_dir, "throughput") as runtime:
        meter = Meter(runtime.platform)
        meter.install()
        workload = Workload(runtime, workers=clients)
        try:
            with meter.measure() as usage:
                sample = workload.file()
            meter.uninstall()
            template = next(body for body in usage.transactions
                            if f"REFERENCE#{sample.reference}" in json.dumps(body))
            text = json.dumps(template["TransactItems"])
            client = boto3.client("dynamodb", region_name=REGION)

            def raw_write(number: int) -> None:
                copied = text.replace(sample.request_id, f"{sample.request_id[:-8]}{number:08d}")
                copied = copied.replace(sample.reference, f"RAW-{number:09d}")
                client.transact_write_items(TransactItems=json.loads(copied))

            say(f"throughput: {count} raw writes of the intake's transaction")
            raw_seconds = _timed_parallel(workload, raw_write, count)
            say(f"throughput: {count} requests filed through POST /requests")
            api_seconds = _timed_parallel(workload, lambda _number: workload.file(), count)
        finally:
            workload.close()
    raw_rate = count / raw_seconds
    api_rate = count / api_seconds
    return {"requests": count, "clients": clients,
            "intake_requests_per_second": round(api_rate, 1),
            "raw_writes_per_second": round(raw_rate, 1),
            "ratio": round(api_rate / raw_rate, 3),
            "write": f"TransactWriteItems of {len(template['TransactItems'])} items"}


def _timed_parallel(workload: Workload, action: Any, count: int) -> float:
    started = time.perf_counter()
    futures = [workload.pool.submit(action, number) for number in range(count)]
    for future in futures:
        future.result()
    return time.perf_counter() - started


# --- scale -----------------------------------------------------------------------------

def scale(state_dir: Path, count: int, timeout_seconds: float = 480) -> dict[str, Any]:
    with local_platform(state_dir, "scale") as runtime:
        workload = Workload(runtime)
        try:
            say(f"scale: filing {count} requests at once")
            started = time.monotonic()
            journeys = workload.file_many(count)
            in_flight = sum(1 for journey in journeys if not journey.done)
            say(f"scale: {in_flight} requests in flight; driving each to its closing email")
            try:
                workload.drive(journeys, timeout_seconds=timeout_seconds,
                               on_progress=lambda done, total: say(
                                   f"scale: {done}/{total} closed"))
            except WorkloadError as error:
                say(f"scale: {error}")
            workload.settle(2.0)
            seconds = time.monotonic() - started
            statuses = {j.request_id: workload.peek.status(j.request_id) for j in journeys}
            executions = _executions()
            unfinished = [j for j in journeys if not _completed(j, statuses)]
            stories = {j.reference: _execution_story(j.reference) for j in unfinished[:5]}
        finally:
            workload.close()

    references = [journey.reference for journey in journeys]
    completed = [j for j in journeys if _completed(j, statuses)]
    duplicated = (sum(1 for j in journeys if any(n > 1 for n in j.emails.values()))
                  + len(references) - len(set(references))
                  + sum(1 for reference in set(references) if executions.get(reference, 0) > 1)
                  + len(workload.early_emails))
    return {"requested": count, "in_flight": in_flight, "completed": len(completed),
            "lost": count - len(completed), "duplicated": duplicated,
            "seconds": round(seconds, 1),
            "statuses": dict(Counter(statuses.values())),
            "unfinished": [{"reference": j.reference, "status": statuses[j.request_id],
                            "emails": dict(j.emails), "actions": j.actions,
                            "error": j.error, "execution": stories[j.reference]}
                           for j in unfinished[:5]]}


def _completed(journey: Journey, statuses: dict[str, str | None]) -> bool:
    expected = ("acknowledgement", "offer", "appointment", "closing")
    return (statuses[journey.request_id] == "completed"
            and all(journey.emails[name] == 1 for name in expected))


def _execution_story(reference: str) -> dict[str, Any]:
    """Return the status of a request's execution, its last events and its first failure, to
    see where it stopped."""
    import boto3

    client = boto3.client("stepfunctions", region_name=REGION)
    arn = f"arn:aws:states:{REGION}:{ACCOUNT_ID}:execution:{STATE_MACHINE}:{reference}"
    try:
        status = client.describe_execution(executionArn=arn)["status"]
        events = [event for page in client.get_paginator("get_execution_history").paginate(
                  executionArn=arn) for event in page["events"]]
    except client.exceptions.ClientError as error:
        return {"error": str(error)}
    failures = [details for event in events for key, details in event.items()
                if key.endswith("FailedEventDetails") and details.get("cause")]
    story: dict[str, Any] = {"status": status,
                             "last_events": [_event_line(event) for event in events[-8:]]}
    if failures:
        story["first_failure"] = f"{failures[0].get('error')}: {failures[0]['cause'][:1500]}"
    return story


def _event_line(event: dict[str, Any]) -> str:
    details = next((value for key, value in event.items() if key.endswith("EventDetails")), {})
    name = details.get("name") or details.get("resource") or details.get("error") or ""
    return f"{event['timestamp']:%H:%M:%S} {event['type']} {name}".rstrip()


def _executions() -> dict[str, int]:
    import boto3

    client = boto3.client("stepfunctions", region_name=REGION)
    arn = f"arn:aws:states:{REGION}:{ACCOUNT_ID}:stateMachine:{STATE_MACHINE}"
    counts: dict[str, int] = {}
    for page in client.get_paginator("list_executions").paginate(stateMachineArn=arn):
        for execution in page["executions"]:
            counts[execution["name"]] = counts.get(execution["name"], 0) + 1
    return counts


# --- main ------------------------------------------------------------------------------

PARTS = ("cold_start", "work_per_request", "latency", "throughput", "scale")


def _run_parts(options: argparse.Namespace) -> int:
    """Run some parts only, e.g. while working on one of them; print their figures.

    A local platform caches secrets and clients in the domain package, so when more than one
    part needs a platform, each runs in a process of its own.
    """
    results: dict[str, Any] = {}
    own_process = len([part for part in options.only if part != "cold_start"]) > 1
    with tempfile.TemporaryDirectory(prefix="cmh-bench-") as folder:
        state_dir = Path(folder)
        for part in options.only:
            if part == "cold_start":
                from . import cold_start

                results[part] = cold_start.measure(ROOT, runs=options.cold_start_runs,
                                                   progress=say)
            elif own_process:
                subprocess.run(_part_command(part, options, state_dir), cwd=ROOT, check=True)
                results.update(_figures(part, state_dir))
            elif part == "work_per_request":
                results[part] = work_per_request(state_dir, options.stored)
                results["cost"] = costs.price(results[part], ROOT / "bench" / "prices.json")
            elif part == "latency":
                results[part] = latency(state_dir, options.latency_requests,
                                        options.arrivals_per_second)
            elif part == "throughput":
                results[part] = throughput(state_dir, options.throughput_requests, clients=8)
            else:
                results[part] = scale(state_dir, options.scale, options.scale_window)
    text = json.dumps(results, indent=2, ensure_ascii=False)
    if options.output:
        options.output.write_text(text, encoding="utf-8")
    else:
        print(text)
    return 0


def _part_command(part: str, options: argparse.Namespace, state_dir: Path) -> list[str]:
    """Return the command that measures one part in a process of its own."""
    return [sys.executable, "-m", "bench", "--only", part, "--output",
            str(state_dir / f"{part}.json"), "--stored", str(options.stored),
            "--latency-requests", str(options.latency_requests),
            "--arrivals-per-second", str(options.arrivals_per_second),
            "--throughput-requests", str(options.throughput_requests),
            "--scale", str(options.scale), "--scale-window", str(options.scale_window)]


def _figures(part: str, state_dir: Path) -> dict[str, Any]:
    return json.loads((state_dir / f"{part}.json").read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--stored", type=int, default=10_000)
    parser.add_argument("--latency-requests", type=int, default=50)
    parser.add_argument("--arrivals-per-second", type=float, default=2.0)
    parser.add_argument("--throughput-requests", type=int, default=100)
    parser.add_argument("--scale", type=int, default=500)
    parser.add_argument("--scale-window", type=float, default=480,
                        help="seconds the scale run waits for its requests to complete")
    parser.add_argument("--cold-start-runs", type=int, default=15)
    parser.add_argument("--results", type=Path, default=ROOT / "bench" / "results.json")
    parser.add_argument("--report", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--only", choices=PARTS, action="append",
                        help="run only these parts and print their figures (or write them to "
                             "--output); bench/results.json and docs/benchmarks.md are untouched")
    parser.add_argument("--output", type=Path, help="with --only: write the figures here")
    options = parser.parse_args(argv)
    if options.only:
        return _run_parts(options)

    from . import cold_start

    started = time.monotonic()
    results: dict[str, Any] = {"date": datetime.now(UTC).isoformat(timespec="seconds"),
                               "machine": report.machine(), "command": "make bench"}
    with tempfile.TemporaryDirectory(prefix="cmh-bench-") as folder:
        state_dir = Path(folder)
        # The local platform runs in one Python process and keeps one core busy, so the
        # scale run goes in a process of its own while the other parts are measured on the
        # second core: ratios (cold start, throughput) are measured against a reference in
        # the same conditions, counts do not depend on speed, and the latency report states
        # that it was measured beside the scale run. Each platform gets a fresh process:
        # the domain package caches secrets and clients, as a warm Lambda does.
        scale_run = subprocess.Popen(_part_command("scale", options, state_dir), cwd=ROOT)
        try:
            say("cold start: handler imports against a minimal Powertools handler")
            results["cold_start"] = cold_start.measure(ROOT, runs=options.cold_start_runs,
                                                       progress=say)
            for part in ("work_per_request", "latency", "throughput"):
                subprocess.run(_part_command(part, options, state_dir), cwd=ROOT, check=True)
                results.update(_figures(part, state_dir))
            say("waiting for the scale run to end")
            if scale_run.wait() != 0:
                raise RuntimeError(f"the scale run failed (exit status {scale_run.returncode})")
        finally:
            if scale_run.poll() is None:
                scale_run.kill()
        results.update(_figures("scale", state_dir))
    results["seconds"] = round(time.monotonic() - started, 1)

    options.results.parent.mkdir(parents=True, exist_ok=True)
    options.results.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n",
                               encoding="utf-8")
    options.report.parent.mkdir(parents=True, exist_ok=True)
    options.report.write_text(report.render(results), encoding="utf-8")
    say(f"done in {results['seconds']:.0f} s: {options.results} and {options.report}")
    return 0 if report.acceptable(results) else 1
