"""Vectorised batch engine: fixed-step RK4 in ``jax.lax.scan`` over a batch of patients.

Why not adaptive diffrax: every run is forced by piecewise-constant inputs
(ultradian noise bins, stress schedules, treatment sessions), so steps must
land on the input grid anyway and adaptive control buys little; under ``vmap``
an adaptive solve costs as much as the slowest patient (jax #2586). A fixed
step inside ``lax.scan`` compiles once per model and input layout, gives every
patient bit-identical arithmetic whatever the batch size, and maps onto CPU
SIMD lanes and GPUs alike. Accuracy is checked against the SciPy reference
(:mod:`hpatwin.engine.scipy_engine`) and libRoadRunner in the tests.

The state is an array ``(n_states, n_patients)``. Three things keep a step cheap
(measured in ``benchmarks/``):

* parameters and constant inputs given one value for the whole batch travel as
  scalars, so a step streams only the per-patient ones from memory;
* a run may record only the states and readouts it needs; readouts are then
  computed inside the scan at output times instead of afterwards;
* a wide batch is split into equal shares run at once on the host's CPU
  devices (:func:`cpu_device_count`), one device per core; each share runs
  the program one device would, so results are bit-identical either way.

Compiled integrators are cached on disk (``HPATWIN_JAX_CACHE``: a folder, or
``off``; default ``~/.cache/hpatwin/jax``).

Example
-------
>>> from hpatwin.engine.prepared import prepare_run
>>> from hpatwin.model.catalogue import get_model
>>> run = prepare_run(get_model("hpa_core"), 60.0, dt=1.0, output_every=30.0)
>>> run_jax(run).shape  # (outputs + 1, states, patients)
(3, 11, 1)
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from numpy.typing import NDArray

from hpatwin.engine.prepared import INTEGRATORS, PreparedRun
from hpatwin.model.definition import OdeModel, StateVariable

#: Environment variable: how many CPU devices the engine splits a batch across.
CPU_DEVICES_ENV = "HPATWIN_CPU_DEVICES"
#: Smallest batch worth splitting across devices (below it dispatch dominates).
MIN_PATIENTS_PER_DEVICE = 64
#: Every device's share is a multiple of this many patients (a full float64 AVX-512 vector),
#: so each column runs through the same vectorised code whatever the split.
DEVICE_SHARE_MULTIPLE = 8
#: XLA's CPU flag for the preferred SIMD width (:func:`_configure_vector_width`).
VECTOR_WIDTH_FLAG = "--xla_cpu_prefer_vector_width"
#: Environment variable: folder of JAX's persistent compilation cache (``off`` disables it).
COMPILATION_CACHE_ENV = "HPATWIN_JAX_CACHE"

_configured: dict[str, Any] = {}


def configure_jax(
    cpu_devices: int | None = None, compilation_cache: str | None = None
) -> dict[str, Any]:
    """Set JAX up for hpatwin: float64, CPU devices to split batches over, compile cache.

    Importing hpatwin changes no global JAX setting; the engine calls this once, with the
    defaults, before its first run. Call it yourself first to choose other settings.
    ``cpu_devices`` defaults to ``HPATWIN_CPU_DEVICES`` or the core count;
    ``compilation_cache`` to ``HPATWIN_JAX_CACHE`` or ``~/.cache/hpatwin/jax`` (``"off"``
    disables it). A repeated call returns the settings in force and changes nothing.

    Example
    -------
    >>> settings = configure_jax()
    >>> settings["jax_enable_x64"]
    True
    """
    if _configured:
        return dict(_configured)
    jax.config.update("jax_enable_x64", True)  # type: ignore[no-untyped-call]
    _configured["jax_enable_x64"] = True
    _configured["cpu_vector_width"] = _configure_vector_width()
    _configured["cpu_devices"] = _configure_cpu_devices(cpu_devices)
    _configured["compilation_cache"] = _configure_compilation_cache(compilation_cache)
    return dict(_configured)


def _cpu_flags() -> set[str]:
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:  # not Linux: leave XLA's default
        return set()
    return {flag for line in text.splitlines() if line.startswith("flags") for flag in line.split()}


def _configure_vector_width() -> str:
    """Let XLA use 512-bit vectors on CPUs that have them (AVX-512).

    XLA prefers 256-bit vectors by default; on the 2-core AVX-512 machine the twin's
    step ran 16 % faster at 512 (docs/engine.md). Set through ``XLA_FLAGS`` before the
    backend starts, so it applies only when hpatwin configures JAX first; a width the
    user already chose in ``XLA_FLAGS`` is kept.
    """
    flags = os.environ.get("XLA_FLAGS", "")
    if VECTOR_WIDTH_FLAG in flags:
        return "user"
    if "avx512f" not in _cpu_flags():
        return "default"
    os.environ["XLA_FLAGS"] = f"{flags} {VECTOR_WIDTH_FLAG}=512".strip()
    return "512"


def _configure_cpu_devices(count: int | None) -> int:
    if count is None:
        requested = os.environ.get(CPU_DEVICES_ENV, "")
        count = int(requested) if requested.isdigit() and int(requested) > 0 else os.cpu_count() or 1
    count = max(1, min(count, 64))
    # RuntimeError: the backend is already initialised (JAX used before hpatwin); keep it
    with contextlib.suppress(RuntimeError):
        jax.config.update("jax_num_cpu_devices", count)  # type: ignore[no-untyped-call]
    return count


def _configure_compilation_cache(folder: str | None) -> str:
    # Compiling the twin's integrator takes ~10 s; the on-disk cache brings a repeat (a new
    # process, a Dask worker, a resumed trial) down to ~2 s. Keyed by JAX on the program and
    # versions, so a stale entry is never used.
    folder = os.environ.get(COMPILATION_CACHE_ENV, "") if folder is None else folder
    if folder.lower() == "off":
        return "off"
    if not folder:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path("~/.cache").expanduser())
        folder = str(Path(base) / "hpatwin" / "jax")
    jax.config.update("jax_compilation_cache_dir", folder)  # type: ignore[no-untyped-call]
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 1.0)  # type: ignore[no-untyped-call]
    return folder


def cpu_device_count() -> int:
    """CPU devices a batch may be split across (set by ``HPATWIN_CPU_DEVICES``, default: cores).

    Example
    -------
    >>> cpu_device_count() >= 1
    True
    """
    configure_jax()
    return len(jax.devices("cpu"))


#: Per moving state: the ETDRK4 coefficients ``(a, e^{a·dt/2}, e^{a·dt}, Q, f1, f2, f3)`` of
#: its linear decay rate ``a`` (``a = 0`` where it has none; :func:`_etd_coefficients`).
DecayFactors = Sequence[tuple[Any, ...]]
#: Points on the half circle of the contour integral for the ETDRK4 coefficients.
_CONTOUR_POINTS = 32


def _derivative(rhs: Callable[..., Any]) -> Callable[..., list[Any]]:
    def derivative(t: Any, y: Sequence[Any], p: list[Any], u: list[Any]) -> list[Any]:
        shape = jnp.shape(y[0])
        return [jnp.broadcast_to(r, shape) for r in rhs(t, list(y), p, u)]

    return derivative


def _rk4_stepper(rhs: Callable[..., Any]) -> Callable[..., Any]:
    """One RK4 step of ``rhs`` on the state held as a tuple of per-state arrays.

    A tuple (rather than one stacked array) lets XLA fuse each state's update
    without gathering and re-stacking rows: ~15 % faster on the twin (measured).
    """
    derivative = _derivative(rhs)

    def shifted(y: tuple[Any, ...], h: Any, k: list[Any]) -> tuple[Any, ...]:
        return tuple(a + h * b for a, b in zip(y, k, strict=True))

    def step(y: tuple[Any, ...], t: Any, p: list[Any], u: list[Any], dt: Any) -> tuple[Any, ...]:
        k1 = derivative(t, y, p, u)
        k2 = derivative(t + dt / 2, shifted(y, dt / 2, k1), p, u)
        k3 = derivative(t + dt / 2, shifted(y, dt / 2, k2), p, u)
        k4 = derivative(t + dt, shifted(y, dt, k3), p, u)
        return tuple(
            a + dt / 6 * (b + 2 * c + 2 * d + e)
            for a, b, c, d, e in zip(y, k1, k2, k3, k4, strict=True)
        )

    return step


def _etd_coefficients(rate: Any, dt: Any) -> tuple[Any, ...]:
    """ETDRK4 coefficients of one state with linear decay rate ``rate`` over a step ``dt``.

    The φ-functions cancel catastrophically for small ``rate·dt`` (slow states); averaging
    them over a circle of radius 1 around ``rate·dt`` in the complex plane (Kassam &
    Trefethen 2005, SIAM J Sci Comput 26:1214) is exact to rounding for every value,
    including 0, where they reduce to RK4-like weights (``Q = dt/2``, ``f = dt/6``).
    """
    z = jnp.asarray(rate * dt)
    theta = jnp.pi * (jnp.arange(1, _CONTOUR_POINTS + 1) - 0.5) / _CONTOUR_POINTS
    circle = jnp.exp(1j * theta).astype(jnp.complex128 if z.dtype == jnp.float64 else jnp.complex64)
    lr = z[..., None] + circle
    ez, ez_half = jnp.exp(lr), jnp.exp(lr / 2)

    def mean(values: Any) -> Any:
        return jnp.real(jnp.mean(values, axis=-1)).astype(z.dtype)

    q = dt * mean((ez_half - 1) / lr)
    f1 = dt * mean((-4 - lr + ez * (4 - 3 * lr + lr**2)) / lr**3)
    f2 = dt * mean((2 + lr + ez * (-2 + lr)) / lr**3)
    f3 = dt * mean((-4 - 3 * lr - lr**2 + ez * (4 - lr)) / lr**3)
    return (z / dt, jnp.exp(z / 2), jnp.exp(z), q, f1, f2, f3)


def _decay_factors(rates: Sequence[Any], dt: Any) -> list[tuple[Any, ...]]:
    """:data:`DecayFactors` from each moving state's decay rate (computed once per run)."""
    return [_etd_coefficients(rate, dt) for rate in rates]


