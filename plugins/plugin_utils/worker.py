# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudcomms.virtual_appointments collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the collection's controller-side plugins do in the worker process Ansible forks for a task.

A worker starts as a copy-on-write view of the controller: the inventory, every host's variables (10,000 appointments
in host_vars: ~130 MB of Ansible's tagged values).  Two things turn that sharing into private copies, and both cost
the time of walking them too:

- Python's cyclic garbage collector: a full collection writes into the header of every object it visits, so the
  first one in a worker copies every page of the controller's heap into it.  ``settle()`` moves what the worker
  inherited to the collector's permanent generation (``gc.freeze``), which collections never visit.
- Ansible's tagged values (a string that carries its origin and trust): large, slow to walk, template and pickle.
  ``plain()`` makes the batch's items plain Python values once, so what Ansible finalizes, what the worker sends back
  (the task's arguments are part of its result) and what the run holds are plain.
"""

from __future__ import annotations

import functools
import gc
import multiprocessing
from collections.abc import Mapping


# ansible.executor.process.worker.WorkerProcess: the process Ansible forks for one task of one host.
WORKER = "WorkerProcess"


def settle():
    """In a worker process (forked by Ansible for one task, gone after it): freeze the objects it holds now - the
    controller's, inherited - so that no collection in it writes to them.  Nothing anywhere else (the controller, a
    module process, a test), where frozen objects would never be freed."""
    if type(multiprocessing.current_process()).__name__ == WORKER:
        gc.freeze()


def settled(function):
    """A filter over thousands of items that settles the worker (``settle``) before it walks them: a task's worker
    templates its arguments before the action runs, and the results of every organizer of the play live in the
    controller it was forked from once the batch task is done."""
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        settle()
        return function(*args, **kwargs)
    return wrapper


PLAIN_SCALARS = (str, int, float, bool, type(None))


def is_plain(value):
    """Whether ``value`` holds only plain Python values (exact types: a tagged string is a subclass)."""
    kind = type(value)
    if kind in PLAIN_SCALARS:
        return True
    if kind is dict:
        return all(key.__class__ is str and is_plain(item) for key, item in value.items())
    if kind is list:
        return all(is_plain(item) for item in value)
    return False


def plain(value):
    """``value`` as plain Python values: strings, numbers, mappings and lists without Ansible's tags (a templated
    string is a str subclass carrying its origin); a lazy container is rendered as it is walked.  What is plain
    already is kept, not copied (the batch's items, made plain by the role's filter).  Other scalars are left as they
    are (a YAML date is still refused by the checks that follow)."""
    if is_plain(value):
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, Mapping):
        return {plain(key): plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return value
