"""Record-store benchmark: 8 writer processes for 60 s on SQLite and on PostgreSQL.

Each writer (a separate process, started together behind a barrier) alternates PHQ-9
assessments and treatment sessions for two shared patients, each write its own
transaction with validation, scoring, a revision row and (PostgreSQL) a row lock on the
patient. Afterwards every acknowledged write is checked to be present. Prints the counts
and rates; ``--json`` writes them too.

PostgreSQL: ``--postgres-url`` (an empty database), else a throwaway cluster is started
on a loopback port when the server binaries are installed (``apt-get install postgresql``).

Run::

    PYTHONPATH=src .venv/bin/python benchmarks/bench_records.py --seconds 60 \\
        --json benchmarks/results/records.json
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

import sqlalchemy

from hpatwin.records.concurrency import WriterResult, run_writers
from hpatwin.records.testing import ThrowawayPostgres, find_postgres_bindir


def _row(result: WriterResult) -> dict[str, Any]:
    return {
        **asdict(result),
        "acknowledged": result.acknowledged,
        "writes_per_s": result.writes_per_s,
    }


def _print(result: WriterResult) -> None:
    print(
        f"{result.backend:<10} {result.processes} writers x {result.seconds:g} s: "
        f"{result.acknowledged_assessments} assessments + {result.acknowledged_sessions} sessions "
        f"acknowledged ({result.writes_per_s:.1f} writes/s), {result.refused} refused, "
        f"{result.missing} missing",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--postgres-url", default=None)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    results: list[WriterResult] = []
    backends = args.backends.split(",")
    with tempfile.TemporaryDirectory(prefix="hpatwin-bench-") as folder:
        if "sqlite" in backends:
            results.append(
                run_writers(f"sqlite:///{folder}/records.db", args.processes, args.seconds)
            )
            _print(results[-1])
        if "postgresql" in backends:
            cluster = None
            url = args.postgres_url
            if url is None:
                bindir = find_postgres_bindir()
                if bindir is None:
                    print("postgresql: skipped (no server binaries; give --postgres-url)")
                else:
                    cluster = ThrowawayPostgres(bindir)
                    cluster.start()
                    url = cluster.new_database()
            try:
                if url is not None:
                    results.append(run_writers(url, args.processes, args.seconds))
                    _print(results[-1])
            finally:
                if cluster is not None:
                    cluster.stop()
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "machine": {"python": platform.python_version(), "platform": platform.platform()},
            "sqlalchemy": sqlalchemy.__version__,
            "results": [_row(r) for r in results],
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
    return 0 if all(r.missing == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
