"""The endpoint catalogue: clinical endpoints computed from model readouts at visits.

Readouts are turned into **measures** per patient and per day: the daily
mean of PHQ-9, pain NRS and RMSSD over the 24 h of the day (a visit on day
*d* covers ``[d, d+1)`` days), salivary cortisol at the morning and evening
sampling clock times, and the diurnal slope between them. Endpoints compare
a follow-up visit (default: the last) with the baseline (the first visit).
Each endpoint states its definition and source; see ``docs/trials.md``.

Example
-------
>>> import numpy as np
>>> from hpatwin.trials.endpoints import CATALOGUE
>>> response = CATALOGUE["phq9_response"]
>>> response.compute({"phq9": np.array([20.0, 20.0])}, {"phq9": np.array([10.0, 11.0])},
...                  0.5, None).tolist()
[1.0, 0.0]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from hpatwin.clinic.outcomes import criteria_for
from hpatwin.model.definition import OdeModel
from hpatwin.trials.spec import EndpointSpec, ReadoutsSpec, SamplingSpec, TrialSpec

Role = Literal["phq9", "pain_nrs", "salivary_cortisol", "rmssd", "plasma_cortisol"]
MeasureKind = Literal["day_mean", "morning", "evening", "slope"]
Array = NDArray[np.float64]

#: Mayo Clinic Laboratories SALCT (LC-MS/MS) salivary cortisol reference values
MORNING_REFERENCE_NMOL_L = (2.8, 20.7)
LATE_NIGHT_UPPER_NMOL_L = 2.76
#: assumption: a profile from mid-reference morning (≈10 nmol/L) to the late-night limit (2.76) over 15 h
DEFAULT_NORMAL_SLOPE_NMOL_L_PER_H = -0.48


@dataclass(frozen=True)
class Measure:
    """A per-patient, per-day quantity derived from one readout.

    Example
    -------
    >>> MEASURES["cortisol_slope"].unit
    'nmol/L/h'
    """

    name: str
    role: Role
    kind: MeasureKind
    unit: str
    label: str


MEASURES: dict[str, Measure] = {
    m.name: m
    for m in (
        Measure("phq9", "phq9", "day_mean", "points (0–27)", "PHQ-9, daily mean"),
        Measure("pain_nrs", "pain_nrs", "day_mean", "points (0–10)", "pain NRS, daily mean"),
        Measure("rmssd", "rmssd", "day_mean", "ms", "RMSSD, daily mean"),
        Measure(
            "cortisol_morning",
            "salivary_cortisol",
            "morning",
            "nmol/L",
            "salivary cortisol, morning sample",
        ),
        Measure(
            "cortisol_evening",
            "salivary_cortisol",
            "evening",
            "nmol/L",
            "salivary cortisol, evening sample",
        ),
        Measure(
            "cortisol_slope",
            "salivary_cortisol",
            "slope",
            "nmol/L/h",
            "diurnal cortisol slope (evening − morning) / hours",
        ),
        Measure(
            "plasma_cortisol_morning",
            "plasma_cortisol",
            "morning",
            "nmol/L",
            "plasma cortisol, morning sample",
        ),
    )
}

ComputeFn = Callable[[Mapping[str, Array], Mapping[str, Array], float | None, str | None], Array]


@dataclass(frozen=True)
class EndpointDefinition:
    """One catalogue entry: what it measures, how, and where the definition comes from.

    ``compute(baseline, follow_up, threshold, definition)`` takes measure
    values at the two visits (arrays over patients) and returns one value per
    patient; binary endpoints return 1.0/0.0, or NaN where not applicable.

    Example
    -------
    >>> CATALOGUE["slope_normalisation"].roles
    {'salivary_cortisol'}
    """

    name: str
    kind: Literal["continuous", "binary"]
    measures: tuple[str, ...]
    unit: str
    description: str
    source: str
    compute: ComputeFn
    default_threshold: float | None = None
    threshold_range: tuple[float, float] | None = None
    threshold_meaning: str = ""
    definitions: tuple[str, ...] = ()

    @property
    def roles(self) -> set[Role]:
        """Readout roles this endpoint needs.

        Example
        -------
        >>> sorted(CATALOGUE["phq9_change"].roles)
        ['phq9']
        """
        return {MEASURES[m].role for m in self.measures}


def _change(measure: str) -> ComputeFn:
    def compute(
        base: Mapping[str, Array], final: Mapping[str, Array], _t: float | None, _d: str | None
    ) -> Array:
        return np.asarray(final[measure] - base[measure], dtype=np.float64)

    return compute


def _final(measure: str) -> ComputeFn:
    def compute(
        base: Mapping[str, Array], final: Mapping[str, Array], _t: float | None, _d: str | None
    ) -> Array:
        return np.asarray(final[measure], dtype=np.float64)

    return compute


def _relative_reduction(base: Array, final: Array) -> Array:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(base > 0, (base - final) / base, np.nan)


def _percent_change(measure: str) -> ComputeFn:
    def compute(
        base: Mapping[str, Array], final: Mapping[str, Array], _t: float | None, _d: str | None
    ) -> Array:
        return -100.0 * _relative_reduction(base[measure], final[measure])

    return compute


def _binary(condition: NDArray[np.bool_], applicable: NDArray[np.bool_]) -> Array:
    return np.where(applicable, condition.astype(np.float64), np.nan)


def _reduction_at_least(measure: str) -> ComputeFn:
    def compute(
        base: Mapping[str, Array],
        final: Mapping[str, Array],
        threshold: float | None,
        _d: str | None,
    ) -> Array:
        assert threshold is not None
        reduction = _relative_reduction(base[measure], final[measure])
        # a tiny tolerance so that an exact 50 % reduction counts despite rounding
        return _binary(reduction >= threshold - 1e-12, np.isfinite(reduction))

    return compute


def _below(measure: str) -> ComputeFn:
    def compute(
        base: Mapping[str, Array],
        final: Mapping[str, Array],
        threshold: float | None,
        _d: str | None,
    ) -> Array:
        assert threshold is not None
        value = final[measure]
        return _binary(value < threshold, np.isfinite(value))

    return compute


def _slope_normalisation(
    base: Mapping[str, Array],
    final: Mapping[str, Array],
    threshold: float | None,
    definition: str | None,
) -> Array:
    def abnormal(values: Mapping[str, Array]) -> NDArray[np.bool_]:
        if definition == "slope_threshold":
            limit = DEFAULT_NORMAL_SLOPE_NMOL_L_PER_H if threshold is None else threshold
            return np.asarray(values["cortisol_slope"] > limit)
        evening_limit = LATE_NIGHT_UPPER_NMOL_L if threshold is None else threshold
        low, high = MORNING_REFERENCE_NMOL_L
        morning = values["cortisol_morning"]
        return np.asarray(
            (morning < low) | (morning > high) | (values["cortisol_evening"] >= evening_limit)
        )

    known = np.isfinite(base["cortisol_slope"]) & np.isfinite(final["cortisol_slope"])
    return _binary(~abnormal(final), abnormal(base) & known)


IMMPACT = "Dworkin et al. 2008 J Pain 9:105 (IMMPACT); Farrar et al. 2001 Pain 94:149"
PHQ9 = "Kroenke, Spitzer & Williams 2001 J Gen Intern Med 16:606"
# Response, remission and IMMPACT thresholds are the clinic's outcome criteria (one definition,
# hpatwin.clinic.outcomes): a trial endpoint and a real patient's course use the same numbers.
PHQ9_RESPONSE, PHQ9_REMISSION = criteria_for("phq9", ["response", "remission"])
NRS_RESPONSE, NRS_SUBSTANTIAL = criteria_for("nrs", ["response", "substantial_response"])


def _threshold(value: float | None) -> float:
    """A criterion's threshold as the endpoint's default (every criterion used here sets one)."""
    if value is None:
        raise ValueError("outcome criterion without the threshold this endpoint needs")
    return float(value)
MAYO = "Mayo Clinic Laboratories SALCT (LC-MS/MS) reference values; late-night cut-offs are assay-dependent"
SLOPE = "Adam et al. 2017 Psychoneuroendocrinology 83:25 (diurnal slope: decline per hour)"
MORNING_PLASMA = (
    "Stetler & Miller 2011 Psychosom Med 73:114 (morning cortisol, depressed vs non-depressed)"
)
HRV = "Task Force ESC/NASPE 1996 (RMSSD definition); Koch et al. 2019 Psychol Med 49:1948"

CATALOGUE: dict[str, EndpointDefinition] = {
    e.name: e
    for e in (
        EndpointDefinition(
            "phq9_change",
            "continuous",
            ("phq9",),
            "points",
            "PHQ-9 at follow-up minus baseline (negative = improvement)",
            PHQ9,
            _change("phq9"),
        ),
        EndpointDefinition(
            "phq9_percent_change",
            "continuous",
            ("phq9",),
            "%",
            "100 × (follow-up − baseline) / baseline; NaN when baseline is 0",
            PHQ9,
            _percent_change("phq9"),
        ),
        EndpointDefinition(
            "phq9_response",
            "binary",
            ("phq9",),
            "",
            "response: PHQ-9 reduced by ≥ threshold (fraction, default 0.5) from baseline",
            PHQ9_RESPONSE.source,
            _reduction_at_least("phq9"),
            _threshold(PHQ9_RESPONSE.min_reduction_fraction),
            (0.01, 1.0),
            "minimum relative reduction",
        ),
        EndpointDefinition(
            "phq9_remission",
            "binary",
            ("phq9",),
            "",
            "remission: PHQ-9 at follow-up < threshold (default 5)",
            PHQ9 + "; " + PHQ9_REMISSION.source,
            _below("phq9"),
            _threshold(PHQ9_REMISSION.below),
            (0.5, 27.0),
            "PHQ-9 points (strictly below)",
        ),
        EndpointDefinition(
            "pain_nrs_change",
            "continuous",
            ("pain_nrs",),
            "points",
            "pain NRS (0–10) at follow-up minus baseline (negative = improvement)",
            IMMPACT,
            _change("pain_nrs"),
        ),
        EndpointDefinition(
            "pain_nrs_percent_change",
            "continuous",
            ("pain_nrs",),
            "%",
            "100 × (follow-up − baseline) / baseline; NaN when baseline is 0",
            IMMPACT,
            _percent_change("pain_nrs"),
        ),
        EndpointDefinition(
            "pain_reduction_30",
            "binary",
            ("pain_nrs",),
            "",
            "moderately important improvement: pain NRS reduced by ≥ 30 % (IMMPACT)",
            NRS_RESPONSE.source,
            _reduction_at_least("pain_nrs"),
            _threshold(NRS_RESPONSE.min_reduction_fraction),
            (0.01, 1.0),
            "minimum relative reduction",
        ),
        EndpointDefinition(
            "pain_reduction_50",
            "binary",
            ("pain_nrs",),
            "",
            "substantial improvement: pain NRS reduced by ≥ 50 % (IMMPACT)",
            NRS_SUBSTANTIAL.source,
            _reduction_at_least("pain_nrs"),
            _threshold(NRS_SUBSTANTIAL.min_reduction_fraction),
            (0.01, 1.0),
            "minimum relative reduction",
        ),
        EndpointDefinition(
            "cortisol_0800",
            "continuous",
            ("cortisol_morning",),
            "nmol/L",
            "salivary cortisol at the morning sample (sampling.morning_clock, default 08:00)",
            MAYO,
            _final("cortisol_morning"),
        ),
        EndpointDefinition(
            "cortisol_0800_change",
            "continuous",
            ("cortisol_morning",),
            "nmol/L",
            "morning salivary cortisol, follow-up minus baseline",
            MAYO,
            _change("cortisol_morning"),
        ),
        EndpointDefinition(
            "cortisol_2300",
            "continuous",
            ("cortisol_evening",),
            "nmol/L",
            "salivary cortisol at the evening sample (sampling.evening_clock, default 23:00)",
            MAYO,
            _final("cortisol_evening"),
        ),
        EndpointDefinition(
            "cortisol_2300_change",
            "continuous",
            ("cortisol_evening",),
            "nmol/L",
            "evening (late-night) salivary cortisol, follow-up minus baseline",
            MAYO,
            _change("cortisol_evening"),
        ),
        EndpointDefinition(
            "diurnal_slope",
            "continuous",
            ("cortisol_slope",),
            "nmol/L/h",
            "diurnal slope (evening − morning) / hours between samples; more negative = steeper",
            SLOPE,
            _final("cortisol_slope"),
        ),
        EndpointDefinition(
            "diurnal_slope_change",
            "continuous",
            ("cortisol_slope",),
            "nmol/L/h",
            "diurnal slope, follow-up minus baseline (negative = steeper decline)",
            SLOPE,
            _change("cortisol_slope"),
        ),
        EndpointDefinition(
            "slope_normalisation",
            "binary",
            ("cortisol_morning", "cortisol_evening", "cortisol_slope"),
            "",
            "among patients abnormal at baseline, 1 if normal at follow-up. definition "
            "reference_ranges (default): normal = morning within 2.8–20.7 nmol/L and evening "
            "below threshold (default 2.76 nmol/L); slope_threshold: normal = slope ≤ threshold "
            "(default −0.48 nmol/L/h, an assumption). NaN for patients normal at baseline",
            MAYO + "; " + SLOPE,
            _slope_normalisation,
            None,
            (-100.0, 100.0),
            "late-night cut-off in nmol/L (reference_ranges) or slope in nmol/L/h (slope_threshold)",
            ("reference_ranges", "slope_threshold"),
        ),
        EndpointDefinition(
            "plasma_cortisol_0800",
            "continuous",
            ("plasma_cortisol_morning",),
            "nmol/L",
            "total plasma cortisol at the morning clock time (sampling.morning_clock, default "
            "08:00): the model's value (no assay model, also with observation noise on)",
            MORNING_PLASMA,
            _final("plasma_cortisol_morning"),
        ),
        EndpointDefinition(
            "rmssd_change",
            "continuous",
            ("rmssd",),
            "ms",
            "RMSSD (daily mean), follow-up minus baseline (positive = higher vagal HRV)",
            HRV,
            _change("rmssd"),
        ),
    )
}


@dataclass(frozen=True)
class ConfiguredEndpoint:
    """A catalogue endpoint with its visit, threshold and definition fixed by the spec.

    Example
    -------
    >>> from hpatwin.trials.spec import EndpointSpec
    >>> ep = configure_endpoint(EndpointSpec(name="phq9_remission"), visits_days=(0, 28))
    >>> ep.key, ep.at_day, ep.threshold
    ('phq9_remission', 28, 5.0)
    """

    key: str
    definition: EndpointDefinition
    baseline_day: int
    at_day: int
    threshold: float | None
    variant: str | None

    @property
    def kind(self) -> Literal["continuous", "binary"]:
        """``continuous`` or ``binary``.

        Example
        -------
        >>> from hpatwin.trials.spec import EndpointSpec
        >>> configure_endpoint(EndpointSpec(name="pain_reduction_50"), (0, 7)).kind
        'binary'
        """
        return self.definition.kind

    def evaluate(self, visits: Mapping[tuple[str, int], Array]) -> Array:
        """Per-patient values from measure values keyed by ``(measure, day)``.

        Example
        -------
        >>> import numpy as np
        >>> from hpatwin.trials.spec import EndpointSpec
        >>> ep = configure_endpoint(EndpointSpec(name="rmssd_change"), (0, 7))
        >>> ep.evaluate({("rmssd", 0): np.array([30.0]), ("rmssd", 7): np.array([34.0])}).tolist()
        [4.0]
        """
        base = {m: visits[(m, self.baseline_day)] for m in self.definition.measures}
        final = {m: visits[(m, self.at_day)] for m in self.definition.measures}
        return self.definition.compute(base, final, self.threshold, self.variant)

    def describe(self) -> str:
        """One line: the definition with this configuration.

        Example
        -------
        >>> from hpatwin.trials.spec import EndpointSpec
        >>> configure_endpoint(EndpointSpec(name="phq9_remission"), (0, 84)).describe()
        'remission: PHQ-9 at follow-up < threshold (default 5); threshold = 5; day 84 vs day 0'
        """
        parts = [self.definition.description]
        if self.threshold is not None:
            parts.append(f"threshold = {self.threshold:g}")
        if self.variant is not None:
            parts.append(f"definition = {self.variant}")
        parts.append(f"day {self.at_day} vs day {self.baseline_day}")
        return "; ".join(parts)


def configure_endpoint(spec: EndpointSpec, visits_days: Sequence[int]) -> ConfiguredEndpoint:
    """Check one endpoint entry against the catalogue; raises ``ValueError`` naming the field.

    Example
    -------
    >>> from hpatwin.trials.spec import EndpointSpec
    >>> configure_endpoint(EndpointSpec(name="phq9_response", threshold=1.5), (0, 7))
    Traceback (most recent call last):
    ...
    ValueError: endpoints.phq9_response.threshold: 1.5 is outside the allowed range [0.01, 1] (minimum relative reduction)
    """
    if spec.name not in CATALOGUE:
        raise ValueError(
            f"endpoints.{spec.key}: unknown endpoint {spec.name!r}; known: {', '.join(CATALOGUE)}"
        )
    definition = CATALOGUE[spec.name]
    threshold = spec.threshold if spec.threshold is not None else definition.default_threshold
    if spec.threshold is not None:
        if definition.threshold_range is None:
            raise ValueError(f"endpoints.{spec.key}.threshold: {spec.name} takes no threshold")
        low, high = definition.threshold_range
        if not low <= spec.threshold <= high:
            raise ValueError(
                f"endpoints.{spec.key}.threshold: {spec.threshold:g} is outside the allowed range "
                f"[{low:g}, {high:g}] ({definition.threshold_meaning})"
            )
    variant: str | None = spec.definition
    if (
        spec.name == "slope_normalisation"
        and variant in (None, "reference_ranges")
        and spec.threshold is not None
        and spec.threshold <= 0
    ):
        raise ValueError(
            f"endpoints.{spec.key}.threshold: {spec.threshold:g} must be > 0 nmol/L "
            "(the late-night cut-off of definition reference_ranges)"
        )
    if variant is not None and variant not in definition.definitions:
        allowed = ", ".join(definition.definitions) or "none"
        raise ValueError(
            f"endpoints.{spec.key}.definition: {variant!r} is not allowed for {spec.name}; "
            f"allowed: {allowed}"
        )
    if definition.definitions and variant is None:
        variant = definition.definitions[0]
    return ConfiguredEndpoint(
        key=spec.key,
        definition=definition,
        baseline_day=visits_days[0],
        at_day=visits_days[-1] if spec.at_day is None else spec.at_day,
        threshold=threshold,
        variant=variant,
    )


def configure_endpoints(spec: TrialSpec, model: OdeModel | None = None) -> list[ConfiguredEndpoint]:
    """Every endpoint of a spec, checked against the catalogue and (if given) the model's readouts.

    Raises ``ValueError`` listing each problem (one per line).

    Example
    -------
    >>> from hpatwin.trials.spec import TrialSpec
    >>> from hpatwin.trials.models import resolve_model
    >>> spec = TrialSpec.model_validate({"name": "t", "population": {"size": 2},
    ...     "arms": ["usual_care"], "duration_days": 2, "visits_days": [0, 1],
    ...     "endpoints": ["phq9_change"]})
    >>> configure_endpoints(spec, resolve_model("hpa_core"))
    Traceback (most recent call last):
    ...
    ValueError: endpoints.phq9_change: needs readout 'phq9_expected' (readouts.phq9), which model hpa_core lacks; ...
    """
    problems: list[str] = []
    configured: list[ConfiguredEndpoint] = []
    for entry in spec.endpoints:
        try:
            endpoint = configure_endpoint(entry, spec.visits_days)
        except ValueError as err:
            problems.append(str(err))
            continue
        configured.append(endpoint)
        if model is not None:
            for role in sorted(endpoint.definition.roles):
                readout = readout_for(role, spec.readouts)
                if readout not in model.readout_names:
                    problems.append(
                        f"endpoints.{endpoint.key}: needs readout {readout!r} (readouts.{role}), "
                        f"which model {model.name} lacks; its readouts: "
                        f"{', '.join(model.readout_names) or 'none'}"
                    )
    if problems:
        raise ValueError("\n".join(problems))
    return configured


def readout_for(role: Role, readouts: ReadoutsSpec) -> str:
    """The readout name configured for a role.

    Example
    -------
    >>> readout_for("rmssd", ReadoutsSpec())
    'rmssd_ms'
    """
    name: str = getattr(readouts, role)
    return name


def required_measures(endpoints: Sequence[ConfiguredEndpoint]) -> list[str]:
    """Measures the endpoints need, in catalogue order.

    Example
    -------
    >>> from hpatwin.trials.spec import EndpointSpec
    >>> required_measures([configure_endpoint(EndpointSpec(name="slope_normalisation"), (0, 7))])
    ['cortisol_morning', 'cortisol_evening', 'cortisol_slope']
    """
    wanted = {m for e in endpoints for m in e.definition.measures}
    return [name for name in MEASURES if name in wanted]


def daily_measures(
    readout_values: Mapping[Role, Array],
    measures: Sequence[str],
    *,
    output_every_min: float,
    n_days: int,
    sampling: SamplingSpec,
) -> dict[str, Array]:
    """Measures per day: arrays ``(n_days, n_patients)`` from readouts ``(time, n_patients)``.

    ``readout_values`` are sampled every ``output_every_min`` from time 0
    (inclusive) to ``n_days`` (inclusive), as :func:`hpatwin.simulate` returns.

    Example
    -------
    >>> import numpy as np
    >>> from hpatwin.trials.spec import SamplingSpec
    >>> hours = np.arange(49.0)[:, None]  # two days, hourly, one patient
    >>> daily = daily_measures({"phq9": hours}, ["phq9"], output_every_min=60, n_days=2,
    ...                        sampling=SamplingSpec())
    >>> daily["phq9"][:, 0].tolist()
    [11.5, 35.5]
    """
    per_day = round(1440.0 / output_every_min)
    out: dict[str, Array] = {}
    for name in measures:
        measure = MEASURES[name]
        values = np.asarray(readout_values[measure.role], dtype=np.float64)
        days = values[: n_days * per_day].reshape(n_days, per_day, values.shape[-1])
        if measure.kind == "day_mean":
            # an explicit left-to-right sum per patient column: numpy's pairwise summation
            # would depend on the array's shape, i.e. on how many patients share a batch
            total = days[:, 0, :].copy()
            for sample in range(1, per_day):
                total += days[:, sample, :]
            out[name] = total / per_day
            continue
        morning = days[:, round(sampling.morning_hours * 60 / output_every_min), :]
        evening = days[:, round(sampling.evening_hours * 60 / output_every_min), :]
        if measure.kind == "morning":
            out[name] = morning
        elif measure.kind == "evening":
            out[name] = evening
        else:
            out[name] = (evening - morning) / (sampling.evening_hours - sampling.morning_hours)
    return out
