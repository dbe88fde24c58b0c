"""Command line: ``python -m tests.graph_emulator --port 0`` prints one JSON line when ready, serves until
SIGTERM or SIGINT, then exits 0.

The check-mode fence (fence.py): ``POST /_emulator/fence {"armed": true}`` makes every write (what the metrics count
as ``writes``, ``$batch`` items included) answer 423 ``checkModeFence`` and be recorded, until
``{"armed": false}``; ``GET /_emulator/fence`` lists the refused writes (method, path, time, label). ``reset`` keeps
the record; ``{"clear": true}`` empties it. The test suite arms it around every ``ansible-playbook --check`` run.

Profiles (profiles.py): ``--profile documented`` (default: the API as documented 2022-2023) or ``--profile current``
(what Graph serves in late 2026: virtualAppointment retired, object ids only for app tokens, today's access-policy
denial, join URL and SMS delegated-only with Teams Premium and US numbers).  ``POST /_emulator/profile
{"profile": "current"}`` switches at runtime; reset goes back to ``--profile``.  Access policies and the
``teams_premium`` user attribute are seedable and changeable: see control.py."""

import argparse
import asyncio
import json
import logging
import os
import shutil
import signal
import sys
import tempfile

from aiohttp import web

from . import certs
from .behaviour import DOC_MODES, ModeError
from .core import Emulator
from .directory import SeedError, defaults
from .profiles import DOCUMENTED, PROFILES
from .server import make_app


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m tests.graph_emulator",
        description="Local Microsoft Graph (beta and v1.0 onlineMeetings, virtualAppointment, $batch) and Microsoft "
                    "Entra ID (what MSAL calls) over HTTPS, with fault, latency, throttling and provisioning "
                    "injection and a control API under /_emulator.",
        epilog="When ready it prints one JSON line: graph_url, authority_host, ca_file, control_url, "
               "msi_endpoint, identity_header, state_dir, profile and defaults (tenant_id, client_id, client_secret, "
               "public_client_id, user_id, user_upn, user_password, ...). Check-mode fence: POST /_emulator/fence "
               "{\"armed\": true|false, \"label\": \"...\", \"clear\": false} - while armed every write "
               "(what metrics count as writes, $batch items included) answers 423 checkModeFence and is recorded; "
               "GET /_emulator/fence lists the refused writes (method, path, time, label); reset keeps the record. "
               "Profile: GET /_emulator/profile; POST /_emulator/profile {\"profile\": \"documented|current\"}; "
               "POST /_emulator/reset [{\"profile\": ...}] goes back to --profile unless it names one. Access "
               "policy: POST /_emulator/access-policy {\"app_id\": ..., \"user_id\": ... | \"global\": true, "
               "\"grant\": true|false}; GET /_emulator/access-policy. Teams Premium: POST /_emulator/user "
               "{\"user_id\": ..., \"teams_premium\": true|false} (seed key \"teams_premium\", default true).")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="TCP port; 0 picks a free one (default 0)")
    parser.add_argument("--state-dir", help="directory for the generated CA and server certificate, the token "
                        "signing keys and state.json (the meetings, saved at exit and loaded at start); default: a "
                        "temporary directory removed at exit")
    parser.add_argument("--seed", help="JSON file with tenants, users, apps, managed identities and access policies "
                        "(the same document POST /_emulator/seed takes); default: one tenant, one confidential app, "
                        "one public app, one user with a password, one managed identity")
    parser.add_argument("--latency-ms", type=float, default=0, help="delay added to every Graph and identity "
                        "HTTP request, in milliseconds (default 0)")
    parser.add_argument("--bookings-service-ms", type=float, default=0, help="how long every Microsoft Bookings "
                        "request (each top-level request and each $batch item to a Bookings path) is in flight for "
                        "its mailbox and holds its answer, in milliseconds; the fifth in flight per app and mailbox "
                        "is 429 + Retry-After, and the items of one $batch run one after another (default 0)")
    parser.add_argument("--token-lifetime", type=int, default=3600, help="access token lifetime in seconds "
                        "(default 3600)")
    parser.add_argument("--provisioning", metavar="STATUS:SECONDS", help="the first virtualAppointment create in "
                        "each tenant answers STATUS (503 or 409) with Retry-After for SECONDS, e.g. 503:5")
    parser.add_argument("--throttle", metavar="RATE:BURST", help="token-bucket throttling per app per tenant: "
                        "RATE requests per second, BURST requests at once; excess answers 429 with Retry-After")
    parser.add_argument("--mode", action="append", default=[], choices=sorted(DOC_MODES),
                        help="switch on one of the documentation's contradictory readings (repeatable): "
                        "get_wrapped_in_value, browser_flag_as_string, patch_returns_200, "
                        "batch_throttle_outer_424, sms_legacy_bodies, bookings_customer_get_by_guid")
    parser.add_argument("--batch-order", choices=("request", "reverse", "shuffle"), default="shuffle",
                        help="order of $batch responses (default shuffle: clients must correlate by id)")
    parser.add_argument("--profile", choices=PROFILES, default=DOCUMENTED,
                        help="which Microsoft Graph to play: documented (default; the API as documented 2022-2023, "
                        "with the beta virtualAppointment resource) or current (late 2026, graph-today.md: "
                        "virtualAppointment answers 400, app tokens need the organizer's object id and an access "
                        "policy (403 General), join URL and SMS refuse app tokens, SMS needs Teams Premium and US "
                        "numbers); switch at runtime with POST /_emulator/profile")
    parser.add_argument("--fault-seed", type=int, default=None, help="seed for fault rates and batch shuffling, "
                        "for repeatable runs")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    return parser.parse_args(argv)


