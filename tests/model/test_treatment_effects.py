"""Treatments acting on the twin: the article's EA frequency table, sham, drugs, CBT, needling.

Deterministic runs of a comorbid patient on its steady state; every comparison is against
the same patient untreated.
"""

from __future__ import annotations

import functools
import itertools
from typing import Any

import numpy as np
import pytest
import xarray as xr

import hpatwin
from hpatwin.model.treatment_effects import EA_PATHWAYS

POINTS = ["GV20", "EX-HN3", "PC6", "ST36"]
SESSION_START = 1440 + 600  # day 1, 10:00


def _ea(frequency: str | float, count: int | None = None, **extra: Any) -> dict[str, Any]:
    session = {
        "duration_min": 30,
        "frequency": frequency,
        "intensity_ma": 2.0,
        "tolerance_ma": 2.0,
        "points": POINTS,
        "electrode_pairs": [["GV20", "EX-HN3"]],  # PC6-ST36 would cross the chest
        **extra,
    }
    if count is None:
        return {"name": f"EA {frequency}", "ea_sessions": [{"day": 1, "start": "10:00", **session}]}
    return {
        "name": f"EA {frequency} course",
        "start_weekday": "mon",
        "ea_schedules": [
            {
                "start_day": 0,
                "weekdays": ["mon", "thu"],
                "count": count,
                "start": "10:00",
                **session,
            }
        ],
    }


@functools.cache
def _session(frequency: str | None) -> xr.Dataset:
    plan = _ea(frequency) if frequency else None
    return hpatwin.simulate(
        "twin", days=2, phenotype="comorbid", plan=plan, pulses=False, dt=1.0, output_every=10.0
    ).isel(patient=0)


def _analgesia(frequency: str) -> tuple[float, float]:
    """Peak fall of expected NRS and minutes after the session it stays ≥ 0.3 points."""
    treated = _session(frequency).sel(time=slice(SESSION_START, SESSION_START + 720))
    untreated = _session(None).sel(time=slice(SESSION_START, SESSION_START + 720))
    drop = (untreated["pain_nrs_expected"] - treated["pain_nrs_expected"]).values
    lasting = np.nonzero(drop >= 0.3)[0]
    return float(drop.max()), float((lasting[-1] - 3) * 10) if len(lasting) else 0.0


def _peak(frequency: str, name: str) -> float:
    window = _session(frequency).sel(time=slice(SESSION_START, SESSION_START + 240))
    return float(window[name].max())


def test_frequency_sets_peptides_and_receptors() -> None:
    rises = {
        f: {
            n: _peak(f, n) - 1
            for n in (
                "beta_endorphin",
                "enkephalin",
                "dynorphin",
                "mu_receptor_activation",
                "delta_receptor_activation",
                "kappa_receptor_activation",
            )
        }
        for f in ("2", "100", "2/100")
    }
    low, high, mixed = rises["2"], rises["100"], rises["2/100"]
    assert low["beta_endorphin"] > 0.2 and low["enkephalin"] > 0.2 and low["dynorphin"] < 0.01
    assert high["dynorphin"] > 0.2 and high["beta_endorphin"] < 0.01 and high["enkephalin"] < 0.01
    assert min(mixed["beta_endorphin"], mixed["enkephalin"], mixed["dynorphin"]) > 0.1
    assert low["mu_receptor_activation"] > 0.1 and low["delta_receptor_activation"] > 0.1
    assert low["kappa_receptor_activation"] < 0.01 and high["mu_receptor_activation"] < 0.01
    assert high["kappa_receptor_activation"] > 0.2
    assert (
        min(
            mixed[k]
            for k in (
                "mu_receptor_activation",
                "delta_receptor_activation",
                "kappa_receptor_activation",
            )
        )
        > 0.05
    )


def test_analgesia_peak_and_duration_by_frequency() -> None:
    peak_2, last_2 = _analgesia("2")
    peak_100, last_100 = _analgesia("100")
    peak_mix, last_mix = _analgesia("2/100")
    assert peak_100 > peak_mix and peak_100 > peak_2  # 100 Hz strongest peak
    assert last_100 < last_2 and last_100 < last_mix  # … but shortest
    assert last_2 > last_mix  # 2 Hz long-lasting
    assert peak_mix > peak_2 and peak_mix >= 0.8 * peak_100  # 2/100 Hz strong and long-lasting


