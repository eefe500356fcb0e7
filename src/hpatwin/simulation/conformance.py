"""``check_model``: the conformance suite every model passes, built-in or plug-in.

Like scikit-learn's estimator checks, one function runs every check of the model
contract and reports each by name: parameters carry unit, source and evidence (an
assumption its rationale); the right-hand side is finite at the default state; both
engines compile and agree over a short run; the SBML export round-trips through libSBML.

Example
-------
>>> report = check_model("karin2020")
>>> report.passed, [c.name for c in report.checks][:2]
(True, ['parameters are sourced', 'states and readouts have units'])
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import libsbml
import numpy as np

from hpatwin.engine.prepared import prepare_run
from hpatwin.model.catalogue import get_model
from hpatwin.model.definition import OdeModel
from hpatwin.parameters import Evidence
from hpatwin.sbml.export import to_sbml
from hpatwin.simulation.engines import JaxEngine, ScipyEngine

#: JAX (fixed-step RK4 at the model's default step) vs SciPy (adaptive, tight tolerances):
#: relative agreement required over the short check run, where both are far more accurate.
ENGINE_RTOL = 1e-4
#: absolute floor for states that pass near zero
ENGINE_ATOL = 1e-8
#: steps of the model's default time step in the engine check run
CHECK_STEPS = 60


@dataclass(frozen=True)
class Check:
    """One conformance check: its name, whether it passed and, if not, why."""

    name: str
    passed: bool
    detail: str = ""


@dataclass(frozen=True)
class ConformanceReport:
    """Every check of one model."""

    model: str
    checks: tuple[Check, ...]

    @property
    def passed(self) -> bool:
        """Whether every check passed."""
        return all(c.passed for c in self.checks)

    def failures(self) -> list[str]:
        """``name: detail`` of each failed check."""
        return [f"{c.name}: {c.detail}" for c in self.checks if not c.passed]


def _sourced(model: OdeModel) -> Check:
    problems = [
        p.name
        for p in model.parameters
        if not (p.unit.strip() and p.source.strip() and isinstance(p.evidence, Evidence))
        or (p.evidence is Evidence.ASSUMPTION and not p.rationale.strip())
        or not (math.isfinite(p.value) and p.lower <= p.value <= p.upper)
    ]
    return Check("parameters are sourced", not problems, ", ".join(problems[:10]))


def _units(model: OdeModel) -> Check:
    missing = [s.name for s in model.states if not s.unit.strip()]
    missing += [r.name for r in model.readouts if not r.unit.strip()]
    return Check("states and readouts have units", not missing, ", ".join(missing[:10]))


def _finite_rhs(model: OdeModel) -> Check:
    compiled = model.compiled("numpy")
    rates = compiled.rhs(
        0.0,
        [np.asarray(s.initial, dtype=float) for s in model.states],
        [np.asarray(p.value, dtype=float) for p in model.parameters],
        [np.asarray(i.default, dtype=float) for i in model.inputs],
    )
    bad = [s.name for s, r in zip(model.states, rates, strict=True) if not np.all(np.isfinite(r))]
    return Check("right-hand side is finite at the defaults", not bad, ", ".join(bad))


def _engines_agree(model: OdeModel) -> Check:
    step = model.defaults.time_step
    duration = CHECK_STEPS * step
    run = prepare_run(model, duration, dt=step, output_every=duration)
    try:
        fixed = JaxEngine().integrate(run)[-1, :, 0]
        adaptive = ScipyEngine().integrate(run)[-1, :, 0]
    except Exception as err:  # a model that does not compile fails the check, not the suite
        return Check("JAX and SciPy agree", False, f"{type(err).__name__}: {err}")
    close = np.isclose(fixed, adaptive, rtol=ENGINE_RTOL, atol=ENGINE_ATOL)
    worst = [
        f"{name} {a:.6g} vs {b:.6g}"
        for name, a, b, ok in zip(model.state_names, fixed, adaptive, close, strict=True)
        if not ok
    ]
    return Check("JAX and SciPy agree", not worst, "; ".join(worst[:5]))


def _sbml_round_trip(model: OdeModel) -> Check:
    try:
        document = libsbml.readSBMLFromString(to_sbml(model))
    except (NotImplementedError, ValueError) as err:
        return Check("SBML round trip", False, str(err))
    sbml = document.getModel()
    ids = {sbml.getParameter(i).getId() for i in range(sbml.getNumParameters())}
    ids |= {sbml.getSpecies(i).getId() for i in range(sbml.getNumSpecies())}
    missing = [n for n in (*model.state_names, *model.parameter_names) if n not in ids]
    rules = sbml.getNumRules()
    detail = ", ".join(missing[:10])
    if rules < len(model.states):
        detail = f"{rules} rules for {len(model.states)} states. {detail}"
    return Check("SBML round trip", not missing and rules >= len(model.states), detail)


def check_model(model: str | OdeModel) -> ConformanceReport:
    """Run every conformance check on a model (a built-in name or a plug-in model)."""
    ode = get_model(model) if isinstance(model, str) else model
    checks = (
        _sourced(ode),
        _units(ode),
        _finite_rhs(ode),
        _engines_agree(ode),
        _sbml_round_trip(ode),
    )
    return ConformanceReport(ode.name, checks)
