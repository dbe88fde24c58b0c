# Copyright: Contributors to the cloudcomms.virtual_appointments collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Offline stand-in for the get-pip bootstrap script that ansible-test downloads.

ansible-test bootstraps pip into each sanity-test virtual environment by running
``~/.ansible/test/cache/get_pip_<version>.py`` (downloaded from a host that is not
reachable here) as ``python quiet_pip.py [pip options] pip==<version> --no-setuptools --no-wheel``.
``make sanity`` copies this file to that path. It does the same job with what is
already on the machine and the package registry:

1. ``python -m ensurepip --upgrade`` in a child process (ensurepip disables pip's
   configuration for the rest of its own process, which would lose the machine's
   certificate and index settings);
2. ``python -m pip install`` with the arguments ansible-test passed, minus
   ``--no-setuptools`` and ``--no-wheel``, which are options of the real bootstrap
   script and not of pip.
"""

from __future__ import annotations

import subprocess
import sys

BOOTSTRAP_ONLY_OPTIONS = frozenset(('--no-setuptools', '--no-wheel'))


def main() -> int:
    """Bootstrap pip into the running interpreter's environment."""
    pip_args = [arg for arg in sys.argv[1:] if arg not in BOOTSTRAP_ONLY_OPTIONS]

    subprocess.run([sys.executable, '-m', 'ensurepip', '--upgrade'], check=True, stdout=subprocess.DEVNULL)

    return subprocess.run([sys.executable, '-m', 'pip', 'install', *pip_args], check=False).returncode


if __name__ == '__main__':
    sys.exit(main())
