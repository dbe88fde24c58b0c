# Copyright: Contributors to the cloudcomms.virtual_appointments collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Print the pip version that the installed ansible-test bootstraps into its venvs.

Usage: python tools/ansible_test_pip_version.py [PYTHON_VERSION]

The answer names the bootstrap script ansible-test looks for in its cache
(``~/.ansible/test/cache/get_pip_<version with underscores>.py``); it is read
from ansible-test itself so that it follows the installed ansible-core release.
"""

from __future__ import annotations

import sys
import types


def main() -> int:
    """Print the pip version ansible-test pins for the given (or running) Python."""
    python_version = sys.argv[1] if len(sys.argv) > 1 else '%d.%d' % sys.version_info[:2]

    # pylint: disable-next=import-outside-toplevel
    from ansible_test._internal.python_requirements import get_venv_packages

    print(get_venv_packages(types.SimpleNamespace(version=python_version))['pip'])

    return 0


if __name__ == '__main__':
    sys.exit(main())
