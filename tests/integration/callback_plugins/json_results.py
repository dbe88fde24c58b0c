# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test-only stdout callback: the playbook's task results as one JSON document (the shape of ansible.posix.json,
which ansible-core does not ship), so the integration tests can assert on every task's result."""

from __future__ import annotations

import json

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: json_results
type: stdout
short_description: task results as one JSON document (tests only)
description:
  - Prints every task's result per host, and the play stats, as one JSON document at the end.
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "stdout"
    CALLBACK_NAME = "json_results"

    def __init__(self):
        super().__init__()
        self.plays = []

    def v2_playbook_on_play_start(self, play):
        self.plays.append({"play": {"name": play.get_name()}, "tasks": []})

    def v2_playbook_on_task_start(self, task, is_conditional):
        self.plays[-1]["tasks"].append({"task": {"name": task.get_name()}, "hosts": {}})

    def v2_playbook_on_handler_task_start(self, task):
        self.v2_playbook_on_task_start(task, False)

    def _record(self, result, **extra):
        data = dict(self._convert(result._result))  # pylint: disable=protected-access
        data.update(extra)
        self.plays[-1]["tasks"][-1]["hosts"][result._host.get_name()] = data  # pylint: disable=protected-access

    @staticmethod
    def _convert(value):
        return json.loads(json.dumps(value, default=str))

    def v2_runner_on_ok(self, result):
        self._record(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, failed=True)

    def v2_runner_on_skipped(self, result):
        self._record(result, skipped=True)

    def v2_runner_on_unreachable(self, result):
        self._record(result, unreachable=True)

    def v2_runner_item_on_ok(self, result):
        self._record_item(result)

    def v2_runner_item_on_failed(self, result):
        self._record_item(result, failed=True)

    def _record_item(self, result, **extra):
        hosts = self.plays[-1]["tasks"][-1]["hosts"]
        entry = hosts.setdefault(result._host.get_name(), {"results": []})  # pylint: disable=protected-access
        item = dict(self._convert(result._result))  # pylint: disable=protected-access
        item.update(extra)
        entry.setdefault("results", []).append(item)

    def v2_playbook_on_stats(self, stats):
        summary = {host: stats.summarize(host) for host in sorted(stats.processed)}
        self._display.display(json.dumps({"plays": self.plays, "stats": summary}, indent=1))