def _etd_rk4_stepper(rhs: Callable[..., Any], decay: DecayFactors) -> Callable[..., Any]:
    """One exponential time-differencing RK4 step (Cox & Matthews 2002, J Comput Phys
    176:430) with each state's linear decay ``a·x`` as the linear part.

    ``d x/dt = a·x + g(t, x)``: the ``a·x`` part is integrated exactly and ``g`` (the
    production and coupling terms) by four stages, so a fast hormone whose half-life is
    shorter than the step (CRH, ~4 min) stays stable and does not undershoot at the
    circadian nadir, and a state sitting at its quasi-steady value ``−g/a`` stays there.
    ``decay``: :data:`DecayFactors`, one per state.
    """
    derivative = _derivative(rhs)

    def remainder(t: Any, y: Sequence[Any], p: list[Any], u: list[Any]) -> list[Any]:
        rates = derivative(t, y, p, u)
        return [r - c[0] * x for r, c, x in zip(rates, decay, y, strict=True)]

    def step(y: tuple[Any, ...], t: Any, p: list[Any], u: list[Any], dt: Any) -> tuple[Any, ...]:
        n_y = remainder(t, y, p, u)
        a = tuple(c[1] * x + c[3] * n for x, n, c in zip(y, n_y, decay, strict=True))
        n_a = remainder(t + dt / 2, a, p, u)
        b = tuple(c[1] * x + c[3] * n for x, n, c in zip(y, n_a, decay, strict=True))
        n_b = remainder(t + dt / 2, b, p, u)
        c_ = tuple(
            c[1] * x + c[3] * (2 * nb - ny)
            for x, nb, ny, c in zip(a, n_b, n_y, decay, strict=True)
        )
        n_c = remainder(t + dt, c_, p, u)
        return tuple(
            c[2] * x + ny * c[4] + 2 * (na + nb) * c[5] + nc * c[6]
            for x, ny, na, nb, nc, c in zip(y, n_y, n_a, n_b, n_c, decay, strict=True)
        )

    return step


