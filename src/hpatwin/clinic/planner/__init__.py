"""Protocol planner and safety screen: sourced decision support for integrated pain-depression care.

From an assessment (scores, pain, pregnancy, conditions, medicines, renal and liver function) the
planner derives pain- versus depression-dominance, the electroacupuncture frequency of the source
article's table, acupuncture's role (monotherapy for mild depression, adjunct for moderate to
severe), points by role and pain region, a schedule with a review at session 6, pharmacotherapy
notes that defer every dose change to the prescriber, and a graded safety screen. Every rule lives
in the YAML knowledge base with its sources and evidence level.

It is decision support for a licensed clinician, not a prescription.

Example
-------
>>> from hpatwin.clinic.planner import build_plan, render_text
>>> plan = build_plan({"age_years": 52, "sex": "female", "phq9_total": 11, "phq9_item9": 0,
...                    "pain_nrs": 6, "pain_duration_months": 18, "pain_regions": ["neck"]})
>>> plan.frequency.frequency
'2/100 Hz'
>>> "not a prescription" in render_text(plan)
True
"""

from hpatwin.clinic.planner.assessment import (
    Assessment,
    AssessmentError,
    ClinicalPicture,
    ConditionEntry,
    MedicationEntry,
    load_assessment,
    parse_assessment,
    resolve_assessment,
)
from hpatwin.clinic.planner.knowledge import (
    KnowledgeBase,
    KnowledgeBaseError,
    Level,
    load_knowledge_base,
    rules_markdown,
)
from hpatwin.clinic.planner.plan import DISCLAIMER, Plan, build_plan, decide_dominance
from hpatwin.clinic.planner.render import render_html, render_json, render_text, write_html
from hpatwin.clinic.planner.safety import Provenance, SafetyAlert, ScreenResult, screen

__all__ = [
    "DISCLAIMER",
    "Assessment",
    "AssessmentError",
    "ClinicalPicture",
    "ConditionEntry",
    "KnowledgeBase",
    "KnowledgeBaseError",
    "Level",
    "MedicationEntry",
    "Plan",
    "Provenance",
    "SafetyAlert",
    "ScreenResult",
    "build_plan",
    "decide_dominance",
    "load_assessment",
    "load_knowledge_base",
    "parse_assessment",
    "render_html",
    "render_json",
    "render_text",
    "resolve_assessment",
    "rules_markdown",
    "screen",
    "write_html",
]
