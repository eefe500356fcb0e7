"""A self-contained HTML trial report: inline CSS, figures embedded as PNG.

Sections (each an ``<section id=...>``): ``overview``, ``consort`` (allocated /
completed / analysed per arm), ``baseline`` (demographics, factors,
phenotypes, baseline measures), ``endpoints`` (per-arm summaries),
``effects`` (vs control, bootstrap CIs, forest plot), ``trajectories``
(per-arm daily mean ± SD of each measure) and ``definitions`` (endpoint
definitions and sources), then the run's timings.

Example
-------
>>> from hpatwin.trials.report import html_table
>>> import pandas as pd
>>> "<th>a</th>" in html_table(pd.DataFrame({"a": [1.5]}))
True
"""

from __future__ import annotations

import base64
import html
import io
import math
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from matplotlib.figure import Figure

from hpatwin.io.atomic import atomic_path
from hpatwin.trials.chunk import ENDPOINT_PREFIX
from hpatwin.trials.endpoints import MEASURES
from hpatwin.trials.observed import natural_course_on
from hpatwin.trials.report_summary import clip_band, conduct_rows, describe_arm
from hpatwin.trials.runner import (
    PreparedTrial,
    analyse,
    daily_summary,
    enrolled_patients,
    prepare_trial,
)
from hpatwin.trials.spec import TrialSpec, _example_spec

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:72rem;
color:#1d2530;line-height:1.45;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.25rem;border-bottom:2px solid #d8dee6;
padding-bottom:.2rem;margin-top:2.2rem}
table{border-collapse:collapse;margin:.6rem 0;font-size:.9rem}
th,td{border:1px solid #d8dee6;padding:.25rem .55rem;text-align:right}
th{background:#f1f4f8}td:first-child,th:first-child{text-align:left}
.note{color:#56606d;font-size:.88rem}.disclaimer{background:#fff6e0;border-left:4px solid #e2a400;
padding:.5rem .8rem}.flow{display:flex;gap:1rem;flex-wrap:wrap}
.box{border:1px solid #9aa7b6;border-radius:6px;padding:.5rem .8rem;min-width:11rem;background:#f8fafc}
img{max-width:100%}code{background:#f1f4f8;padding:0 .25rem}
@page{size:A4;margin:12mm}
@media print{body{max-width:none;margin:0;padding:0;font-size:9pt}table{font-size:8pt}
th,td{padding:.1rem .3rem}section{break-inside:avoid-page}img{max-width:100%;break-inside:avoid}}
"""
#: most columns an effect table has, so that it fits the width of a printed A4 page
A4_TABLE_COLUMNS = 8


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        number = float(value)
        if number != 0 and (abs(number) >= 1e5 or abs(number) < 1e-3):
            return f"{number:.{digits}g}"
        return (
            f"{number:.{digits}g}"
            if abs(number) >= 100
            else f"{number:.{digits}f}".rstrip("0").rstrip(".") or "0"
        )
    return str(value)


def html_table(table: pd.DataFrame, *, digits: int = 3) -> str:
    """An HTML table with escaped text and compact numbers.

    Example
    -------
    >>> import pandas as pd
    >>> html_table(pd.DataFrame({"x": ["<b>"]}))
    '<table><thead><tr><th>x</th></tr></thead><tbody><tr><td>&lt;b&gt;</td></tr></tbody></table>'
    """
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in table.columns)
    rows = []
    for record in table.itertuples(index=False):
        cells = "".join(f"<td>{html.escape(_fmt(v, digits))}</td>" for v in record)
        rows.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _png(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="figure" src="data:image/png;base64,{encoded}">'


def _mean_sd(values: pd.Series) -> str:
    numbers = values.to_numpy(dtype=np.float64)
    numbers = numbers[np.isfinite(numbers)]
    if numbers.size == 0:
        return "–"
    sd = numbers.std(ddof=1) if numbers.size > 1 else math.nan
    return f"{_fmt(float(numbers.mean()))} ({_fmt(float(sd))})"


def _count(mask: pd.Series) -> str:
    total = len(mask)
    hits = int(mask.sum())
    return f"{hits} ({100.0 * hits / total:.0f} %)" if total else "–"


def baseline_table(prepared: PreparedTrial, patients: pd.DataFrame) -> pd.DataFrame:
    """Baseline characteristics per arm (mean (SD) or n (%)).

    Example
    -------
    >>> from hpatwin.trials.runner import prepare_trial
    >>> from hpatwin.trials.spec import _example_spec
    >>> prepared = prepare_trial(_example_spec())
    >>> patients = prepared.patients.assign(**{"cortisol_evening@day0": 3.0})
    >>> baseline_table(prepared, patients)["characteristic"].iloc[0]
    'patients, n'
    """
    arms = [arm.name for arm in prepared.spec.arms]
    rows: list[tuple[str, dict[str, str]]] = []

    def add(label: str, make: Any) -> None:
        rows.append((label, {arm: make(patients[patients["arm"] == arm]) for arm in arms}))

    add("patients, n", lambda g: str(len(g)))
    add("age, years: mean (SD)", lambda g: _mean_sd(g["age_years"]))
    add("female, n (%)", lambda g: _count(g["sex"] == "female"))
    add("pregnant, n (%)", lambda g: _count(g["pregnant"]))
    add("hepatic impairment, n (%)", lambda g: _count(g["hepatic_impairment"] != "none"))
    add("renal impairment, n (%)", lambda g: _count(g["renal_impairment"] != "none"))
    add("co-medications: mean (SD)", lambda g: _mean_sd(g["n_comedications"].astype(float)))
    for phenotype in prepared.spec.population.phenotypes:
        add(f"phenotype {phenotype}, n (%)", lambda g, p=phenotype: _count(g["phenotype"] == p))
    baseline_day = prepared.spec.visits_days[0]
    for measure in prepared.measures:
        info = MEASURES[measure]
        column = f"{measure}@day{baseline_day}"
        add(
            f"{info.label} ({info.unit}), day {baseline_day}: mean (SD)",
            lambda g, c=column: _mean_sd(g[c]),
        )
    return pd.DataFrame([{"characteristic": label, **values} for label, values in rows])


def consort_table(prepared: PreparedTrial, patients: pd.DataFrame) -> pd.DataFrame:
    """Allocated, completed and analysed (primary endpoint) counts per arm.

    Example
    -------
    >>> from hpatwin.trials.runner import prepare_trial
    >>> from hpatwin.trials.spec import _example_spec
    >>> prepared = prepare_trial(_example_spec())
    >>> patients = prepared.patients.assign(completed=True, **{"endpoint:cortisol_2300_change": 1.0})
    >>> consort_table(prepared, patients)[["arm", "allocated", "completed"]].to_dict("records")
    [{'arm': 'usual_care', 'allocated': 2, 'completed': 2}, {'arm': 'relief', 'allocated': 2, 'completed': 2}]
    """
    primary = ENDPOINT_PREFIX + prepared.spec.primary_endpoint_key()
    rows = []
    for arm in prepared.spec.arms:
        group = patients[patients["arm"] == arm.name]
        completed = int(group["completed"].sum())
        analysed = int(np.isfinite(group[primary].to_numpy(dtype=np.float64)).sum())
        rows.append(
            {
                "arm": arm.name,
                "allocated": len(group),
                "completed": completed,
                "not completed (dropout, missed visit)": len(group) - completed,
                "analysed (primary endpoint)": analysed,
                "not applicable / missing": completed - analysed,
            }
        )
    return pd.DataFrame(rows)


def _trajectory_figures(prepared: PreparedTrial, daily_path: Path) -> list[str]:
    arms = [arm.name for arm in prepared.spec.arms]
    summary = daily_summary(daily_path, arms, prepared.measures)
    figures = []
    for measure in prepared.measures:
        if f"{measure}_mean" not in summary:
            continue
        info = MEASURES[measure]
        figure = Figure(figsize=(7.5, 3.2))
        axes = figure.add_subplot()
        days = summary["day"].to_numpy()
        for arm in arms:
            mean = summary[f"{measure}_mean"].sel(arm=arm).to_numpy()
            sd = summary[f"{measure}_sd"].sel(arm=arm).to_numpy()
            line = axes.plot(days, mean, label=arm)[0]
            low, high = clip_band(measure, mean - sd, mean + sd)  # within the instrument range
            axes.fill_between(days, low, high, color=line.get_color(), alpha=0.18)
        for visit in prepared.spec.visits_days:
            axes.axvline(visit, color="#9aa7b6", lw=0.8, ls=":")
        axes.set_xlabel("day")
        axes.set_ylabel(f"{info.label} ({info.unit})")
        axes.legend(frameon=False, fontsize=8)
        axes.set_title(f"{info.label}: model mean ± SD per arm (dotted: visits)", fontsize=10)
        figures.append(_png(figure))
    return figures


def forest_rows(effects: pd.DataFrame) -> list[tuple[str, str, float, float, float]]:
    """Continuous comparisons for the forest plot, grouped by endpoint: ``(endpoint, arm,
    g, low, high)`` in the effects' endpoint order, arms in order within each endpoint.

    Example
    -------
    >>> table = pd.DataFrame({"kind": ["continuous"] * 2, "endpoint": ["phq9_change"] * 2,
    ...     "arm": ["a", "b"], "hedges_g": [-0.5, 0.1], "hedges_g_ci_low": [-0.8, -0.2],
    ...     "hedges_g_ci_high": [-0.2, 0.4]})
    >>> [row[:3] for row in forest_rows(table)]
    [('phq9_change', 'a', -0.5), ('phq9_change', 'b', 0.1)]
    """
    continuous = effects[effects["kind"] == "continuous"]
    rows = []
    for endpoint in dict.fromkeys(continuous["endpoint"]):
        for r in continuous[continuous["endpoint"] == endpoint].itertuples():
            rows.append(
                (
                    str(endpoint),
                    str(r.arm),
                    float(r.hedges_g),
                    float(r.hedges_g_ci_low),
                    float(r.hedges_g_ci_high),
                )
            )
    return rows


def _forest_figure(effects: pd.DataFrame) -> str | None:
    """Hedges' g with its interval, one row per arm, arms grouped under each endpoint's name,
    the value printed at the right; shaded bands mark |g| < 0.2 (small) and 0.2-0.5."""
    rows = forest_rows(effects)
    if not rows:
        return None
    endpoints = list(dict.fromkeys(row[0] for row in rows))
    n_lines = len(rows) + len(endpoints)
    figure = Figure(figsize=(7.5, 0.32 * n_lines + 1.3))
    axes = figure.add_subplot()
    y, ticks, labels = float(n_lines), [], []
    finite = [v for row in rows for v in row[2:] if math.isfinite(v)]
    span = max([0.6, *(abs(v) for v in finite)]) * 1.15
    for endpoint in endpoints:
        y -= 1
        axes.text(-span, y, endpoint, fontsize=9, fontweight="bold", va="center")
        for _, arm, g, low, high in (row for row in rows if row[0] == endpoint):
            y -= 1
            ticks.append(y)
            labels.append(arm)
            if math.isfinite(g):
                axes.errorbar(
                    [g],
                    [y],
                    xerr=[[np.nan_to_num(g - low)], [np.nan_to_num(high - g)]],
                    fmt="o",
                    color="#1f5fa8",
                    capsize=3,
                )
                axes.annotate(
                    f"{g:+.2f} [{low:+.2f}, {high:+.2f}]",
                    (1.01, y),
                    xycoords=("axes fraction", "data"),
                    fontsize=8,
                    va="center",
                )
    axes.axvspan(-0.2, 0.2, color="#eef1f5", zorder=0)
    axes.axvline(0, color="#555", lw=0.8)
    axes.set_xlim(-span, span)
    axes.set_ylim(-0.7, n_lines - 0.3)
    axes.set_yticks(ticks, labels, fontsize=9)
    axes.grid(axis="x", color="#d8dee6", lw=0.6)
    axes.set_xlabel("Hedges' g, arm vs control (bootstrap CI); shaded: |g| < 0.2")
    return _png(figure)


def _observation_text(spec: TrialSpec) -> str:
    if spec.observation.noise:
        return (
            "observed values: PHQ-9 from nine integer items, integer NRS, assayed cortisol "
            "at jittered sampling times, day-to-day RMSSD, visit-to-visit fluctuation "
            "(hpatwin's observation layer)"
        )
    return "noise off: the model's expected values"


def _screening_text(spec: TrialSpec) -> str:
    screening = spec.screening
    if not screening.active:
        return "none (every generated patient enrolled)"
    rules = []
    for label, low, high in (
        ("PHQ-9", screening.phq9_min, screening.phq9_max),
        ("NRS", screening.nrs_min, screening.nrs_max),
    ):
        if low is not None:
            rules.append(f"{label} ≥ {low}")
        if high is not None:
            rules.append(f"{label} ≤ {high}")
    return f"{', '.join(rules)} at screening, {screening.days_before_baseline} days before baseline"


def _natural_course_text(prepared: PreparedTrial) -> str:
    if natural_course_on(prepared.spec, prepared.model):
        return "enrolment during an exacerbation that resolves by itself"
    return "off"


def _dropout_text(spec: TrialSpec) -> str:
    dropout = spec.dropout
    if not dropout.active:
        return "none"
    parts = []
    if dropout.mechanism != "none" and dropout.probability_per_visit > 0:
        text = f"{dropout.mechanism.upper()} {dropout.probability_per_visit:g} per visit"
        if dropout.mechanism == "mar":
            text += (
                f", odds × {dropout.mar_odds_ratio_per_point:g} per point of "
                f"{dropout.mar_predictor} above {dropout.mar_reference_phq9:g}"
            )
        parts.append(text)
    if dropout.missed_visit_probability > 0:
        parts.append(f"missed visits {dropout.missed_visit_probability:g} (MCAR)")
    return "; ".join(parts)


def _with_interval(estimate: Any, low: Any, high: Any) -> str:
    if estimate is None or not math.isfinite(float(estimate)):
        return "–"
    return f"{_fmt(float(estimate))} [{_fmt(float(low))}, {_fmt(float(high))}]"


def _p(value: Any) -> str:
    if value is None or not math.isfinite(float(value)):
        return "–"
    return "< 0.001" if float(value) < 0.001 else f"{float(value):.3f}"


def primary_table(rows: pd.DataFrame) -> pd.DataFrame:
    """The primary analysis in at most :data:`A4_TABLE_COLUMNS` columns (intervals in brackets).

    Example
    -------
    >>> table = primary_table(pd.DataFrame({"endpoint": ["phq9_change"], "arm": ["ea"],
    ...     "ancova_n": [80], "ancova_estimate": [-2.5], "ancova_ci_low": [-3.5],
    ...     "ancova_ci_high": [-1.5], "ancova_p_value": [0.0001], "hedges_g_baseline_sd": [-0.4],
    ...     "hedges_g_baseline_sd_ci_low": [-0.7], "hedges_g_baseline_sd_ci_high": [-0.1],
    ...     "completers_estimate": [-2.4], "locf_estimate": [-2.3]}))
    >>> table.iloc[0]["ANCOVA difference [CI]"], len(table.columns) <= A4_TABLE_COLUMNS
    ('-2.5 [-3.5, -1.5]', True)
    """
    return pd.DataFrame(
        {
            "endpoint": rows["endpoint"].to_numpy(),
            "arm": rows["arm"].to_numpy(),
            "n": rows["ancova_n"].to_numpy(),
            "ANCOVA difference [CI]": [
                _with_interval(e, lo, hi)
                for e, lo, hi in zip(
                    rows["ancova_estimate"],
                    rows["ancova_ci_low"],
                    rows["ancova_ci_high"],
                    strict=True,
                )
            ],
            "p": [_p(v) for v in rows["ancova_p_value"]],
            "g, baseline SD [CI]": [
                _with_interval(e, lo, hi)
                for e, lo, hi in zip(
                    rows["hedges_g_baseline_sd"],
                    rows["hedges_g_baseline_sd_ci_low"],
                    rows["hedges_g_baseline_sd_ci_high"],
                    strict=True,
                )
            ],
            "completers": rows["completers_estimate"].to_numpy(),
            "LOCF": rows["locf_estimate"].to_numpy(),
        }
    )


def effect_table(effects: pd.DataFrame) -> pd.DataFrame:
    """Unadjusted comparisons in at most :data:`A4_TABLE_COLUMNS` columns.

    Example
    -------
    >>> table = effect_table(pd.DataFrame({"endpoint": ["pain_nrs_change"], "arm": ["ea"],
    ...     "n_arm": [80], "n_control": [79], "estimate_name": ["mean_difference"],
    ...     "estimate": [-0.8], "ci_low": [-1.2], "ci_high": [-0.4], "hedges_g": [-0.5],
    ...     "hedges_g_ci_low": [-0.8], "hedges_g_ci_high": [-0.2], "p_value": [0.002],
    ...     "test": ["welch_t"]}))
    >>> list(table.columns)
    ['endpoint', 'arm', 'n (arm / control)', 'estimate', 'value [CI]', "Hedges' g [CI]", 'p']
    """
    return pd.DataFrame(
        {
            "endpoint": effects["endpoint"].to_numpy(),
            "arm": effects["arm"].to_numpy(),
            "n (arm / control)": [
                f"{int(a)} / {int(c)}"
                for a, c in zip(effects["n_arm"], effects["n_control"], strict=True)
            ],
            "estimate": [str(v).replace("_", " ") for v in effects["estimate_name"]],
            "value [CI]": [
                _with_interval(e, lo, hi)
                for e, lo, hi in zip(
                    effects["estimate"], effects["ci_low"], effects["ci_high"], strict=True
                )
            ],
            "Hedges' g [CI]": [
                _with_interval(e, lo, hi)
                for e, lo, hi in zip(
                    effects["hedges_g"],
                    effects["hedges_g_ci_low"],
                    effects["hedges_g_ci_high"],
                    strict=True,
                )
            ],
            "p": [_p(v) for v in effects["p_value"]],
        }
    )


def _primary_analysis_html(effects: pd.DataFrame, confidence: float) -> str:
    if "ancova_estimate" not in effects:
        return ""
    rows = effects[effects["ancova_estimate"].notna() | effects["ancova_n"].notna()]
    if rows.empty:
        return ""
    statement = str(rows["missing_data"].iloc[0])
    return (
        "<h3>Primary analysis: ANCOVA adjusted for baseline</h3>"
        + html_table(primary_table(rows))
        + f"<p class='note'>Arm minus control, adjusted for the baseline value ({confidence:.0%} "
        "t interval). Missing visits: "
        + html.escape(statement)
        + ". g: Hedges' g of the change over the pooled baseline SD (bootstrap interval); "
        "completers and LOCF: the sensitivity estimates.</p>"
    )


def render_report(
    *,
    prepared: PreparedTrial,
    patients: pd.DataFrame,
    daily_path: Path,
    endpoints: pd.DataFrame,
    effects: pd.DataFrame,
    timing: Mapping[str, float],
) -> str:
    """The report as an HTML string.

    Example
    -------
    >>> prepared, patients, daily, summaries, effects = _example_inputs()
    >>> page = render_report(prepared=prepared, patients=patients, daily_path=daily,
    ...                      endpoints=summaries, effects=effects, timing={})
    >>> "<section id='trajectories'>" in page and page.count("data:image/png") == 2
    True
    """
    spec = prepared.spec
    esc = html.escape
    control = spec.control_arm_name()
    confidence = spec.statistics.confidence_level
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Trial report: {esc(spec.name)}</title><style>{_CSS}</style></head><body>",
        f"<h1>In-silico trial: {esc(spec.name)}</h1>",
        f"<p class='note'>{esc(spec.description)}</p>" if spec.description else "",
        "<p class='disclaimer'>Simulated patients from a mechanistic model — research and "
        "decision-support software, not a medical device. Results describe the model, not "
        "real patients.</p>",
        "<section id='overview'><h2>Design</h2>",
        html_table(
            pd.DataFrame(
                [
                    ("model", prepared.model.name),
                    ("patients", prepared.n_patients),
                    (
                        "phenotype mix",
                        ", ".join(f"{k} {v:g}" for k, v in spec.population.phenotypes.items()),
                    ),
                    ("arms (ratio)", ", ".join(f"{a.name} ({a.ratio})" for a in spec.arms)),
                    ("control arm", control or "none"),
                    (
                        "randomisation",
                        f"{spec.randomisation.method}"
                        + (
                            f", stratified by {', '.join(spec.randomisation.stratify_by)}"
                            if spec.randomisation.stratify_by
                            else ""
                        ),
                    ),
                    ("duration", f"{spec.duration_days} days"),
                    ("visits (days)", ", ".join(str(d) for d in spec.visits_days)),
                    ("primary endpoint", spec.primary_endpoint_key()),
                    ("observation", _observation_text(spec)),
                    ("screening", _screening_text(spec)),
                    ("natural course", _natural_course_text(prepared)),
                    ("dropout", _dropout_text(spec)),
                    ("seed", spec.seed),
                    ("spec fingerprint", prepared.fingerprint[:16]),
                ],
                columns=["item", "value"],
            )
        ),
        "<h3>Arms</h3><ul>",
    ]
    for arm in prepared.arms.values():
        text = describe_arm(arm)
        if arm.description and text == "no study treatment":
            text = ""  # the description already says so
        parts.append(f"<li><b>{esc(arm.name)}</b>: {esc(arm.description or '')} {esc(text)}</li>")
    parts.append("</ul></section>")

    conduct = conduct_rows(patients, [arm.name for arm in spec.arms])
    patients = enrolled_patients(patients)
    consort = consort_table(prepared, patients)
    parts.append("<section id='consort'><h2>Participant flow (CONSORT-style)</h2>")
    parts.append(
        f"<div class='flow'><div class='box'>screened<br><b>{prepared.n_patients}</b><br>"
        f"enrolled <b>{int(conduct['enrolled'].sum())}</b></div>"
        + "".join(
            f"<div class='box'>{esc(r['arm'])}<br>allocated <b>{r['allocated']}</b><br>"
            f"completed <b>{r['completed']}</b><br>analysed <b>{r['analysed (primary endpoint)']}</b></div>"
            for r in consort.to_dict("records")
        )
        + "</div>"
    )
    parts.append(html_table(conduct))
    parts.append(html_table(consort))
    parts.append(
        "<p class='note'>Screening applies the inclusion criteria to observed scores at the "
        "screening visit; screen failures are not analysed. Among the enrolled, a patient "
        "counts as not completed after dropout or a missed visit (or, rarely, non-finite "
        "simulated values). Binary endpoints may be not applicable (e.g. slope normalisation "
        "for patients normal at baseline).</p></section>"
    )

    parts.append("<section id='baseline'><h2>Baseline characteristics</h2>")
    parts.append(html_table(baseline_table(prepared, patients)))
    parts.append("</section>")

    parts.append("<section id='endpoints'><h2>Endpoints by arm</h2>")
    shown = endpoints.drop(columns=[c for c in ("kind",) if c in endpoints])
    parts.append(html_table(shown))
    parts.append(
        f"<p class='note'>Binary endpoints: rate with a {confidence:.0%} Wilson interval.</p></section>"
    )

    parts.append("<section id='effects'><h2>Effect sizes vs control</h2>")
    if effects.empty:
        parts.append("<p>No control arm: no comparisons.</p>")
    else:
        controls = ", ".join(dict.fromkeys(str(c) for c in effects["control"]))
        tests = ", ".join(dict.fromkeys(str(t).replace("_", " ") for t in effects["test"]))
        parts.append(_primary_analysis_html(effects, confidence))
        parts.append("<h3>Unadjusted comparisons</h3>")
        parts.append(html_table(effect_table(effects)))
        parts.append(
            f"<p class='note'>Against {esc(controls)}; estimates are treated minus control. "
            f"{confidence:.0%} percentile bootstrap intervals "
            f"({spec.statistics.bootstrap_samples} resamples within each arm, seeded); "
            f"p from {esc(tests)}.</p>"
        )
        forest = _forest_figure(effects)
        if forest:
            parts.append(forest)
    parts.append("</section>")

    parts.append("<section id='trajectories'><h2>Trajectories</h2>")
    parts.extend(_trajectory_figures(prepared, daily_path))
    parts.append("</section>")

    parts.append("<section id='definitions'><h2>Endpoint definitions and sources</h2><ul>")
    for endpoint in prepared.endpoints:
        parts.append(
            f"<li><b>{esc(endpoint.key)}</b> ({endpoint.kind}{', ' + esc(endpoint.definition.unit) if endpoint.definition.unit else ''}): "
            f"{esc(endpoint.describe())}. <i>Source:</i> {esc(endpoint.definition.source)}</li>"
        )
    readouts = spec.readouts
    parts.append(
        "</ul><p class='note'>Readouts: "
        + esc(
            f"PHQ-9 ← {readouts.phq9}, pain NRS ← {readouts.pain_nrs}, salivary cortisol ← "
            f"{readouts.salivary_cortisol}, RMSSD ← {readouts.rmssd}; cortisol samples at "
            f"{spec.sampling.morning_clock} and {spec.sampling.evening_clock}."
        )
        + "</p></section>"
    )
    if timing:
        parts.append("<section id='run'><h2>Run</h2>")
        parts.append(html_table(pd.DataFrame(sorted(timing.items()), columns=["timing", "value"])))
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(p for p in parts if p)


def write_report(
    path: Path,
    *,
    prepared: PreparedTrial,
    patients: pd.DataFrame,
    daily_path: Path,
    endpoints: pd.DataFrame,
    effects: pd.DataFrame,
    timing: Mapping[str, float],
) -> Path:
    """Render the report (:func:`render_report`) and write it atomically.

    Example
    -------
    >>> import pathlib, tempfile
    >>> prepared, patients, daily, summaries, effects = _example_inputs()
    >>> path = write_report(pathlib.Path(tempfile.mkdtemp()) / "r.html", prepared=prepared,
    ...     patients=patients, daily_path=daily, endpoints=summaries, effects=effects, timing={})
    >>> "<section id='consort'>" in path.read_text(encoding="utf-8")
    True
    """
    text = render_report(
        prepared=prepared,
        patients=patients,
        daily_path=daily_path,
        endpoints=endpoints,
        effects=effects,
        timing=timing,
    )
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


def _example_inputs() -> tuple[PreparedTrial, pd.DataFrame, Path, pd.DataFrame, pd.DataFrame]:
    """A prepared 4-patient trial with made-up results, for the examples in this module."""
    prepared = prepare_trial(_example_spec())
    patients = prepared.patients.copy()
    patients["completed"] = True
    patients["endpoint:cortisol_2300_change"] = [0.0, -1.0, -2.0, 0.5]
    patients["cortisol_evening@day0"] = 3.0
    patients["cortisol_evening@day2"] = [3.0, 2.0, 1.0, 3.5]
    daily = Path(tempfile.mkdtemp()) / "daily.parquet"
    evening = pa.FixedSizeListArray.from_arrays(pa.array([3.0, 2.5, 2.0] * 4), 3)
    pq.write_table(
        pa.table(
            {"patient_id": range(4), "arm": patients["arm"], "daily:cortisol_evening": evening}
        ),
        daily,
    )
    summaries, effects = analyse(prepared, patients)
    return prepared, patients, daily, summaries, effects
