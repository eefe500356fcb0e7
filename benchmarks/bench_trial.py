"""Trial-level benchmark: ``hpatwin trial`` end to end on the full model, wall time and peak memory.

Each case runs the real command line in a child process (so its peak resident
memory, workers included, is measured by the OS) on a generated spec: the twin,
a seeded comorbid population, usual care vs EA 2/100 Hz twice weekly
(``examples/plans/ea_2_100hz_low_back_12w.yaml``), PHQ-9 / pain / cortisol /
RMSSD endpoints, hourly sampling, seeded ultradian pulses, the model's cohort configuration
(the twin: dt = 10 min, float32).

Cases (``--cases``):

* ``trial``: ``--patients`` (default 10,000) × ``--days`` (84) in-process — the batch is split
  over the machine's CPU devices (one per core);
* ``multirate``: the same trial with ``simulation.slow_step_min`` = 20 and 60 (opt-in multirate
  stepping of the slow states; accuracy in docs/engine.md), side by side with ``trial``;
* ``dask``: ``--dask-patients`` through a local Dask cluster of worker processes, with 1 and
  with 2 workers (``--scheduler local --workers N``), for each chunk size in ``--dask-chunks``, for
  ``--dask-days`` days without warm-up (the scale-out test: throughput and bounded memory).

Run::

    .venv/bin/python benchmarks/bench_trial.py --json benchmarks/results/trial.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
PLAN = ROOT / "examples" / "plans" / "ea_2_100hz_low_back_12w.yaml"


def trial_spec(
    patients: int, days: int, chunk: int, *, warmup: str, report: bool
) -> dict[str, Any]:
    """The benchmark trial as a spec mapping."""
    visits = sorted({0, days // 3, 2 * days // 3, days - 1})  # a visit needs its whole day
    return {
        "name": f"bench-{patients}",
        "model": "twin",
        "seed": 11,
        "population": {"size": patients, "phenotypes": {"comorbid": 1.0}},
        "arms": ["usual_care", {"name": "ea_2_100hz", "plan": str(PLAN)}],
        "control_arm": "usual_care",
        "duration_days": days,
        "visits_days": visits,
        "endpoints": ["phq9_change", "pain_nrs_change", "cortisol_0800_change", "rmssd_change"],
        "primary_endpoint": "phq9_change",
        "chunk_size": chunk,
        "simulation": {"output_every_min": 60, "warmup": warmup},
        "statistics": {"bootstrap_samples": 500},
        "output": {"traces_per_arm": 2, "report": report},
    }


def run_case(spec: dict[str, Any], extra: list[str]) -> dict[str, Any]:
    """Run ``hpatwin trial`` on ``spec`` in a child process; wall seconds and peak RSS (GiB)."""
    with tempfile.TemporaryDirectory() as tmp:
        spec_path = Path(tmp) / "spec.yaml"
        spec_path.write_text(yaml.safe_dump(spec), encoding="utf-8")
        code = (
            "import resource, sys\n"
            "from hpatwin.cli import main\n"
            "try:\n    main()\nexcept SystemExit as e:\n    code = e.code\nelse:\n    code = 0\n"
            "own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
            "kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
            "print(f'PEAK_RSS_KIB {own} {kids}', file=sys.stderr)\n"
            "sys.exit(code)\n"
        )
        command = [
            sys.executable,
            "-c",
            code,
            "trial",
            str(spec_path),
            "--out",
            f"{tmp}/out",
            "--no-progress",
            *extra,
        ]
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True)
        wall = time.perf_counter() - start
        if done.returncode != 0:
            raise RuntimeError(f"trial failed:\n{done.stdout}\n{done.stderr}")
        own_kib, kids_kib = next(
            map(int, line.split()[1:])
            for line in done.stderr.splitlines()
            if line.startswith("PEAK_RSS_KIB")
        )
        print(done.stdout.strip(), flush=True)
        return {
            "seconds": wall,
            "peak_rss_gib_main": own_kib / 2**20,
            "peak_rss_gib_largest_worker": kids_kib / 2**20,
            "patients_sha256": results_digest(Path(tmp) / "out" / "patients.parquet"),
        }


def results_digest(path: Path) -> str:
    """SHA-256 of every patient's results (sorted by id): equal digests, identical trials."""
    table = pd.read_parquet(path).sort_values("patient_id").reset_index(drop=True)
    return hashlib.sha256(pd.util.hash_pandas_object(table, index=False).values.tobytes()).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="trial,dask")
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=84)
    parser.add_argument("--chunk", type=int, default=10_000)
    parser.add_argument("--dask-patients", type=int, default=1_000_000)
    parser.add_argument(
        "--dask-chunks", default="10000", help="comma-separated chunk sizes, each run with 1 and 2 workers"
    )
    parser.add_argument("--dask-workers", default="1,2", help="comma-separated worker counts")
    parser.add_argument("--dask-days", type=int, default=84)
    parser.add_argument("--json", default=None)
    parser.add_argument(
        "--simulation", default="{}", help="JSON: extra simulation settings for every case"
    )
    args = parser.parse_args()
    cases = set(args.cases.split(","))
    extra_simulation = json.loads(args.simulation)
    results: dict[str, Any] = {
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
        },
        "rows": [],
    }

    def record(name: str, patients: int, days: int, measured: dict[str, Any]) -> None:
        rate = patients * days / measured["seconds"]
        results["rows"].append(
            {
                "case": name,
                "patients": patients,
                "days": days,
                "patient_days_per_s": rate,
                **measured,
            }
        )
        print(
            f"{name:<58} {patients:>8} pts × {days} d {measured['seconds']:>8.1f} s "
            f"{rate:>9.0f} pd/s  peak RSS main {measured['peak_rss_gib_main']:.2f} GiB, "
            f"largest worker {measured['peak_rss_gib_largest_worker']:.2f} GiB, "
            f"results {measured['patients_sha256'][:12]}",
            flush=True,
        )

    if "trial" in cases:
        spec = trial_spec(args.patients, args.days, args.chunk, warmup="auto", report=True)
        spec["simulation"].update(extra_simulation)
        record(
            "hpatwin trial, in-process (warm-up + 12 weeks + report)",
            args.patients,
            args.days,
            run_case(spec, []),
        )
    if "multirate" in cases:
        for slow_step in (20, 60):
            spec = trial_spec(args.patients, args.days, args.chunk, warmup="auto", report=True)
            spec["simulation"]["slow_step_min"] = slow_step
            record(
                f"hpatwin trial, in-process, slow_step_min {slow_step}",
                args.patients,
                args.days,
                run_case(spec, []),
            )
    if "dask" in cases:
        spec = trial_spec(
            args.dask_patients, args.dask_days, 10_000, warmup="none", report=False
        )
        spec["output"]["traces_per_arm"] = 0
        for chunk in (int(c) for c in args.dask_chunks.split(",")):
            spec["chunk_size"] = chunk
            for workers in (int(w) for w in args.dask_workers.split(",")):
                record(
                    f"hpatwin trial --scheduler local --workers {workers}, chunks of {chunk} "
                    "(no warm-up)",
                    args.dask_patients,
                    args.dask_days,
                    run_case(spec, ["--scheduler", "local", "--workers", str(workers)]),
                )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
