"""A tiny synthetic model with the enrolment-exacerbation state, for natural-course tests.

The expected PHQ-9 is a set point plus 4 points per unit of ``symptom_exacerbation``,
which resolves with a 7-day time constant (the twin's mechanism, in miniature).
Referenced from trial specs as ``tests.trials.synthetic_course_model:build``.

Example
-------
>>> "symptom_exacerbation" in build().state_names
True
"""

from __future__ import annotations

from hpatwin.model.definition import ModelBuilder, OdeModel
from hpatwin.model.phenotypes import Phenotype, phenotype_names, register
from hpatwin.parameters import Evidence

NAME = "trial_synthetic_course"
REFERENCE = "tests.trials.synthetic_course_model:build"
_WHY = "synthetic test model"


def build() -> OdeModel:
    """Build the model (time in minutes)."""
    b = ModelBuilder(NAME, "Synthetic natural-course test model", citation=_WHY)
    a = Evidence.ASSUMPTION
    set_point = b.parameter(
        "phq9_set_point", 14.0, "points", "PHQ-9 set point", _WHY, a, _WHY, upper=27
    )
    tau = b.parameter("tau_days", 7.0, "d", "exacerbation time constant", _WHY, a, _WHY, lower=0.1)
    exacerbation = b.state("symptom_exacerbation", "1", "enrolment exacerbation", 0.0)
    b.rate(exacerbation, -exacerbation / (tau * 1440))
    b.readout("phq9_expected", "points", "expected PHQ-9", set_point + 4 * exacerbation)
    return b.build()


def _register_phenotypes() -> None:
    if "synthetic_course" not in set(phenotype_names()):
        register(
            Phenotype(
                "synthetic_course",
                NAME,
                "synthetic_course",
                _WHY,
                Evidence.ASSUMPTION,
                _WHY,
                {"phq9_set_point": 14.0},
            )
        )


_register_phenotypes()
