"""A tiny synthetic model with PHQ-9, pain, RMSSD and cortisol readouts, for trial tests.

Until the pain–depression layer lands on main, this stands in for it: each
patient's untreated scores are parameters (so variability gives a spread of
baselines), and an input ``therapy`` (0–1) drives first-order improvement.
Referenced from trial specs as ``tests.trials.synthetic_model:build``.

Example
-------
>>> build().readout_names[:2]
('phq9_expected', 'pain_nrs_expected')
"""

from __future__ import annotations

import sympy

from hpatwin.model.definition import TIME, ModelBuilder, OdeModel, clock_minutes
from hpatwin.model.phenotypes import Phenotype, phenotype_names, register
from hpatwin.parameters import Evidence

NAME = "trial_synthetic"
REFERENCE = "tests.trials.synthetic_model:build"
_WHY = "synthetic test model"


def build() -> OdeModel:
    """Build the synthetic model (time in minutes)."""
    b = ModelBuilder(NAME, "Synthetic trial test model", citation=_WHY)
    a = Evidence.ASSUMPTION
    phq9 = b.parameter("phq9_untreated", 15.0, "points", "untreated PHQ-9", _WHY, a, _WHY, upper=27)
    pain = b.parameter(
        "pain_untreated", 6.0, "points", "untreated pain NRS", _WHY, a, _WHY, upper=10
    )
    rmssd = b.parameter("rmssd_untreated_ms", 30.0, "ms", "untreated RMSSD", _WHY, a, _WHY)
    rate = b.parameter(
        "response_rate_per_day", 0.1, "1/d", "response rate", _WHY, a, _WHY, lower=1e-4
    )
    eff_mood = b.parameter("efficacy_mood", 0.6, "1", "mood efficacy", _WHY, a, _WHY, upper=1)
    eff_pain = b.parameter("efficacy_pain", 0.4, "1", "pain efficacy", _WHY, a, _WHY, upper=1)
    amplitude = b.parameter(
        "cortisol_amplitude_nmol_l", 12.0, "nmol/L", "cortisol peak", _WHY, a, _WHY
    )
    therapy = b.input("therapy", "1", "therapy intensity", 0.0, upper=1)
    mood = b.state("mood_improvement", "1", "fractional PHQ-9 improvement", 0.0)
    relief = b.state("pain_relief", "1", "fractional pain relief", 0.0)
    per_min = rate / 1440
    b.rate(mood, per_min * (eff_mood * therapy - mood))
    b.rate(relief, per_min * (eff_pain * therapy - relief))
    b.readout("phq9_expected", "points", "expected PHQ-9", phq9 * (1 - mood))
    b.readout("pain_nrs_expected", "points", "expected pain NRS", pain * (1 - relief))
    b.readout("rmssd_ms", "ms", "RMSSD", rmssd * (1 + 0.5 * mood))
    hour = clock_minutes(TIME) / 60
    b.readout(
        "salivary_cortisol_nmol_l",
        "nmol/L",
        "salivary cortisol",
        1 + amplitude * (1 - 0.5 * mood) * sympy.exp(-(((hour - 8) / 6) ** 2)),
    )
    return b.build()


def _register_phenotypes() -> None:
    known = set(phenotype_names())
    for name, parameters in (
        ("synthetic_depressed", {"phq9_untreated": 16.0, "pain_untreated": 3.0}),
        ("synthetic_comorbid", {"phq9_untreated": 18.0, "pain_untreated": 7.0}),
    ):
        if name not in known:
            register(Phenotype(name, NAME, name, _WHY, Evidence.ASSUMPTION, _WHY, parameters))


_register_phenotypes()
