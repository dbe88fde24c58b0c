"""make bench-emulator: is the emulator ever the bottleneck?

1. Throughput: GET virtualAppointment over keep-alive HTTPS at latency 0, from an aiohttp client with a few
   connections (the client runs on the same 2-core machine, so this is a floor for the server).
2. Concurrency: 200 connections held open at once at 50 ms emulator latency, each issuing GETs; every request
   must succeed.

Prints a Markdown table and writes it to tests/bench/results/emulator.md.
"""

import argparse
import asyncio
import os
import ssl
import statistics
import time

import aiohttp
import requests

from tests.graph_emulator.process import REPO_ROOT, EmulatorProcess


def prepare(emu):
    """One meeting with one virtual appointment; return (url, headers) of the GET to hammer."""
    token = emu.app_token()
    http = emu.session()
    http.headers["Authorization"] = "Bearer " + token
    base = "%s/beta/users/%s/onlineMeetings" % (emu.graph_url, emu.defaults["user_id"])
    meeting = http.post(base + "/createOrGet", json={"externalId": "bench"}, timeout=30).json()
    url = "%s/%s/virtualAppointment" % (base, meeting["id"])
    http.put(url, json={"externalAppointmentId": "bench"}, timeout=30).raise_for_status()
    return url, {"Authorization": "Bearer " + token}


async def load(url, headers, ca_file, connections, seconds, per_connection_inflight=1):
    """Each connection runs a loop of GETs for ``seconds``; return (ok, errors, latencies, wall)."""
    context = ssl.create_default_context(cafile=ca_file)
    connector = aiohttp.TCPConnector(limit=connections, ssl=context, force_close=False)
    latencies, errors = [], []
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:
        async def fetch_once():
            async with session.get(url) as response:
                await response.read()

        # Open every connection first so the measurement holds them all concurrently.
        await asyncio.gather(*[fetch_once() for dummy in range(connections)])
        deadline = time.monotonic() + seconds
        start = time.monotonic()

        async def worker():
            while time.monotonic() < deadline:
                began = time.monotonic()
                try:
                    async with session.get(url) as response:
                        await response.read()
                        if response.status != 200:
                            errors.append(response.status)
                            continue
                except aiohttp.ClientError as exc:
                    errors.append(type(exc).__name__)
                    continue
                latencies.append(time.monotonic() - began)

        await asyncio.gather(*[worker() for dummy in range(connections * per_connection_inflight)])
        wall = time.monotonic() - start
    return len(latencies), errors, latencies, wall


def percentile(values, fraction):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def run_case(name, latency_ms, connections, seconds):
    with EmulatorProcess(["--latency-ms", str(latency_ms)]) as emu:
        url, headers = prepare(emu)
        ok, errors, latencies, wall = asyncio.run(load(url, headers, emu.ca_file, connections, seconds))
        served = emu.metrics()["graph"]["http_requests"]
    return {
        "case": name, "latency_ms": latency_ms, "connections": connections, "seconds": round(wall, 1),
        "ok": ok, "errors": len(errors), "rps": ok / wall if wall else 0.0,
        "p50_ms": 1000 * percentile(latencies, 0.5), "p99_ms": 1000 * percentile(latencies, 0.99),
        "mean_ms": 1000 * statistics.fmean(latencies) if latencies else float("nan"), "served": served,
        "error_kinds": sorted({str(e) for e in errors}),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="duration of each case (default 8)")
    args = parser.parse_args()
    requests.packages.urllib3.disable_warnings()  # pylint: disable=no-member
    cases = [
        run_case("throughput, keep-alive, latency 0", 0, 8, args.seconds),
        run_case("200 concurrent connections, latency 50 ms", 50, 200, args.seconds),
    ]
    lines = [
        "| case | connections | emulator latency | requests OK | errors | req/s | p50 ms | p99 ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for c in cases:
        lines.append("| %s | %d | %d ms | %d | %d | %.0f | %.1f | %.1f |" % (
            c["case"], c["connections"], c["latency_ms"], c["ok"], c["errors"], c["rps"], c["p50_ms"], c["p99_ms"]))
    verdict = []
    if cases[0]["rps"] < 1000:
        verdict.append("throughput below 1,000 GET/s")
    if cases[1]["errors"]:
        verdict.append("errors with 200 connections: %s" % ", ".join(cases[1]["error_kinds"]))
    lines.append("")
    lines.append("Verdict: " + ("OK (>= 1,000 GET/s; 200 connections without errors)" if not verdict
                                else "; ".join(verdict)))
    table = "\n".join(lines)
    print(table)
    out_dir = os.path.join(REPO_ROOT, "tests", "bench", "results")
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "emulator.md"), "w", encoding="utf-8") as handle:
        handle.write("# Emulator benchmark (%s, %d cores)\n\n%s\n" % (time.strftime("%Y-%m-%d %H:%M"),
                                                                      os.cpu_count(), table))
    return 1 if verdict else 0


if __name__ == "__main__":
    raise SystemExit(main())
