#!/usr/bin/env bash
# Set up from nothing and run the checks: ruff, mypy, then the whole pytest suite (slow tests
# included: a plain local `pytest` skips them).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh dev
# PostgreSQL server binaries for the record-store tests (tests/records start a throwaway cluster
# on a loopback port; under CI=true a missing server fails those tests instead of skipping them)
if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null && ! command -v initdb >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  else
    echo "note: PostgreSQL server binaries not found; PostgreSQL tests will be skipped" >&2
  fi
fi
# Debian's Chromium for the real-browser tests (tests/web/test_browser.py drives it with
# Playwright; never `playwright install`). Under CI=true a missing browser fails those tests.
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "note: /usr/bin/chromium not found; browser tests will be skipped" >&2
  fi
fi
.venv/bin/ruff check src tests benchmarks scripts
.venv/bin/mypy
.venv/bin/python -m pytest --run-slow "$@"