def _stepper(rhs: Callable[..., Any], decay: DecayFactors | None) -> Callable[..., Any]:
    """RK4, or ETDRK4 when the run's decay coefficients are given."""
    return _rk4_stepper(rhs) if decay is None else _etd_rk4_stepper(rhs, decay)


def _multirate_macro(
    states: Sequence[StateVariable], rhs: Callable[..., Any], slow_steps: int
) -> Callable[..., Any]:
    """One slow step of a multirate scheme: ``slow_steps`` RK4 steps of the fast states
    inside one RK4 step of the slow ones (:attr:`StateVariable.slow`).

    The slow states' RK4 stages sample the fast states at the start, middle and end of
    the slow step (a Simpson rule over their forcing); the fast states step with the
    slow ones held at the middle of each half, extrapolated from the stage slopes. The
    model guarantees slow states read no input directly, so no session pulse falls
    between samples; XLA drops the slow equations from the fast stages and vice versa,
    which is where the time goes (docs/engine.md gives speed and accuracy). ``states``
    and ``rhs`` are the run's moving states and their equations (resting ones removed).
    """
    n_states = len(states)
    fast_idx = tuple(i for i, s in enumerate(states) if not s.slow)
    slow_idx = tuple(i for i, s in enumerate(states) if s.slow)
    half = slow_steps // 2

    def merged(fast: Sequence[Any], slow: Sequence[Any]) -> list[Any]:
        return _assemble(n_states, fast_idx, fast, slow_idx, slow)

    def rates(t: Any, y: list[Any], p: list[Any], u: list[Any], which: Sequence[int]) -> list[Any]:
        values = rhs(t, y, p, u)
        shape = jnp.shape(y[0])
        return [jnp.broadcast_to(values[i], shape) for i in which]

    def shifted(y: Sequence[Any], h: Any, k: Sequence[Any]) -> tuple[Any, ...]:
        return tuple(a + h * b for a, b in zip(y, k, strict=True))

    def macro(
        y: tuple[Any, ...],
        k: Any,
        p: list[Any],
        inputs_at: Callable[[Any], list[Any]],
        dt: Any,
        dtype: str,
        decay: DecayFactors | None = None,
    ) -> tuple[Any, ...]:
        """Advance ``y`` (at step ``k``) by ``slow_steps`` steps; ``inputs_at(i)`` gives the
        inputs in effect during the slow step's ``i``-th step; ``decay`` (every moving
        state's, :func:`_etd_rk4_stepper`) makes the fast steps exponential."""
        h = slow_steps * dt
        t0 = k.astype(dtype) * dt
        fast_decay = None if decay is None else [decay[i] for i in fast_idx]
        fast = tuple(y[i] for i in fast_idx)
        slow0 = tuple(y[i] for i in slow_idx)

        def slow_rates(t: Any, f: Sequence[Any], s: Sequence[Any], u: list[Any]) -> list[Any]:
            return rates(t, merged(f, s), p, u, slow_idx)

        def fast_steps(f: tuple[Any, ...], held: tuple[Any, ...], start: int) -> tuple[Any, ...]:
            def fast_rates(t: Any, f: list[Any], p: list[Any], u: list[Any]) -> list[Any]:
                return rates(t, merged(f, held), p, u, fast_idx)

            # the slow states held at ``held``
            fast_step = _stepper(fast_rates, fast_decay)

            def body(i: Any, f: tuple[Any, ...]) -> tuple[Any, ...]:
                step = start + i
                return fast_step(f, (k + step).astype(dtype) * dt, p, inputs_at(step), dt)  # type: ignore[no-any-return]

            return jax.lax.fori_loop(0, half, body, f)  # type: ignore[no-any-return]

        u_mid = inputs_at(half)
        k1 = slow_rates(t0, fast, slow0, inputs_at(0))
        fast_mid = fast_steps(fast, shifted(slow0, h / 4, k1), 0)
        k2 = slow_rates(t0 + h / 2, fast_mid, shifted(slow0, h / 2, k1), u_mid)
        k3 = slow_rates(t0 + h / 2, fast_mid, shifted(slow0, h / 2, k2), u_mid)
        fast_end = fast_steps(fast_mid, shifted(slow0, 3 * h / 4, k3), half)
        k4 = slow_rates(t0 + h, fast_end, shifted(slow0, h, k3), inputs_at(slow_steps - 1))
        slow_end = tuple(
            a + h / 6 * (b + 2 * c + 2 * d_ + e)
            for a, b, c, d_, e in zip(slow0, k1, k2, k3, k4, strict=True)
        )
        return tuple(merged(fast_end, slow_end))

    return macro


