"""Calibration of the twin's treatment effects through ``hpatwin trial`` itself.

Each calibration is a trial spec file in ``examples/trials/`` run by the one trial runner
(:func:`hpatwin.trials.run_trial`: the one population generator, screening on observed
scores, the natural course, the observation layer); this module only reads the figures off
the finished trials' patient tables (observed visit values of enrolled patients):

``vickers_pain`` (``calibration_vickers_pain.yaml``)
    chronic pain, 2/100 Hz EA vs sham vs usual care, NRS one week after 10 sessions: the
    standardised difference vs sham (target 0.1-0.35 SD) and vs usual care (0.35-0.7 SD;
    Vickers et al. IPD meta-analyses, Arch Intern Med 2012;172:1444 and J Pain 2018;19:455).
``macpherson_depression`` (``calibration_macpherson_depression.yaml``)
    depression, 10 weekly manual acupuncture sessions (ACUDep's traditional, hand-stimulated
    acupuncture) vs usual care: the baseline-adjusted PHQ-9 difference at 3 months (target
    −1.5 to −3.5; MacPherson et al., PLoS Med 2013;10:e1001518, ACUDep: −2.46), and sham vs
    usual care on PHQ-9 (target \\|g\\| ≤ 0.3, an assumption).
``time_course`` (``calibration_time_course.yaml``)
    comorbid patients, 2/100 Hz twice weekly: the number of sessions given when the median
    within-patient PHQ-9 improvement first reaches 20 % of baseline (target 4-6; source
    article; Kounali et al. 2022's ~20 % minimal important change), and its growth to week 12.
``frequency_comparison`` (``ea_comorbid_full_model.yaml``)
    2 Hz, 100 Hz and 2/100 Hz with equal sessions and weeks: each frequency's PHQ-9 and pain
    NRS change vs sham (the article's ordering: antidepressant 2/100 ≥ 2 > 100 Hz; analgesia
    strong and long-lasting for 2/100 Hz).

**Definitions.** A standardised difference is the baseline-adjusted (ANCOVA) difference of
the observed follow-up score divided by the pooled SD of the observed follow-up scores of the
two arms (``ddof = 1``), times Hedges' correction; positive = the first arm scores *lower*
(better). The time course's improvement is (baseline − visit) / baseline of each EA-arm
patient's observed PHQ-9; its median over the patients observed at a visit.

Run ``python -m hpatwin.cohorts.treatment_calibration --per-arm 300 --out calibration-out``
to reproduce the figures in ``docs/treatments.md`` (each trial shows its progress bar and is
resumable; ``--only NAME`` runs one).

Example
-------
>>> import numpy as np
>>> round(standardised_difference(np.array([4.0, 5, 6]), np.array([3.0, 4, 5]), -1.0), 3)
0.8
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from hpatwin.io.atomic import atomic_write_text
from hpatwin.treatments import load_plan
from hpatwin.trials.primary_analysis import ancova
from hpatwin.trials.spec import TrialSpec, TrialSpecError, load_trial_spec
from hpatwin.trials.statistics import hedges_correction
from hpatwin.trials.study import run_trial

Array = NDArray[np.float64]
MINUTES_PER_DAY = 1440

#: calibration name -> spec file (in the specs folder, by default ``examples/trials``)
CALIBRATION_SPECS: dict[str, str] = {
    "vickers_pain": "calibration_vickers_pain.yaml",
    "macpherson_depression": "calibration_macpherson_depression.yaml",
    "time_course": "calibration_time_course.yaml",
    "frequency_comparison": "ea_comorbid_full_model.yaml",
}
DEFAULT_SPECS_DIR = Path("examples/trials")
#: randomised patients per arm of the documented run
DEFAULT_PER_ARM = 300
#: the time-course target: median improvement ≥ 20 % of baseline (Kounali et al. 2022)
IMPROVEMENT_TARGET = 0.2


@dataclass(frozen=True)
class Target:
    """One calibration figure against its target range (inclusive).

    >>> Target("x", 0.2, 0.1, 0.35, "SD").passed
    True
    """

    figure: str
    value: float
    low: float
    high: float
    unit: str = ""
    note: str = ""
    passed: bool = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "passed", bool(math.isfinite(self.value) and self.low <= self.value <= self.high)
        )

    @classmethod
    def of(cls, target: Target | Mapping[str, Any]) -> Target:
        """A target, or one rebuilt from its stored JSON form (``passed`` is recomputed).

        >>> stored = {"figure": "x", "value": 1.0, "low": 0.0, "high": 2.0, "passed": False}
        >>> Target.of(stored).passed
        True
        """
        if isinstance(target, Target):
            return target
        return cls(**{k: v for k, v in target.items() if k != "passed"})


def standardised_difference(control: Array, treated: Array, adjusted_difference: float) -> float:
    """``−adjusted_difference`` / pooled SD of the two arms' follow-up scores, times Hedges' J.

    Positive when the treated arm scores lower (better) than the control.

    >>> round(standardised_difference(np.array([1.0, 2, 3]), np.array([1.0, 2, 3]), -1.0), 3)
    0.8
    """
    a = np.asarray(control, dtype=float)
    b = np.asarray(treated, dtype=float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    pooled = math.sqrt(
        ((len(a) - 1) * a.var(ddof=1) + (len(b) - 1) * b.var(ddof=1)) / (len(a) + len(b) - 2)
    )
    return float(-adjusted_difference / pooled * hedges_correction(len(a), len(b)))


def enrolled(patients: pd.DataFrame) -> pd.DataFrame:
    """The enrolled patients of a trial's patient table (all when it has no screening).

    >>> enrolled(pd.DataFrame({"enrolled": [True, False]})).shape[0]
    1
    """
    if "enrolled" not in patients.columns:
        return patients
    return patients[patients["enrolled"].astype(bool)]


@dataclass(frozen=True)
class Comparison:
    """Arm vs comparator on one observed score at one visit (enrolled patients).

    ``difference``: ANCOVA (baseline-adjusted) arm − comparator; ``effect_size``: see
    :func:`standardised_difference` (positive = arm better).

    >>> Comparison("ea", "sham", "pain_nrs", 39, -0.4, 0.25, 280, 281).effect_size
    0.25
    """

    arm: str
    comparator: str
    measure: str
    day: int
    difference: float
    effect_size: float
    n_arm: int
    n_comparator: int


def compare(
    patients: pd.DataFrame,
    arm: str,
    comparator: str,
    measure: str,
    day: int,
    *,
    latent: bool = False,
) -> Comparison:
    """Compare two arms on ``<measure>@day<day>`` adjusted for ``<measure>@day0``.

    ``latent=True`` compares the model's values at the visits (``latent:`` columns, kept
    beside the observed ones) instead: the mechanism without measurement noise.

    >>> rng = np.random.default_rng(0)
    >>> base = rng.normal(7, 1, 400)
    >>> table = pd.DataFrame({"arm": ["c"] * 200 + ["t"] * 200, "pain_nrs@day0": base,
    ...     "pain_nrs@day9": base - np.r_[np.zeros(200), np.ones(200)] + rng.normal(0, 1, 400)})
    >>> result = compare(table, "t", "c", "pain_nrs", 9)
    >>> -1.3 < result.difference < -0.7, result.n_arm
    (True, 200)
    """
    table = enrolled(patients)
    table = table[table["arm"].isin([arm, comparator])]
    prefix = "latent:" if latent else ""
    follow = table[f"{prefix}{measure}@day{day}"].to_numpy(dtype=float)
    baseline = table[f"{prefix}{measure}@day0"].to_numpy(dtype=float)
    treated = (table["arm"] == arm).to_numpy()
    result = ancova(follow, treated, baseline, confidence=0.95)
    ok = np.isfinite(follow) & np.isfinite(baseline)
    return Comparison(
        arm,
        comparator,
        measure,
        day,
        float(result.estimate),
        standardised_difference(follow[ok & ~treated], follow[ok & treated], result.estimate),
        int((ok & treated).sum()),
        int((ok & ~treated).sum()),
    )


def median_improvement(patients: pd.DataFrame, arm: str, days: Sequence[int]) -> list[float]:
    """Median of (baseline − visit) / baseline observed PHQ-9 in ``arm`` at each visit day.

    >>> table = pd.DataFrame({"arm": ["a"] * 3, "phq9@day0": [10.0, 20, 15],
    ...                       "phq9@day7": [8.0, 14, 15]})
    >>> median_improvement(table, "a", [7])
    [0.2]
    """
    table = enrolled(patients)
    table = table[table["arm"] == arm]
    baseline = table["phq9@day0"].to_numpy(dtype=float)
    out = []
    for day in days:
        visit = table[f"phq9@day{day}"].to_numpy(dtype=float)
        ok = np.isfinite(visit) & np.isfinite(baseline) & (baseline > 0)
        out.append(float(np.median((baseline[ok] - visit[ok]) / baseline[ok])))
    return out


def plan_session_days(spec: TrialSpec, arm: str) -> list[int]:
    """Days of every session of a plan arm (EA, sham, manual, dry needling, CBT), sorted.

    >>> from pathlib import Path
    >>> spec = load_trial_spec(Path("examples/trials/calibration_time_course.yaml"))
    >>> plan_session_days(spec, "ea_2_100hz")[:4]
    [1, 4, 8, 11]
    """
    path = spec.arm(arm).plan
    if path is None:
        return []
    if not path.is_absolute() and spec.base_dir is not None:
        path = spec.base_dir / path
    plan = load_plan(path)
    days = [block.start_min // MINUTES_PER_DAY for block in plan.session_blocks()]
    return sorted(days)


# --------------------------------------------------------------------------- the figures
def vickers_figures(spec: TrialSpec, patients: pd.DataFrame) -> dict[str, Any]:
    """Pain NRS at the last visit: EA vs sham and vs usual care (see the module docstring)."""
    day = spec.visits_days[-1]
    vs_sham = compare(patients, "ea_2_100hz", "sham", "pain_nrs", day)
    vs_usual = compare(patients, "ea_2_100hz", "usual_care", "pain_nrs", day)
    return {
        "comparisons": [asdict(vs_sham), asdict(vs_usual)],
        "targets": [
            Target(
                "pain NRS effect size, EA vs sham",
                vs_sham.effect_size,
                0.1,
                0.35,
                "SD",
                f"difference {vs_sham.difference:+.2f} NRS",
            ),
            Target(
                "pain NRS effect size, EA vs usual care",
                vs_usual.effect_size,
                0.35,
                0.7,
                "SD",
                f"difference {vs_usual.difference:+.2f} NRS",
            ),
        ],
    }


def macpherson_figures(spec: TrialSpec, patients: pd.DataFrame) -> dict[str, Any]:
    """PHQ-9 at the last visit: acupuncture vs usual care (points) and sham vs usual care (|g|)."""
    day = spec.visits_days[-1]
    acupuncture = compare(patients, "acupuncture", "usual_care", "phq9", day)
    sham = compare(patients, "sham", "usual_care", "phq9", day)
    return {
        "comparisons": [asdict(acupuncture), asdict(sham)],
        "targets": [
            Target(
                "PHQ-9 difference, manual acupuncture vs usual care at 3 months",
                acupuncture.difference,
                -3.5,
                -1.5,
                "points",
                f"effect size {acupuncture.effect_size:.2f} SD",
            ),
            Target(
                "PHQ-9 |g|, sham vs usual care at 3 months",
                abs(sham.effect_size),
                0.0,
                0.3,
                "SD",
                f"difference {sham.difference:+.2f} points",
            ),
        ],
    }


def time_course_figures(spec: TrialSpec, patients: pd.DataFrame) -> dict[str, Any]:
    """Median PHQ-9 improvement by visit; sessions given when it first reaches 20 %."""
    days = [d for d in spec.visits_days if d > 0]
    sessions = plan_session_days(spec, "ea_2_100hz")
    ea = median_improvement(patients, "ea_2_100hz", days)
    usual = median_improvement(patients, "usual_care", days)
    given = [sum(1 for s in sessions if s <= day) for day in days]
    reached = [g for g, value in zip(given, ea, strict=True) if value >= IMPROVEMENT_TARGET]
    at_target = reached[0] if reached else -1
    by_week = {w: ea[days.index(7 * w)] for w in (4, 8, 12) if 7 * w in days}
    return {
        "visits": [
            {"day": d, "sessions": g, "ea_median_improvement": e, "usual_care_median": u}
            for d, g, e, u in zip(days, given, ea, usual, strict=True)
        ],
        "improvement_by_week": by_week,
        "targets": [
            Target(
                "sessions given when the median PHQ-9 improvement first reaches 20 %",
                float(at_target),
                4,
                6,
                "sessions",
                "weeks 4 / 8 / 12: " + " / ".join(f"{by_week[w]:.0%}" for w in sorted(by_week)),
            ),
            Target(
                "median PHQ-9 improvement grows from week 4 to week 12",
                float(by_week.get(12, math.nan) - by_week.get(4, math.nan)),
                0.02,
                1.0,
                "fraction of baseline",
                "cumulative over 8-12 weeks",
            ),
        ],
    }


#: EA arms of the frequency comparison, in the article table's column order
FREQUENCY_ARMS = ("ea_2hz", "ea_100hz", "ea_2_100hz")


def frequency_figures(spec: TrialSpec, patients: pd.DataFrame) -> dict[str, Any]:
    """Each frequency's PHQ-9 and pain NRS vs sham at the last visit; the article's ordering."""
    day = spec.visits_days[-1]
    rows = {}
    for arm in FREQUENCY_ARMS:
        mood = compare(patients, arm, "sham", "phq9", day)
        pain = compare(patients, arm, "sham", "pain_nrs", day)
        latent_mood = compare(patients, arm, "sham", "phq9", day, latent=True)
        latent_pain = compare(patients, arm, "sham", "pain_nrs", day, latent=True)
        rows[arm] = {
            "latent_phq9_difference_vs_sham": latent_mood.difference,
            "latent_pain_nrs_difference_vs_sham": latent_pain.difference,
            "phq9_difference_vs_sham": mood.difference,
            "phq9_effect_size_vs_sham": mood.effect_size,
            "pain_nrs_difference_vs_sham": pain.difference,
            "pain_nrs_effect_size_vs_sham": pain.effect_size,
            "n": mood.n_arm,
        }
    mood_of = {arm: -rows[arm]["phq9_difference_vs_sham"] for arm in FREQUENCY_ARMS}
    pain_of = {arm: -rows[arm]["pain_nrs_difference_vs_sham"] for arm in FREQUENCY_ARMS}
    antidepressant = mood_of["ea_2_100hz"] >= mood_of["ea_2hz"] > mood_of["ea_100hz"]
    analgesia = pain_of["ea_2_100hz"] >= max(pain_of["ea_2hz"], pain_of["ea_100hz"])
    return {
        "arms": rows,
        "targets": [
            Target(
                "antidepressant ordering vs sham: 2/100 Hz ≥ 2 Hz > 100 Hz",
                float(antidepressant),
                1,
                1,
                "",
                " / ".join(f"{mood_of[a]:.2f}" for a in FREQUENCY_ARMS) + " PHQ-9 points",
            ),
            Target(
                "analgesia vs sham: 2/100 Hz (strong, long-lasting) ≥ 2 Hz and 100 Hz",
                float(analgesia),
                1,
                1,
                "",
                " / ".join(f"{pain_of[a]:.2f}" for a in FREQUENCY_ARMS) + " NRS points",
            ),
        ],
    }


FIGURES: dict[str, Callable[[TrialSpec, pd.DataFrame], dict[str, Any]]] = {
    "vickers_pain": vickers_figures,
    "macpherson_depression": macpherson_figures,
    "time_course": time_course_figures,
    "frequency_comparison": frequency_figures,
}


# --------------------------------------------------------------------------- running
def calibration_spec(path: Path, per_arm: int | None) -> TrialSpec:
    """Load a calibration spec; ``per_arm`` sets the population to that many per arm.

    >>> spec = calibration_spec(Path("examples/trials/calibration_vickers_pain.yaml"), 20)
    >>> spec.population.size, len(spec.arms)
    (60, 3)
    """
    spec = load_trial_spec(path)
    if per_arm is None:
        return spec
    if per_arm < 1:
        raise TrialSpecError([f"--per-arm: {per_arm} must be ≥ 1"], str(path))
    size = per_arm * sum(arm.ratio for arm in spec.arms)
    population = spec.population.model_copy(update={"size": size})
    return spec.with_overrides(population=population.model_dump())


def run_calibrations(
    out_dir: Path,
    *,
    specs_dir: Path = DEFAULT_SPECS_DIR,
    per_arm: int | None = DEFAULT_PER_ARM,
    only: Sequence[str] | None = None,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Run each calibration trial (resuming finished ones) and write the figures.

    Writes ``out_dir/<name>/`` (the trial), ``out_dir/calibration.json`` and
    ``out_dir/calibration.md``; returns the figures. Every spec is loaded and checked
    before the first trial starts.
    """
    names = list(only) if only else list(CALIBRATION_SPECS)
    unknown = [n for n in names if n not in CALIBRATION_SPECS]
    if unknown:
        raise TrialSpecError(
            [
                f"--only: unknown calibration {', '.join(unknown)}; known: {', '.join(CALIBRATION_SPECS)}"
            ]
        )
    specs = {n: calibration_spec(specs_dir / CALIBRATION_SPECS[n], per_arm) for n in names}
    say = log or (lambda text: print(text, file=sys.stderr, flush=True))
    figures: dict[str, Any] = {}
    for index, (name, spec) in enumerate(specs.items(), start=1):
        started = time.perf_counter()
        say(
            f"[{index}/{len(specs)}] {name}: {spec.population.size} patients, "
            f"{len(spec.arms)} arms, {spec.duration_days} days"
        )
        result = run_trial(
            spec, out_dir / name, progress=progress, reuse_complete=True, overwrite=False
        )
        patients = result.patients()
        entry = FIGURES[name](spec, patients)
        table = enrolled(patients)
        entry.update(
            spec=CALIBRATION_SPECS[name],
            randomised=len(patients),
            enrolled_per_arm={str(k): int(v) for k, v in table["arm"].value_counts().items()},
            seed=spec.seed,
            seconds=round(time.perf_counter() - started, 1),
        )
        figures[name] = entry
        for target in entry["targets"]:
            say(f"    {target_line(target)}")
    write_figures(out_dir, figures, per_arm)
    return figures


