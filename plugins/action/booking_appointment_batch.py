# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudcomms.virtual_appointments collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs ``booking_appointment_batch`` inside the Ansible worker when the task runs on the controller, as
``virtual_appointment_batch`` does (see its action plugin): no module process, no AnsiballZ payload, no second
Python start - what a business of a few hundred appointments otherwise spends more time on than on Graph."""

from __future__ import annotations

from ansible_collections.cloudcomms.virtual_appointments.plugins.action.virtual_appointment_batch import (
    ActionModule as BatchAction)
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import bookings_batch


class ActionModule(BatchAction):
    """booking_appointment_batch in the worker process (see the module for its documentation)."""

    NAME = "booking_appointment_batch"
    API_VERSION = "v1.0"

    @staticmethod
    def spec():
        return bookings_batch.BATCH_OPTIONS

    @staticmethod
    def reconcile(module):
        return bookings_batch.run(module)
