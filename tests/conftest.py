"""Shared pytest fixtures: one Graph emulator per test session, reset before each test that uses it.

Also makes ``ansible_collections.cloudcomms.virtual_appointments`` importable: a symlink to this checkout under a
temporary ``ansible_collections/cloudcomms/`` tree is put on ``sys.path``.
"""

import hashlib
import os
import sys
import tempfile

import pytest

from tests.graph_emulator.process import REPO_ROOT, EmulatorProcess


def _collection_root():
    root = os.path.join(tempfile.gettempdir(), "cloudcomms-va-%s" % hashlib.sha1(REPO_ROOT.encode()).hexdigest()[:10])
    parent = os.path.join(root, "ansible_collections", "cloudcomms")
    link = os.path.join(parent, "virtual_appointments")
    os.makedirs(parent, exist_ok=True)
    if not os.path.islink(link) or os.readlink(link) != REPO_ROOT:
        tmp = "%s.%d" % (link, os.getpid())
        os.symlink(REPO_ROOT, tmp)
        os.replace(tmp, link)
    return root


COLLECTION_ROOT = _collection_root()
if COLLECTION_ROOT not in sys.path:
    sys.path.insert(0, COLLECTION_ROOT)


@pytest.fixture(scope="session")
def emulator_process():
    with EmulatorProcess(["--fault-seed", "7"]) as emu:
        yield emu


@pytest.fixture
def emulator(emulator_process):
    """The session's emulator, reset to its initial seed, modes and an empty request log."""
    emulator_process.reset()
    yield emulator_process
    emulator_process.reset()
