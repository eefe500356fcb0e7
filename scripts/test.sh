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
if [ "$#" -gt 0 ]; then
  exec .venv/bin/python -m pytest --run-slow "$@"
fi
# The whole suite runs as a few pytest processes, each a fresh interpreter: one process
# compiling every JAX program of the suite (hundreds of twin programs) crashed inside XLA's
# executable serialisation late in the run on this 2-core machine, never in a group alone.
# Every test directory runs exactly once: those not listed in the first groups go last.
groups=(
  "tests/analysis tests/benchmarks tests/cli tests/clinic tests/data tests/fuzz tests/io tests/parameters"
  "tests/cohorts tests/engine tests/experiments tests/model tests/observation tests/sbml tests/simulation"
  "tests/patient_twin tests/records tests/reports tests/treatments"
)
listed=" ${groups[*]} "
rest=""
for entry in tests/*; do
  name="${entry%/}"
  case "$name" in tests/__pycache__|tests/conftest.py|tests/__init__.py|tests/fuzz_corpus) continue ;; esac
  [[ "$listed" == *" $name "* ]] || rest="$rest $name"
done
groups+=("$rest src/hpatwin")
status=0
for group in "${groups[@]}"; do
  # shellcheck disable=SC2086
  .venv/bin/python -m pytest --run-slow $group || status=$?
done
exit "$status"
