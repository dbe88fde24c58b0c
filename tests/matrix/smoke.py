"""The integration smoke of ``make test-matrix`` on one ansible-core release.

Usage: python -m tests.matrix.smoke --venv VENV [--release X.Y] [pytest arguments]

Run with the test suite's interpreter (.venv: pytest, the emulator).  VENV is the release's venv (its
ansible-playbook, and its python for the modules and for the batch's in-process action plugin); it must hold
ansible-core (X.Y when --release is given) and the collection's runtime requirements (requests, msal), or the smoke
stops before any test.  The tests are tests/matrix/smoke_tests.py: three integration tests run as they are on that
release (the module_defaults target, the role's provision and no-op re-run, the batch's in-process path).
"""

import argparse
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.join(HERE, "smoke_tests.py")
VENV_VARIABLE = "CLOUDCOMMS_TEST_ANSIBLE_VENV"  # read by smoke_tests.py

PROBE = """
import sys
import ansible.release
missing = []
for name in ("requests", "msal"):
    try:
        __import__(name)
    except ImportError:
        missing.append(name)
print("%s %d.%d.%d %s" % (ansible.release.__version__, sys.version_info[0], sys.version_info[1], sys.version_info[2],
                          ",".join(missing) or "-"))
"""


def probe(venv):
    """(ansible-core version, Python version, missing runtime requirements) of the venv; SystemExit if unusable."""
    python = os.path.join(venv, "bin", "python")
    for path in (python, os.path.join(venv, "bin", "ansible-playbook")):
        if not os.access(path, os.X_OK):
            raise SystemExit("smoke: %s is missing: is %s the venv of an ansible-core release?" % (path, venv))
    proc = subprocess.run([python, "-c", PROBE], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit("smoke: %s cannot import ansible:\n%s" % (python, proc.stderr))
    core, py, missing = proc.stdout.split()
    return core, py, [] if missing == "-" else missing.split(",")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--venv", required=True, help="the venv of the ansible-core release to run")
    parser.add_argument("--release", help="the ansible-core release (X.Y) that VENV must hold")
    args, pytest_args = parser.parse_known_args(argv)
    venv = os.path.abspath(args.venv)

    core, py, missing = probe(venv)
    if args.release and core.split(".")[:2] != args.release.split("."):
        raise SystemExit("smoke: %s holds ansible-core %s, not %s" % (args.venv, core, args.release))
    if missing:
        raise SystemExit("smoke: %s lacks the collection's runtime requirements %s (requirements.txt): its modules "
                         "cannot run, and the batch's action plugin would not run in-process"
                         % (args.venv, ", ".join(missing)))
    print("smoke: ansible-core %s, Python %s (%s)" % (core, py, args.venv), flush=True)

    os.environ[VENV_VARIABLE] = venv
    # The suite's own conftest and options (pytest.ini); no cache, so the smoke does not touch `pytest --lf`.
    return int(pytest.main(["-p", "no:cacheprovider", TESTS] + pytest_args))


if __name__ == "__main__":
    sys.exit(main())
