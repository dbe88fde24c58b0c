"""Shared pytest fixtures: one Graph emulator per test session, reset before each test that uses it."""

import pytest

from tests.graph_emulator.process import EmulatorProcess


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