def _assemble(
    n: int,
    first_idx: Sequence[int],
    first: Sequence[Any],
    second_idx: Sequence[int],
    second: Sequence[Any],
) -> list[Any]:
    """Interleave two groups (values at their indices) into one list of length ``n``."""
    values: list[Any] = [None] * n
    for k, i in enumerate(first_idx):
        values[i] = first[k]
    for k, i in enumerate(second_idx):
        values[i] = second[k]
    return values


@lru_cache(maxsize=64)
def _integrator(
    model: OdeModel,
    layout: tuple[tuple[int, ...], ...],
    steps_per_tick: int,
    dtype: str,
    record: tuple[tuple[int, ...], tuple[int, ...]] | None,
    slow_steps: int = 1,
    resting: tuple[tuple[str, ...], tuple[str, ...]] | None = None,
    integrator: str = "rk4",
) -> Callable[..., Any]:
    """The jitted integrator for one model, argument layout and recording choice.

    Applies :func:`configure_jax` (defaults) first if nobody has.

    ``slow_steps`` > 1 advances the model's slow states once per that many steps
    (:func:`_multirate_macro`); it must divide the steps between outputs.
    ``resting`` = (fixed inputs, resting states): states that provably stay at rest
    (:meth:`OdeModel.resting_states`) are held as constants and their terms dropped.
    ``integrator``: ``"rk4"`` or ``"exponential_rk4"`` (:func:`_etd_rk4_stepper`).

    ``layout`` = (uniform parameter, varying parameter, uniform constant input,
    varying constant input, series input) indices.
    ``record`` = (state indices, readout indices) computed at every output time
    (inputs of the tick that starts there), or ``None`` for all states.
    """
    uniform_p, varying_p, uniform_u, varying_u, series_u = layout
    readouts = model.compiled("jax").readouts
    n_states, n_inputs, n_params = len(model.states), len(model.inputs), len(model.parameters)
    if resting is not None:
        at_rest = set(model.resting_states(*resting))
        moving_rhs = model.resting_rhs(*resting)
    else:
        at_rest = set()
        moving_rhs = model.compiled("jax").rhs
    moving_idx = tuple(i for i, name in enumerate(model.state_names) if name not in at_rest)
    moving_names = [model.state_names[i] for i in moving_idx]
    if integrator not in INTEGRATORS:
        raise ValueError(f"integrator: {integrator!r} is not one of {', '.join(INTEGRATORS)}")
    exponential = integrator == "exponential_rk4"
    decay_rates = model.compiled_decay_rates(moving_names) if exponential else None
    macro = (
        _multirate_macro([model.states[i] for i in moving_idx], moving_rhs, slow_steps)
        if slow_steps > 1
        else None
    )
    rest_idx = tuple(i for i, name in enumerate(model.state_names) if name in at_rest)
    # default initial values (the run checked every patient starts there)
    rest_values = tuple(model.states[i].initial for i in rest_idx)

    def full_state(y: tuple[Any, ...]) -> tuple[Any, ...]:
        if not rest_idx:
            return y
        constants = [jnp.full_like(y[0], value) for value in rest_values]
        return tuple(_assemble(n_states, moving_idx, y, rest_idx, constants))

    def integrate(
        y0: Any,
        p_uniform: Any,
        p_varying: Any,
        u_uniform: Any,
        u_varying: Any,
        series: tuple[Any, ...],
        final_series: tuple[Any, ...],
        dt: Any,
    ) -> Any:
        p = _assemble(n_params, uniform_p, p_uniform, varying_p, p_varying)
        constant_u = _assemble(n_inputs, uniform_u, u_uniform, varying_u, u_varying)
        # the decay factors depend on parameters only: computed once, outside the time loop
        decay = None if decay_rates is None else _decay_factors(decay_rates(p), dt)
        step = _stepper(moving_rhs, decay)

        def inputs(tick_series: tuple[Any, ...]) -> list[Any]:
            u = list(constant_u)
            for k, i in enumerate(series_u):
                u[i] = tick_series[k]
            return u

        def observe(moving: tuple[Any, ...], t: Any, tick_series: tuple[Any, ...]) -> Any:
            y = full_state(moving)
            if record is None:
                return jnp.stack(y)
            state_idx, readout_idx = record
            rows = [y[i] for i in state_idx]
            if readout_idx:
                values = readouts(t, list(y), p, inputs(tick_series))
                rows += [jnp.broadcast_to(values[i], y[0].shape) for i in readout_idx]
            return jnp.stack(rows) if rows else jnp.zeros((0, *y[0].shape), y[0].dtype)

        def tick_body(carry: Any, tick_series: tuple[Any, ...]) -> Any:
            u = inputs(tick_series)

            def sub(_: Any, inner: Any) -> Any:
                y, k = inner
                return step(y, k.astype(dtype) * dt, p, u, dt), k + 1

            return jax.lax.fori_loop(0, steps_per_tick, sub, carry), None

        def multirate_body(block: tuple[Any, ...]) -> Callable[..., Any]:
            def slow_step(carry: Any, first: Any) -> Any:
                y, k = carry

                def inputs_at(i: Any) -> list[Any]:
                    tick = (first + i) // steps_per_tick
                    return inputs(
                        tuple(jax.lax.dynamic_index_in_dim(s, tick, keepdims=False) for s in block)
                    )

                assert macro is not None
                return (macro(y, k, p, inputs_at, dt, dtype, decay), k + slow_steps), None

            return slow_step

        def output_body(carry: Any, block: tuple[Any, ...]) -> Any:
            y, k = carry
            first_tick = tuple(s[0] for s in block)
            observed = observe(y, k.astype(dtype) * dt, first_tick)
            if macro is None:
                carry, _ = jax.lax.scan(tick_body, carry, block)
            else:
                block_steps = block[0].shape[0] * steps_per_tick
                firsts = jnp.arange(0, block_steps, slow_steps)
                carry, _ = jax.lax.scan(multirate_body(block), carry, firsts)
            return carry, observed

        start = tuple(y0[i] for i in moving_idx)
        (y_end, k_end), observed = jax.lax.scan(
            output_body, (start, jnp.asarray(0, dtype=jnp.int64)), series
        )
        last = observe(y_end, k_end.astype(dtype) * dt, final_series)
        return jnp.concatenate([observed, last[None]])

    return jax.jit(integrate)


