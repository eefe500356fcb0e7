"""Peak memory of a large CSV import: ``hpatwin score phq9 --csv FILE`` in a subprocess.

Writes a PHQ-9 CSV of about ``--megabytes`` MB (subject, administered_at, 9 items), runs the
command with its output discarded and reports wall time and the child's peak RSS
(``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss``).

    PYTHONPATH=src python benchmarks/bench_csv_import.py --megabytes 50
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def write_csv(path: Path, megabytes: float) -> int:
    target = int(megabytes * 1024 * 1024)
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write("subject,administered_at,1,2,3,4,5,6,7,8,9\n")
        size = handle.tell()
        while size < target:
            items = ",".join(str((rows + k) % 4) for k in range(9))
            line = f"p{rows:08d},2024-01-{1 + rows % 28:02d}T08:00,{items}\n"
            handle.write(line)
            size += len(line)
            rows += 1
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--megabytes", type=float, default=50.0)
    parser.add_argument("--json", dest="json_out", type=Path, default=None)
    parser.add_argument("--format", choices=["text", "json"], default="text")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "phq9.csv"
        rows = write_csv(path, args.megabytes)
        file_mb = path.stat().st_size / 1024 / 1024
        command = [sys.executable, "-m", "hpatwin", "score", "phq9", "--csv", str(path)]
        if args.format == "json":
            command.append("--json")
        start = time.perf_counter()
        done = subprocess.run(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=os.environ.copy()
        )
        wall = time.perf_counter() - start
        peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result = {
        "file_mb": round(file_mb, 1),
        "rows": rows,
        "format": args.format,
        "exit_code": done.returncode,
        "wall_s": round(wall, 1),
        "peak_rss_mib": round(peak_kib / 1024, 1),
    }
    if done.returncode:
        result["stderr"] = done.stderr.decode("utf-8", "replace")[-500:]
    print(json.dumps(result))
    if args.json_out is not None:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
