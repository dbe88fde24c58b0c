"""The $batch executor against sequential single requests, under injected throttling (issue: Graph client core).

The emulator answers 10% of requests with 429 and 11% with 503 (Retry-After: 1) on every route, $batch included.
1,000 createOrGet calls go (a) through GraphClient.batch (20 a call, 4 in flight) and (b) one by one through
GraphClient.request.  Both must all succeed; for (a) no item may be sent again after it succeeded.  Prints a
Markdown table (wall time, HTTP requests, sub-requests, waits) and writes tests/bench/results/executor.md.
"""

import argparse
import os
import sys
import time

from tests.graph_emulator.process import REPO_ROOT, EmulatorProcess, collection_root

FAULTS = [{"route": ".", "status": 429, "retry_after": 1, "rate": 0.10},
          {"route": ".", "status": 503, "retry_after": 1, "rate": 0.11}]


def collection_imports():
    root = collection_root()
    if root not in sys.path:
        sys.path.insert(0, root)
    from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import (  # noqa: E402
        graph, retry)  # pylint: disable=import-outside-toplevel
    return graph, retry


class Minted:
    def __init__(self, emulator):
        self.value = emulator.app_token()

    def token(self):
        return self.value

    def invalidate(self):
        pass


def run(label, emulator, n, batched):
    graph, retry = collection_imports()
    emulator.reset()
    emulator.faults(FAULTS)
    session = graph.HTTPSession(verify=emulator.ca_file)
    client = graph.GraphClient(session, emulator.graph_url + "/beta", Minted(emulator),
                               retry.RetrySettings(max_retries=20, retry_timeout=600))
    path = graph.graph_path("users", ("user", emulator.defaults["user_id"]), "onlineMeetings", "createOrGet")
    items = [{"method": "POST", "path": path, "body": {"externalId": "bench-%05d" % i}} for i in range(n)]
    started = time.monotonic()
    if batched:
        results = client.batch(items, concurrency=4)
        ok = sum(1 for r in results if r.ok)
    else:
        ok = 0
        for item in items:
            client.request(item["method"], item["path"], item["body"])
            ok += 1
    wall = time.monotonic() - started
    log = emulator.requests(kind="graph")
    resent = 0
    if batched:
        attempts = {}
        for entry in log:
            if entry["batch"] is not None:
                attempts.setdefault(entry["client_request_id"], []).append(entry["status"])
        resent = sum(1 for statuses in attempts.values() if any(s < 400 for s in statuses[:-1]))
    metrics = emulator.metrics()["graph"]
    return {"label": label, "ok": ok, "wall": wall, "http": metrics["http_requests"], "items": metrics["batch_items"],
            "waits": client.waits.retries, "waited": client.waits.seconds, "resent": resent}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=1000)
    args = parser.parse_args()
    with EmulatorProcess(["--fault-seed", "11"]) as emulator:
        rows = [run("$batch executor (20 a call, 4 in flight)", emulator, args.n, True),
                run("sequential single requests", emulator, args.n, False)]
    lines = ["| approach | succeeded | wall s | HTTP requests | batch items | retries | retry waits (summed over items, s) | re-sent after success |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append("| %s | %d/%d | %.1f | %d | %d | %d | %.0f | %d |" % (
            r["label"], r["ok"], args.n, r["wall"], r["http"], r["items"], r["waits"], r["waited"], r["resent"]))
    lines.append("")
    lines.append("Speed-up of the executor: %.1fx" % (rows[1]["wall"] / rows[0]["wall"]))
    table = "\n".join(lines)
    print(table)
    out = os.path.join(REPO_ROOT, "tests", "bench", "results")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "executor.md"), "w", encoding="utf-8") as handle:
        handle.write("# $batch executor under 21%% injected 429/503 (N=%d)\n\n%s\n" % (args.n, table))
    return 0 if all(r["ok"] == args.n for r in rows) and rows[0]["resent"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