def _devices_for(n_patients: int) -> int:
    available = cpu_device_count()
    for devices in range(available, 1, -1):
        share, rest = divmod(n_patients, devices)
        if rest == 0 and share >= MIN_PATIENTS_PER_DEVICE and share % DEVICE_SHARE_MULTIPLE == 0:
            return devices
    return 1


def _resting(
    run: PreparedRun, uniform_inputs: tuple[int, ...]
) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """(fixed inputs, resting states) of a run (:meth:`OdeModel.resting_states`), or ``None``.

    Fixed: inputs held at their default for the whole batch and run. Candidates: states
    every patient starts at their default initial value. Both depend on the arm's
    treatment and the model, not on which patients share a block, so every block of a
    trial arm compiles the same program (bit-identical results across chunkings).
    """
    model = run.model
    fixed = tuple(
        model.inputs[i].name
        for i in uniform_inputs
        if float(run.constant_inputs[i][0]) == model.inputs[i].default
    )
    candidates = tuple(
        s.name
        for k, s in enumerate(model.states)
        if bool((run.initial_state[k] == s.initial).all())
    )
    resting = model.resting_states(fixed, candidates)
    # keyed by the resting set itself (a fixed point: it rests given itself), so blocks
    # whose candidates differ only by states that never rest share one compiled program
    # (a run with every state at rest keeps one moving state to carry the batch's shape)
    return (fixed, resting) if resting and len(resting) < len(model.states) else None