@functools.cache
def _course(plan_key: str, ablate: tuple[str, ...] = ()) -> xr.Dataset:
    plans: dict[str, Any] = {
        "none": None,
        "2": _ea("2", 16),
        "100": _ea("100", 16),
        "2/100": _ea("2/100", 16),
        "sham": {
            "name": "sham",
            "start_weekday": "mon",
            "sham_schedules": [
                {
                    "start_day": 0,
                    "weekdays": ["mon", "thu"],
                    "count": 16,
                    "start": "10:00",
                    "duration_min": 30,
                    "points": POINTS,
                }
            ],
        },
    }
    return hpatwin.simulate(
        "twin",
        days=57,
        phenotype="comorbid",
        plan=plans[plan_key],
        ablate=ablate,
        pulses=False,
        dt=5.0,
        output_every=60.0,
    ).isel(patient=0)


def _effect(plan_key: str, name: str, ablate: tuple[str, ...] = ()) -> float:
    return float(_course(plan_key, ablate)[name].values[-1] - _course("none")[name].values[-1])


def _cortisol_fall(plan_key: str) -> float:
    mean = lambda ds: float(ds["plasma_cortisol_nmol_l"].values[-24 * 7 :].mean())  # noqa: E731
    return 1 - mean(_course(plan_key)) / mean(_course("none"))


def test_course_cortisol_fall_and_antidepressant_ordering() -> None:
    assert _cortisol_fall("2/100") > _cortisol_fall("2") > _cortisol_fall("100") > 0.02
    phq = {f: _effect(f, "phq9_expected") for f in ("2", "100", "2/100")}
    assert (
        phq["2/100"] <= phq["2"] < phq["100"] < -0.5
    )  # 2/100 ≥ 2 > 100 Hz (more negative = better)


def test_sham_is_weaker_than_real_ea() -> None:
    assert _effect("2/100", "phq9_expected") < _effect("sham", "phq9_expected") <= 0
    assert _effect("2/100", "pain_nrs_expected") < _effect("sham", "pain_nrs_expected") <= 0
    sham = _course("sham")
    assert float(sham["ea_course"].max()) == 0.0  # sham has non-specific effects only
    assert float(sham["nonspecific_effect"].max()) > 0.1


def test_each_non_hpa_pathway_carries_part_of_the_antidepressant_effect() -> None:
    full = _effect("2/100", "phq9_expected")
    shares = {}
    for pathway in (
        "ea_serotonin",
        "ea_bdnf",
        "ea_antiinflammatory",
        "ea_endocannabinoid",
        "ea_autonomic",
        "ea_gr_restoration",
    ):
        ablated = _effect("2/100", "phq9_expected", (pathway,))
        shares[pathway] = 1 - ablated / full
        assert ablated > full, f"ablating {pathway} should lower the antidepressant effect"
    assert set(shares) <= set(EA_PATHWAYS)
    assert all(0 < share < 1 for share in shares.values())


def _drug(name: str, dose_mg: float) -> dict[str, Any]:
    return {
        "name": name,
        "drugs": [{"name": name, "dose_mg": dose_mg, "times": ["08:00"], "start_day": 0}],
    }


@pytest.mark.parametrize(("drug", "dose"), [("escitalopram", 10.0), ("duloxetine", 60.0)])
def test_drug_concentration_reaches_steady_state(drug: str, dose: float) -> None:
    ds = hpatwin.simulate(
        "twin",
        days=21,
        phenotype="comorbid",
        plan=_drug(drug, dose),
        pulses=False,
        dt=5.0,
        output_every=60.0,
    ).isel(patient=0)
    conc = ds[f"{drug}_plasma_mg_l"].values
    assert conc[-24:].mean() == pytest.approx(conc[-48:-24].mean(), rel=0.05)  # steady state
    assert conc.max() > 0


def test_ssri_barely_moves_pain_while_snri_does() -> None:
    def pain_effect(plan: dict[str, Any]) -> float:
        ds = hpatwin.simulate(
            "twin",
            days=42,
            phenotype="comorbid",
            plan=plan,
            pulses=False,
            dt=5.0,
            output_every=60.0,
        ).isel(patient=0)
        return float(
            ds["pain_nrs_expected"].values[-24:].mean()
            - _course("none")["pain_nrs_expected"].values[42 * 24 - 24 : 42 * 24].mean()
        )

    ssri = pain_effect(_drug("escitalopram", 10.0))
    snri = pain_effect(_drug("duloxetine", 60.0))
    assert snri < -0.5  # a moderate fall
    assert abs(ssri) < 0.5 * abs(snri)


