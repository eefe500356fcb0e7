"""Batched forward runs of candidate parameter sets (particles) for one patient.

Every particle starts on its own untreated steady rhythm (medications taken before the first
visit included as their average dose rate), with the fitted exacerbation at day 0, and is run
through a treatment-plan document on the day axis of :class:`~hpatwin.patient_twin.data.PatientData`.
Runs use float32 and the trials' cohort warm-up (10-min steps), and 10-min steps after it:
without ultradian pulses (their day-to-day effect on cortisol is in the likelihood instead)
a 10-min step stays within 0.015 PHQ-9 points and 1.3 % of 08:00 salivary cortisol of the
5-min step over 12 weeks of EA (256 prior draws; tests/patient_twin/test_runs.py).

One compiled program serves every protocol: every drug's clearance factor is passed per
particle and every schedule is laid on the 10-minute treatment grid
(:func:`on_treatment_grid`), so the engine's tick, and its compiled program, do not depend
on which treatments a protocol holds.

Example
-------
>>> from hpatwin.patient_twin.data import PatientData
>>> from hpatwin.patient_twin.priors import twin_prior
>>> import numpy as np
>>> runner = ParticleRunner(twin_prior(), PatientData.from_arrays(phq9=[(0, 16)]))
>>> z = np.zeros((8, runner.prior.size))
>>> result = runner.run(z, runner.baseline_states(z), {}, days=1)
>>> result.readouts["phq9_expected"].shape
(49, 8)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hpatwin.data.drugs import CLEARANCE_FACTOR_BOUNDS, DRUG_KEYS
from hpatwin.engine.api import steady_state
from hpatwin.engine.inputs import InputValue, Schedule
from hpatwin.model.definition import OdeModel
from hpatwin.patient_twin.data import PatientData
from hpatwin.patient_twin.priors import TwinPrior
from hpatwin.simulation import simulate
from hpatwin.treatments.compile import compile_plan, dose_rate_input
from hpatwin.treatments.plan import GRID_MIN
from hpatwin.trials.chunk import COHORT_WARMUP_DT_MIN, COHORT_WARMUP_SETTLE_DAYS
from hpatwin.trials.models import resolve_model

Array = NDArray[np.float64]
MINUTES_PER_DAY = 1440
#: readouts the likelihood and the forecast read
READOUTS = (
    "phq9_expected",
    "pain_nrs_expected",
    "salivary_cortisol_nmol_l",
    "rmssd_ms",
    "heart_rate_bpm",
    "systolic_bp_mmhg",
)


@dataclass(frozen=True)
class RunSettings:
    """Engine settings of the twin's runs (the trials' cohort configuration).

    Example
    -------
    >>> RunSettings().dt_min, RunSettings().output_every_min
    (10.0, 30.0)
    """

    dt_min: float = 10.0
    dtype: str = "float32"
    output_every_min: float = 30.0
    warmup_dt_min: float = COHORT_WARMUP_DT_MIN
    settle_days: float = COHORT_WARMUP_SETTLE_DAYS


@dataclass(frozen=True)
class RunResult:
    """Readouts ``(n_outputs + 1, n_particles)`` on the output grid ``times_min`` (from day 0)."""

    times_min: Array
    readouts: Mapping[str, Array]

    def day_means(self, name: str, days: NDArray[np.int64]) -> Array:
        """Mean of a readout over each given day: ``(len(days), n_particles)``."""
        values = self.readouts[name]
        step = self.times_min[1] - self.times_min[0]
        per_day = round(MINUTES_PER_DAY / step)
        starts = np.asarray(days, dtype=np.int64) * per_day
        index = starts[:, None] + np.arange(per_day)[None, :]
        result: Array = values[index].mean(axis=1)
        return result

    def at_times(self, name: str, minutes: Array) -> tuple[Array, Array]:
        """A readout at absolute times (linear interpolation) and the slope of its log.

        Returns ``(values, slope_log_per_min)``, each ``(len(minutes), n_particles)``.
        """
        values = self.readouts[name]
        step = float(self.times_min[1] - self.times_min[0])
        position = np.clip(np.asarray(minutes, dtype=np.float64) / step, 0, len(values) - 1.001)
        lower = np.floor(position).astype(np.int64)
        weight = (position - lower)[:, None]
        low, high = values[lower], values[lower + 1]
        interpolated: Array = (1 - weight) * low + weight * high
        slope: Array = (np.log(np.maximum(high, 1e-6)) - np.log(np.maximum(low, 1e-6))) / step
        return interpolated, slope


def on_treatment_grid(inputs: dict[str, InputValue]) -> dict[str, InputValue]:
    """The same inputs with the engine's tick pinned to the 10-minute treatment grid.

    The engine's tick is the largest step dividing every change time; a change point at
    10 min that keeps the value unchanged pins it, so every protocol runs the same program.

    Example
    -------
    >>> out = on_treatment_grid({"a": Schedule(((0.0, 0.0), (600.0, 1.0)))})
    >>> out["a"].changes
    ((0.0, 0.0), (10.0, 0.0), (600.0, 1.0))
    """
    out = dict(inputs)
    for name in sorted(out):
        schedule = out[name]
        if not isinstance(schedule, Schedule):
            continue
        changes = list(schedule.changes)
        if any(abs(t - GRID_MIN) < 1e-9 for t, _ in changes):
            return out
        before = [c for c in changes if c[0] < GRID_MIN]
        after = [c for c in changes if c[0] > GRID_MIN]
        held = before[-1][1] if before else 0.0
        head = before if before else [(0.0, 0.0)]
        out[name] = Schedule(tuple([*head, (float(GRID_MIN), held), *after]))
        return out
    return out


class ParticleRunner:
    """Runs particles of one patient through treatment-plan documents.

    See the module docstring for an example.
    """

    def __init__(
        self,
        prior: TwinPrior,
        data: PatientData,
        settings: RunSettings | None = None,
        model: OdeModel | str = "twin",
    ) -> None:
        self.prior = prior
        self.data = data
        self.settings = settings or RunSettings()
        self.model = resolve_model(model) if isinstance(model, str) else model
        self.factors = data.patient_factors()
        low, high = CLEARANCE_FACTOR_BOUNDS
        self.clearance: dict[str, float | Array] = {
            f"{key}_clearance_factor": float(np.clip(self.factors.clearance_factor(key), low, high))
            for key in DRUG_KEYS
            if f"{key}_clearance_factor" in self.model.parameter_names
        }

    def parameters(self, z: Array) -> dict[str, Array]:
        """Per-particle model parameters (fitted values, phenotype, clearance factors)."""
        n = np.atleast_2d(z).shape[0]
        parameters, _ = self.prior.model_inputs(z, self.model)
        for name, factor in self.clearance.items():
            parameters[name] = np.broadcast_to(np.asarray(factor, dtype=np.float64), (n,)).copy()
        return parameters

    def baseline_states(self, z: Array) -> dict[str, Array]:
        """Each particle's state at day 0: its steady rhythm, then the fitted exacerbation."""
        n = np.atleast_2d(z).shape[0]
        background: dict[str, InputValue] = {
            dose_rate_input(key): mg_per_day / MINUTES_PER_DAY
            for key, mg_per_day in self.data.background_daily_mg.items()
        }
        state = steady_state(
            self.model,
            self.parameters(z),
            background,
            n_patients=n,
            dt=self.settings.warmup_dt_min,
            dtype=self.settings.dtype,
            settle_days=self.settings.settle_days,
        )
        _, overrides = self.prior.model_inputs(z, self.model)
        return {**{k: np.asarray(v, dtype=np.float64) for k, v in state.items()}, **overrides}

    def run(
        self,
        z: Array,
        initial: Mapping[str, Array],
        treatment: Mapping[str, Any],
        *,
        days: int,
        pulse_seed: int | None = None,
    ) -> RunResult:
        """Run particles ``z`` from their day-0 ``initial`` states through ``treatment``.

        ``pulse_seed`` switches the seeded ultradian pulses on (column *k* draws the stream
        of patient *k*): the validation's virtual patients are simulated with them.
        """
        n = np.atleast_2d(z).shape[0]
        compiled = compile_plan(dict(treatment), days, patient=self.factors)
        parameters = self.parameters(z)
        for name, number in compiled.parameters.items():
            parameters[name] = np.full(n, number)
        dataset = simulate(
            self.model,
            days=days,
            parameters=parameters,
            initial_state=dict(initial),
            inputs=on_treatment_grid(dict(compiled.inputs)),
            n_patients=n,
            dt=self.settings.dt_min,
            output_every=self.settings.output_every_min,
            pulses=pulse_seed is not None,
            seed=0 if pulse_seed is None else pulse_seed,
            dtype=self.settings.dtype,
            variables=list(READOUTS),
        )
        times = np.asarray(dataset["time"].values, dtype=np.float64)
        readouts = {
            name: np.asarray(dataset[name].values, dtype=np.float64).reshape(len(times), n)
            for name in READOUTS
        }
        return RunResult(times, readouts)
