"""The check-mode fence: while armed, every write is refused (423 ``checkModeFence``) and recorded.

A "write" is exactly what the metrics count as ``writes``: a change of state (a meeting created, updated or deleted,
an appointment put, patched or deleted, an SMS sent), whether it comes as a plain request or as an item of a
``$batch``. Reads, and requests that change nothing (createOrGet of an existing meeting, a PATCH that sets what is
already there), pass. The refusal happens before the change, so the state stays as it was.

The test suite arms the fence around every ``ansible-playbook --check`` run (tests/helpers.py) and fails when the
record is not empty. Control API:

- ``POST /_emulator/fence {"armed": true|false, "label": "...", "clear": false}`` arms or disarms (the label names the
  run in each record entry); ``"clear": true`` empties the record, and the answer lists what was cleared.
- ``GET /_emulator/fence`` -> ``{"armed", "label", "refused": [{"method", "path", "route", "status", "time",
  "seq", "batch", "label", "request_id", "client_request_id"}, ...]}``.

``POST /_emulator/reset`` leaves the fence alone (armed or not, and its record): nothing refused is forgotten unseen.
"""

import time

from .errors import GraphError

FENCE_STATUS = 423
FENCE_CODE = "checkModeFence"
RECORD_LIMIT = 10000


class FenceError(GraphError):
    """A write refused by the armed fence."""

    def __init__(self, label):
        super().__init__(FENCE_STATUS, FENCE_CODE, "Refused by the emulator's check-mode fence: a write arrived while "
                         "a check-mode run was in progress (%s). Nothing was changed." % (label or "armed"))


class Fence:
    def __init__(self):
        self.armed = False
        self.label = None
        self.refused = []
        self.dropped = 0  # entries beyond RECORD_LIMIT (counted, not kept)

    def check(self):
        """Raise FenceError when armed; called by the store before every change of state."""
        if self.armed:
            raise FenceError(self.label)

    def record(self, call, status):
        entry = {"method": call.method, "path": call.path, "route": call.route, "status": status, "time": time.time(),
                 "seq": call.seq, "batch": call.batch, "label": self.label, "request_id": call.request_id,
                 "client_request_id": call.client_request_id}
        if len(self.refused) < RECORD_LIMIT:
            self.refused.append(entry)
        else:
            self.dropped += 1

    def describe(self):
        return {"armed": self.armed, "label": self.label, "refused": list(self.refused), "dropped": self.dropped}

    def update(self, body):
        """Apply a ``POST /_emulator/fence`` body; return the answer (the cleared entries when ``clear``)."""
        unknown = set(body) - {"armed", "label", "clear"}
        if unknown:
            raise ValueError("unknown fence setting(s): %s" % ", ".join(sorted(unknown)))
        for key in ("armed", "clear"):
            if key in body and not isinstance(body[key], bool):
                raise ValueError("'%s' must be true or false" % key)
        if body.get("label") is not None and not isinstance(body["label"], str):
            raise ValueError("'label' must be a string")
        if "armed" in body:
            self.armed = body["armed"]
            self.label = body.get("label") if self.armed else None
        elif "label" in body:
            self.label = body["label"]
        out = self.describe()
        if body.get("clear"):
            self.refused, self.dropped = [], 0
        out["cleared"] = bool(body.get("clear"))
        return out
