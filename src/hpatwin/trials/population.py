"""Virtual populations and randomisation, seeded per patient.

Every random number a patient gets is a pure function of ``(seed, purpose,
patient id, draw number)`` — a counter-based generator (the SplitMix64
finaliser applied twice to a keyed counter). So patient *i* is identical
whatever the population size, the chunking or the order of generation, and
adding a co-medication or a varied parameter to a spec does not change any
other draw.

Example
-------
>>> from hpatwin.trials.population import generate_population
>>> from hpatwin.trials.spec import PopulationSpec
>>> spec = PopulationSpec(size=3, phenotypes={"healthy": 0.5, "chronic_stress": 0.5},
...                       variability={"cortisol_half_life_min": 0.1}, seed=1)
>>> table = generate_population(spec, "hpa_core")
>>> list(table["patient_id"])
[0, 1, 2]
>>> bool(table["param:cortisol_half_life_min"].between(30, 120).all())
True
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from hpatwin.model.definition import OdeModel
from hpatwin.model.phenotypes import get_phenotype
from hpatwin.parameters import Evidence
from hpatwin.trials.models import resolve_model
from hpatwin.trials.spec import InjurySpec, PopulationSpec, RandomisationSpec, TrialSpecError

#: prefix of per-patient parameter columns in a population table
PARAMETER_PREFIX = "param:"
#: prefix of per-patient treatment parameter overrides (from a plan) in a trial table
TREATMENT_PREFIX = "treatment:"


@dataclass(frozen=True)
class Variability:
    """How one parameter varies between patients.

    ``kind="lognormal"`` multiplies the phenotype value by ``exp(N(0, spread))``;
    ``kind="normal"`` adds ``N(0, spread)``. Results are clipped to the registry range.
    """

    spread: float
    kind: str
    source: str
    evidence: Evidence
    rationale: str = ""

    def __post_init__(self) -> None:
        if self.kind not in ("lognormal", "normal"):
            raise ValueError(f"variability kind: {self.kind!r} is not 'lognormal' or 'normal'")
        if not (math.isfinite(self.spread) and self.spread >= 0):
            raise ValueError(f"variability spread: {self.spread!r} must be ≥ 0")


_ASSUMED = "hpatwin calibration"
#: Default inter-individual variability of the twin (assumptions, calibrated on populations).
DEFAULT_VARIABILITY: dict[str, Variability] = {
    "tissue_nociception": Variability(
        0.6,
        "lognormal",
        _ASSUMED,
        Evidence.ASSUMPTION,
        "pain generators differ in strength; spread sized so chronic-pain NRS spans ~3-8 and "
        "persistent pain is common in the general population",
    ),
    "depression_vulnerability": Variability(
        0.6,
        "normal",
        _ASSUMED,
        Evidence.ASSUMPTION,
        "resilience differs between people; together with the pain pathways it sets how many "
        "chronic-pain patients become depressed (30-60 %, the calibration target)",
    ),
    "cortisol_half_life_min": Variability(
        0.1,
        "lognormal",
        "Keenan et al. (t½ 49 ± 2.4 min, between-subject spread)",
        Evidence.ASSUMPTION,
        "between-subject variation of cortisol clearance",
    ),
    "gr_expression_capacity": Variability(
        0.25,
        "lognormal",
        _ASSUMED,
        Evidence.ASSUMPTION,
        "GR sensitivity differs between people; gives the spread of morning cortisol that sets "
        "the depressed vs non-depressed effect size (d ≈ 0.3-0.6, Stetler & Miller 2011)",
    ),
    "circadian_amplitude_24h": Variability(
        0.1, "lognormal", _ASSUMED, Evidence.ASSUMPTION, "individual circadian amplitude"
    ),
    "wake_time_h": Variability(
        0.75, "normal", _ASSUMED, Evidence.ASSUMPTION, "habitual wake times spread about ±45 min"
    ),
    "pain_hpa_drive": Variability(
        0.2, "lognormal", _ASSUMED, Evidence.ASSUMPTION, "individual stress reactivity to pain"
    ),
    "mood_hpa_drive": Variability(
        0.2, "lognormal", _ASSUMED, Evidence.ASSUMPTION, "individual HPA reactivity in depression"
    ),
    "resting_rmssd_ms": Variability(
        0.3,
        "lognormal",
        "Nunan et al. 2010 (range ~19-75 ms, UNCONFIRMED)",
        Evidence.ASSUMPTION,
        "wide between-person spread of short-term RMSSD",
    ),
}


#: RMSSD falls with age ("strong age effect": Nunan et al., Pacing Clin Electrophysiol 2010;33:1407); fractional change per decade
#: from age 40 is an assumption.
RMSSD_CHANGE_PER_DECADE = -0.12

#: the model parameters an injury sets (see :class:`~hpatwin.trials.spec.InjurySpec`)
INJURY_PARAMETERS = ("injury_onset_day", "injury_nociception", "injury_healing_time_constant_days")
#: longest healing time constant of an injury (days)
_MAX_HEALING_DAYS = 365.0
#: days over which an injury's onset is spread (one simulated year)
_INJURY_YEAR_DAYS = 365.0
#: onset day of "no injury this year" (never reached in a simulated year)
_NO_INJURY_DAY = 1e6

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MAX_REDRAWS = 32


def _mix(x: NDArray[np.uint64]) -> NDArray[np.uint64]:
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def counter_uniforms(
    seed: int, purpose: str, counters: NDArray[np.int64], draw: int = 0
) -> NDArray[np.float64]:
    """Uniforms in (0, 1), one per counter, from a keyed counter-based generator.

    The value for a counter depends only on ``(seed, purpose, counter, draw)``.

    Example
    -------
    >>> import numpy as np
    >>> a = counter_uniforms(1, "age", np.arange(5))
    >>> b = counter_uniforms(1, "age", np.array([3]))
    >>> bool(a[3] == b[0]), bool(((a > 0) & (a < 1)).all())
    (True, True)
    """
    digest = hashlib.blake2b(f"{seed}|{purpose}|{draw}".encode(), digest_size=8).digest()
    key = np.uint64(int.from_bytes(digest, "little"))
    x = np.asarray(counters, dtype=np.int64).astype(np.uint64) * _GOLDEN + key
    x = _mix(_mix(x))
    return ((x >> np.uint64(11)).astype(np.float64) + 0.5) * 2.0**-53


def counter_normals(
    seed: int, purpose: str, counters: NDArray[np.int64], draw: int = 0
) -> NDArray[np.float64]:
    """Standard normals (Box–Muller on two counter uniforms), one per counter.

    Example
    -------
    >>> import numpy as np
    >>> z = counter_normals(3, "x", np.arange(20000))
    >>> abs(float(z.mean())) < 0.03 and abs(float(z.std()) - 1) < 0.03
    True
    """
    u1 = counter_uniforms(seed, purpose, counters, 2 * draw)
    u2 = counter_uniforms(seed, purpose, counters, 2 * draw + 1)
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


def _categorical(
    seed: int, purpose: str, ids: NDArray[np.int64], fractions: dict[str, float]
) -> NDArray[np.object_]:
    names = list(fractions)
    cumulative = np.cumsum([fractions[n] for n in names])
    cumulative[-1] = 1.0  # guard against rounding: every uniform falls in a category
    index = np.searchsorted(cumulative, counter_uniforms(seed, purpose, ids), side="right")
    return np.array(names, dtype=object)[np.minimum(index, len(names) - 1)]


def _exact_phenotypes(
    seed: int, ids: NDArray[np.int64], fractions: dict[str, float]
) -> NDArray[np.object_]:
    n = len(ids)
    names = list(fractions)
    raw = np.array([fractions[name] * n for name in names])
    counts = np.floor(raw).astype(np.int64)
    remainder_order = np.argsort(-(raw - counts), kind="stable")
    counts[remainder_order[: n - int(counts.sum())]] += 1
    labels = np.repeat(np.array(names, dtype=object), counts)
    order = np.argsort(counter_uniforms(seed, "phenotype-exact", ids), kind="stable")
    out = np.empty(n, dtype=object)
    out[order] = labels
    return out


def _truncated_normal(
    seed: int, purpose: str, ids: NDArray[np.int64], mean: float, sd: float, low: float, high: float
) -> NDArray[np.float64]:
    values = np.full(len(ids), np.nan)
    pending = np.ones(len(ids), dtype=bool)
    for draw in range(_MAX_REDRAWS):
        if sd == 0:
            values[:] = mean
            break
        z = counter_normals(seed, purpose, ids[pending], draw)
        candidate = mean + sd * z
        ok = (candidate >= low) & (candidate <= high)
        slots = np.flatnonzero(pending)
        values[slots[ok]] = candidate[ok]
        pending[slots[ok]] = False
        if not pending.any():
            break
    if pending.any():
        values[pending] = np.clip(mean, low, high)
    return values


def draw_injuries(
    ids: NDArray[np.int64], injury: InjurySpec, seed: int
) -> dict[str, NDArray[np.float64]]:
    """Injury onset day, size and healing time constant per patient (``param:`` columns).

    Drawn from the counter-based streams under the purposes ``injury``, ``injury-onset``,
    ``injury-size`` and ``injury-healing`` (see :class:`~hpatwin.trials.spec.InjurySpec`);
    patients without an injury get an onset beyond the year and size 0.

    Example
    -------
    >>> import numpy as np
    >>> cols = draw_injuries(np.arange(1000), InjurySpec(yearly_probability=0.4), seed=1)
    >>> 0.35 < float((cols["param:injury_nociception"] > 0).mean()) < 0.45
    True
    """
    ids = np.asarray(ids, dtype=np.int64)
    injured = counter_uniforms(seed, "injury", ids) < injury.yearly_probability
    onset = _INJURY_YEAR_DAYS * counter_uniforms(seed, "injury-onset", ids)
    size = injury.median_size * np.exp(
        injury.size_spread * counter_normals(seed, "injury-size", ids)
    )
    healing = np.clip(
        injury.median_healing_days
        * np.exp(injury.healing_spread * counter_normals(seed, "injury-healing", ids)),
        1.0,
        _MAX_HEALING_DAYS,
    )
    return {
        PARAMETER_PREFIX + "injury_onset_day": np.where(injured, onset, _NO_INJURY_DAY),
        PARAMETER_PREFIX + "injury_nociception": np.where(injured, size, 0.0),
        PARAMETER_PREFIX + "injury_healing_time_constant_days": np.where(
            injured, healing, injury.median_healing_days
        ),
    }


def default_variability(model: OdeModel | str) -> dict[str, Variability]:
    """Inter-individual variability used when a spec gives no ``variability``.

    The twin gets its calibrated defaults (:data:`DEFAULT_VARIABILITY`, the one copy of the
    sourced spreads: lognormal spreads multiply the phenotype's value by ``exp(spread·Z)``,
    normal spreads add ``spread·Z``); other models none.

    Example
    -------
    >>> sorted(default_variability("twin"))[:3]
    ['circadian_amplitude_24h', 'cortisol_half_life_min', 'depression_vulnerability']
    >>> default_variability("hpa_core")
    {}
    """
    name = model if isinstance(model, str) else model.name
    return dict(DEFAULT_VARIABILITY) if name == "twin" else {}


def _draw_varied(
    seed: int,
    name: str,
    ids: NDArray[np.int64],
    nominal: NDArray[np.float64],
    kind: Literal["mean_lognormal", "lognormal", "normal"],
    spread: float,
    lower: float,
    upper: float,
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Draw each patient's value around ``nominal`` (Z standard normal, σ = ``spread``):
    ``mean_lognormal`` ``nominal·exp(σZ − σ²/2)``, ``lognormal`` ``nominal·exp(σZ)``, ``normal``
    ``nominal + σZ``; values outside ``[lower, upper]`` are redrawn. Returns the values and the
    mask of patients still out of range after the last redraw."""
    values = nominal.copy()
    pending = np.ones(len(ids), dtype=bool)
    for draw in range(_MAX_REDRAWS):
        z = counter_normals(seed, f"parameter:{name}", ids[pending], draw)
        centre = nominal[pending]
        if kind == "normal":
            candidate = centre + spread * z
        elif kind == "lognormal":
            candidate = centre * np.exp(spread * z)
        else:
            candidate = centre * np.exp(spread * z - 0.5 * spread**2)
        ok = (candidate >= lower) & (candidate <= upper)
        slots = np.flatnonzero(pending)
        values[slots[ok]] = candidate[ok]
        pending[slots[ok]] = False
        if not pending.any():
            break
    return values, pending


