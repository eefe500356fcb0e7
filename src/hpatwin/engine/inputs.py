"""Piecewise-constant external inputs: constants, schedules and seeded ultradian noise.

Every input of a model is piecewise constant in time. A user gives, per input,
a number (constant, or one per patient), a :class:`Schedule` of change points,
or a :class:`LognormalPulses` process (seeded, reproducible per patient
whatever the batch size or chunking).

Example
-------
>>> from hpatwin.engine.inputs import Schedule
>>> stress = Schedule.of([(0, 1.0), (1440 * 7, 2.0), (1440 * 35, 1.0)])
>>> stress.value_at(1440 * 10)
2.0
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class Schedule:
    """Change points ``(time, value)``: each value holds until the next change time.

    Before the first change the input keeps its model default.
    """

    changes: tuple[tuple[float, float], ...]

    @classmethod
    def of(cls, changes: Sequence[tuple[float, float]] | Sequence[Sequence[float]]) -> Schedule:
        """Validate and build a schedule (times strictly increasing, values finite)."""
        cleaned: list[tuple[float, float]] = []
        for index, pair in enumerate(changes):
            if len(pair) != 2:
                raise ValueError(f"schedule entry {index}: expected (time, value), got {pair!r}")
            time, value = float(pair[0]), float(pair[1])
            if not (math.isfinite(time) and math.isfinite(value)):
                raise ValueError(f"schedule entry {index}: time and value must be finite")
            if time < 0:
                raise ValueError(f"schedule entry {index}: time {time:g} must be ≥ 0")
            if cleaned and time <= cleaned[-1][0]:
                raise ValueError(f"schedule entry {index}: times must increase strictly")
            cleaned.append((time, value))
        return cls(tuple(cleaned))

    def value_at(self, time: float, default: float = 0.0) -> float:
        """The value in effect at ``time``."""
        value = default
        for change_time, change_value in self.changes:
            if change_time <= time:
                value = change_value
            else:
                break
        return value

    def values_at(
        self, times: NDArray[np.floating[Any]], default: float = 0.0
    ) -> NDArray[np.float64]:
        """The values in effect at each of ``times`` (vectorised :meth:`value_at`).

        Example
        -------
        >>> import numpy as np
        >>> Schedule.of([(10.0, 2.0), (20.0, 3.0)]).values_at(np.array([0.0, 10.0, 25.0]), 1.0)
        array([1., 2., 3.])
        """
        change_times = np.array([t for t, _ in self.changes], dtype=np.float64)
        values = np.array([default, *(v for _, v in self.changes)], dtype=np.float64)
        return values[np.searchsorted(change_times, np.asarray(times, dtype=np.float64), "right")]

    def change_times(self) -> list[float]:
        """Times at which the value changes."""
        return [t for t, _ in self.changes]


@dataclass(frozen=True)
class LognormalPulses:
    """Seeded lognormal noise with mean 1, holding each value for ``bin_min``.

    ``exp(sigma·Z − sigma²/2)`` with ``Z`` standard normal, drawn per bin from a
    stream keyed by ``(seed, patient index)`` so a patient's pulses do not depend
    on which batch or chunk it runs in (Grosskopf/Alon stochastic ultradian model).
    """

    sigma: float
    bin_min: float
    seed: int = 0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.sigma) and self.sigma >= 0):
            raise ValueError(f"ultradian sigma: {self.sigma!r} must be a finite number ≥ 0")
        if not (math.isfinite(self.bin_min) and self.bin_min > 0):
            raise ValueError(f"ultradian bin_min: {self.bin_min!r} must be > 0")

    def sample(
        self, patient_indices: NDArray[np.int64], n_bins: int, dtype: str = "float64"
    ) -> NDArray[Any]:
        """Noise of shape ``(n_bins, n_patients)`` in ``dtype``."""
        out = np.empty((n_bins, len(patient_indices)), dtype=dtype)
        for column, patient in enumerate(patient_indices):
            stream = np.random.Generator(
                np.random.PCG64(
                    np.random.SeedSequence(entropy=self.seed, spawn_key=(int(patient),))
                )
            )
            out[:, column] = np.exp(
                self.sigma * stream.standard_normal(n_bins) - 0.5 * self.sigma**2
            )
        return out


@dataclass(frozen=True)
class PulseTrain:
    """Seeded secretory pulse train with mean 1, on a grid of ``bin_min``.

    Pulse onsets form a renewal process with gamma-distributed intervals (mean
    ``mean_interval_min``, coefficient of variation ``interval_cv``); each pulse
    lasts ``pulse_duration_min`` with a lognormal amplitude (log-SD
    ``amplitude_sigma``, mean 1). Between pulses the value is
    ``basal_fraction``; the pulse height is scaled so the long-run mean is 1.
    Streams are keyed by ``(seed, patient index)``, so a patient's pulses do not
    depend on the batch or chunk it runs in.

    Example
    -------
    >>> import numpy as np
    >>> train = PulseTrain(160.0, 20.0, 0.3, 0.5, 0.4, bin_min=10.0, seed=1)
    >>> x = train.sample(np.arange(200), 144 * 30)
    >>> 0.9 < float(x.mean()) < 1.1
    True
    """

    mean_interval_min: float
    pulse_duration_min: float
    basal_fraction: float
    interval_cv: float
    amplitude_sigma: float
    bin_min: float = 10.0
    seed: int = 0

    def __post_init__(self) -> None:
        checks = {
            "mean_interval_min": self.mean_interval_min > 0,
            "pulse_duration_min": 0 < self.pulse_duration_min <= self.mean_interval_min,
            "basal_fraction": 0 <= self.basal_fraction <= 1,
            "interval_cv": 0 < self.interval_cv <= 3,
            "amplitude_sigma": 0 <= self.amplitude_sigma <= 3,
            "bin_min": self.bin_min > 0,
        }
        for name, ok in checks.items():
            if not ok or not math.isfinite(getattr(self, name)):
                raise ValueError(f"pulse train {name}: {getattr(self, name)!r} is out of range")

    def sample(
        self, patient_indices: NDArray[np.int64], n_bins: int, dtype: str = "float64"
    ) -> NDArray[Any]:
        """Values of shape ``(n_bins, n_patients)`` in ``dtype``.

        Each patient's onsets and amplitudes come from its own stream; the pulses of the
        whole batch are then added to the basal grid at once. A float32 run asks for
        float32: a 12-week grid of 5,000 patients is 240 MB instead of 480, and fresh
        memory is what this step costs (docs/engine.md).
        """
        n_patients = len(patient_indices)
        height = (1 - self.basal_fraction) * self.mean_interval_min / self.pulse_duration_min
        duration_bins = max(1, round(self.pulse_duration_min / self.bin_min))
        first_bins, columns, weights = [], [], []
        for column, patient in enumerate(patient_indices):
            onsets, amplitudes = self._pulses(int(patient), n_bins * self.bin_min)
            first_bins.append((onsets // self.bin_min).astype(np.int64))
            columns.append(np.full(len(onsets), column, dtype=np.int64))
            weights.append(height * amplitudes)
        first = np.concatenate([np.zeros(0, dtype=np.int64), *first_bins])
        column_of = np.concatenate([np.zeros(0, dtype=np.int64), *columns])
        weight = np.concatenate([np.zeros(0), *weights]).astype(dtype)
        out = np.full((n_bins, n_patients), self.basal_fraction, dtype=dtype)
        flat = out.reshape(-1)
        # a pulse covers ``duration_bins`` bins from its onset's; the grid ends at ``n_bins``
        for offset in range(duration_bins):
            bins = first + offset
            keep = bins < n_bins
            np.add.at(flat, bins[keep] * n_patients + column_of[keep], weight[keep])
        return out

    def _pulses(self, patient: int, horizon: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Onset times (min) before ``horizon`` and amplitudes of one patient's pulses."""
        shape = 1.0 / self.interval_cv**2
        scale = self.mean_interval_min / shape
        # enough intervals to pass the horizon with overwhelming probability; topped up if not
        expected = horizon / self.mean_interval_min
        batch = int(expected + 6 * math.sqrt(expected) * self.interval_cv + 16)
        stream = np.random.Generator(
            np.random.PCG64(np.random.SeedSequence(entropy=self.seed, spawn_key=(patient, 1)))
        )
        # start in the stationary regime: first onset uniformly within one interval
        first = stream.uniform(0, self.mean_interval_min)
        onsets = first + np.concatenate(([0.0], np.cumsum(stream.gamma(shape, scale, batch))))
        while onsets[-1] < horizon:
            onsets = np.concatenate(
                (onsets, onsets[-1] + np.cumsum(stream.gamma(shape, scale, batch)))
            )
        onsets = onsets[onsets < horizon]
        amplitudes = np.exp(
            self.amplitude_sigma * stream.standard_normal(len(onsets))
            - 0.5 * self.amplitude_sigma**2
        )
        return onsets, amplitudes


InputValue = float | Sequence[float] | NDArray[np.float64] | Schedule | LognormalPulses | PulseTrain
