"""Render a :class:`~hpatwin.clinic.planner.plan.Plan` as terminal text, JSON or printable HTML.

Every rendering starts with any urgent alert, then the decision-support disclaimer. The HTML is
one self-contained file (inline CSS, no scripts, no external resources), all text escaped, and
:func:`write_html` writes it atomically and refuses to overwrite unless asked.

Example
-------
>>> from hpatwin.clinic.planner.plan import build_plan
>>> plan = build_plan({"age_years": 30, "sex": "male", "phq9_total": 16, "phq9_item9": 2,
...                    "pain_nrs": 0})
>>> render_text(plan).splitlines()[0]
'!!! URGENT: PHQ-9 item 9 positive: thoughts of death or self-harm'
"""

from __future__ import annotations

import html
import textwrap
from collections.abc import Iterable
from pathlib import Path

from hpatwin.clinic.planner.knowledge import Level
from hpatwin.clinic.planner.plan import Plan
from hpatwin.clinic.planner.safety import Provenance, SafetyAlert
from hpatwin.io.atomic import atomic_path, refuse_overwrite

__all__ = ["render_html", "render_json", "render_text", "write_html"]

_WIDTH = 100


def _flag(provenance: Provenance) -> str:
    return "" if provenance.confirmation == "confirmed" else f" [{provenance.confirmation.upper()}]"


def _provenance_line(provenance: Provenance) -> str:
    evidence = provenance.evidence
    if provenance.rationale:
        evidence += f" ({provenance.rationale})"
    return (
        f"Evidence: {evidence}{_flag(provenance)}. Source: {provenance.source} "
        f"[rule {provenance.rule_id}]"
    )


def _wrap(text: str, indent: str = "    ", hanging: str = "") -> list[str]:
    return textwrap.wrap(
        text,
        width=_WIDTH,
        initial_indent=indent,
        subsequent_indent=indent + hanging,
        break_long_words=False,
        break_on_hyphens=False,
    ) or [indent.rstrip()]


def _alert_lines(alert: SafetyAlert) -> list[str]:
    lines = [f"  [{alert.level.value.upper()}] {alert.title}"]
    lines += _wrap(alert.message)
    if alert.triggered_by:
        lines += _wrap("Triggered by: " + "; ".join(alert.triggered_by))
    lines += _wrap(_provenance_line(alert.provenance))
    return lines


def _heading(title: str) -> list[str]:
    return ["", title, "-" * len(title)]


