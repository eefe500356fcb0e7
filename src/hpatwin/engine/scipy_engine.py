"""Reference engine: SciPy ``solve_ivp`` per patient, restarted at every input change.

Slow but independent of the JAX engine's fixed-step arithmetic; the tests use
it to check the batch engine at tight tolerance.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.integrate import solve_ivp

from hpatwin.engine.prepared import PreparedRun


def run_scipy(
    run: PreparedRun,
    method: str = "LSODA",
    rtol: float = 1e-10,
    atol: float = 1e-12,
) -> NDArray[np.float64]:
    """Integrate a prepared batch; returns states ``(n_outputs + 1, n_states, n_patients)``."""
    rhs = run.model.compiled("numpy").rhs
    n_ticks = run.n_ticks
    ticks = np.arange(n_ticks, dtype=np.int64)
    all_inputs = run.inputs_at_ticks(ticks)  # (n_inputs, n_ticks, n_patients)
    out = np.empty((run.n_outputs + 1, *run.initial_state.shape))
    out[0] = run.initial_state
    for col in range(run.n_patients):
        params = list(run.parameters[:, col])
        inputs = all_inputs[:, :, col]
        if inputs.shape[0]:
            changed = np.any(inputs[:, 1:] != inputs[:, :-1], axis=0)
            starts: list[int] = [0, *(int(i) + 1 for i in np.nonzero(changed)[0])]
        else:
            starts = [0]
        # split also at output boundaries so each output is an exact segment end
        boundaries = sorted(set(starts) | set(range(0, n_ticks, run.ticks_per_output)) | {n_ticks})
        y = run.initial_state[:, col].copy()
        for a, b in itertools.pairwise(boundaries):
            u = list(inputs[:, a]) if inputs.shape[0] else []

            def fun(
                t: float, state: NDArray[np.float64], u: list[Any] = u, params: list[Any] = params
            ) -> NDArray[np.float64]:
                return np.asarray(rhs(t, list(state), params, u), dtype=float)

            solution = solve_ivp(
                fun, (a * run.tick, b * run.tick), y, method=method, rtol=rtol, atol=atol
            )
            if not solution.success:
                raise RuntimeError(
                    f"SciPy integration failed for patient {col}: {solution.message}"
                )
            y = solution.y[:, -1]
            if b % run.ticks_per_output == 0:
                out[b // run.ticks_per_output, :, col] = y
    return out
