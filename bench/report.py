"""docs/benchmarks.md from bench/results.json, and the acceptance limits of the figures."""

import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

COLD_START_LIMIT = 1.5


def machine() -> dict[str, Any]:
    """Describe the machine and the software that the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        names = [line.split(":", 1)[1].strip()
                 for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines()
                 if line.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    memory_gib = None
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory_gib = round(pages / 2**30, 1)
    except (ValueError, OSError):
        pass
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, check=False).stdout.strip()
    except OSError:
        commit = ""
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": memory_gib,
            "system": platform.platform(), "python": platform.python_version(),
            "moto": metadata.version("moto"), "commit": commit}


def acceptable(results: dict[str, Any]) -> bool:
    """Return whether the figures meet the limits: cold start, equal counts, nothing lost."""
    ratios_ok = all(entry["ratio"] <= COLD_START_LIMIT
                    for entry in results["cold_start"]["functions"].values())
    scale = results["scale"]
    return (ratios_ok and results["work_per_request"]["equal"]
            and scale["lost"] == 0 and scale["duplicated"] == 0)


def _table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---" if index == 0 else "---:" for index in range(len(header))) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _cold_start(cold: dict[str, Any]) -> str:
    rows = []
    for name, entry in sorted(cold["functions"].items()):
        dominant = ", ".join(f"{item['module']} {item['cumulative_ms']:.0f}"
                             for item in entry["dominant_modules"][:3])
        rows.append([name, f"{entry['median_ms']:.1f}", f"{entry['reference_median_ms']:.1f}",
                     f"**{entry['ratio']:.2f}**", f"{entry['first_call_imports_ms']:.0f}",
                     dominant])
    return _table(["Function", "Import (ms)", "Reference (ms)", "Ratio",
                   "Loaded on first call (ms)", "Dominant modules (cumulative ms)"], rows)


def _work(work: dict[str, Any]) -> str:
    small, large = work["stored_10"], work["stored_10000"]

    def row(label: str, pick: Any) -> list[Any]:
        return [label, pick(small), pick(large)]

    rows = [
        row("Stored requests", lambda c: f"{c['stored_requests']:,}"),
        row("Lambda invocations", lambda c: c["lambda_invocations"]),
        row("HTTP API requests", lambda c: c["http_api_requests"]),
        row("State transitions", lambda c: c["state_transitions"]),
        row("DynamoDB calls", lambda c: sum(c["dynamodb"]["calls"].values())),
        row("DynamoDB read request units", lambda c: c["dynamodb"]["read_request_units"]),
        row("DynamoDB write request units (table)",
            lambda c: c["dynamodb"]["table_write_request_units"]),
        row("DynamoDB write request units (indexes)",
            lambda c: c["dynamodb"]["index_write_request_units"]),
        row("Emails", lambda c: c["emails"]),
    ]
    functions = _table(["Function", "Invocations", "Handler time (ms, local)"], [
        [name, count, work["lambda_milliseconds_by_function"].get(name, "")]
        for name, count in small["lambda_invocations_by_function"].items()])
    calls = _table(["AWS call", "Count"], [[name, count]
                                           for name, count in small["aws_calls"].items()])
    verdict = ("identical" if work["equal"]
               else "**different** in " + ", ".join(work["differences"]))
    return "\n\n".join([
        _table(["Per completed request", "10 stored", "10,000 stored"], rows),
        f"The counts are {verdict} with 10 and with 10,000 stored requests. One request "
        f"stores {work['stored_bytes_per_request']:,} bytes in DynamoDB, index entries "
        "included.",
        functions, calls])


def _cost(cost: dict[str, Any]) -> str:
    rows = [[name.replace("_", " "), f"{value:.7f}"]
            for name, value in cost["per_request_eur_by_item"].items()]
    prices = _table(["Price", "USD", "Per", "Region shown", "Source"], [
        [name.replace("_", " "), price["usd"], f"{price['per']:,} {price['unit']}",
         price["region_shown"], price["source"]]
        for name, price in cost["prices"].items()])
    rate = cost["exchange_rate"]
    fixed = ", ".join(f"{name} {value:.2f} €" for name, value in
                      cost["fixed_eur_per_month"].items())
    return "\n\n".join([
        f"**{cost['eur_per_completed_request']:.6f} € per completed request; "
        f"{cost['eur_per_10000_requests_month']:.2f} € for a month of 10,000 requests** "
        f"(fixed monthly part: {fixed}).",
        _table(["Per request, by item", "€"], rows),
        f"Prices for {cost['region']}, read on {cost['prices_read_on']}; dollars converted at "
        f"{rate['value']} USD per euro (ECB reference rate of {rate['date']}). Where the "
        "column \"Region shown\" is not eu-west-1, the copy read did not show Ireland's "
        "figure: check it before relying on the total (bench/prices.json says how).",
        prices,
        "Left out: " + "; ".join(cost["left_out"]) + "."])


def _scale(scale: dict[str, Any]) -> str:
    text = (f"{scale['requested']} requests filed at once: {scale['in_flight']} in flight "
            f"together, {scale['completed']} completed (each with exactly one acknowledgement, "
            f"offer, appointment and closing email, and status completed), **{scale['lost']} "
            f"lost, {scale['duplicated']} duplicated**, in {scale['seconds']:.0f} s.")
    if not scale["lost"]:
        return text
    statuses = ", ".join(f"{status} {count}" for status, count in
                         sorted(scale.get("statuses", {}).items()))
    examples = "; ".join(f"{item['reference']} ({item['status']}, emails "
                         f"{', '.join(item['emails'])})" for item in scale.get("unfinished", []))
    return (text + f" Status of every request at the end: {statuses}. The requests counted "
            f"as lost are those not completed when the run stopped, e.g. {examples}.")


def render(results: dict[str, Any]) -> str:
    cold = results["cold_start"]
    latency = results["latency"]
    throughput = results["throughput"]
    scale = results["scale"]
    host = results["machine"]
    worst = max(cold["functions"].values(), key=lambda entry: entry["ratio"])
    return f"""# Benchmarks

