# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudcomms.virtual_appointments collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The data work of the ``bookings`` role, as pure functions over plain data (module_utils/bookings_export.py):
export a business as the role's variables, and the drift report.

Each filter is documented in the ``.yml`` file of the same name beside this one.
"""

from __future__ import annotations

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import bookings_export as export


def bookings_export(info):
    return export.role_vars(info)


def bookings_drift(results, business_id, info=None):
    return export.drift(business_id, results, info)


def bookings_drift_markdown(reports):
    return export.drift_markdown(list(reports))


class FilterModule:
    """Filters of the bookings role."""

    def filters(self):
        return {
            "bookings_export": bookings_export,
            "bookings_drift": bookings_drift,
            "bookings_drift_markdown": bookings_drift_markdown,
        }
