#!/bin/sh
# Install the Debian packages listed in packaging/debian-packages.txt that are missing.
# As root: apt-get installs them. Otherwise: print exactly what to install, and fail only
# when something is missing.
set -eu
here=$(dirname "$0")
list="$here/debian-packages.txt"
missing=""
for pkg in $(grep -v '^\s*#' "$list" | grep -v '^\s*$'); do
    if [ "$pkg" = python3-venv ] && "${PYTHON:-python3}" -c 'import ensurepip, venv' 2>/dev/null; then
        continue  # this Python brings its own venv support (pyenv, python.org builds)
    fi
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $pkg"
    fi
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing Debian packages:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing
else
    echo "Missing Debian packages. Install them with:" >&2
    echo "    sudo apt-get install$missing" >&2
    exit 1
fi