Written by `make bench` ({results['seconds']:.0f} s) on {results['date']}; the raw figures are
in `bench/results.json`. Machine: {host['cpu']}, {host['cores']} cores, {host['memory_gib']} GiB,
{host['system']}; Python {host['python']}, moto {host['moto']}, commit {host['commit']}.
Reproduce with `make bench`. Every figure is measured in the same run as its reference, so
compare the ratios, not the milliseconds, with another machine's.

## Cold start

The import time of each function's handler module in a fresh interpreter (Python
{cold['python']}, a virtual environment holding only the Lambda layer's requirements and
boto3), against a minimal Powertools handler that logs one line (`bench/reference/app.py`),
alternated {cold['runs']} times each; medians. Limit: ratio {COLD_START_LIMIT}. Highest:
{worst['ratio']:.2f}.

{_cold_start(cold)}

The handlers import their domain modules, boto3 and the heavier libraries where they are
first used, so that a path that does not need them never loads them (the tracking page never
loads the email templates, for example), and the four HTTP functions build Powertools'
resolver on their first event (`connectmyhome_http/router.py`). This moves work to the first
invocation rather than removing it: "Loaded on first call" is what the first invocation still
imports (a lower bound: it leaves out the creation of boto3 clients). The Powertools Tracer is
gone: the X-Ray SDK it wraps cost about 400 ms per cold start and is in maintenance mode since
2026-02-25; Lambda's and Step Functions' active tracing stay on.

## Work per request

One happy-path request (4 operators: ORES, SWDE, Proximus, VOO; five connections in Mons),
metered from filing to the closing email on the local platform, once with 10 requests stored
and once with 10,000. The robot case manager records the survey and the robot customer accepts
the offer as soon as each can; the simulated operators reply at once. DynamoDB request units
are computed from item sizes with DynamoDB's rules (see `bench/meter.py`).

{_work(results['work_per_request'])}

## Cost

{_cost(results['cost'])}

## Latency and throughput

{latency['requests']} requests filed at {latency['arrivals_per_second']:g} per second on one
local platform, with simulators that reply at once and a robot case manager and customer. The
scale run went on at the same time in another process, on the other core:

{_table(['From filing (ms)', 'Median', 'p95', 'Max'], [
    ['to the offer email', latency['filed_to_offer_email_ms'].get('median'),
     latency['filed_to_offer_email_ms'].get('p95'), latency['filed_to_offer_email_ms'].get('max')],
    ['to the appointment email', latency['filed_to_appointment_email_ms'].get('median'),
     latency['filed_to_appointment_email_ms'].get('p95'),
     latency['filed_to_appointment_email_ms'].get('max')],
    ['answer to POST /requests', latency['filing_answer_ms'].get('median'),
     latency['filing_answer_ms'].get('p95'), latency['filing_answer_ms'].get('max')]])}

Intake throughput: {throughput['intake_requests_per_second']} requests per second through
`POST /requests` ({throughput['requests']} requests, {throughput['clients']} clients), against
{throughput['raw_writes_per_second']} raw writes per second of the same DynamoDB write
({throughput['write']}) on the same emulation: ratio **{throughput['ratio']}**. Everything runs
in one Python process here (server, functions, moto), so the ratio shows how much work the
intake adds to its one write, not what AWS would sustain.

## Scale

{_scale(scale)}
"""
