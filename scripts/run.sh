#!/usr/bin/env bash
# Set up from nothing and run the main job: simulate the HPA core (healthy and chronically
# stressed) and the twin (chronic pain developing into depression, and the same patient on a
# 2/100 Hz EA course), writing NetCDF results and figures under results/; seed a de-identified
# demo clinic (results/clinic.db) and serve the clinic web app on localhost, printing the URL and
# the demo login. `--no-serve` (or HPATWIN_NO_SERVE=1) stops after seeding, for scripted runs.
set -euo pipefail
cd "$(dirname "$0")/.."
serve=1
for argument in "$@"; do
  case "$argument" in
    --no-serve) serve=0 ;;
    *) echo "usage: bash scripts/run.sh [--no-serve]" >&2; exit 2 ;;
  esac
done
if [ "${HPATWIN_NO_SERVE:-0}" = 1 ]; then serve=0; fi
bash scripts/setup.sh
mkdir -p results
hpatwin=.venv/bin/hpatwin
$hpatwin simulate --phenotype healthy --days 14 --seed 1 \
  --output results/healthy.nc --plot results/healthy.png --overwrite
$hpatwin simulate --phenotype chronic_stress --days 14 --seed 1 \
  --output results/chronic_stress.nc --plot results/chronic_stress.png --overwrite
$hpatwin simulate --model twin --phenotype chronic_pain --start onset --days 180 --dt 5 \
  --output-every 60 --seed 1 --output results/pain_onset.nc --plot results/pain_onset_cascade.png --overwrite
$hpatwin simulate --model twin --phenotype comorbid --days 84 --dt 5 --output-every 60 --seed 1 \
  --plan examples/plans/ea_2_100hz_low_back_12w.yaml \
  --output results/comorbid_ea.nc --plot results/comorbid_ea_cascade.png --overwrite
echo "Results and figures are in results/"
# the demo clinic with each patient's fitted twin and forecast (skipped when already there)
$hpatwin web --db results/clinic.db seed-demo --forecasts --particles 256
if [ "$serve" = 1 ]; then
  exec $hpatwin serve --db results/clinic.db --host 127.0.0.1 --port "${HPATWIN_PORT:-8000}" --no-browser
fi
