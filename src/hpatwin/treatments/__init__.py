"""Treatments: point and drug catalogues, treatment plans, and their compilation to model inputs.

- :func:`load_point_catalogue` — acupoints by WHO code (roles, regions, pregnancy cautions).
- :func:`load_drug_catalogue`, :func:`resolve_drug`, :func:`clearance_factor`,
  :func:`exposure_ratio`, :func:`drug_pk_parameters` — drugs with sourced PK and modifiers.
- :class:`TreatmentPlan`, :func:`load_plan` — validated plans (EA, sham, manual acupuncture,
  dry needling, drugs, CBT).
- :func:`compile_plan` → :class:`CompiledPlan` — piecewise-constant inputs
  (:data:`TREATMENT_INPUTS`) and per-patient parameters.
- :func:`protocol_to_treatment_plan`, :func:`assessment_to_treatment_plan` — a planner protocol
  (``hpatwin.clinic.planner``) as a treatment plan with a :class:`ConversionReport`, and
  :func:`assessment_patient_factors` (see :mod:`hpatwin.treatments.from_protocol`).
- :func:`resolve_trial_plan` — the plan resolver of in-silico trials (``plan:`` arms); importing
  this package registers it with :func:`hpatwin.trials.register_plan_resolver`.

Example
-------
>>> from hpatwin.treatments import PatientFactors, TreatmentPlan, compile_plan
>>> plan = TreatmentPlan.parse({"drugs": [{"name": "Cymbalta", "dose_mg": 30, "times": ["08:00"],
...                                        "titration": [{"day": 7, "dose_mg": 60}]}]})
>>> compiled = compile_plan(plan, days=14, patient=PatientFactors(age_years=70, sex="female"))
>>> compiled.daily_doses_mg["duloxetine"][0], compiled.daily_doses_mg["duloxetine"][13]
(30.0, 60.0)
>>> compiled.parameters
{'duloxetine_clearance_factor': 0.8}
"""

from hpatwin.data.drugs import (
    DRUG_KEYS,
    Drug,
    DrugCatalogue,
    DrugClass,
    HepaticImpairment,
    UnknownDrugError,
    clearance_factor,
    exposure_modifiers,
    exposure_ratio,
    load_drug_catalogue,
    resolve_drug,
)
from hpatwin.data.points import (
    Point,
    PointCatalogue,
    PointRole,
    UnknownPointError,
    load_point_catalogue,
)
from hpatwin.parameters.drug_pk import drug_pk_parameters
from hpatwin.treatments.compile import (
    TREATMENT_INPUTS,
    CompiledPlan,
    compile_plan,
    frequency_shares,
    low_frequency_share,
)
from hpatwin.treatments.from_protocol import (
    Conversion,
    ConversionError,
    ConversionOptions,
    ConversionReport,
    assessment_patient_factors,
    assessment_to_treatment_plan,
    protocol_to_treatment_plan,
)
from hpatwin.treatments.patient import PatientFactors
from hpatwin.treatments.plan import PlanError, TreatmentPlan, load_plan
from hpatwin.treatments.trial_resolver import patient_factors, resolve_trial_plan

__all__ = [
    "DRUG_KEYS",
    "TREATMENT_INPUTS",
    "CompiledPlan",
    "Conversion",
    "ConversionError",
    "ConversionOptions",
    "ConversionReport",
    "Drug",
    "DrugCatalogue",
    "DrugClass",
    "HepaticImpairment",
    "PatientFactors",
    "PlanError",
    "Point",
    "PointCatalogue",
    "PointRole",
    "TreatmentPlan",
    "UnknownDrugError",
    "UnknownPointError",
    "assessment_patient_factors",
    "assessment_to_treatment_plan",
    "clearance_factor",
    "compile_plan",
    "drug_pk_parameters",
    "exposure_modifiers",
    "exposure_ratio",
    "frequency_shares",
    "load_drug_catalogue",
    "load_plan",
    "load_point_catalogue",
    "low_frequency_share",
    "patient_factors",
    "protocol_to_treatment_plan",
    "resolve_drug",
    "resolve_trial_plan",
]
