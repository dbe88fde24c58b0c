#!/usr/bin/env bash
# Copy the collection's files into DEST (normally .../ansible_collections/<ns>/<name>)
# for ansible-test. In a git work tree: tracked files plus untracked files that are
# not ignored (so new files are tested before they are added); elsewhere: every file
# except virtualenvs, VCS data, test output and caches.
set -euo pipefail

if [[ $# -ne 1 ]]; then
    echo "usage: $0 DEST" >&2
    exit 2
fi

dest=$1
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mkdir -p "$dest"
cd "$root"

if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    # Files deleted in the work tree but still in the index are skipped.
    git ls-files -z --cached --others --exclude-standard \
        | while IFS= read -r -d '' path; do
            if [[ -e $path || -L $path ]]; then
                printf '%s\0' "$path"
            fi
        done \
        | tar --null --no-recursion -cf - --files-from=- \
        | tar -xf - -C "$dest"
else
    tar -cf - \
        --exclude=./.git --exclude=./.venv --exclude=./venv --exclude=./build \
        --exclude=./tests/output --exclude=./.cache --exclude=./.ansible \
        --exclude=__pycache__ --exclude=.pytest_cache --exclude='*.pyc' \
        --exclude='*.tar.gz' . \
        | tar -xf - -C "$dest"
fi
