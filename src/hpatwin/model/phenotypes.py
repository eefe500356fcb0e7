"""Named phenotypes of the HPA core: parameter and input changes from the healthy default.

Each phenotype states its source and evidence level like a parameter does.

Example
-------
>>> from hpatwin.model.phenotypes import get_phenotype
>>> get_phenotype("chronic_stress").inputs["stress_input"]
2.0
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hpatwin.parameters import Evidence


@dataclass(frozen=True)
class Phenotype:
    """A named set of parameter and constant-input changes for a model."""

    name: str
    model: str
    description: str
    source: str
    evidence: Evidence
    rationale: str = ""
    parameters: dict[str, float] = field(default_factory=dict)
    inputs: dict[str, float] = field(default_factory=dict)


_PHENOTYPES: dict[str, Phenotype] = {}


def register(phenotype: Phenotype) -> None:
    """Add a phenotype (names are unique)."""
    if phenotype.name in _PHENOTYPES:
        raise ValueError(f"phenotype {phenotype.name} registered twice")
    _PHENOTYPES[phenotype.name] = phenotype


def phenotype_names(model: str | None = None) -> list[str]:
    """Known phenotype names (optionally only for one model)."""
    return [n for n, p in _PHENOTYPES.items() if model is None or p.model == model]


def get_phenotype(name: str) -> Phenotype:
    """Look up a phenotype; the error lists the known names."""
    if name not in _PHENOTYPES:
        raise ValueError(f"phenotype: unknown phenotype {name!r}; known: {', '.join(_PHENOTYPES)}")
    return _PHENOTYPES[name]


register(
    Phenotype(
        "healthy",
        "hpa_core",
        "healthy adult, 07:00-23:00 sleep/wake schedule, no stressor",
        "hpatwin defaults (see parameter registry)",
        Evidence.PUBLISHED_MODEL,
    )
)
register(
    Phenotype(
        "gr_resistant",
        "hpa_core",
        "glucocorticoid-receptor resistance: weak GR feedback, dexamethasone non-suppression",
        "Carroll et al. 1981 Arch Gen Psychiatry 38:15 (DST non-suppression in melancholia)",
        Evidence.ASSUMPTION,
        rationale="GR resistance represented as 25% of healthy receptor capacity; the size is not "
        "published for this model",
        parameters={"gr_expression_capacity": 0.25},
    )
)
register(
    Phenotype(
        "chronic_stress",
        "hpa_core",
        "sustained doubled stress drive on CRH (Karin 2020 protocol)",
        "Karin et al. 2020 Mol Syst Biol 16:e9510 (prolonged stress input u = 2)",
        Evidence.PUBLISHED_MODEL,
        inputs={"stress_input": 2.0},
    )
)


# --- twin (HPA core + pain-depression layer) -----------------------------------------------
_CONDITION_RATIONALE = (
    "condition strength is an assumption calibrated on virtual populations to the "
    "epidemiology targets in docs/pain-depression.md"
)
_CHRONIC_PAIN = {"tissue_nociception": 3.0, "trigger_point_predisposition": 0.2}
_DEPRESSION = {"depression_vulnerability": 1.9}
#: depression vulnerability of the comorbid phenotype: its pain pathways add to the mood
#: balance, so a smaller intrinsic drive gives the same severity as ``depression``
_COMORBID_VULNERABILITY = {"depression_vulnerability": 1.1}
_CORTISOL_VARIANTS = {
    "hypercortisolaemic": (
        {"gr_expression_capacity": 0.6, "tonic_crh_drive": 0.45, "circadian_amplitude_24h": 0.45},
        "weak GR feedback, tonic CRH drive and a blunted circadian amplitude: raised evening "
        "cortisol, flattened slope and DST non-suppression (Carroll 1981; Jarcho 2013; Adam 2017); "
        "tonic drive 0.3 → 0.45 in the realistic-severity recalibration, when depression stopped adding a tonic drive of "
        "its own",
    ),
    "hypocortisolaemic": (
        {"gr_expression_capacity": 2.5},
        "strong GR feedback (Gupta 2007 high-GR state = low cortisol): low salivary cortisol "
        "reported in chronic widespread pain (McBeth 2005) and fibromyalgia (Beiner 2023)",
    ),
}
for _name, _params, _description, _source in (
    (
        "chronic_pain",
        _CHRONIC_PAIN,
        "persistent peripheral pain generator, no depression at onset",
        "source article: chronic pain → depression through the HPA cascade",
    ),
    (
        "depression",
        _DEPRESSION,
        "depression without a pain origin",
        "source article: depression amplifies pain (2-4× risk of chronic pain)",
    ),
    (
        "comorbid",
        {**_CHRONIC_PAIN, **_COMORBID_VULNERABILITY},
        "chronic pain with depression",
        "source article: 40-60 % of chronic pain patients meet MDD criteria; severity set so "
        "patients enrolled at PHQ-9 ≥ 10 average about 16 (moderately severe, Kroenke 2001)",
    ),
):
    register(
        Phenotype(
            _name,
            "twin",
            _description,
            _source,
            Evidence.ASSUMPTION,
            rationale=_CONDITION_RATIONALE,
            parameters=dict(_params),
        )
    )
    for _variant, (_extra, _why) in _CORTISOL_VARIANTS.items():
        register(
            Phenotype(
                f"{_name}_{_variant}",
                "twin",
                f"{_description}; {_variant} HPA variant",
                _why,
                Evidence.ASSUMPTION,
                rationale="the literature disagrees on the direction of cortisol change in chronic "
                "pain; both variants are provided (Stetler & Miller 2011; McBeth et al. 2005; Beiner et al. 2023)",
                parameters={**_params, **_extra},
            )
        )
register(
    Phenotype(
        "comorbid_moderate",
        "twin",
        "chronic pain with depression of milder vulnerability (trial-like population)",
        "source article: 40-60 % of chronic pain patients meet MDD criteria",
        Evidence.ASSUMPTION,
        rationale="moderate baseline severity as in primary-care trial populations: the chronic-"
        "pain generator of 'chronic_pain' with depression vulnerability 0.6 instead of the 1.1 "
        "of 'comorbid'. Enrolled on PHQ-9 ≥ 10 and NRS ≥ 4 during an enrolment exacerbation "
        "with DEFAULT_VARIABILITY, baseline PHQ-9 is about 16 ± 3 (docs/pain-depression.md, "
        "docs/treatments.md)",
        parameters={**_CHRONIC_PAIN, "depression_vulnerability": 0.6},
    )
)
