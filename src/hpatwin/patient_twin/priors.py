"""What the twin fits for one patient, and its population prior.

Each fitted quantity is written in a standard-normal coordinate ``z`` (the prior is
``N(0, 1)`` in every coordinate, independent), mapped to its natural value by the same
rules the population generator uses (:mod:`hpatwin.trials.population`): ``lognormal``
``centre·exp(spread·z)``, ``normal`` ``centre + spread·z``, ``uniform``
``lower + (upper − lower)·Φ(z)``; values are clipped to the model's allowed range. The
centre is the phenotype's value (default ``comorbid``), the spread the population's
calibrated variability (:func:`~hpatwin.trials.population.default_variability`) — so the
twin's prior *is* the virtual population a trial draws from — plus the twin's own
quantities (:mod:`hpatwin.patient_twin.parameters`): treatment responsiveness, the
exacerbation at the first visit, resting heart rate and blood pressure. Covariates move
centres: resting RMSSD falls with age as in the population.

Example
-------
>>> import numpy as np
>>> prior = twin_prior(age_years=50)
>>> prior.names[:3]
('tissue_nociception', 'depression_vulnerability', 'gr_expression_capacity')
>>> values = prior.values(np.zeros((2, prior.size)))
>>> float(values["tissue_nociception"][0])  # the comorbid phenotype's value at z = 0
3.0
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtr, ndtri

from hpatwin.model.definition import OdeModel
from hpatwin.model.phenotypes import get_phenotype
from hpatwin.patient_twin.parameters import value as twin_value
from hpatwin.trials.models import resolve_model
from hpatwin.trials.population import RMSSD_CHANGE_PER_DECADE, default_variability

Array = NDArray[np.float64]
Kind = Literal["lognormal", "normal", "uniform"]
Target = Literal["parameter", "state", "gain_multiplier"]

#: parameters multiplied by the treatment-responsiveness quantity: the course and session
#: effects of needling (opioid release included: EA responders and non-responders differ in
#: their opioid release, Han 2003 Trends Neurosci) and the non-specific and CBT effects
RESPONSIVENESS_GAINS = (
    "ea_course_gain_per_min",
    "ea_mu_delta_release_per_min",
    "ea_dynorphin_release_per_min",
    "nonspecific_gain_per_min",
    "cbt_gain_per_min",
)
EXACERBATION_STATE = "symptom_exacerbation"
#: the population's varied parameters the twin fits, in this order
POPULATION_FITTED = (
    "tissue_nociception",
    "depression_vulnerability",
    "gr_expression_capacity",
    "circadian_amplitude_24h",
    "wake_time_h",
    "resting_rmssd_ms",
    "pain_hpa_drive",
    "mood_hpa_drive",
    "cortisol_half_life_min",
)
DEFAULT_PHENOTYPE = "comorbid"


@dataclass(frozen=True)
class FittedQuantity:
    """One fitted quantity: its prior and where its value goes in the model.

    ``target``: a model ``parameter``, an initial ``state`` at the first visit, or a
    ``gain_multiplier`` (treatment responsiveness) applied to :data:`RESPONSIVENESS_GAINS`.

    Example
    -------
    >>> import numpy as np
    >>> q = FittedQuantity("x", "uniform", 0.0, 1.0, 0.0, 2.0, "1", "state", "a state")
    >>> q.from_z(np.array([0.0])).tolist(), q.to_z(np.array([1.0])).round(6).tolist()
    ([1.0], [0.0])
    """

    name: str
    kind: Kind
    centre: float
    spread: float
    lower: float
    upper: float
    unit: str
    target: Target
    description: str

    def from_z(self, z: Array) -> Array:
        """Natural values from standard-normal coordinates (clipped to the allowed range)."""
        z = np.asarray(z, dtype=np.float64)
        if self.kind == "lognormal":
            raw = self.centre * np.exp(self.spread * z)
        elif self.kind == "normal":
            raw = self.centre + self.spread * z
        else:
            raw = self.lower + (self.upper - self.lower) * ndtr(z)
        result: Array = np.clip(raw, self.lower, self.upper)
        return result

    def to_z(self, values: Array) -> Array:
        """Standard-normal coordinates of natural values (the inverse of :meth:`from_z`)."""
        x = np.asarray(values, dtype=np.float64)
        if self.kind == "lognormal":
            result: Array = np.log(np.maximum(x, 1e-300) / self.centre) / self.spread
        elif self.kind == "normal":
            result = (x - self.centre) / self.spread
        else:
            fraction = np.clip((x - self.lower) / (self.upper - self.lower), 1e-12, 1 - 1e-12)
            result = np.asarray(ndtri(fraction), dtype=np.float64)
        return result


@dataclass(frozen=True)
class TwinPrior:
    """The fitted quantities of one patient, in order.

    Example
    -------
    >>> prior = twin_prior()
    >>> prior.size == len(prior.names), "treatment_responsiveness" in prior.names
    (True, True)
    """

    quantities: tuple[FittedQuantity, ...]
    phenotype: str

    @property
    def names(self) -> tuple[str, ...]:
        """Names of the fitted quantities."""
        return tuple(q.name for q in self.quantities)

    @property
    def size(self) -> int:
        """Number of fitted quantities."""
        return len(self.quantities)

    def values(self, z: Array) -> dict[str, Array]:
        """Natural values of particles ``z`` (n_particles, size), by name."""
        z = np.atleast_2d(np.asarray(z, dtype=np.float64))
        if z.shape[1] != self.size:
            raise ValueError(f"z: expected {self.size} columns, got {z.shape[1]}")
        return {q.name: q.from_z(z[:, i]) for i, q in enumerate(self.quantities)}

    def quantity(self, name: str) -> FittedQuantity:
        """One fitted quantity by name."""
        for q in self.quantities:
            if q.name == name:
                return q
        raise ValueError(f"fitted quantity: unknown name {name!r}; known: {', '.join(self.names)}")

    def model_inputs(self, z: Array, model: OdeModel) -> tuple[dict[str, Array], dict[str, Array]]:
        """Per-particle model parameters and initial-state overrides for particles ``z``.

        Parameters the twin does not fit keep the phenotype's value (else the default).
        """
        n = np.atleast_2d(z).shape[0]
        natural = self.values(z)
        phenotype = get_phenotype(self.phenotype).parameters
        parameters: dict[str, Array] = {
            name: np.full(n, float(number)) for name, number in phenotype.items()
        }
        states: dict[str, Array] = {}
        for q in self.quantities:
            if q.target == "parameter":
                parameters[q.name] = natural[q.name]
            elif q.target == "state":
                states[q.name] = natural[q.name]
            else:
                for gain in RESPONSIVENESS_GAINS:
                    parameters[gain] = np.clip(
                        model.parameter(gain).value * natural[q.name],
                        model.parameter(gain).lower,
                        model.parameter(gain).upper,
                    )
        return parameters, states


def twin_prior(
    *,
    age_years: float | None = None,
    phenotype: str = DEFAULT_PHENOTYPE,
    model: OdeModel | str = "twin",
    fitted: tuple[str, ...] = POPULATION_FITTED,
) -> TwinPrior:
    """The prior of one patient: the phenotype's population plus the twin's quantities.

    Example
    -------
    >>> older, younger = twin_prior(age_years=70), twin_prior(age_years=30)
    >>> older.quantity("resting_rmssd_ms").centre < younger.quantity("resting_rmssd_ms").centre
    True
    """
    ode = resolve_model(model) if isinstance(model, str) else model
    centres: Mapping[str, float] = get_phenotype(phenotype).parameters
    spreads = default_variability(ode)
    quantities: list[FittedQuantity] = []
    for name in fitted:
        if name not in spreads:
            raise ValueError(
                f"fitted: {name!r} has no population variability; known: {', '.join(spreads)}"
            )
        parameter = ode.parameter(name)
        centre = float(centres.get(name, parameter.value))
        if name == "resting_rmssd_ms" and age_years is not None:
            centre *= 1 + RMSSD_CHANGE_PER_DECADE * (age_years - 40) / 10
        quantities.append(
            FittedQuantity(
                name,
                "lognormal" if spreads[name].kind == "lognormal" else "normal",
                centre,
                spreads[name].spread,
                parameter.lower,
                parameter.upper,
                parameter.unit,
                "parameter",
                parameter.description,
            )
        )
    for name, spread_name in (
        ("resting_heart_rate_bpm", "resting_heart_rate_spread_bpm"),
        ("resting_systolic_bp_mmhg", "resting_systolic_bp_spread_mmhg"),
    ):
        parameter = ode.parameter(name)
        quantities.append(
            FittedQuantity(
                name,
                "normal",
                parameter.value,
                twin_value(spread_name),
                parameter.lower,
                parameter.upper,
                parameter.unit,
                "parameter",
                parameter.description,
            )
        )
    quantities.append(
        FittedQuantity(
            "treatment_responsiveness",
            "lognormal",
            1.0,
            twin_value("treatment_responsiveness_spread_log"),
            0.05,
            20.0,
            "1",
            "gain_multiplier",
            "multiplier on the EA, non-specific and CBT effect gains",
        )
    )
    quantities.append(
        FittedQuantity(
            EXACERBATION_STATE,
            "uniform",
            0.5 * twin_value("baseline_exacerbation_max"),
            0.0,
            0.0,
            twin_value("baseline_exacerbation_max"),
            "1",
            "state",
            "symptom exacerbation at the first visit (1 = a trial's enrolment exacerbation)",
        )
    )
    return TwinPrior(tuple(quantities), phenotype)
