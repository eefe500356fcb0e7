"""The single model definition: states, parameters, inputs, rate equations and readouts.

Equations are SymPy expressions written once in a model module. Everything else
derives from them: the vectorised JAX engine and the SciPy reference engine
(:meth:`OdeModel.compiled`), the SBML export (:mod:`hpatwin.sbml`) and the
equations shown in the docs (:meth:`OdeModel.latex_equations`).

Example
-------
>>> from hpatwin.model.definition import ModelBuilder
>>> from hpatwin.parameters import Evidence
>>> b = ModelBuilder("decay", "First-order decay", citation="textbook")
>>> k = b.parameter("k_per_min", 0.1, "1/min", "decay rate", "textbook", Evidence.ASSUMPTION,
...                 rationale="illustration")
>>> x = b.state("amount", "mg", "amount left", initial=1.0)
>>> b.rate(x, -k * x)
>>> model = b.build()
>>> model.state_names
('amount',)
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

import sympy

from hpatwin.parameters import Evidence, Parameter

TIME = sympy.Symbol("t", real=True)
"""The model time symbol, in minutes for every built-in model."""
ZERO = sympy.Integer(0)
ONE = sympy.Integer(1)


@dataclass(frozen=True)
class StateVariable:
    """A dynamic state with unit, description and default initial value.

    ``slow`` marks a state that changes over days (a ``*_time_constant_days`` or
    ``*_turnover_days`` relaxation) and reads no input directly, so the JAX engine's
    multirate step may advance it less often than the hormones (docs/engine.md).
    """

    name: str
    unit: str
    description: str
    initial: float
    slow: bool = False


@dataclass(frozen=True)
class InputSignal:
    """An external input, piecewise constant in time (stress, pulses, doses, drug knobs)."""

    name: str
    unit: str
    description: str
    default: float
    lower: float = 0.0
    upper: float = math.inf

    def check(self, value: float) -> float:
        """Return ``value`` if it lies in the allowed range, else raise naming the input."""
        number = float(value)
        if not math.isfinite(number) or number < self.lower or number > self.upper:
            raise ValueError(
                f"input {self.name}: {value!r} is outside the allowed range "
                f"[{self.lower:g}, {self.upper:g}] {self.unit}"
            )
        return number


@dataclass(frozen=True)
class Readout:
    """A derived quantity (e.g. salivary cortisol in nmol/L) computed from states."""

    name: str
    unit: str
    description: str
    expression: sympy.Expr


@dataclass(frozen=True)
class CompiledModel:
    """Numeric functions generated from the symbolic definition for one array backend.

    ``rhs(t, states, parameters, inputs)`` and ``readouts(...)`` take sequences of
    arrays (broadcastable) ordered as the model's names and return lists of arrays.
    """

    backend: str
    rhs: Callable[..., list[Any]]
    readouts: Callable[..., list[Any]]


@dataclass(frozen=True)
class SimulationDefaults:
    """How a model is run unless the caller says otherwise: model metadata, not rules
    keyed by model name in the engine.

    ``time_step``/``output_every`` are in the model's own time unit; ``cohort_time_step``
    is the step cohorts and trials use (default: ``time_step``). ``steady_start``: runs
    start on the model's steady rhythm (models with the HPA core). ``onset_values``: the
    condition knobs at healthy values, for a start that shows the condition developing.
    ``warmup_excluded``: parameters held at these values during any warm-up (events such
    as an injury are moments, not steady conditions). ``transient_states``: states a
    warm-up does not carry over (a test drug's compartments).

    Example
    -------
    >>> SimulationDefaults(time_step=5.0).effective_cohort_time_step
    5.0
    """

    time_step: float = 1.0
    output_every: float = 10.0
    cohort_time_step: float | None = None
    steady_start: bool = False
    onset_values: Mapping[str, float] = field(default_factory=dict)
    warmup_excluded: Mapping[str, float] = field(default_factory=dict)
    transient_states: tuple[str, ...] = ()
    start_states: tuple[str, ...] = ()

    @property
    def effective_cohort_time_step(self) -> float:
        """The step cohorts and trials use."""
        return self.time_step if self.cohort_time_step is None else self.cohort_time_step


class OdeModel:
    """An ODE model defined once, symbolically, with sourced parameters.

    Use :class:`ModelBuilder` to create one. Attributes are read-only tuples so a
    model can be shared safely between engines and threads.
    """

    def __init__(
        self,
        name: str,
        title: str,
        citation: str,
        states: Sequence[StateVariable],
        parameters: Sequence[Parameter],
        inputs: Sequence[InputSignal],
        rates: Mapping[str, sympy.Expr],
        readouts: Sequence[Readout],
        notes: str = "",
        time_unit: str = "min",
        defaults: SimulationDefaults | None = None,
    ) -> None:
        self.name = name
        self.defaults = defaults or SimulationDefaults()
        self.title = title
        self.citation = citation
        self.notes = notes
        self.time_unit = time_unit
        self.states = tuple(states)
        self.parameters = tuple(parameters)
        self.inputs = tuple(inputs)
        self.readouts = tuple(readouts)
        self.rates = {s.name: sympy.sympify(rates[s.name]) for s in self.states}
        self._validate()

    # ----------------------------------------------------------------- names
    @property
    def state_names(self) -> tuple[str, ...]:
        """State names in integration order."""
        return tuple(s.name for s in self.states)

    @property
    def slow_state_names(self) -> tuple[str, ...]:
        """States declared slow (:meth:`ModelBuilder.mark_slow`), in integration order."""
        return tuple(s.name for s in self.states if s.slow)

    @property
    def parameter_names(self) -> tuple[str, ...]:
        """Parameter names in the order the compiled functions expect."""
        return tuple(p.name for p in self.parameters)

    @property
    def input_names(self) -> tuple[str, ...]:
        """Input names in the order the compiled functions expect."""
        return tuple(i.name for i in self.inputs)

    @property
    def readout_names(self) -> tuple[str, ...]:
        """Readout names."""
        return tuple(r.name for r in self.readouts)

    def symbol(self, name: str) -> sympy.Symbol:
        """The SymPy symbol of a state, parameter or input."""
        return sympy.Symbol(name, real=True)

    def parameter(self, name: str) -> Parameter:
        """Look up a parameter by name (error lists the known names)."""
        for p in self.parameters:
            if p.name == name:
                return p
        raise KeyError(
            f"parameter: unknown parameter {name!r} for model {self.name}; "
            f"known: {', '.join(self.parameter_names)}"
        )

    def input_signal(self, name: str) -> InputSignal:
        """Look up an input by name."""
        for i in self.inputs:
            if i.name == name:
                return i
        raise KeyError(
            f"input: unknown input {name!r} for model {self.name}; known: {', '.join(self.input_names)}"
        )

    def default_parameters(self) -> dict[str, float]:
        """Published/default parameter values by name."""
        return {p.name: p.value for p in self.parameters}

    def default_initial_state(self) -> dict[str, float]:
        """Default initial values by state name."""
        return {s.name: s.initial for s in self.states}

    def checked_parameters(self, overrides: Mapping[str, float]) -> dict[str, float]:
        """Defaults updated with ``overrides``; unknown names and bad values raise ``ValueError``."""
        values = self.default_parameters()
        for name, value in overrides.items():
            try:
                parameter = self.parameter(name)
            except KeyError as err:
                raise ValueError(str(err.args[0])) from None
            values[name] = parameter.check(value)
        return values

    # ------------------------------------------------------------- derived
    def _validate(self) -> None:
        known = {*self.state_names, *self.parameter_names, *self.input_names, TIME.name}
        seen: set[str] = set()
        for name in [
            *self.state_names,
            *self.parameter_names,
            *self.input_names,
            *self.readout_names,
        ]:
            if name in seen:
                raise ValueError(f"model {self.name}: name {name!r} is used twice")
            seen.add(name)
        for owner, expr in [*self.rates.items(), *((r.name, r.expression) for r in self.readouts)]:
            unknown = {s.name for s in expr.free_symbols} - known
            if unknown:
                raise ValueError(
                    f"model {self.name}: {owner} uses undefined symbols {sorted(unknown)}"
                )
        inputs = set(self.input_names)
        for state in self.states:
            # a slow state is advanced at the slow step from samples of the other states; an
            # input read directly (a 30-min session pulse) could fall between the samples
            driven = sorted({s.name for s in self.rates[state.name].free_symbols} & inputs)
            if state.slow and driven:
                raise ValueError(
                    f"model {self.name}: slow state {state.name} reads input(s) "
                    f"{', '.join(driven)} directly; only states without direct inputs may be slow"
                )
        d = self.defaults
        named = [*d.onset_values, *d.warmup_excluded]
        unknown_defaults = sorted(
            {n for n in named if n not in self.parameter_names}
            | {n for n in (*d.transient_states, *d.start_states) if n not in self.state_names}
        )
        if unknown_defaults:
            raise ValueError(f"model {self.name}: defaults name unknown {unknown_defaults}")

    @cached_property
    def _symbol_groups(self) -> tuple[list[sympy.Symbol], list[sympy.Symbol], list[sympy.Symbol]]:
        return (
            [self.symbol(n) for n in self.state_names],
            [self.symbol(n) for n in self.parameter_names],
            [self.symbol(n) for n in self.input_names],
        )

    def compiled(self, backend: str = "numpy") -> CompiledModel:
        """Generate (and cache) vectorised functions for ``numpy`` or ``jax``."""
        cache: dict[str, CompiledModel] = self.__dict__.setdefault("_compiled", {})
        if backend not in cache:
            cache[backend] = self._compile(backend)
        return cache[backend]

    def _compile(self, backend: str) -> CompiledModel:
        if backend not in ("numpy", "jax"):
            raise ValueError(f"backend: {backend!r} is not one of 'numpy', 'jax'")
        y, p, u = self._symbol_groups
        args = [TIME, y, p, u]
        rate_exprs = [_for_backend(self.rates[n], backend) for n in self.state_names]
        readout_exprs = [_for_backend(r.expression, backend) for r in self.readouts]
        modules: Any = "jax" if backend == "jax" else "numpy"
        rhs = sympy.lambdify(args, rate_exprs, modules=modules, cse=True)
        readouts = sympy.lambdify(args, readout_exprs, modules=modules, cse=True)
        return CompiledModel(backend, rhs, readouts)

    def resting_states(
        self, fixed_inputs: Sequence[str], candidates: Sequence[str] | None = None
    ) -> tuple[str, ...]:
        """States that stay exactly at their default initial value while ``fixed_inputs``
        stay at their defaults, whatever the other states, parameters and time.

        Only ``candidates`` (default: every state; in a run, those starting at their
        default initial value) are considered.

        The largest set whose rates become structurally zero once those states and
        inputs are replaced by their values (e.g. drug compartments without doses,
        opioid peptides without stimulation). Used by :meth:`resting_rhs` to drop
        them from a run; the check is symbolic, so it never freezes a moving state.

        Example
        -------
        >>> from hpatwin.model.catalogue import get_model
        >>> twin = get_model("twin")
        >>> "duloxetine_plasma_mg_l" in twin.resting_states(twin.input_names)
        True
        """
        pool = self.state_names if candidates is None else candidates
        return self._resting_states(tuple(sorted(set(fixed_inputs))), tuple(sorted(set(pool))))

    @lru_cache(maxsize=64)  # noqa: B019 (models are long-lived and few)
    def _resting_states(
        self, fixed_inputs: tuple[str, ...], candidates: tuple[str, ...]
    ) -> tuple[str, ...]:
        unknown = (set(fixed_inputs) - set(self.input_names)) | (
            set(candidates) - set(self.state_names)
        )
        if unknown:
            raise ValueError(f"resting_states: unknown input(s)/state(s) {sorted(unknown)}")
        resting = set(candidates)
        while True:
            subs = self._rest_values(fixed_inputs, resting)
            still = {n for n in resting if self.rates[n].xreplace(subs) == 0}
            if still == resting:
                return tuple(n for n in self.state_names if n in resting)
            resting = still

    def _rest_values(
        self, fixed_inputs: Sequence[str], states: set[str]
    ) -> dict[sympy.Symbol, sympy.Expr]:
        """Exact values of the fixed inputs (their defaults) and ``states`` (their initials)."""
        values = {
            self.symbol(i.name): _exact(i.default) for i in self.inputs if i.name in fixed_inputs
        }
        values.update(
            {self.symbol(s.name): _exact(s.initial) for s in self.states if s.name in states}
        )
        return values

    def resting_rhs(
        self,
        fixed_inputs: Sequence[str],
        candidates: Sequence[str] | None = None,
        backend: str = "jax",
    ) -> Callable[..., Any]:
        """``rhs(t, moving_states, parameters, inputs)`` for the states not in
        :meth:`resting_states` (in model order), with the resting ones and the fixed
        inputs replaced by their values, so their terms vanish from the equations.

        Example
        -------
        >>> from hpatwin.model.catalogue import get_model
        >>> twin = get_model("twin")
        >>> rhs = twin.resting_rhs(twin.input_names, backend="numpy")
        >>> callable(rhs)
        True
        """
        pool = self.state_names if candidates is None else candidates
        return self._resting_rhs(
            tuple(sorted(set(fixed_inputs))), tuple(sorted(set(pool))), backend
        )

    @lru_cache(maxsize=64)  # noqa: B019
    def _resting_rhs(
        self, fixed_inputs: tuple[str, ...], candidates: tuple[str, ...], backend: str
    ) -> Callable[..., Any]:
        if backend not in ("numpy", "jax"):
            raise ValueError(f"backend: {backend!r} is not one of 'numpy', 'jax'")
        resting = set(self.resting_states(fixed_inputs, candidates))
        values = self._rest_values(fixed_inputs, resting)
        moving = [n for n in self.state_names if n not in resting]
        _, p, u = self._symbol_groups
        args = [TIME, [self.symbol(n) for n in moving], p, u]
        exprs = [_for_backend(self.rates[n].xreplace(values), backend) for n in moving]
        modules: Any = "jax" if backend == "jax" else "numpy"
        return sympy.lambdify(args, exprs, modules=modules, cse=True)  # type: ignore[no-any-return]

    def linear_decay_rates(self) -> dict[str, sympy.Expr]:
        """Each state's own first-order rate constant ``a`` (1/time) where its equation is
        ``d x/dt = a·x + g`` with ``a`` a function of parameters only (``g`` free of ``x``).

        Clearance, elimination, turnover and relaxation terms are of this form; the JAX
        engine's exponential integrator (``integrator="exponential_rk4"``) solves that part
        exactly, which lets a fast hormone such as CRH (half-life ~4 min) take a 10-min step.
        States whose own rate is not of this form (or only through inputs, states or time)
        are left out and stepped by plain RK4.

        Example
        -------
        >>> from hpatwin.model.catalogue import get_model
        >>> get_model("hpa_core").linear_decay_rates()["crh"]
        -0.693147180559945/crh_half_life_min
        """
        return dict(self._linear_decay_rates)

    @cached_property
    def _linear_decay_rates(self) -> dict[str, sympy.Expr]:
        parameters = {self.symbol(n) for n in self.parameter_names}
        out = {}
        for name in self.state_names:
            x = self.symbol(name)
            coefficient = sympy.diff(self.rates[name], x)
            if coefficient == 0 or not coefficient.free_symbols <= parameters:
                continue  # also excludes any x-dependence: the rate is affine in x
            out[name] = coefficient
        return out

    def compiled_decay_rates(
        self, states: Sequence[str], backend: str = "jax"
    ) -> Callable[..., list[Any]]:
        """``rates(parameters)`` → the :meth:`linear_decay_rates` of ``states`` (0 where a
        state has none), for the engine's exponential integrator.

        Example
        -------
        >>> from hpatwin.model.catalogue import get_model
        >>> model = get_model("hpa_core")
        >>> rates = model.compiled_decay_rates(["crh"], backend="numpy")
        >>> round(float(rates([p.value for p in model.parameters])[0]), 3)
        -0.173
        """
        if backend not in ("numpy", "jax"):
            raise ValueError(f"backend: {backend!r} is not one of 'numpy', 'jax'")
        decay = self._linear_decay_rates
        exprs = [decay.get(name, ZERO) for name in states]
        _, p, _ = self._symbol_groups
        modules: Any = "jax" if backend == "jax" else "numpy"
        return sympy.lambdify([p], exprs, modules=modules)  # type: ignore[no-any-return]

    def latex_equations(self) -> list[tuple[str, str]]:
        """``(state name, LaTeX of d state / dt = ...)`` for every state."""
        out = []
        for name in self.state_names:
            lhs = rf"\frac{{d\,\mathrm{{{_latex_name(name)}}}}}{{dt}}"
            rhs = sympy.latex(self.rates[name], symbol_names=self._latex_symbol_names())
            out.append((name, f"{lhs} = {rhs}"))
        return out

    def latex_readouts(self) -> list[tuple[str, str]]:
        """``(readout name, LaTeX)`` for every readout."""
        names = self._latex_symbol_names()
        return [
            (
                r.name,
                rf"\mathrm{{{_latex_name(r.name)}}} = {sympy.latex(r.expression, symbol_names=names)}",
            )
            for r in self.readouts
        ]

    def _latex_symbol_names(self) -> dict[sympy.Symbol, str]:
        names = {TIME: "t"}
        for n in [*self.state_names, *self.parameter_names, *self.input_names]:
            names[self.symbol(n)] = rf"\mathrm{{{_latex_name(n)}}}"
        return names

    def __repr__(self) -> str:
        return (
            f"OdeModel({self.name!r}, states={len(self.states)}, parameters={len(self.parameters)}, "
            f"inputs={len(self.inputs)})"
        )


def _for_backend(expression: sympy.Expr, backend: str) -> sympy.Expr:
    """``expression`` as the backend computes it fastest.

    JAX: a power with a non-integer, non-half exponent (a Hill coefficient) becomes
    ``exp(n·log(max(x, 0)))``. XLA's CPU ``pow`` is scalar library code, ~3.7× slower
    than its vectorised ``exp`` and ``log`` together (measured, docs/engine.md). Equal for
    ``x ≥ 0``; a negative base (an intermediate RK stage of a concentration undershooting
    zero) counts as 0, where ``pow`` gives ``nan`` or, for an integer-valued exponent
    such as a Hill coefficient of 3, a small value of either sign. Integer powers stay
    multiplications and ``x**0.5`` a square root.

    Example
    -------
    >>> x, n = sympy.symbols("x n")
    >>> _for_backend(x**n / (1 + x**2) + sympy.sqrt(x), "jax")
    sqrt(x) + exp(n*log(Max(0, x)))/(x**2 + 1)
    """
    if backend != "jax":
        return expression

    def slow_power(node: sympy.Basic) -> bool:
        return bool(
            node.is_Pow
            and not node.exp.is_Integer
            and node.exp not in (sympy.S.Half, -sympy.S.Half)
        )

    return expression.replace(
        slow_power,
        lambda node: sympy.exp(node.exp * sympy.log(sympy.Max(node.base, ZERO))),
    )


def _exact(value: float) -> sympy.Expr:
    """A SymPy number for ``value``: an exact integer where it is one, so ``1 - 1`` is ``0``."""
    return sympy.Integer(int(value)) if float(value).is_integer() else sympy.Float(value)


def _latex_name(name: str) -> str:
    return name.replace("_", r"\_")


@dataclass
class ModelBuilder:
    """Declare a model's parameters, states, inputs, equations and readouts, then ``build()``.

    Each declaration returns the SymPy symbol to use in equations.
    """

    name: str
    title: str
    citation: str
    notes: str = ""
    time_unit: str = "min"
    component: str | None = None
    """Registry name for parameters declared now (defaults to the model name)."""
    defaults: SimulationDefaults = field(default_factory=SimulationDefaults)
    """How the model runs by default (steps, start policy, warm-up)."""
    _states: list[StateVariable] = field(default_factory=list)
    _parameters: list[Parameter] = field(default_factory=list)
    _inputs: list[InputSignal] = field(default_factory=list)
    _rates: dict[str, sympy.Expr] = field(default_factory=dict)
    _readouts: list[Readout] = field(default_factory=list)

    def parameter(
        self,
        name: str,
        value: float,
        unit: str,
        description: str,
        source: str,
        evidence: Evidence,
        rationale: str = "",
        lower: float = 0.0,
        upper: float = math.inf,
    ) -> sympy.Symbol:
        """Declare a sourced parameter and return its symbol."""
        self._parameters.append(
            Parameter(
                name,
                float(value),
                unit,
                description,
                source,
                evidence,
                self.component or self.name,
                rationale,
                lower,
                upper,
            )
        )
        return sympy.Symbol(name, real=True)

    def pathway_gain(self, name: str, description: str, source: str) -> sympy.Symbol:
        """Declare ``pathway_<name>``, a 0-5 gain (1 by default) that ``ablate`` sets to 0."""
        return self.parameter(
            f"pathway_{name}",
            1.0,
            "1",
            f"pathway gain: {description} (0 = ablated)",
            source,
            Evidence.SOURCE_ARTICLE,
            lower=0.0,
            upper=5.0,
        )

    def state(self, name: str, unit: str, description: str, initial: float) -> sympy.Symbol:
        """Declare a state and return its symbol."""
        self._states.append(StateVariable(name, unit, description, float(initial)))
        return sympy.Symbol(name, real=True)

    def mark_slow(self, *states: sympy.Symbol) -> None:
        """Declare already-declared states slow (see :class:`StateVariable`).

        Example
        -------
        >>> b = ModelBuilder("m", "example", citation="none")
        >>> x = b.state("x", "1", "a slow state", 0.0)
        >>> b.mark_slow(x)
        >>> b._states[0].slow
        True
        """
        names = {state.name for state in states}
        unknown = names - {s.name for s in self._states}
        if unknown:
            raise ValueError(f"mark_slow: unknown state(s) {sorted(unknown)}")
        self._states = [
            dataclasses.replace(s, slow=True) if s.name in names else s for s in self._states
        ]

    def input(
        self,
        name: str,
        unit: str,
        description: str,
        default: float,
        lower: float = 0.0,
        upper: float = math.inf,
    ) -> sympy.Symbol:
        """Declare a piecewise-constant external input and return its symbol."""
        self._inputs.append(InputSignal(name, unit, description, float(default), lower, upper))
        return sympy.Symbol(name, real=True)

    def rate(self, state: sympy.Symbol, expression: sympy.Expr) -> None:
        """Set d(state)/dt."""
        if state.name in self._rates:
            raise ValueError(f"rate of {state.name} set twice")
        self._rates[state.name] = expression

    def readout(self, name: str, unit: str, description: str, expression: sympy.Expr) -> sympy.Expr:
        """Declare a readout and return its expression (so later readouts can reuse it)."""
        self._readouts.append(Readout(name, unit, description, sympy.sympify(expression)))
        return expression

    def build(self) -> OdeModel:
        """Check completeness and return the immutable model."""
        missing = [s.name for s in self._states if s.name not in self._rates]
        if missing:
            raise ValueError(f"model {self.name}: no rate equation for {missing}")
        return OdeModel(
            self.name,
            self.title,
            self.citation,
            self._states,
            self._parameters,
            self._inputs,
            self._rates,
            self._readouts,
            self.notes,
            self.time_unit,
            self.defaults,
        )


def clock_minutes(t: sympy.Expr, period_min: int = 1440) -> sympy.Expr:
    """``t mod period`` written with ``floor`` so SBML and every backend agree.

    The period is an exact integer: a float would print ``1/1440.`` as a rounded
    decimal and ``floor`` would misround at exact midnights.
    """
    period = sympy.Integer(period_min)
    return t - period * sympy.floor(t / period)
