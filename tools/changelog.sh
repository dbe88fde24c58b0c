#!/usr/bin/env bash
# Write CHANGELOG.rst from changelogs/ with antsibull-changelog, or with --check fail when the committed
# CHANGELOG.rst differs from what would be written (make changelog, make lint).
#
# The fragments in changelogs/fragments are the changes not yet released. They are rendered as the release of
# galaxy.yml's version by running `antsibull-changelog release` in a staged copy of the collection, so that in the
# checkout changelog.yaml and the fragments stay as they are: fragments added later are picked up by the next run,
# and cutting the real release (`antsibull-changelog release` in the checkout, then a version bump in galaxy.yml)
# still works. With no fragments it is `antsibull-changelog generate`. antsibull-changelog and ansible-doc (for the
# list of new plugins) come from PATH (.venv/bin under make).
set -euo pipefail

check=false
case ${1:-} in
    --check) check=true ;;
    '') ;;
    *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
stage=$(mktemp -d "${TMPDIR:-/tmp}/cloudcomms-virtual_appointments-changelog.XXXXXX")
trap 'rm -rf "$stage"' EXIT
dest=$stage/ansible_collections/cloudcomms/virtual_appointments
"$root/tools/stage_collection.sh" "$dest"
cd "$dest"
rm -f CHANGELOG.rst changelogs/.plugin-cache.yaml

version=$(sed -n 's/^version: *//p' galaxy.yml | tr -d "\"'")
fragments=$(compgen -G 'changelogs/fragments/*.y*ml' | wc -l || true)
if compgen -G 'changelogs/fragments/*.y*ml' >/dev/null; then
    if grep -Eq "^  '?${version//./\\.}'?:" changelogs/changelog.yaml; then
        echo "changelogs/fragments holds unreleased changes but galaxy.yml's version $version is already released:" \
             "bump the version in galaxy.yml" >&2
        exit 1
    fi
    antsibull-changelog release --version "$version" >/dev/null
else
    antsibull-changelog generate >/dev/null
fi

if $check; then
    if ! cmp -s CHANGELOG.rst "$root/CHANGELOG.rst"; then
        diff -u "$root/CHANGELOG.rst" CHANGELOG.rst || true
        echo "CHANGELOG.rst is not current with changelogs/: run 'make changelog' and commit the result" >&2
        exit 1
    fi
    echo "CHANGELOG.rst is current ($fragments unreleased fragments shown as $version)"
else
    cp CHANGELOG.rst "$root/CHANGELOG.rst"
    echo "wrote CHANGELOG.rst"
fi
