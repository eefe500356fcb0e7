"""Rhythm readouts: half-lives, daily extremes and secretory episodes on known signals."""

from __future__ import annotations

import numpy as np
import pytest

from hpatwin.analysis.rhythm import count_secretory_episodes, daily_extremes, fit_half_life


@pytest.mark.parametrize("half_life_min", [20.0, 66.0, 240.0])
def test_half_life_of_an_exponential_decay_is_recovered(half_life_min: float) -> None:
    times = np.linspace(0, 300, 61)
    values = 400.0 * 0.5 ** (times / half_life_min)
    assert fit_half_life(times, values) == pytest.approx(half_life_min, rel=1e-9)


def test_half_life_refuses_non_decaying_or_non_positive_series() -> None:
    with pytest.raises(ValueError, match="not decaying"):
        fit_half_life([0, 1, 2], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="must be positive"):
        fit_half_life([0, 1, 2], [1.0, 0.0, 3.0])


def test_daily_extremes_find_peak_and_nadir_clock_times() -> None:
    times = np.arange(0, 2 * 1440, 10.0)
    clock_h = times % 1440 / 60
    values = 250 + 200 * np.cos(2 * np.pi * (clock_h - 8.0) / 24)  # peak 08:00, nadir 20:00
    extremes = daily_extremes(times, values, day=1)
    assert extremes.peak_clock_h == pytest.approx(8.0, abs=1 / 6)
    assert extremes.nadir_clock_h == pytest.approx(20.0, abs=1 / 6)
    assert extremes.peak == pytest.approx(450, abs=1) and extremes.nadir == pytest.approx(50, abs=1)


def test_secretory_episodes_are_counted_once_each_and_noise_is_not() -> None:
    minutes = np.arange(0, 1440, 5.0)
    pulses = sum(np.exp(-((minutes - centre) ** 2) / (2 * 15.0**2)) for centre in range(60, 1440, 160))
    values = 100 + 80 * pulses
    assert count_secretory_episodes(values) == 9
    ripple = 100 + 0.5 * np.sin(minutes / 3)  # below both thresholds
    assert count_secretory_episodes(ripple) == 0
    with pytest.raises(ValueError, match="at least 3 samples"):
        count_secretory_episodes([1.0, 2.0])
