"""Published reference models: behaviours their papers describe."""

from __future__ import annotations

import numpy as np
from scipy.optimize import fsolve
from scipy.signal import find_peaks

import hpatwin
from hpatwin.model import get_model


def _gupta_steady_state(guess: list[float]) -> tuple[np.ndarray, np.ndarray]:
    model = get_model("gupta2007")
    rhs = model.compiled("numpy").rhs
    params = list(model.default_parameters().values())

    def f(y: np.ndarray) -> np.ndarray:
        return np.array(rhs(0.0, list(y), params, [0.0]), dtype=float)

    y = fsolve(f, guess, xtol=1e-13)
    eps = 1e-7
    jac = np.column_stack([(f(y + eps * e) - f(y - eps * e)) / (2 * eps) for e in np.eye(4)])
    return y, np.linalg.eigvals(jac)


def test_gupta_model_b_is_bistable_with_low_cortisol_high_gr_state() -> None:
    names = get_model("gupta2007").state_names  # crh, cortisol, acth, gr
    low, eig_low = _gupta_steady_state([0.6, 0.06, 0.06, 0.08])
    high, eig_high = _gupta_steady_state([0.66, 0.05, 0.05, 0.55])
    gr, cortisol = names.index("gr"), names.index("cortisol")
    assert high[gr] > 3 * low[gr]
    assert np.all(eig_low.real < 0) and np.all(eig_high.real < 0)  # both stable
    assert high[cortisol] < low[cortisol]
    # free-running simulations from two starting points settle in the two states
    for start, target in (({"gr": 0.01}, low), ({"gr": 1.0, "cortisol": 0.02}, high)):
        ds = hpatwin.simulate("gupta2007", duration=200, output_every=1.0, initial_state=start)
        final = np.array([float(ds[n].isel(time=-1, patient=0)) for n in names])
        np.testing.assert_allclose(final, target, rtol=1e-6)


def test_gupta_model_b_stress_protocol_runs_as_schedule() -> None:
    from hpatwin.model.reference.gupta2007 import model_b_stress_schedule

    schedule = hpatwin.engine.Schedule.of(model_b_stress_schedule())
    ds = hpatwin.simulate("gupta2007", duration=30, output_every=0.5, inputs={"stress_f": schedule})
    crh = ds["crh"].isel(patient=0)
    assert float(crh.sel(time=1.0)) > float(crh.sel(time=0.0))  # rises during the first pulse


def test_sriram_self_sustained_oscillation_near_24_hours() -> None:
    ds = hpatwin.simulate("sriram2012", duration=400, output_every=0.1)
    cortisol = ds["cortisol"].isel(patient=0).values
    peaks, _ = find_peaks(cortisol)
    late = peaks[ds["time"].values[peaks] > 200]
    periods = np.diff(ds["time"].values[late])
    assert len(periods) >= 5
    assert 22.0 <= periods.mean() <= 26.0  # native unit: hours
    assert np.std(periods) < 0.1  # a limit cycle, not a damped oscillation
    amplitude = cortisol[ds["time"].values > 200].max() - cortisol[ds["time"].values > 200].min()
    assert amplitude > 0.5 * cortisol.max()


def test_bangsgaard_circadian_drive_gives_morning_peak() -> None:
    ds = hpatwin.simulate("bangsgaard2017", days=3, output_every=10.0)
    cortisol = ds["cortisol"].isel(patient=0).sel(time=slice(1440 * 2, 1440 * 3 - 10))
    peak_hour = (float(cortisol.idxmax()) % 1440) / 60
    nadir_hour = (float(cortisol.idxmin()) % 1440) / 60
    assert 5 <= peak_hour <= 11
    assert nadir_hour >= 20 or nadir_hour <= 3