def start_modes(args):
    modes = {name: True for name in args.mode}
    modes["latency_ms"] = args.latency_ms
    modes["bookings_service_ms"] = args.bookings_service_ms
    modes["token_lifetime_s"] = args.token_lifetime
    modes["batch_order"] = args.batch_order
    modes["profile"] = args.profile  # a start mode: reset goes back to it
    try:
        if args.provisioning:
            status, seconds = args.provisioning.split(":")
            modes["provisioning"] = {"status": int(status), "seconds": float(seconds)}
        if args.throttle:
            rate, burst = args.throttle.split(":")
            modes["throttle"] = {"rate_per_s": float(rate), "burst": float(burst)}
    except ValueError as exc:
        raise SystemExit("--provisioning takes STATUS:SECONDS and --throttle RATE:BURST (%s)" % exc) from exc
    return modes


async def serve(args):
    own_dir = args.state_dir is None
    state_dir = tempfile.mkdtemp(prefix="graph-emulator-") if own_dir else os.path.abspath(args.state_dir)
    try:
        await _serve(args, state_dir, own_dir)
    finally:
        if own_dir:
            shutil.rmtree(state_dir, ignore_errors=True)


async def _serve(args, state_dir, own_dir):
    os.makedirs(state_dir, exist_ok=True)
    seed = None
    if args.seed:
        with open(args.seed, encoding="utf-8") as handle:
            seed = json.load(handle)
    emulator = Emulator(state_dir=state_dir, seed=seed, modes=start_modes(args), fault_seed=args.fault_seed)
    state_file = os.path.join(state_dir, "state.json")
    if not own_dir and os.path.exists(state_file):
        emulator.load_state(state_file)
    paths = certs.generate(state_dir)
    import ssl  # pylint: disable=import-outside-toplevel
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(paths["cert_file"], paths["key_file"])

    # The signal handlers go in before the ready line: a SIGTERM sent as soon as the line is read must still
    # end the process cleanly (exit 0, state saved), not kill it.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    runner = web.AppRunner(make_app(emulator), access_log=logging.getLogger("aiohttp.access") if args.verbose else None,
                           handle_signals=False, keepalive_timeout=75)
    await runner.setup()
    try:
        site = web.TCPSite(runner, args.host, args.port, ssl_context=context, backlog=1024, reuse_address=True)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # pylint: disable=protected-access
        host = args.host if ":" not in args.host else "[%s]" % args.host
        base = "https://%s:%d" % (host, port)
        emulator.public_url = base
        print(json.dumps({
            "graph_url": base, "authority_host": base, "ca_file": paths["ca_file"], "control_url": base + "/_emulator",
            "msi_endpoint": base + "/msi/token", "identity_header": emulator.identity_header,
            "state_dir": state_dir, "profile": emulator.modes["profile"], "defaults": defaults(emulator.directory),
        }), flush=True)
        await stop.wait()
    finally:
        await runner.cleanup()
    if not own_dir:
        emulator.save_state(state_file)


def main(argv=None):
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, stream=sys.stderr)
    try:
        asyncio.run(serve(args))
    except (SeedError, ModeError, OSError, ValueError) as exc:
        print("graph emulator: %s" % exc, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