def target_line(target: Target) -> str:
    """One progress line: figure, value, target range and verdict.

    >>> target_line(Target("ES", 0.2, 0.1, 0.35))
    'ES: 0.2 (target 0.1–0.35) pass'
    """
    verdict = "pass" if target.passed else "FAIL"
    return f"{target.figure}: {target.value:.3g} (target {target.low:g}–{target.high:g}) {verdict}"


def jsonable(value: Any) -> Any:
    """Figures as plain JSON data: targets as mappings, numpy numbers as Python ones, non-finite
    numbers outside targets as null.

    >>> jsonable({"n": np.int64(3)})
    {'n': 3}
    """
    if isinstance(value, Target):
        return asdict(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def markdown(figures: Mapping[str, Any], per_arm: int | None) -> str:
    """The figures as a markdown table (figure, target, model, pass/fail).

    >>> text = markdown({"x": {"spec": "x.yaml", "targets": [Target("ES", 0.2, 0.1, 0.35, "SD")],
    ...                        "enrolled_per_arm": {"a": 5}}}, 300)
    >>> text.splitlines()[-1]
    '| x | ES | 0.1 to 0.35 SD | **0.2** | pass |'
    """
    size = f"{per_arm} randomised per arm" if per_arm else "the specs' sizes"
    lines = [
        f"Calibration through `hpatwin trial` ({size}; enrolled per arm in the JSON).",
        "",
        "| trial | figure | target | model | |",
        "|---|---|---|---|---|",
    ]
    for name, entry in figures.items():
        for target in entry["targets"]:
            t = Target.of(target)
            span = f"{t.low:g} to {t.high:g} {t.unit}".strip()
            if t.unit == "" and t.low == t.high == 1:
                span, value = "holds", ("yes" if t.passed else "no") + f" ({t.note})"
            else:
                value = f"**{t.value:.3g}**" + (f" ({t.note})" if t.note else "")
            verdict = "pass" if t.passed else "FAIL"
            lines.append(f"| {name} | {t.figure} | {span} | {value} | {verdict} |")
    return "\n".join(lines) + "\n"


def write_figures(out_dir: Path, figures: Mapping[str, Any], per_arm: int | None) -> None:
    """Write ``calibration.json`` and ``calibration.md`` atomically.

    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp())
    >>> write_figures(out, {"x": {"targets": [Target("ES", 0.2, 0.1, 0.35)]}}, 10)
    >>> sorted(p.name for p in out.iterdir())
    ['calibration.json', 'calibration.md']
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    data = {"per_arm": per_arm, "calibrations": jsonable(figures)}
    atomic_write_text(out_dir / "calibration.json", json.dumps(data, indent=2) + "\n")
    atomic_write_text(out_dir / "calibration.md", markdown(figures, per_arm))


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m hpatwin.cohorts.treatment_calibration [--per-arm N] [--out DIR] …``.

    Bad input (an unknown calibration, a missing or invalid spec) prints one ``Error:``
    line and returns 2.

    >>> main(["--only", "nonsense", "--out", "/tmp/unused"])
    2
    """
    parser = argparse.ArgumentParser(
        description="Treatment calibration of the twin through hpatwin trial"
    )
    parser.add_argument("--per-arm", type=int, default=DEFAULT_PER_ARM, help="patients per arm")
    parser.add_argument("--out", type=Path, default=Path("calibration-out"))
    parser.add_argument("--specs-dir", type=Path, default=DEFAULT_SPECS_DIR)
    parser.add_argument("--only", action="append", help="one calibration (repeat the option)")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    try:
        figures = run_calibrations(
            args.out,
            specs_dir=args.specs_dir,
            per_arm=args.per_arm,
            only=args.only,
            progress=not args.no_progress,
        )
    except (TrialSpecError, ValueError, OSError) as err:
        print(f"Error: {err}", file=sys.stderr)
        return 2
    print(markdown(figures, args.per_arm))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