def render_text(plan: Plan) -> str:
    """A readable plan for the terminal (plain text, about 100 columns).

    Example
    -------
    >>> from hpatwin.clinic.planner.plan import build_plan
    >>> text = render_text(build_plan({"age_years": 30, "sex": "male", "phq9_total": 7,
    ...                                "phq9_item9": 0, "pain_nrs": 0}))
    >>> "not a prescription" in text and "Review at session 6" in text
    True
    """
    out: list[str] = []
    for alert in plan.urgent_alerts:
        out.append(f"!!! URGENT: {alert.title}")
        out += _wrap(alert.message, "!!! ")
        out += _wrap("Triggered by: " + "; ".join(alert.triggered_by), "!!! ")
        out += _wrap(_provenance_line(alert.provenance), "!!! ")
        out.append("")
    out += _wrap(plan.disclaimer.upper(), "")
    s = plan.summary
    out += _heading("Assessment")
    who = f"{s.age_years} y, {s.sex}"
    if s.pregnant:
        who += f", pregnant (week {s.gestational_week})"
    if s.lactating:
        who += ", breastfeeding"
    out.append(f"  {who}" + (f"; label {s.patient_label}" if s.patient_label else ""))
    item9 = "not recorded" if s.phq9_item9 is None else str(s.phq9_item9)
    out.append(f"  PHQ-9 {s.phq9_total} ({s.phq9_severity}); item 9: {item9}")
    pain = f"  Pain NRS {s.pain_nrs:g} ({s.pain_band})"
    if s.pain_duration_months is not None:
        pain += f" for {s.pain_duration_months:g} months"
    if s.pain_regions:
        pain += f"; regions: {', '.join(s.pain_regions)}"
    out.append(pain)
    extra = [
        f"{name} {value}"
        for name, value in (("GAD-7", s.gad7_total), ("PCS", s.pcs_total), ("ISI", s.isi_total))
        if value is not None
    ]
    if extra:
        out.append("  " + "; ".join(extra))
    crcl = (
        "not recorded"
        if s.creatinine_clearance_ml_min is None
        else (f"{s.creatinine_clearance_ml_min:g} mL/min")
    )
    out.append(f"  CrCl: {crcl}; liver: {s.liver_status or 'not recorded'}")
    if s.medications:
        meds = [
            m.entered
            + (f" = {', '.join(m.recognised_as)}" if m.recognised_as else " (unrecognised)")
            for m in s.medications
        ]
        out += _wrap("Medications: " + "; ".join(meds), "  ")
    if s.conditions:
        conds = [
            c.entered + (f" = {c.category}" if c.category else " (unrecognised)")
            for c in s.conditions
        ]
        out += _wrap("Conditions: " + "; ".join(conds), "  ")

    out += _heading(f"Safety screen ({len(plan.alerts)} alerts)")
    others = [a for a in plan.alerts if a.level is not Level.URGENT]
    if not others and not plan.urgent_alerts:
        out.append("  No safety rule fired (only the rules in this knowledge base were checked).")
    for alert in plan.urgent_alerts:
        out.append(f"  [URGENT] {alert.title} (see top)")
    for alert in others:
        out += _alert_lines(alert)

    out += _heading("Indication")
    out += _wrap(plan.dominance.explanation, "  ")
    f = plan.frequency
    if f.frequency is None and f.electrical_stimulation == "withheld":
        out.append("  EA frequency: none (electrical stimulation withheld)")
    elif f.frequency is None:
        out.append("  EA frequency: none (no indication row applies)")
    else:
        out.append(f"  EA frequency: {f.frequency} - {f.table_row}")
    out += _wrap(f.explanation)
    for key, value in f.profile.items():
        out += _wrap(f"{key}: {value}", "      ")
    if f.electrical_stimulation != "withheld":  # a withheld modality shows no parameters
        out += _wrap(_provenance_line(f.provenance))
    status = f"  Electrical stimulation: {f.electrical_stimulation}"
    if f.withheld_by:
        status += f" (by {', '.join(f.withheld_by)})"
    out.append(status)
    for region, region_rules in f.withheld_regions.items():
        out.append(f"    no EA in {region} (by {', '.join(region_rules)})")
    for alternative in f.alternatives:
        out += _wrap(f"Instead: {alternative}", "  ")
    out.append(f"  Role: {plan.role.role} (PHQ-9 {plan.role.phq9_severity})")
    out += _wrap(plan.role.statement)
    out += _wrap(_provenance_line(plan.role.provenance))

    out += _heading("Points")
    if plan.needling_withheld_by:
        out.append(f"  Needling withheld (by {', '.join(plan.needling_withheld_by)}).")
    if not plan.points and not plan.needling_withheld_by:
        out.append("  No points (no indication).")
    for point in plan.points:
        ea = "EA" if point.electrical_stimulation else "no EA"
        out.append(f"  {point.code:<7}{point.name:<13}{', '.join(point.roles)} [{ea}]")
        location = point.location
        if point.location_confirmation != "confirmed":
            location += f" [location: {point.location_confirmation}]"
        out += _wrap(location, "         ")
        if point.note:
            out += _wrap(point.note, "         ")
    for region_note in plan.region_notes:
        out += _wrap(
            f"{region_note.region}: {region_note.note} [rule {region_note.provenance.rule_id}]",
            "  ",
        )
    if plan.avoided_points:
        out.append("  Avoided:")
        for avoided in plan.avoided_points:
            out.append(
                f"    {avoided.code} {avoided.name} ({', '.join(avoided.roles)}) - "
                f"{', '.join(avoided.rule_ids)}"
            )
    for pair in plan.electrode_pairs:
        out += _wrap(f"Electrode pair {pair.points[0]}-{pair.points[1]}: {pair.description}", "  ")
    if plan.points:
        rules = sorted({rule for point in plan.points for rule in point.selected_by})
        out += _wrap("Point selections (rules): " + ", ".join(rules), "  ")

    sched = plan.schedule
    out += _heading("Schedule")
    out += _wrap(f"Course: {sched.course.text}", "  ")
    for phase in sched.phases:
        out += _wrap(f"{phase.topic}: {phase.text} [{phase.provenance.rule_id}]", "  ")
    low, high = sched.sessions_range
    out.append(f"  About {low}-{high} sessions in all.")
    for item in sched.delivery:
        out += _wrap(
            f"{item.topic}: {item.text}{_flag(item.provenance)} [{item.provenance.rule_id}]", "  "
        )
    week = f" (week {sched.review_week})" if sched.review_week else ""
    out.append(
        f"  Review at session {sched.review_session}{week}"
        f"{_flag(sched.review_provenance)} - look for:"
    )
    for check in sched.review_checks:
        out += _wrap(f"- {check.check}: {check.text}{_flag(check.provenance)}", "    ", "  ")

    out += _heading("Pharmacotherapy notes (for the prescriber; nothing here changes a medicine)")
    for note in plan.pharmacotherapy_notes:
        out.append(f"  * {note.title}")
        out += _wrap(note.message)
        out += _wrap(_provenance_line(note.provenance))

    if plan.unrecognised.any():
        out += _heading("Not recognised (not screened)")
        for label, items in (
            ("medications", plan.unrecognised.medications),
            ("conditions", plan.unrecognised.conditions),
            ("regions", plan.unrecognised.regions),
        ):
            if items:
                out += _wrap(f"{label}: {'; '.join(items)}", "  ")
    kb = plan.knowledge_base
    out.append("")
    out.append(f"Knowledge base {kb.version} ({kb.rule_count} rules, sha256 {kb.sha256[:12]}).")
    out += _wrap(plan.disclaimer, "")
    return "\n".join(out) + "\n"