def test_upper_trapezius_needling_lowers_heart_rate_and_pressure_over_30_minutes() -> None:
    plan = {
        "name": "DN",
        "dry_needling_sessions": [
            {
                "day": 1,
                "start": "10:00",
                "region": "cervical",
                "muscle": "upper_trapezius",
                "duration_min": 10,
            }
        ],
    }
    treated = hpatwin.simulate(
        "twin", days=2, phenotype="comorbid", plan=plan, pulses=False, dt=1.0, output_every=10.0
    ).isel(patient=0)
    untreated = _session(None)
    for name in ("heart_rate_bpm", "systolic_bp_mmhg"):
        diff = (
            (treated[name] - untreated[name])
            .sel(time=[SESSION_START + m for m in (10, 20, 30, 40)])
            .values
        )
        assert np.all(diff < 0), name
        assert diff[-1] < diff[0]  # keeps falling over the following half hour
    assert float(treated["trigger_point_load"].sel(time=SESSION_START + 60)) < float(
        untreated["trigger_point_load"].sel(time=SESSION_START + 60)
    )


def test_impaired_clearance_raises_drug_exposure() -> None:
    from hpatwin.treatments import PatientFactors, clearance_factor, resolve_drug

    duloxetine = resolve_drug("duloxetine")
    factor = clearance_factor(duloxetine, hepatic="moderate")
    assert factor < 1
    normal = hpatwin.simulate(
        "twin", days=7, plan=_drug("duloxetine", 60.0), pulses=False, dt=5.0, output_every=60.0
    )
    impaired = hpatwin.simulate(
        "twin",
        days=7,
        plan=_drug("duloxetine", 60.0),
        pulses=False,
        dt=5.0,
        output_every=60.0,
        parameters={"duloxetine_clearance_factor": factor},
    )
    auc = lambda ds: float(ds["duloxetine_plasma_mg_l"].sum())  # noqa: E731
    assert auc(impaired) > 1.5 * auc(normal)
    assert PatientFactors is not None


def test_malformed_plan_is_rejected_naming_the_entry() -> None:
    bad = _ea("2")
    bad["ea_sessions"][0]["points"] = ["GV20", "XX99"]
    with pytest.raises(ValueError, match=r"ea_sessions\[0\]\.points\[1\].*XX99"):
        hpatwin.simulate("twin", days=2, plan=bad)
    with pytest.raises(ValueError, match="plan: model hpa_core"):
        hpatwin.simulate("hpa_core", days=2, plan=_ea("2"))


def _combined(*parts: dict[str, Any]) -> dict[str, Any]:
    plan: dict[str, Any] = {"name": " + ".join(p["name"] for p in parts), "start_weekday": "mon"}
    for part in parts:
        for key, value in part.items():
            if key not in ("name", "start_weekday"):
                plan.setdefault(key, []).extend(value)
    return plan


def _phq9_effect(plan: dict[str, Any]) -> float:
    ds = hpatwin.simulate(
        "twin", days=57, phenotype="comorbid", plan=plan, pulses=False, dt=5.0, output_every=60.0
    ).isel(patient=0)
    return float(ds["phq9_expected"].values[-1] - _course("none")["phq9_expected"].values[-1])


def test_ea_with_snri_beats_either_alone() -> None:
    ea = _ea("2/100", 16)
    snri = {
        "name": "duloxetine",
        "drugs": [{"name": "duloxetine", "dose_mg": 60.0, "times": ["08:00"], "start_day": 0}],
    }
    both = _phq9_effect(_combined(ea, snri))
    assert both < _phq9_effect(ea) < 0 and both < _phq9_effect(snri) < 0


def test_cbt_with_ea_beats_either_alone() -> None:
    ea = _ea("2/100", 16)
    cbt = {
        "name": "CBT",
        "start_weekday": "mon",
        "cbt_schedules": [
            {"start_day": 0, "weekdays": ["tue"], "count": 8, "start": "14:00", "duration_min": 50}
        ],
    }
    both = _phq9_effect(_combined(ea, cbt))
    assert both < _phq9_effect(ea) < 0 and both < _phq9_effect(cbt) < 0


def test_ea_lowers_the_opioid_dose_needed_to_reach_the_pain_target() -> None:
    from hpatwin.experiments import required_daily_dose

    ea = _ea("2/100", 6)
    alone = required_daily_dose(drug="oxycodone", target_nrs=7.0)
    with_ea = required_daily_dose(drug="oxycodone", target_nrs=7.0, base_plan=ea)
    assert alone.required_mg_per_day is not None and with_ea.required_mg_per_day is not None
    assert with_ea.required_mg_per_day < alone.required_mg_per_day
    # more drug, less pain along the ladder
    doses = sorted(alone.nrs_by_dose)
    assert all(alone.nrs_by_dose[a] > alone.nrs_by_dose[b] for a, b in itertools.pairwise(doses))
    with pytest.raises(ValueError, match="target_nrs"):
        required_daily_dose(target_nrs=11)
    with pytest.raises(ValueError, match="doses_mg_per_day"):
        required_daily_dose(doses_mg_per_day=(-5.0,))
