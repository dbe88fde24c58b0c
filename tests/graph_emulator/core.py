"""The emulator's world: directory, tokens, store, behaviour switches, request log and metrics."""

import collections
import datetime
import json
import os
import random
import secrets
import time

from .behaviour import Faults, Provisioning, TokenBuckets, default_modes, validate_modes
from .directory import DEFAULT_SEED, Directory
from .fence import Fence
from .graph import GraphService
from .identity import IdentityService
from .store import Store
from .tokens import TokenService

LOG_LIMIT = 500000


class Emulator:
    def __init__(self, state_dir=None, seed=None, modes=None, fault_seed=None):
        self.initial_seed = seed or DEFAULT_SEED
        self.directory = Directory()
        self.directory.load(self.initial_seed)
        self.tokens = TokenService(state_dir)
        self.fence = Fence()  # not reset by reset(): see fence.py
        self.store = Store(self.fence)
        self.start_modes = validate_modes(modes or {})
        self.fault_seed = fault_seed
        self.identity_header = secrets.token_hex(16)
        self.public_url = "https://127.0.0.1"
        self.graph = GraphService(self)
        self.identity = IdentityService(self)
        self.buckets = TokenBuckets()
        self.provisioning = Provisioning()
        self.reset_behaviour()
        self.reset_log()

    # -- lifecycle ---------------------------------------------------------------------------------------------
    def reset_behaviour(self):
        self.modes = default_modes()
        self.modes.update(self.start_modes)
        self.tokens.lifetime = self.modes["token_lifetime_s"]
        self.faults = Faults(self.fault_seed)
        self.rng = random.Random(self.fault_seed)
        self.buckets.reset()
        self.provisioning.reset()

    def reset_log(self):
        self.log = collections.deque(maxlen=LOG_LIMIT)
        self.seq = 0
        self.counts = {"by_method": collections.Counter(), "by_status": collections.Counter(),
                       "by_route": collections.Counter(), "http_requests": 0, "batch_items": 0, "dropped": 0,
                       "token_requests": 0, "identity": collections.Counter()}

    def reset(self, profile=None):
        """Back to the start: initial seed, no meetings, CLI modes, no faults, empty log; the check-mode fence (armed
        or not, and its record of refused writes) stays as it is.  The profile goes back to the --profile one unless
        ``profile`` names another, which then holds until the next switch or reset (a later plain reset goes back to
        --profile again)."""
        update = validate_modes({"profile": profile}) if profile is not None else {}  # refuse before changing
        self.directory = Directory()
        self.directory.load(self.initial_seed)
        self.store.reset()
        self.identity.reset()
        self.reset_behaviour()
        self.modes.update(update)
        self.reset_log()

    def save_state(self, path):
        """Write the directory, the meetings and the Bookings data to ``path`` (atomically) so a restart with
        --state-dir resumes."""
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump({"directory": self.directory.dump(), "store": self.store.save(),
                       "bookings": self.graph.bookings.save()}, handle)
        os.replace(tmp, path)

    def load_state(self, path):
        with open(path, encoding="utf-8") as handle:
            saved = json.load(handle)
        self.directory.load(saved["directory"], replace=True)
        self.initial_seed = saved["directory"]
        self.store.load(saved["store"])
        self.graph.bookings.load(saved.get("bookings"))

    def set_modes(self, update):
        update = validate_modes(update)
        self.modes.update(update)
        self.tokens.lifetime = self.modes["token_lifetime_s"]
        if "throttle" in update:
            self.buckets.reset()
        if "provisioning" in update:
            self.provisioning.reset()
        return self.modes

    @staticmethod
    def now():
        return datetime.datetime.now(datetime.timezone.utc)

    # -- log and metrics -----------------------------------------------------------------------------------------
    def next_seq(self):
        self.seq += 1
        return self.seq

    def record(self, call, status):
        principal = call.principal
        entry = {
            "seq": call.seq, "time": time.time(), "kind": "graph", "method": call.method,
            "path": call.path, "route": call.route, "status": status,
            "tenant": principal.tenant.id if principal else None,
            "app": principal.app_id if principal else None,
            "user": call.user.id if call.user is not None else None,
            "batch": call.batch, "client_request_id": call.client_request_id, "request_id": call.request_id,
        }
        if call.drop:
            entry["dropped"] = call.drop
            self.counts["dropped"] += 1
        self.log.append(entry)
        counts = self.counts
        counts["by_method"][call.method] += 1
        counts["by_status"][str(status)] += 1
        counts["by_route"]["%s %s" % (call.method, call.route)] += 1
        if call.batch is None:
            counts["http_requests"] += 1
        else:
            counts["batch_items"] += 1

    def record_identity(self, method, path, route, status, grant_type=None):
        """Log one identity request; ``grant_type`` tells token requests apart (client_credentials, ...)."""
        self.log.append({"seq": self.next_seq(), "time": time.time(), "kind": "identity", "method": method,
                         "path": path, "route": route, "status": status, "grant_type": grant_type})
        self.counts["identity"]["%s %s" % (method, route)] += 1
        if route.endswith("/token"):
            self.counts["token_requests"] += 1

    def requests(self, since=0, kind=None):
        return [e for e in self.log if e["seq"] > since and (kind is None or e["kind"] == kind)]

    def metrics(self):
        counts = self.counts
        return {
            "graph": {
                "total": sum(counts["by_method"].values()),
                "http_requests": counts["http_requests"],
                "batch_items": counts["batch_items"],
                "dropped": counts["dropped"],
                "by_method": dict(counts["by_method"]),
                "by_status": dict(counts["by_status"]),
                "by_route": dict(counts["by_route"]),
            },
            "writes": self.store.mutations,
            "fence_refused": len(self.fence.refused) + self.fence.dropped,
            "token_requests": counts["token_requests"],
            "identity": dict(counts["identity"]),
            "seq": self.seq,
        }