def render_json(plan: Plan) -> str:
    """The plan as indented JSON (see :meth:`Plan.to_json`).

    Example
    -------
    >>> import json
    >>> from hpatwin.clinic.planner.plan import build_plan
    >>> data = json.loads(render_json(build_plan({"age_years": 30, "sex": "male",
    ...     "phq9_total": 7, "phq9_item9": 0, "pain_nrs": 0})))
    >>> data["role"]["role"]
    'monotherapy'
    """
    return plan.to_json()


# --------------------------------------------------------------------------------------------
# HTML

_CSS = """
body{font-family:Georgia,'Times New Roman',serif;max-width:60rem;margin:1.5rem auto;padding:0 1rem;
color:#111;line-height:1.4}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.15rem;border-bottom:1px solid #999;
margin-top:1.6rem}
.urgent{border:3px solid #a00;background:#fee;padding:.6rem 1rem;margin:1rem 0}
.urgent h2{color:#a00;border:none;margin-top:0}
.disclaimer{border:1px solid #444;padding:.5rem 1rem;font-weight:bold;background:#f4f4f4}
.alert{border-left:5px solid #888;padding:.3rem .8rem;margin:.6rem 0;break-inside:avoid}
.contraindication{border-color:#a00}.caution{border-color:#c80}.information{border-color:#07a}
.level{font-variant:small-caps;font-weight:bold}
.prov{font-size:.85rem;color:#333}.flag{color:#a00;font-weight:bold}
table{border-collapse:collapse;width:100%;font-size:.92rem}
td,th{border:1px solid #bbb;padding:.25rem .4rem;text-align:left;vertical-align:top}
.muted{color:#555}
@media print{body{margin:0;max-width:none}.alert,.urgent,tr{break-inside:avoid}}
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _prov_html(provenance: Provenance) -> str:
    flag = (
        ""
        if provenance.confirmation == "confirmed"
        else f' <span class="flag">[{_e(provenance.confirmation)}]</span>'
    )
    rationale = f" - {_e(provenance.rationale)}" if provenance.rationale else ""
    sources = "; ".join(
        _e(s.citation) + ("" if s.confirmation == "confirmed" else f" [{_e(s.confirmation)}]")
        for s in provenance.sources
    )
    return (
        f'<div class="prov">Evidence: {_e(provenance.evidence)}{rationale}{flag}. '
        f'Source: {sources} <span class="muted">[rule {_e(provenance.rule_id)}]</span></div>'
    )


def _alert_html(alert: SafetyAlert) -> str:
    triggered = (
        f'<div class="prov">Triggered by: {_e("; ".join(alert.triggered_by))}</div>'
        if alert.triggered_by
        else ""
    )
    return (
        f'<div class="alert {_e(alert.level.value)}"><span class="level">'
        f"{_e(alert.level.value)}</span> - <strong>{_e(alert.title)}</strong>"
        f"<div>{_e(alert.message)}</div>{triggered}{_prov_html(alert.provenance)}</div>"
    )


def _list(items: Iterable[str]) -> str:
    return "<ul>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>"


def render_html(plan: Plan) -> str:
    """A printable, self-contained HTML page (inline CSS; no scripts or external resources).

    Example
    -------
    >>> from hpatwin.clinic.planner.plan import build_plan
    >>> page = render_html(build_plan({"age_years": 30, "sex": "male", "phq9_total": 7,
    ...                                "phq9_item9": 0, "pain_nrs": 0}))
    >>> page.startswith("<!DOCTYPE html>") and "<script" not in page
    True
    """
    s = plan.summary
    parts: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>hpatwin protocol plan</title>",
        f"<style>{_CSS}</style></head><body>",
    ]
    for alert in plan.urgent_alerts:
        parts.append(
            f'<div class="urgent"><h2>URGENT: {_e(alert.title)}</h2><p>{_e(alert.message)}</p>'
            f'<div class="prov">Triggered by: {_e("; ".join(alert.triggered_by))}</div>'
            f"{_prov_html(alert.provenance)}</div>"
        )
    parts.append(f'<p class="disclaimer">{_e(plan.disclaimer)}</p>')
    parts.append("<h1>Protocol plan: integrated pain-depression care</h1>")
    label = f" - {_e(s.patient_label)}" if s.patient_label else ""
    date = f", assessed {_e(s.assessed_on)}" if s.assessed_on else ""
    parts.append(f'<p class="muted">Assessment{label}{date}</p>')

    rows = [
        ("Age / sex", f"{s.age_years} y, {s.sex}"),
        (
            "Pregnancy / lactation",
            (f"pregnant, week {s.gestational_week}" if s.pregnant else "not pregnant")
            + ("; breastfeeding" if s.lactating else ""),
        ),
        (
            "PHQ-9",
            f"{s.phq9_total} ({s.phq9_severity}); item 9: "
            + ("not recorded" if s.phq9_item9 is None else str(s.phq9_item9)),
        ),
        (
            "Pain",
            f"NRS {s.pain_nrs:g} ({s.pain_band})"
            + (f", {s.pain_duration_months:g} months" if s.pain_duration_months is not None else "")
            + (f"; {', '.join(s.pain_regions)}" if s.pain_regions else ""),
        ),
        (
            "CrCl / liver",
            (
                "not recorded"
                if s.creatinine_clearance_ml_min is None
                else f"{s.creatinine_clearance_ml_min:g} mL/min"
            )
            + f"; {s.liver_status or 'not recorded'}",
        ),
        (
            "Medications",
            "; ".join(
                m.entered
                + (f" = {', '.join(m.recognised_as)}" if m.recognised_as else " (unrecognised)")
                for m in s.medications
            )
            or "none recorded",
        ),
        (
            "Conditions",
            "; ".join(
                c.entered + (f" = {c.category}" if c.category else " (unrecognised)")
                for c in s.conditions
            )
            or "none recorded",
        ),
    ]
    parts.append(
        "<h2>Assessment</h2><table>"
        + "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows)
        + "</table>"
    )

    parts.append(f"<h2>Safety screen ({len(plan.alerts)} alerts)</h2>")
    others = [a for a in plan.alerts if a.level is not Level.URGENT]
    if not plan.alerts:
        parts.append(
            "<p>No safety rule fired (only the rules in this knowledge base were checked).</p>"
        )
    parts.extend(_alert_html(a) for a in plan.urgent_alerts)
    parts.extend(_alert_html(a) for a in others)

    f = plan.frequency
    parts.append("<h2>Indication</h2>")
    parts.append(f"<p>{_e(plan.dominance.explanation)}</p>")
    freq = (
        _e(f.frequency)
        if f.frequency
        else (
            "none (electrical stimulation withheld)"
            if f.electrical_stimulation == "withheld"
            else "none (no indication row applies)"
        )
    )
    parts.append(
        f"<p><strong>EA frequency: {freq}</strong> - {_e(f.table_row)}. {_e(f.explanation)}</p>"
    )
    if f.profile:
        parts.append(
            "<table>"
            + "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in f.profile.items())
            + "</table>"
        )
    if f.electrical_stimulation != "withheld":
        parts.append(_prov_html(f.provenance))
    withheld = f" (by {_e(', '.join(f.withheld_by))})" if f.withheld_by else ""
    parts.append(
        f"<p>Electrical stimulation: <strong>{_e(f.electrical_stimulation)}</strong>{withheld}</p>"
    )
    for alternative in f.alternatives:
        parts.append(f"<p>Instead: {_e(alternative)}</p>")
    if f.withheld_regions:
        parts.append(
            _list(
                f"no EA in {_e(r)} (by {_e(', '.join(ids))})"
                for r, ids in f.withheld_regions.items()
            )
        )
    parts.append(
        f"<p>Role: <strong>{_e(plan.role.role)}</strong> (PHQ-9 "
        f"{_e(plan.role.phq9_severity)}). {_e(plan.role.statement)}</p>"
    )
    parts.append(_prov_html(plan.role.provenance))

    parts.append("<h2>Points</h2>")
    if plan.needling_withheld_by:
        parts.append(
            f"<p><strong>Needling withheld</strong> (by "
            f"{_e(', '.join(plan.needling_withheld_by))}).</p>"
        )
    if plan.points:
        parts.append("<table><tr><th>Point</th><th>Role</th><th>EA</th><th>Location</th></tr>")
        for point in plan.points:
            location = _e(point.location)
            if point.location_confirmation != "confirmed":
                location += f' <span class="flag">[{_e(point.location_confirmation)}]</span>'
            if point.note:
                location += f'<br><span class="muted">{_e(point.note)}</span>'
            parts.append(
                f"<tr><td>{_e(point.code)} {_e(point.name)}</td><td>{_e(', '.join(point.roles))}"
                f"</td><td>{'yes' if point.electrical_stimulation else 'no'}</td>"
                f"<td>{location}</td></tr>"
            )
        parts.append("</table>")
    if plan.region_notes:
        parts.append(_list(f"{_e(n.region)}: {_e(n.note)}" for n in plan.region_notes))
    if plan.avoided_points:
        parts.append(
            "<p>Avoided points:</p>"
            + _list(
                f"{_e(a.code)} {_e(a.name)} ({_e(', '.join(a.roles))}) - {_e(', '.join(a.rule_ids))}"
                for a in plan.avoided_points
            )
        )
    for pair in plan.electrode_pairs:
        parts.append(
            f"<p>Electrode pair {_e(pair.points[0])}-{_e(pair.points[1])}: "
            f"{_e(pair.description)}</p>{_prov_html(pair.provenance)}"
        )

    sched = plan.schedule
    low, high = sched.sessions_range
    parts.append("<h2>Schedule</h2>")
    parts.append(f"<p>{_e(sched.course.text)} About {low}-{high} sessions.</p>")
    parts.append(_prov_html(sched.course.provenance))
    parts.append(
        _list(
            f"{_e(p.topic)}: {_e(p.text)}{_prov_html(p.provenance)}"
            for p in (*sched.phases, *sched.delivery)
        )
    )
    week = f" (week {sched.review_week})" if sched.review_week else ""
    parts.append(f"<h2>Review at session {sched.review_session}{week}</h2>")
    parts.append(_prov_html(sched.review_provenance))
    parts.append(
        _list(
            f"<strong>{_e(c.check)}</strong>: {_e(c.text)}{_prov_html(c.provenance)}"
            for c in sched.review_checks
        )
    )

    parts.append(
        '<h2>Pharmacotherapy notes</h2><p class="muted">For the prescriber; nothing '
        "here changes a medicine.</p>"
    )
    parts.append(
        _list(
            f"<strong>{_e(n.title)}</strong>: {_e(n.message)}{_prov_html(n.provenance)}"
            for n in plan.pharmacotherapy_notes
        )
    )
    if plan.unrecognised.any():
        parts.append("<h2>Not recognised (not screened)</h2>")
        parts.append(
            _list(
                f"{_e(label)}: {_e('; '.join(items))}"
                for label, items in (
                    ("medications", plan.unrecognised.medications),
                    ("conditions", plan.unrecognised.conditions),
                    ("regions", plan.unrecognised.regions),
                )
                if items
            )
        )
    kb = plan.knowledge_base
    parts.append(
        f'<p class="muted">Knowledge base {_e(kb.version)} ({kb.rule_count} rules, '
        f"sha256 {_e(kb.sha256)}).</p>"
    )
    parts.append(f'<p class="disclaimer">{_e(plan.disclaimer)}</p>')
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def write_html(plan: Plan, path: str | Path, overwrite: bool = False) -> Path:
    """Write :func:`render_html` to ``path`` atomically; ``FileExistsError`` unless ``overwrite``.

    Example
    -------
    >>> import pathlib, tempfile
    >>> from hpatwin.clinic.planner.plan import build_plan
    >>> plan = build_plan({"age_years": 30, "sex": "male", "phq9_total": 7, "phq9_item9": 0,
    ...                    "pain_nrs": 0})
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "plan.html"
    >>> write_html(plan, target).exists()
    True
    >>> try:
    ...     write_html(plan, target)
    ... except FileExistsError:
    ...     print("refused")
    refused
    """
    target = Path(path)
    refuse_overwrite(target, overwrite)
    page = render_html(plan)
    with atomic_path(target) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return target