def _integrate(
    run: PreparedRun, dtype: str, record: tuple[tuple[int, ...], tuple[int, ...]] | None
) -> NDArray[Any]:
    if dtype not in ("float64", "float32"):
        raise ValueError(f"dtype: {dtype!r} is not one of 'float64', 'float32'")
    configure_jax()  # before the first array: float64 and the device count must be set first
    n = run.n_patients
    n_params = len(run.model.parameters)
    uniform_p = tuple(i for i in range(n_params) if not run.parameter_varies(i))
    varying_p = tuple(i for i in range(n_params) if run.parameter_varies(i))
    const_idx = sorted(run.constant_inputs)
    uniform_u = tuple(i for i in const_idx if not run.input_varies(i))
    varying_u = tuple(i for i in const_idx if run.input_varies(i))
    series_u = tuple(sorted(run.series_inputs))
    patient_series = tuple(i for i in series_u if run.series_inputs[i].shape[-1] == n and n > 1)
    shape = (run.n_outputs, run.ticks_per_output)

    def cast(array: Any) -> NDArray[Any]:
        return np.asarray(array, dtype=dtype)

    series = tuple(
        run.series_inputs[i].reshape(*shape, run.series_inputs[i].shape[-1]) for i in series_u
    )
    final_series = tuple(run.series_inputs[i][-1] for i in series_u)
    if not series:  # scan needs something to iterate over
        series = (np.zeros((*shape, 1)),)
        final_series = (np.zeros((1,)),)
    layout = (uniform_p, varying_p, uniform_u, varying_u, series_u)
    slow_steps = run.slow_steps if run.model.slow_state_names else 1
    integrate = _integrator(
        run.model,
        layout,
        run.steps_per_tick,
        dtype,
        record,
        slow_steps,
        _resting(run, uniform_u),
        run.integrator,
    )
    params = np.asarray(run.parameters)
    consts = {i: np.asarray(run.constant_inputs[i]) for i in const_idx}
    shared = (
        cast(params[list(uniform_p), 0] if uniform_p else np.zeros(0)),
        cast(np.array([consts[i][0] for i in uniform_u])),
    )
    per_patient = (
        np.asarray(run.initial_state),
        params[list(varying_p)] if varying_p else np.zeros((0, n)),
        np.array([consts[i] for i in varying_u]) if varying_u else np.zeros((0, n)),
    )
    patient_series_set = set(patient_series)
    devices = jax.devices("cpu")[: _devices_for(n)]
    share = n // len(devices)

    def run_share(k: int) -> NDArray[np.float64]:
        device = devices[k]
        part = slice(k * share, (k + 1) * share) if len(devices) > 1 else slice(None)

        def put(array: Any) -> Any:
            return jax.device_put(cast(array), device)

        y0, p_varying, u_varying = (put(a[:, part]) for a in per_patient)
        part_series = tuple(
            put(a[..., part]) if i in patient_series_set else put(a)
            for i, a in zip(series_u or (None,), series, strict=True)
        )
        part_final = tuple(
            put(a[..., part]) if i in patient_series_set else put(a)
            for i, a in zip(series_u or (None,), final_series, strict=True)
        )
        ys = integrate(
            y0,
            put(shared[0]),
            p_varying,
            put(shared[1]),
            u_varying,
            part_series,
            part_final,
            put(run.dt),
        )
        return np.array(ys, dtype=np.float64)  # a writable float64 copy

    if len(devices) == 1:
        return run_share(0)
    # one equal share per device, each from its own thread so that the per-device compiles
    # and the runs overlap; each share runs the program a single device would, column for column
    with ThreadPoolExecutor(max_workers=len(devices)) as pool:
        parts = list(pool.map(run_share, range(len(devices))))
    return np.concatenate(parts, axis=-1)


