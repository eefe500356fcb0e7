"""What a trial records at its visits: the observation layer applied to the model's readouts.

With ``observation.noise`` on, visit values are observed — PHQ-9 from nine integer items,
integer NRS, RMSSD with day-to-day variability (all with visit-to-visit fluctuation of the
latent state), salivary cortisol read at a jittered sampling time with assay error — and
a screening visit decides enrolment. With it off, visit values are the model's daily
means and clock-time samples exactly as before. Dropout and missed visits then blank out
visits (see :mod:`hpatwin.trials.conduct`).

Example
-------
>>> from hpatwin.trials.spec import _example_spec
>>> conduct_measures(_example_spec(), ["cortisol_evening"])
['cortisol_evening']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from hpatwin.model.definition import OdeModel
from hpatwin.model.natural_course import has_natural_course
from hpatwin.observation import observe_cortisol_sample, observe_visits
from hpatwin.trials.conduct import attendance, enrolled_by_screening, visit_numbers
from hpatwin.trials.endpoints import MEASURES, Role
from hpatwin.trials.spec import TrialSpec

Array = NDArray[np.float64]
VisitValues = dict[tuple[str, int], Array]
SCORES = ("phq9", "pain_nrs", "rmssd")
CORTISOL = ("cortisol_morning", "cortisol_evening")


def natural_course_on(spec: TrialSpec, model: OdeModel) -> bool:
    """Whether patients enrol during an exacerbation (``auto``: if the model has one).

    Example
    -------
    >>> from hpatwin.model import get_model
    >>> from hpatwin.trials.spec import _example_spec
    >>> natural_course_on(_example_spec(), get_model("hpa_core"))
    False
    """
    if spec.natural_course == "auto":
        return has_natural_course(model)
    return bool(spec.natural_course)


def conduct_measures(spec: TrialSpec, endpoint_measures: Sequence[str]) -> list[str]:
    """The endpoints' measures plus those screening and MAR dropout read, in catalogue order.

    Example
    -------
    >>> from hpatwin.trials.spec import _example_spec
    >>> conduct_measures(_example_spec().with_overrides(screening={"nrs_min": 4}), ["phq9"])
    ['phq9', 'pain_nrs']
    """
    wanted = set(endpoint_measures)
    if spec.screening.needs_phq9 or spec.dropout.mechanism == "mar":
        wanted.add("phq9")
    if spec.screening.needs_nrs:
        wanted.add("pain_nrs")
    if spec.observation.noise and "cortisol_slope" in wanted:
        wanted.update(CORTISOL)
    return [name for name in MEASURES if name in wanted]


def observe_cortisol_block(
    readouts: Mapping[Role, Array],
    patient_ids: NDArray[np.int64],
    measures: Sequence[str],
    spec: TrialSpec,
) -> VisitValues:
    """Observed morning and evening salivary cortisol at every visit for one block.

    ``readouts["salivary_cortisol"]`` is the block's profile ``(time, n)`` on the output grid.

    Example
    -------
    >>> import numpy as np
    >>> from hpatwin.trials.spec import _example_spec
    >>> profile = np.full((3 * 24 + 1, 2), 5.0)
    >>> out = observe_cortisol_block({"salivary_cortisol": profile}, np.arange(2),
    ...                              ["cortisol_evening"], _example_spec())
    >>> sorted(out), bool((np.abs(out[("cortisol_evening", 2)] - 5.0) < 2.5).all())
    ([('cortisol_evening', 0), ('cortisol_evening', 2)], True)
    """
    out: VisitValues = {}
    wanted = [m for m in CORTISOL if m in measures]
    if not wanted or not spec.observation.noise:
        return out
    profiles = readouts["salivary_cortisol"]
    grid = np.arange(profiles.shape[0], dtype=np.float64) * spec.simulation.output_every_min
    settings = spec.observation.settings()
    for number, day in zip(visit_numbers(spec.visits_days), spec.visits_days, strict=True):
        for measure in wanted:
            evening = measure == "cortisol_evening"
            hours = spec.sampling.evening_hours if evening else spec.sampling.morning_hours
            out[(measure, day)] = observe_cortisol_sample(
                grid,
                profiles,
                day * 1440.0 + hours * 60.0,
                patient_ids,
                visit=number,
                seed=spec.derived_seed("observation"),
                evening=evening,
                settings=settings,
            )
    return out


@dataclass(frozen=True)
class TrialVisits:
    """Everything recorded at the visits of a chunk.

    ``values[(measure, day)]`` are what the endpoints read (NaN where a visit was missed);
    ``latent`` the model's values at the same visits (noise on only); ``screening`` the
    observed screening scores; ``enrolled`` and ``attended`` (visits × patients) masks.
    """

    values: VisitValues
    latent: VisitValues
    screening: dict[str, Array]
    enrolled: NDArray[np.bool_]
    attended: NDArray[np.bool_]


def _observed_scores(
    spec: TrialSpec,
    daily: Mapping[str, Array],
    screening_latent: Mapping[str, Array],
    patient_ids: NDArray[np.int64],
    measures: Sequence[str],
) -> tuple[VisitValues, dict[str, Array]]:
    days = list(spec.visits_days)
    numbers = [0, *visit_numbers(days)]
    gap = float(spec.screening.days_before_baseline)
    latent: dict[str, Array] = {}
    for measure in (m for m in SCORES if m in measures):
        at_visits = np.stack([daily[measure][day] for day in days])
        first = screening_latent.get(measure, at_visits[0])
        latent[measure] = np.vstack([first[None, :], at_visits])
    if not latent:
        return {}, {}
    observed = observe_visits(
        latent,
        patient_ids,
        [days[0] - gap, *map(float, days)],
        seed=spec.derived_seed("observation"),
        visit_numbers=numbers,
        settings=spec.observation.settings(),
    )
    values: VisitValues = {}
    screening: dict[str, Array] = {}
    for measure in latent:
        array = observed[measure].values
        if measure != "rmssd":
            screening[measure] = array[0]
        if spec.observation.noise:
            values.update({(measure, day): array[k + 1] for k, day in enumerate(days)})
    return values, screening


def trial_visits(
    spec: TrialSpec,
    daily: Mapping[str, Array],
    screening_latent: Mapping[str, Array],
    cortisol: VisitValues,
    patient_ids: NDArray[np.int64],
    measures: Sequence[str],
) -> TrialVisits:
    """Visit values (observed or expected), screening, enrolment and attendance of a chunk.

    ``daily[measure]`` is ``(n_days, n)`` (latent day means), ``screening_latent`` the
    latent scores at enrolment, ``cortisol`` the observed samples from
    :func:`observe_cortisol_block`.

    Example
    -------
    >>> import numpy as np
    >>> from hpatwin.trials.spec import parse_spec
    >>> spec = parse_spec({"name": "t", "population": {"size": 3}, "arms": ["usual_care"],
    ...     "duration_days": 3, "visits_days": [0, 2], "endpoints": ["phq9_change"],
    ...     "screening": {"phq9_min": 10}})
    >>> daily = {"phq9": np.tile([[4.0, 15.0, 20.0]], (3, 1))}
    >>> recorded = trial_visits(spec, daily, {"phq9": daily["phq9"][0]}, {}, np.arange(3),
    ...                         ["phq9"])
    >>> recorded.enrolled.tolist(), recorded.values[("phq9", 2)].dtype.kind
    ([False, True, True], 'f')
    """
    expected: VisitValues = {
        (m, day): np.asarray(daily[m][day], dtype=np.float64)
        for m in measures
        for day in spec.visits_days
    }
    values = dict(expected)
    observed, screening = _observed_scores(spec, daily, screening_latent, patient_ids, measures)
    if spec.observation.noise:
        values.update(observed)
        values.update(cortisol)
        if "cortisol_slope" in measures:
            hours = spec.sampling.evening_hours - spec.sampling.morning_hours
            for day in spec.visits_days:
                values[("cortisol_slope", day)] = (
                    values[("cortisol_evening", day)] - values[("cortisol_morning", day)]
                ) / hours
    enrolled = (
        enrolled_by_screening(screening.get("phq9"), screening.get("pain_nrs"), spec.screening)
        if spec.screening.active
        else np.ones(len(patient_ids), dtype=bool)
    )
    phq9 = np.stack([values[("phq9", d)] for d in spec.visits_days]) if "phq9" in measures else None
    attended = attendance(
        phq9,
        patient_ids,
        spec.dropout,
        seed=spec.derived_seed("observation"),
        n_visits=len(spec.visits_days),
    )
    for k, day in enumerate(spec.visits_days):
        for measure in measures:
            values[(measure, day)] = np.where(attended[k], values[(measure, day)], np.nan)
    latent = expected if spec.observation.noise else {}
    return TrialVisits(values, latent, screening, enrolled, attended)
