"""Forecast a fitted twin under candidate protocols, observed as the clinic would see it.

For each protocol, posterior draws are run from their day-0 states through the delivered
history plus the protocol (:func:`~hpatwin.patient_twin.protocols.merged_treatment`) to the
horizon (week 12 by default). The latent course at each weekly visit is then *observed* by
the observation layer (:func:`hpatwin.observation.observe_visits`): the visit-to-visit
fluctuation continues from what the fit's filter estimated at the last visit
(:func:`~hpatwin.observation.fluctuation.conditioned_paths`), PHQ-9 is answered as nine
items and scored by the clinic's scorer. Every protocol sees the same observation draws,
so differences between protocols are paired.

From the predictive draws: 50/80/95 % intervals of the observed PHQ-9 and NRS per visit;
probabilities of response (≥ 50 % fall from the observed baseline) and remission (PHQ-9 < 5)
at the horizon, with the clinic's criteria (:mod:`hpatwin.clinic.outcomes`); and the
session-6 review flag — the probability that, at the first visit after the sixth needling
session, PHQ-9 or NRS has not responded (the rule of :mod:`hpatwin.records.tracking`), with
the patient's own 80 % band there so the observed value can be compared when it comes
(:func:`compare_with_forecast`); when session 6 is already in the record, the flag is read
from the recorded scores (``session6_from_record``).

Example
-------
>>> # a full example runs a fit first; see docs/patient-twin.md and hpatwin forecast --help
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from numpy.typing import NDArray

from hpatwin.clinic.outcomes import criteria_for
from hpatwin.observation import observe_visits
from hpatwin.observation.fluctuation import conditioned_paths
from hpatwin.observation.parameters import ObservationSettings
from hpatwin.patient_twin.fit import TwinFit
from hpatwin.patient_twin.protocols import Protocol, candidate_protocols, merged_treatment
from hpatwin.patient_twin.runs import ParticleRunner
from hpatwin.records.tracking import REVIEW_SESSION
from hpatwin.simulation.provenance import base_provenance

Array = NDArray[np.float64]
DEFAULT_HORIZON_DAYS = 84
#: a forecast reaches at least this far beyond the last visit (week 12, or 4 weeks on)
MIN_DAYS_AHEAD = 28


def forecast_horizon(last_day: int, horizon_days: int = DEFAULT_HORIZON_DAYS) -> int:
    """The forecast's last day: ``horizon_days``, or :data:`MIN_DAYS_AHEAD` past the last visit.

    Example
    -------
    >>> forecast_horizon(28), forecast_horizon(70)
    (84, 98)
    """
    return max(horizon_days, last_day + MIN_DAYS_AHEAD)


#: posterior draws simulated per protocol, and observation replicates drawn per latent course
#: (the predictive spread is mostly observation noise, which costs no simulation)
DEFAULT_DRAWS = 128
DEFAULT_REPLICATES = 4
INTERVALS = (0.50, 0.80, 0.95)
QUANTILES = (0.025, 0.10, 0.25, 0.50, 0.75, 0.90, 0.975)
_RESPONSE, _REMISSION = criteria_for("phq9", ["response", "remission"])
_NRS_RESPONSE = criteria_for("nrs", ["response"])[0]


@dataclass
class Forecast:
    """Predictive draws per protocol and visit, with a summary table and provenance.

    ``dataset`` has variables ``phq9``, ``pain_nrs`` (observed predictive) and
    ``phq9_latent``, ``pain_nrs_latent``, dims ``(protocol, day, draw)``; ``summary`` one row
    per protocol.
    """

    dataset: xr.Dataset
    summary: pd.DataFrame
    protocols: list[Protocol]
    prior_based: bool
    flags: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def intervals(self, measure: str = "phq9") -> pd.DataFrame:
        """Quantiles of the observed predictive per protocol and day (long table)."""
        values = self.dataset[measure]
        q = values.quantile(list(QUANTILES), dim="draw")
        table = q.to_dataframe(name="value").reset_index()
        return table.pivot_table(
            index=["protocol", "day"], columns="quantile", values="value"
        ).reset_index()


def _visit_days(last_day: int, horizon_days: int) -> list[int]:
    weekly = list(range(0, horizon_days + 1, 7))
    return sorted(set(weekly) | ({last_day} if last_day <= horizon_days else set()))


def _session6_day(history_days: Sequence[int], protocol: Protocol) -> int | None:
    days = sorted([*history_days, *protocol.session_days()])
    return days[REVIEW_SESSION - 1] if len(days) >= REVIEW_SESSION else None


def _draw_indices(n_particles: int, draws: int) -> NDArray[np.int64]:
    return np.linspace(0, n_particles - 1, min(draws, n_particles)).round().astype(np.int64)


def _observed(
    latent: dict[str, Array],
    days: list[int],
    fit: TwinFit,
    draw_ids: NDArray[np.int64],
    seed: int,
    settings: ObservationSettings,
    pick: NDArray[np.int64],
) -> xr.Dataset:
    last = fit.data.last_day
    future = [k for k, d in enumerate(days) if d > last]
    shifts: dict[str, Array] = {}
    for measure in ("phq9", "pain_nrs"):
        var = fit.fluctuation.get(f"{measure}:var")
        if var is None or not np.isfinite(var).all():
            continue
        paths = np.zeros((len(days), len(pick)))
        if future:
            paths[future] = conditioned_paths(
                draw_ids,
                [float(days[k]) for k in future],
                future,
                seed=seed,
                measure=measure,
                settings=settings,
                start_day=float(last),
                start_mean=fit.fluctuation[f"{measure}:mean"][pick],
                start_var=fit.fluctuation[f"{measure}:var"][pick],
            )
        shifts[measure] = paths
    return observe_visits(
        latent, draw_ids, [float(d) for d in days], seed, settings=settings, shifts=shifts
    )


def forecast(
    fit: TwinFit,
    protocols: Sequence[Protocol] | None = None,
    *,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    draws: int = DEFAULT_DRAWS,
    replicates: int = DEFAULT_REPLICATES,
    seed: int = 0,
) -> Forecast:
    """Forecast ``fit`` under each protocol (default: :func:`candidate_protocols`).

    ``draws`` posterior draws are simulated per protocol; each latent course is observed
    ``replicates`` times, so the predictive has ``draws × replicates`` members.
    """
    started = time.perf_counter()
    last = fit.data.last_day
    horizon = forecast_horizon(last, horizon_days)
    chosen = (
        list(protocols)
        if protocols is not None
        else candidate_protocols(start_day=last + 1, horizon_days=horizon)
    )
    runner = ParticleRunner(fit.prior, fit.data, fit.settings.run, fit.settings.model)
    pick = _draw_indices(fit.n_particles, draws)
    z = fit.z[pick]
    states = {k: v[pick] for k, v in fit.baseline_states.items()}
    days = _visit_days(last, horizon)
    settings = ObservationSettings.default()
    if replicates < 1:
        raise ValueError(f"replicates: {replicates} must be ≥ 1")
    observed_pick = np.tile(pick, replicates)
    draw_ids = np.arange(len(observed_pick), dtype=np.int64)
    per_protocol: list[xr.Dataset] = []
    for protocol in chosen:
        result = runner.run(
            z, states, merged_treatment(fit.data.treatment, protocol), days=horizon + 1
        )
        day_index = np.asarray(days, dtype=np.int64)
        latent = {
            "phq9": np.tile(result.day_means("phq9_expected", day_index), (1, replicates)),
            "pain_nrs": np.tile(result.day_means("pain_nrs_expected", day_index), (1, replicates)),
        }
        observed = _observed(latent, days, fit, draw_ids, seed, settings, observed_pick)
        per_protocol.append(
            xr.Dataset(
                {
                    "phq9": (("day", "draw"), observed["phq9"].values),
                    "pain_nrs": (("day", "draw"), observed["pain_nrs"].values),
                    "phq9_latent": (("day", "draw"), latent["phq9"]),
                    "pain_nrs_latent": (("day", "draw"), latent["pain_nrs"]),
                },
                coords={"day": days, "draw": draw_ids},
            )
        )
    dataset = xr.concat(per_protocol, dim=pd.Index([p.name for p in chosen], name="protocol"))
    for name, units in (("phq9", "points (0-27)"), ("pain_nrs", "points (0-10)")):
        dataset[name].attrs.update(units=units, long_name=f"observed {name} (predictive)")
        dataset[f"{name}_latent"].attrs.update(units=units, long_name=f"latent {name}")
    dataset["day"].attrs["units"] = "d (from the first visit)"
    dataset.attrs.update(
        base_provenance(
            model=fit.settings.model,
            fit_created_at=fit.created_at,
            fit_last_day=last,
            seed=seed,
            horizon_days=horizon,
            draws=len(pick),
            replicates=replicates,
            prior_based=int(fit.prior_based),
            protocols=[p.name for p in chosen],
        )
    )
    summary = _summary(dataset, fit, chosen, horizon)
    flags = list(fit.flags)
    return Forecast(dataset, summary, chosen, fit.prior_based, flags, time.perf_counter() - started)


def _baseline(fit: TwinFit, measure: str, dataset: xr.Dataset) -> Array:
    series = fit.data.phq9 if measure == "phq9" else fit.data.nrs
    if series.size and series.days[0] == 0:
        return np.full(dataset.sizes["draw"], float(series.values[0]))
    return np.asarray(dataset[measure].isel(protocol=0).sel(day=0).values, dtype=np.float64)


def _responded(criterion: Any, baseline: Array, follow: Array) -> Array:
    fraction = criterion.min_reduction_fraction or 0.0
    met = (baseline > 0) & (follow <= baseline * (1 - fraction))
    result: Array = met.astype(np.float64)
    return result


def _summary(
    dataset: xr.Dataset, fit: TwinFit, protocols: Sequence[Protocol], horizon: int
) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    baseline_phq = _baseline(fit, "phq9", dataset)
    baseline_nrs = _baseline(fit, "pain_nrs", dataset)
    end_day = int(dataset["day"].values.max())
    for protocol in protocols:
        one = dataset.sel(protocol=protocol.name)
        phq_end = np.asarray(one["phq9"].sel(day=end_day).values, dtype=np.float64)
        nrs_end = np.asarray(one["pain_nrs"].sel(day=end_day).values, dtype=np.float64)
        row: dict[str, Any] = {
            "protocol": protocol.name,
            "label": protocol.label,
            "sessions_added": protocol.session_count(),
            "phq9_end_median": float(np.median(phq_end)),
            "phq9_end_p10": float(np.quantile(phq_end, 0.10)),
            "phq9_end_p90": float(np.quantile(phq_end, 0.90)),
            "nrs_end_median": float(np.median(nrs_end)),
            "p_response": float(_responded(_RESPONSE, baseline_phq, phq_end).mean()),
            "p_remission": float((phq_end < (_REMISSION.below or 5.0)).mean()),
            "p_pain_response": float(_responded(_NRS_RESPONSE, baseline_nrs, nrs_end).mean()),
        }
        session6 = _session6_day(fit.data.session_days, protocol)
        recorded = _recorded_session6(fit, session6)
        if recorded is not None:
            row.update(recorded)
            rows.append(row)
            continue
        visits = np.asarray(one["day"].values)
        after = visits[visits >= session6] if session6 is not None else np.array([])
        if session6 is not None and len(after):
            visit = int(after[0])
            phq6 = np.asarray(one["phq9"].sel(day=visit).values, dtype=np.float64)
            nrs6 = np.asarray(one["pain_nrs"].sel(day=visit).values, dtype=np.float64)
            no_response = (_responded(_RESPONSE, baseline_phq, phq6) == 0) | (
                _responded(_NRS_RESPONSE, baseline_nrs, nrs6) == 0
            )
            row.update(
                session6_day=session6,
                session6_visit_day=visit,
                session6_from_record=False,
                p_session6_flag=float(no_response.mean()),
                session6_phq9_p10=float(np.quantile(phq6, 0.10)),
                session6_phq9_p90=float(np.quantile(phq6, 0.90)),
            )
        else:
            row.update(
                session6_day=np.nan,
                session6_visit_day=np.nan,
                session6_from_record=False,
                p_session6_flag=np.nan,
                session6_phq9_p10=np.nan,
                session6_phq9_p90=np.nan,
            )
        rows.append(row)
    table = pd.DataFrame(rows)
    table.attrs["horizon_days"] = horizon
    return table


def _recorded_session6(fit: TwinFit, session6: int | None) -> dict[str, Any] | None:
    """The session-6 review from the record itself when it already happened (0 or 1)."""
    phq9 = fit.data.phq9
    if session6 is None or not phq9.size or session6 > fit.data.last_day:
        return None
    after = np.flatnonzero(phq9.days >= session6)
    if not len(after) or phq9.days[0] != 0:
        return None
    k = int(after[0])
    baseline = np.array([phq9.values[0]])
    follow = np.array([phq9.values[k]])
    flagged = _responded(_RESPONSE, baseline, follow)[0] == 0
    nrs = fit.data.nrs
    nrs_after = np.flatnonzero(nrs.days >= session6)
    if nrs.size and nrs.days[0] == 0 and len(nrs_after):
        j = int(nrs_after[0])
        flagged = (
            flagged
            or _responded(_NRS_RESPONSE, np.array([nrs.values[0]]), np.array([nrs.values[j]]))[0]
            == 0
        )
    value = float(phq9.values[k])
    return {
        "session6_day": session6,
        "session6_visit_day": int(phq9.days[k]),
        "session6_from_record": True,
        "p_session6_flag": 1.0 if flagged else 0.0,
        "session6_phq9_p10": value,
        "session6_phq9_p90": value,
    }


@dataclass(frozen=True)
class SessionSixComparison:
    """Where an observed PHQ-9 falls in the forecast made earlier (the patient's own band)."""

    protocol: str
    day: int
    observed: float
    percentile: float
    band_low: float
    band_high: float

    @property
    def within_band(self) -> bool:
        """Whether the observation lies within the forecast's 80 % band."""
        return self.band_low <= self.observed <= self.band_high

    def message(self) -> str:
        """One line for the clinician.

        Example
        -------
        >>> SessionSixComparison("usual_care", 21, 9.0, 35.0, 6.0, 15.0).message()
        'day 21: observed PHQ-9 9 is within the forecast 80 % band 6-15 (35th percentile)'
        """
        where = (
            "within"
            if self.within_band
            else ("above" if self.observed > self.band_high else "below")
        )
        return (
            f"day {self.day}: observed PHQ-9 {self.observed:g} is {where} the forecast 80 % band "
            f"{self.band_low:g}-{self.band_high:g} ({self.percentile:.0f}th percentile)"
        )


def compare_with_forecast(
    earlier: Forecast | xr.Dataset, protocol: str, day: int, observed_phq9: float
) -> SessionSixComparison:
    """Compare an observed PHQ-9 with the forecast made earlier for that day.

    ``earlier`` is a :class:`Forecast` or its dataset (as written to ``forecast.nc``). The
    nearest forecast visit on or before ``day`` is used.
    """
    dataset = earlier.dataset if isinstance(earlier, Forecast) else earlier
    one = dataset["phq9"].sel(protocol=protocol)
    visits = np.asarray(one["day"].values)
    usable = visits[visits <= day]
    visit = int(usable.max()) if len(usable) else int(visits.min())
    draws = np.asarray(one.sel(day=visit).values, dtype=np.float64)
    percentile = float(
        100.0 * ((draws < observed_phq9).mean() + 0.5 * (draws == observed_phq9).mean())
    )
    low, high = np.quantile(draws, [0.10, 0.90])
    return SessionSixComparison(
        protocol, visit, float(observed_phq9), percentile, float(low), float(high)
    )
