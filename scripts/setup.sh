#!/usr/bin/env bash
# Set up everything interpctf needs on a fresh Debian machine with Python 3.11: system packages (bubblewrap and
# libseccomp2 for the grading sandbox, Chromium for browser tests, PostgreSQL for the database tests), then a
# virtualenv in .venv with the project installed. Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

want_debs=(bubblewrap libseccomp2 chromium chromium-driver postgresql)
missing=()
for pkg in "${want_debs[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "setup: missing Debian packages: ${missing[*]} (run: sudo apt-get install ${missing[*]})" >&2
  fi
fi

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
stamp=.venv/.installed-$(cat pyproject.toml | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ]; then
  [ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip
  # torch==2.13.0 (pinned in pyproject.toml) is the CPU build; it installs from this machine's wheel cache/disk.
  .venv/bin/python -m pip install -q -e '.[server,dev,lab,agents,compiled]'
  rm -f .venv/.installed-*
  touch "$stamp"
fi
.venv/bin/python -c "import importlib.metadata as m; m.distribution('interpctf-kind-parity')" 2>/dev/null || .venv/bin/python -m pip install -q --no-deps -e examples/interpctf-kind-parity  # the example third-party kind (its tests run in tests/testing)
