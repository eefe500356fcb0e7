"""Generated sections of ``docs/treatments.md``: PK table, exposure modifiers, points, inputs.

Regenerate with ``python -m hpatwin.treatments.docs docs/treatments.md``; a test checks that
the committed page is current. Each section sits between ``<!-- BEGIN GENERATED: name -->``
and ``<!-- END GENERATED: name -->`` markers.

Example
-------
>>> from hpatwin.treatments.docs import pk_table_markdown
>>> pk_table_markdown().splitlines()[2].startswith("| duloxetine | SNRI | 120 mg/day")
True
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from hpatwin.data.drugs import AGE_BANDS_YEARS, ExposureModifier, load_drug_catalogue
from hpatwin.data.points import load_point_catalogue
from hpatwin.treatments.compile import TREATMENT_INPUTS


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def pk_table_markdown() -> str:
    """One row per drug: class, maximum daily dose, PK constants with source and evidence.

    Example
    -------
    >>> "| oxycodone | opioid | 400 mg/day (plausibility ceiling" in pk_table_markdown()
    True
    """
    rows = [
        "| drug | class | max daily dose | absorption t½ | tmax | elimination t½ | V/F | "
        "CL/F (derived) | sources (evidence) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for drug in load_drug_catalogue().values():
        maximum = drug.max_daily_dose
        kind = "" if maximum.kind == "label" else " (plausibility ceiling, no label maximum)"
        sources = "; ".join(
            f"**{label}**: {value.source} ({value.evidence.value}"
            + (f" — {value.rationale}" if value.rationale else "")
            + ")"
            for label, value in (
                ("max dose", maximum),
                ("tmax", drug.tmax_h),
                ("absorption", drug.absorption_half_life_min),
                ("elimination", drug.elimination_half_life_h),
                ("volume", drug.volume_l),
            )
        )
        cells = [
            drug.key,
            drug.drug_class.value,
            f"{maximum.mg_per_day:g} mg/day{kind}",
            f"{drug.absorption_half_life_min.value:g} min",
            f"{drug.tmax_h.value:g} h",
            f"{drug.elimination_half_life_h.value:g} h",
            f"{drug.volume_l.value:g} L",
            f"{drug.apparent_clearance_l_per_h:.3g} L/h",
            sources,
        ]
        rows.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(rows) + "\n"


def modifier_table_markdown() -> str:
    """Clearance factors per drug and condition, then their sources.

    Example
    -------
    >>> "| duloxetine | hepatic moderate | ×0.15 | measured |" in modifier_table_markdown()
    True
    """
    rows = [
        "| drug | condition | factor on CL/F | evidence | source / rationale |",
        "|---|---|---|---|---|",
    ]
    for drug in load_drug_catalogue().values():
        entries: list[tuple[str, ExposureModifier]] = [
            (f"hepatic {grade.value}", modifier)
            for grade, modifier in drug.hepatic.items()
            if grade.value != "none"
        ]
        entries += [(f"renal {band.label}", band) for band in drug.renal]
        entries += [(f"age ≥ {age} y", drug.age[age]) for age in AGE_BANDS_YEARS]
        entries += [(f"pregnancy trimester {t}", drug.pregnancy[t]) for t in (1, 2, 3)]
        for condition, modifier in entries:
            note = modifier.source
            if modifier.rationale:
                note += f" — *rationale:* {modifier.rationale}"
            if modifier.note:
                note += f" — *note:* {modifier.note}"
            cells = [
                drug.key,
                condition,
                f"×{modifier.factor:g}",
                modifier.evidence.value,
                note,
            ]
            rows.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(rows) + "\n"


def drug_names_markdown() -> str:
    """Accepted names per drug and the dose basis.

    Example
    -------
    >>> "Cymbalta" in drug_names_markdown()
    True
    """
    rows = ["| key | accepted names | dose basis | notes |", "|---|---|---|---|"]
    for drug in load_drug_catalogue().values():
        cells = [drug.key, ", ".join(drug.names), drug.dose_basis, drug.formulation_note]
        rows.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(rows) + "\n"


def point_table_markdown() -> str:
    """The point catalogue: code, name, region, roles, pregnancy caution.

    Example
    -------
    >>> "| EX-HN3 | Yintang |" in point_table_markdown()
    True
    """
    catalogue = load_point_catalogue()
    rows = [
        "| code | name | aliases | region | roles (served regions) | pregnancy caution | "
        "location (status) |",
        "|---|---|---|---|---|---|---|",
    ]
    for point in catalogue:
        roles = ", ".join(
            r.role.value + (f" ({', '.join(s.value for s in r.serves)})" if r.serves else "")
            for r in point.roles
        )
        cells = [
            point.code,
            point.name or "",
            ", ".join(point.aliases),
            point.region,
            roles or "—",
            "yes" if point.pregnancy_caution else "no",
            f"{point.location or '—'} ({point.location_status})",
        ]
        rows.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    rows.append("")
    rows.append("Pregnancy-cautioned ranges (every code in the range is accepted and flagged):")
    rows.append("")
    for rng in catalogue.ranges:
        rows.append(f"- {rng.label} ({rng.region})")
    return "\n".join(rows) + "\n"


def inputs_list_markdown() -> str:
    """Every input name the compiler emits.

    Example
    -------
    >>> "`cbt_session`" in inputs_list_markdown()
    True
    """
    return "\n".join(f"- `{name}`" for name in TREATMENT_INPUTS) + "\n"


SECTIONS: dict[str, Callable[[], str]] = {
    "pk-table": pk_table_markdown,
    "modifier-table": modifier_table_markdown,
    "drug-names": drug_names_markdown,
    "point-table": point_table_markdown,
    "inputs-list": inputs_list_markdown,
}


def render(text: str, sections: Iterable[str] | None = None) -> str:
    """``text`` with its generated sections (all, or those named) replaced by current content.

    A missing section marker is an error.

    Example
    -------
    >>> page = "<!-- BEGIN GENERATED: inputs-list -->\\nold\\n<!-- END GENERATED: inputs-list -->"
    >>> "`cbt_session`" in render(page, sections=["inputs-list"])
    True
    """
    for name in SECTIONS if sections is None else sections:
        text = _replace_section(text, name, SECTIONS[name]())
    return text


def _replace_section(text: str, name: str, content: str) -> str:
    begin, end = f"<!-- BEGIN GENERATED: {name} -->\n", f"<!-- END GENERATED: {name} -->"
    start = text.find(begin)
    stop = text.find(end, start + len(begin)) if start >= 0 else -1
    if start < 0 or stop < 0:
        raise ValueError(f"docs: section {name!r} markers not found")
    return text[: start + len(begin)] + content + text[stop:]


def main(argv: list[str] | None = None) -> int:
    """Rewrite the generated sections of the page given on the command line.

    Example
    -------
    >>> import pathlib, tempfile
    >>> page = pathlib.Path(tempfile.mkdtemp()) / "t.md"
    >>> _ = page.write_text("".join(f"<!-- BEGIN GENERATED: {n} -->\\n<!-- END GENERATED: {n} -->\\n"
    ...                             for n in SECTIONS), encoding="utf-8")
    >>> main([str(page)]), "| duloxetine | SNRI |" in page.read_text(encoding="utf-8")
    (0, True)
    """
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m hpatwin.treatments.docs docs/treatments.md", file=sys.stderr)
        return 2
    path = Path(args[0])
    path.write_text(render(path.read_text(encoding="utf-8")), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