def generate_population(
    spec: PopulationSpec,
    model: OdeModel | str,
    *,
    seed: int | None = None,
    first_patient: int = 0,
    spreads: Mapping[str, Variability] | None = None,
) -> pd.DataFrame:
    """One row per patient: id, phenotype, covariates and per-patient parameter values.

    Columns: ``patient_id``, ``phenotype``, ``age_years``, ``sex``
    (``female``/``male``), ``pregnant`` (women aged 18–45 only),
    ``pregnancy_trimester`` (0, or 1–3 drawn uniformly for pregnant women),
    ``hepatic_impairment``, ``renal_impairment``, one boolean
    ``comedication_<name>`` per co-medication, ``n_comedications``, and
    ``param:<name>`` for every parameter a phenotype sets or ``variability``
    varies (the others keep the model default), plus the ``param:injury_*`` columns of
    :func:`draw_injuries` when ``spec.injury`` is set.

    A varied parameter is ``nominal × exp(σ·Z − σ²/2)`` with
    ``σ² = ln(1 + CV²)`` (lognormal with mean ``nominal`` and the given CV),
    where ``nominal`` is the phenotype's value; draws outside the parameter's
    allowed range are redrawn. A spec without ``variability`` gets the model's
    :func:`default_variability` (the twin's calibrated spreads; values still out
    of range after the redraws are clipped, and ``resting_rmssd_ms`` falls with
    age from 40). ``spreads`` replaces those defaults (the year-long cohorts of
    :mod:`hpatwin.cohorts` pass their own when asked to). ``seed`` defaults to
    ``spec.seed``, else 0. ``first_patient`` numbers the patients ``first_patient …``:
    patient *i* is the same row whichever range it is drawn in (``assignment: random``
    only; ``exact`` assignment depends on the whole population).

    Example
    -------
    >>> from hpatwin.trials.spec import PopulationSpec
    >>> small = generate_population(PopulationSpec(size=2, seed=4), "hpa_core")
    >>> big = generate_population(PopulationSpec(size=50, seed=4), "hpa_core")
    >>> bool((small["age_years"] == big["age_years"][:2]).all())
    True
    """
    ode = resolve_model(model) if isinstance(model, str) else model
    seed = (spec.seed if spec.seed is not None else 0) if seed is None else seed
    problems: list[str] = []
    phenotype_parameters: dict[str, dict[str, float]] = {}
    for name in spec.phenotypes:
        try:
            phenotype = get_phenotype(name)
        except ValueError as err:
            problems.append(f"population.phenotypes: {err}")
            continue
        missing = [
            n
            for n in [*phenotype.parameters, *phenotype.inputs]
            if n not in ode.parameter_names and n not in ode.input_names
        ]
        if phenotype.model != ode.name and missing:
            # a phenotype of an embedded model (the HPA core's ``healthy`` in the twin)
            # applies when the model has everything it sets
            problems.append(
                f"population.phenotypes: phenotype {name!r} belongs to model "
                f"{phenotype.model}, not {ode.name} (it sets {', '.join(missing)})"
            )
        phenotype_parameters[name] = dict(phenotype.parameters)
    if spec.variability:
        defaults: dict[str, Variability] = {}
    else:
        defaults = default_variability(ode) if spreads is None else dict(spreads)
    for name in defaults:
        if name not in ode.parameter_names:
            problems.append(f"variability: {name!r} is not a parameter of model {ode.name}")
    if first_patient < 0:
        problems.append(f"first_patient: {first_patient} must be ≥ 0")
    elif first_patient and spec.assignment == "exact":
        problems.append(
            "population.assignment: exact assignment depends on the whole population; "
            "draw it from patient 0 (first_patient = 0)"
        )
    for name in spec.variability:
        if name not in ode.parameter_names:
            problems.append(
                f"population.variability: {name!r} is not a parameter of model {ode.name}"
            )
    lacking = [name for name in INJURY_PARAMETERS if name not in ode.parameter_names]
    if spec.injury is not None and lacking:
        problems.append(
            f"population.injury: model {ode.name} has no injury parameters "
            f"({', '.join(lacking)}); remove injury or use the twin"
        )
    if problems:
        raise TrialSpecError(problems)

    ids = np.arange(first_patient, first_patient + spec.size, dtype=np.int64)
    if spec.assignment == "exact":
        phenotypes = _exact_phenotypes(seed, ids, spec.phenotypes)
    else:
        phenotypes = _categorical(seed, "phenotype", ids, spec.phenotypes)
    age = spec.age
    ages = _truncated_normal(
        seed, "age", ids, age.mean_years, age.sd_years, age.min_years, age.max_years
    )
    female = counter_uniforms(seed, "sex", ids) < spec.female_fraction
    factors = spec.factors
    childbearing = female & (ages >= 18) & (ages <= 45)
    pregnant = childbearing & (
        counter_uniforms(seed, "pregnancy", ids) < factors.pregnancy_fraction
    )
    table: dict[str, object] = {
        "patient_id": ids,
        "phenotype": phenotypes.astype(str),
        "age_years": ages,
        "sex": np.where(female, "female", "male"),
        "pregnant": pregnant,
        "pregnancy_trimester": np.where(
            pregnant,
            1 + np.floor(3 * counter_uniforms(seed, "pregnancy-trimester", ids)).astype(np.int64),
            0,
        ),
        "hepatic_impairment": _categorical(
            seed, "hepatic", ids, {str(k): v for k, v in factors.hepatic_impairment.items()}
        ).astype(str),
        "renal_impairment": _categorical(
            seed, "renal", ids, {str(k): v for k, v in factors.renal_impairment.items()}
        ).astype(str),
    }
    n_comedications = np.zeros(spec.size, dtype=np.int64)
    for name in sorted(factors.comedication):
        taking = counter_uniforms(seed, f"comedication:{name}", ids) < factors.comedication[name]
        table[f"comedication_{name}"] = taking
        n_comedications += taking
    table["n_comedications"] = n_comedications

    varied = sorted(
        {name for values in phenotype_parameters.values() for name in values}
        | set(spec.variability)
        | set(defaults)
    )
    for name in varied:
        parameter = ode.parameter(name)
        nominal = np.array(
            [phenotype_parameters[str(p)].get(name, parameter.value) for p in phenotypes],
            dtype=np.float64,
        )
        values = nominal.copy()
        cv = spec.variability.get(name, 0.0)
        if cv > 0:
            sigma = float(np.sqrt(np.log1p(cv**2)))
            values, pending = _draw_varied(
                seed,
                name,
                ids,
                nominal,
                "mean_lognormal",
                sigma,
                parameter.lower,
                parameter.upper,
            )
            if pending.any():
                raise TrialSpecError(
                    [
                        f"population.variability.{name}: CV {cv:g} keeps drawing values outside "
                        f"the allowed range {parameter.range_text()}; lower the CV"
                    ]
                )
        elif name in defaults and defaults[name].spread > 0:
            variability = defaults[name]
            kind: Literal["lognormal", "normal"] = (
                "lognormal" if variability.kind == "lognormal" else "normal"
            )
            values, _ = _draw_varied(
                seed,
                name,
                ids,
                nominal,
                kind,
                variability.spread,
                parameter.lower,
                parameter.upper,
            )
            values = np.clip(values, parameter.lower, parameter.upper)
            if name == "resting_rmssd_ms":
                values = np.clip(
                    values * (1 + RMSSD_CHANGE_PER_DECADE * (ages - 40) / 10),
                    parameter.lower,
                    parameter.upper,
                )
        table[PARAMETER_PREFIX + name] = values
    if spec.injury is not None:
        table.update(draw_injuries(ids, spec.injury, seed))
    return pd.DataFrame(table)


