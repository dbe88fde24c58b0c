"""The README's first example, run as written against the emulator with only the environment variables the README
says it relies on (and the ones it lists for pointing the modules at the emulator).

A new user copies this example first: it must run, and the text before it must name what it needs."""

import os
import re

import pytest
import yaml

from tests.conftest import emulator_env
from tests.graph_emulator.process import REPO_ROOT

README = os.path.join(REPO_ROOT, "README.md")


def readme():
    with open(README, encoding="utf-8") as handle:
        return handle.read()


def first_example():
    """(the prose between the modules table and the first YAML block, the YAML block)."""
    text = readme()
    start = text.index("### Modules")
    match = re.compile(r"```yaml\n(.*?)```", re.S).search(text, start)
    return text[start:match.start()], match.group(1)


def test_first_example_names_the_variables_it_relies_on():
    prose, dummy = first_example()
    for name in ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"):
        assert "`%s`" % name in prose, name


def test_readme_lists_the_variables_that_point_at_the_emulator(emulator):
    section = readme().split("## The Graph + identity emulator", 1)[1]
    for name in emulator_env(emulator):
        assert name in section, "%s is not in the README's emulator section" % name


@pytest.mark.slow
def test_first_example_runs_as_written(emulator, ansible_playbook):
    dummy, example = first_example()
    play = yaml.safe_load(example)
    assert isinstance(play, list) and play[0]["hosts"] == "localhost"
    run = ansible_playbook(example, env=emulator_env(emulator))
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert run.result("Ensure the meeting for appointment A-1001")["changed"] is True
    assert run.result("Ensure its virtual appointment")["changed"] is True
    again = ansible_playbook(example, env=emulator_env(emulator))
    assert again.returncode == 0
    assert again.result("Ensure its virtual appointment")["changed"] is False
