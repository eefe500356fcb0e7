"""Start-up benchmark: how long ``hpatwin score`` and ``hpatwin plan`` take, end to end.

Each command runs ``--repeats`` times as a fresh process (after one warm-up run that
fills the bytecode cache); the median wall time and the median CPU time (user + system,
from the child's resource usage) are reported. CPU time is what the command costs; wall
time also includes waiting for a core when the machine is shared. The target is ≤ 0.5 s.

Run::

    .venv/bin/python benchmarks/bench_startup.py --repeats 15 --json benchmarks/results/startup.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
HPATWIN = Path(sys.executable).with_name("hpatwin")
COMMANDS: dict[str, list[str]] = {
    "score phq9": ["score", "phq9", "1", "2", "1", "0", "2", "1", "0", "1", "0"],
    "plan": ["plan", str(REPO / "examples/assessments/mild_depression_neck_monotherapy.yaml")],
    "--help": ["--help"],
}


def _run_once(arguments: list[str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([str(HPATWIN), *arguments], check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def measure(repeats: int) -> dict[str, Any]:
    """Median wall and CPU seconds of each command over ``repeats`` fresh processes."""
    results: dict[str, Any] = {}
    for name, arguments in COMMANDS.items():
        _run_once(arguments)  # warm the bytecode cache
        runs = [_run_once(arguments) for _ in range(repeats)]
        results[name] = {
            "median_wall_s": round(statistics.median(w for w, _ in runs), 3),
            "median_cpu_s": round(statistics.median(c for _, c in runs), 3),
            "repeats": repeats,
        }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "load_average_1min": os.getloadavg()[0],
        "commands": measure(args.repeats),
    }
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
