# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudcomms.virtual_appointments collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs ``virtual_appointment_batch`` inside the Ansible worker when the task runs on the controller.

The module only talks HTTPS to Graph, so on the controller there is nothing to gain from a second Python process:
running its ``run()`` in the worker that Ansible forked for the task saves the module process (its interpreter,
ansible's module_utils and the packed arguments: about 40 MB for an organizer of 1,700 appointments, per fork) and its
start-up.  Everything else is the module's own: the same argument spec, the same ``run()``, the same result.

The module is executed the usual way instead when the task runs elsewhere (any connection but ``local``), becomes
another user, sets ``environment``, or when this Python lacks ``requests`` or ``msal``.
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import auth, batch, graph
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.reconcile import progress_line
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.module import Finished, GraphModule
from ansible_collections.cloudcomms.virtual_appointments.plugins.plugin_utils.worker import plain, settle

display = Display()


class ActionModule(ActionBase):
    """The batch module in the worker process (see the module for its documentation).  The Bookings batch
    (booking_appointment_batch) is the same action with its own spec, run and Graph version."""

    TRANSFERS_FILES = False
    _supports_async = True  # run as a module process, in the background (see run)
    NAME = "virtual_appointment_batch"
    API_VERSION = "beta"

    @staticmethod
    def spec():
        return batch.ARGUMENT_SPEC

    @staticmethod
    def reconcile(module):
        return batch.run(module)

    def in_process(self):
        """Whether this task can run here: on the controller, as this user, with this environment and libraries, and
        not as an ``async`` job (Ansible runs those as a module process it can poll)."""
        environment = self._task.environment or []
        environment = environment if isinstance(environment, list) else [environment]
        return (getattr(self._connection, "transport", None) == "local" and not self._play_context.become
                and not any(environment) and not self._task.async_val and graph.HAS_REQUESTS and auth.HAS_MSAL)

    def run(self, tmp=None, task_vars=None):
        settle()  # what this worker inherited stays shared with the controller (plugin_utils/worker.py)
        result = super().run(tmp, task_vars)
        if not self.in_process():
            # As Ansible's own action for a module: an async task is wrapped to run in the background and polled.
            wrap_async = bool(self._task.async_val) and not self._connection.has_native_async
            result.update(self._execute_module(module_name=self._task.resolved_action or self._task.action,
                                               module_args=self._task.args, task_vars=task_vars,
                                               wrap_async=wrap_async))
            if not wrap_async:
                self._remove_tmp_path(self._connection._shell.tmpdir)  # pylint: disable=protected-access
            return result
        try:
            module = GraphModule(self.spec(), args=plain(self._task.args), check_mode=self._task.check_mode,
                                 diff=self._task.diff, api_version=self.API_VERSION)
            if display.verbosity >= 1:  # at -v, a line per slice of the engine (items done, elapsed, waits)
                host = (task_vars or {}).get("inventory_hostname") or "localhost"
                module.progress = lambda info: display.v("%s: %s %s" % (host, self.NAME, progress_line(info)))
            outcome = module.run(self.reconcile)
        except Finished as done:
            outcome = done.result
        result.update(outcome)
        return result