def allocate_arms(
    patients: pd.DataFrame,
    arms: Sequence[tuple[str, int]],
    spec: RandomisationSpec,
    *,
    seed: int = 0,
) -> NDArray[np.object_]:
    """Randomise patients to arms (``(name, ratio)`` pairs); returns one arm name per row.

    See :class:`~hpatwin.trials.spec.RandomisationSpec` for the two methods.
    Rows must be sorted by ``patient_id``.

    Example
    -------
    >>> import pandas as pd
    >>> from hpatwin.trials.spec import RandomisationSpec
    >>> patients = pd.DataFrame({"patient_id": range(8), "phenotype": ["healthy"] * 8})
    >>> arms = allocate_arms(patients, [("a", 1), ("b", 1)], RandomisationSpec(block_size=4))
    >>> sorted(arms[:4]), sorted(arms[4:])
    (['a', 'a', 'b', 'b'], ['a', 'a', 'b', 'b'])
    """
    ids = patients["patient_id"].to_numpy(dtype=np.int64)
    names = [name for name, _ in arms]
    ratios = np.array([ratio for _, ratio in arms], dtype=np.int64)
    if spec.method == "simple":
        fractions = {
            name: float(r) / float(ratios.sum()) for name, r in zip(names, ratios, strict=True)
        }
        return _categorical(seed, "allocation-simple", ids, fractions)

    ratio_sum = int(ratios.sum())
    block_size = spec.block_size or 2 * ratio_sum
    if block_size % ratio_sum:
        raise TrialSpecError(
            [f"randomisation.block_size: {block_size} must be a multiple of {ratio_sum}"]
        )
    composition = np.repeat(np.array(names, dtype=object), ratios * (block_size // ratio_sum))
    if spec.stratify_by:
        strata = (
            patients[list(spec.stratify_by)]
            .astype(str)
            .agg("|".join, axis=1)
            .to_numpy(dtype=object)
        )
    else:
        strata = np.full(len(ids), "all", dtype=object)
    out = np.empty(len(ids), dtype=object)
    slots = np.arange(block_size, dtype=np.int64)
    for stratum in dict.fromkeys(strata.tolist()):
        rows = np.flatnonzero(strata == stratum)
        for block_start in range(0, len(rows), block_size):
            block = block_start // block_size
            order = np.argsort(
                counter_uniforms(seed, f"block|{stratum}|{block}", slots), kind="stable"
            )
            members = rows[block_start : block_start + block_size]
            out[members] = composition[order[: len(members)]]
    return out


def population_parameters(population: pd.DataFrame) -> dict[str, NDArray[np.float64]]:
    """Per-patient parameter arrays from the ``param:<name>`` columns (for ``simulate``).

    Example
    -------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"patient_id": [0, 1], "param:cortisol_half_life_min": [60.0, 70.0]})
    >>> population_parameters(table)["cortisol_half_life_min"].tolist()
    [60.0, 70.0]
    """
    return {
        column.removeprefix(PARAMETER_PREFIX): population[column].to_numpy(dtype=np.float64)
        for column in population.columns
        if column.startswith(PARAMETER_PREFIX)
    }
