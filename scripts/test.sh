#!/usr/bin/env bash
# Set up from nothing and run the checks: ruff, mypy, then the whole pytest suite (slow tests
# included: a plain local `pytest` skips them).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh dev
.venv/bin/ruff check src tests benchmarks scripts
.venv/bin/mypy
.venv/bin/python -m pytest --run-slow "$@"
