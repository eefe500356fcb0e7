#!/usr/bin/env bash
# Set up from nothing and run the main job: simulate a healthy and a chronically stressed
# patient for 14 days and write NetCDF results plus plots under results/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mkdir -p results
.venv/bin/hpatwin simulate --phenotype healthy --days 14 --seed 1 \
  --output results/healthy.nc --plot results/healthy.png --overwrite
.venv/bin/hpatwin simulate --phenotype chronic_stress --days 14 --seed 1 \
  --output results/chronic_stress.nc --plot results/chronic_stress.png --overwrite
echo "Results and plots are in results/"