def run_jax(run: PreparedRun, dtype: str = "float64") -> NDArray[np.float64]:
    """Integrate a prepared batch; returns states ``(n_outputs + 1, n_states, n_patients)``.

    ``dtype="float32"`` halves memory traffic and doubles SIMD width for large cohorts;
    float64 (default) is what the accuracy tests check.

    Example
    -------
    >>> from hpatwin.engine.prepared import prepare_run
    >>> from hpatwin.model.catalogue import get_model
    >>> run = prepare_run(get_model("hpa_core"), 20.0, output_every=10.0)
    >>> states = run_jax(run, "float32")
    >>> states.shape, bool((states > 0).any())
    ((3, 11, 1), True)
    """
    out = _integrate(run, dtype, None)
    out[0] = run.initial_state  # exact, whatever the dtype
    return out


def run_jax_recorded(
    run: PreparedRun,
    variables: Sequence[str],
    dtype: str = "float64",
) -> dict[str, NDArray[np.float64]]:
    """Integrate and keep only the named states and readouts, each ``(n_outputs + 1, n_patients)``.

    Readouts are computed inside the engine at every output time (with the inputs of
    the tick that starts there), so a long cohort run holds only what it needs.

    Example
    -------
    >>> from hpatwin.engine.prepared import prepare_run
    >>> from hpatwin.model.catalogue import get_model
    >>> run = prepare_run(get_model("hpa_core"), 20.0, output_every=10.0, n_patients=2)
    >>> values = run_jax_recorded(run, ["cortisol", "salivary_cortisol_nmol_l"])
    >>> sorted(values), values["cortisol"].shape
    (['cortisol', 'salivary_cortisol_nmol_l'], (3, 2))
    """
    model = run.model
    unknown = [v for v in variables if v not in model.state_names and v not in model.readout_names]
    if unknown:
        raise ValueError(
            f"variables: unknown name(s) {', '.join(unknown)} for model {model.name}; "
            f"known: states {', '.join(model.state_names)}; "
            f"readouts {', '.join(model.readout_names)}"
        )
    state_idx = tuple(model.state_names.index(v) for v in variables if v in model.state_names)
    readout_idx = tuple(
        model.readout_names.index(v) for v in variables if v not in model.state_names
    )
    rows = _integrate(run, dtype, (state_idx, readout_idx))
    names = [model.state_names[i] for i in state_idx] + [
        model.readout_names[i] for i in readout_idx
    ]
    out = {name: rows[:, k, :] for k, name in enumerate(names)}
    for i in state_idx:  # the first row is the given initial state, exactly
        out[model.state_names[i]][0] = run.initial_state[i]
    return out
