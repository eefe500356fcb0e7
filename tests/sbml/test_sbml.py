"""SBML export and libRoadRunner cross-checks against the SciPy reference integration.

Every number compared here comes from the models themselves (registry values,
default initial states, compiled right-hand sides), never from constants in
this file, so re-tuned parameters do not break the tests.
"""

from __future__ import annotations

import doctest
import importlib.util
import math
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import libsbml
import numpy as np
import numpy.typing as npt
import pytest
import sympy
from scipy.integrate import solve_ivp

from hpatwin.model import default_registry
from hpatwin.model.catalogue import get_model, model_names
from hpatwin.model.definition import TIME, ModelBuilder, OdeModel
from hpatwin.model.reference.gupta2007 import model_b_stress_schedule
from hpatwin.parameters import Evidence
from hpatwin.sbml import export, expressions
from hpatwin.sbml import roadrunner as rr_harness
from hpatwin.sbml.export import ANNOTATION_NAMESPACE, SbmlExportError, to_sbml, write_sbml
from hpatwin.sbml.roadrunner import RoadRunnerSimulator, simulate_roadrunner

needs_roadrunner = pytest.mark.skipif(
    importlib.util.find_spec("roadrunner") is None,
    reason="libRoadRunner (extra 'dev') is not installed",
)

RTOL = 1e-10
ATOL = 1e-12
MAX_RELATIVE_ERROR = 1e-6
ZERO_STATE_ABSOLUTE_ERROR = 1e-12

# (model, end time in the model's time unit, output spacing)
CROSS_CHECK_CASES = [
    ("hpa_core", 2880.0, 10.0),
    ("karin2020", 2880.0, 10.0),
    ("gupta2007", 30.0, 0.1),
    ("sriram2012", 100.0, 0.5),
    ("bangsgaard2017", 2880.0, 10.0),
]

Segments = Sequence[tuple[float, Mapping[str, float]]]


# ------------------------------------------------------------------------ helpers
def scipy_reference(
    model: OdeModel,
    times: npt.NDArray[np.float64],
    input_segments: Segments = (),
    parameters: Mapping[str, float] | None = None,
) -> npt.NDArray[np.float64]:
    """LSODA on the numpy right-hand side, restarted at every input change point."""
    compiled = model.compiled("numpy")
    values = model.checked_parameters(parameters or {})
    p = [values[name] for name in model.parameter_names]
    inputs = {signal.name: signal.default for signal in model.inputs}
    y = np.array([s.initial for s in model.states], dtype=float)
    changes = sorted(input_segments, key=lambda item: item[0])
    end = float(times[-1])
    out = np.empty((times.size, y.size))
    start = 0.0
    for stop in [*sorted({t for t, _ in changes if 0.0 < t < end}), end]:
        while changes and changes[0][0] <= start:
            inputs.update(changes.pop(0)[1])
        u = [inputs[name] for name in model.input_names]

        def rhs(
            t: float, state: npt.NDArray[np.float64], u: list[float] = u
        ) -> npt.NDArray[np.float64]:
            return np.asarray(compiled.rhs(t, state, p, u), dtype=float)

        inside = (times >= start) & (times <= stop)
        grid = np.unique(np.concatenate((times[inside], [stop])))
        solution = solve_ivp(
            rhs, (start, stop), y, method="LSODA", rtol=RTOL, atol=ATOL, t_eval=grid
        )
        assert solution.success, solution.message
        out[inside] = solution.y.T[np.searchsorted(grid, times[inside])]
        y = solution.y[:, -1]
        start = stop
    return out


def state_errors(
    reference: npt.NDArray[np.float64], candidate: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Per-state max |error| relative to the state's max |value| (absolute for all-zero states)."""
    scale = np.abs(reference).max(axis=0)
    error = np.abs(candidate - reference).max(axis=0)
    relative: npt.NDArray[np.float64] = np.where(
        scale > 0, error / np.where(scale > 0, scale, 1.0), error
    )
    return relative


def assert_close_to_scipy(
    model: OdeModel, reference: npt.NDArray[np.float64], candidate: npt.NDArray[np.float64]
) -> float:
    errors = state_errors(reference, candidate)
    scale = np.abs(reference).max(axis=0)
    for name, error, size in zip(model.state_names, errors, scale, strict=True):
        limit = MAX_RELATIVE_ERROR if size > 0 else ZERO_STATE_ABSOLUTE_ERROR
        assert error <= limit, f"{model.name}.{name}: error {error:.3g} > {limit:g}"
    worst = float(errors[scale > 0].max())
    print(f"{model.name}: max state-wise relative error {worst:.2e}")
    return worst


# ------------------------------------------------------------------------ export
@pytest.mark.parametrize("name", model_names())
def test_every_model_exports_valid_sbml(name: str) -> None:
    model = get_model(name)
    document = libsbml.readSBMLFromString(to_sbml(model))
    assert document.getNumErrors(libsbml.LIBSBML_SEV_ERROR) == 0
    document.setConsistencyChecks(libsbml.LIBSBML_CAT_UNITS_CONSISTENCY, False)
    document.checkConsistency()
    assert document.getNumErrors(libsbml.LIBSBML_SEV_ERROR) == 0
    assert (document.getLevel(), document.getVersion()) == (3, 2)

    sbml = document.getModel()
    assert sbml.getId() == model.name
    assert model.citation[:40] in sbml.getNotesString()
    assert sbml.getNumCompartments() == 1

    for state in model.states:
        parameter = sbml.getParameter(state.name)
        assert parameter is not None, state.name
        assert not parameter.getConstant()
        assert math.isclose(parameter.getValue(), state.initial, rel_tol=1e-14)
        assert sbml.getRateRuleByVariable(state.name) is not None
    registry = {p.name: p for p in default_registry().select(model=name)}
    assert set(registry) == set(model.parameter_names)
    for name_, registered in registry.items():
        parameter = sbml.getParameter(name_)
        assert parameter is not None, name_
        assert parameter.getConstant()
        # libSBML writes 15 significant digits; the annotation keeps the exact repr.
        assert math.isclose(parameter.getValue(), registered.value, rel_tol=1e-14), name_
        annotation = parameter.getAnnotation().getChild(0)
        assert (annotation.getName(), annotation.getURI()) == ("quantity", ANNOTATION_NAMESPACE)
        assert float(annotation.getAttrValue("value")) == registered.value
        assert annotation.getAttrValue("unit") == registered.unit
        assert annotation.getAttrValue("evidence") == registered.evidence.value
        assert annotation.getAttrValue("source") == registered.source
        assert registered.unit in parameter.getNotesString()
    for signal in model.inputs:
        parameter = sbml.getParameter(signal.name)
        assert parameter is not None and parameter.getConstant()
        assert parameter.getValue() == signal.default
    for readout in model.readouts:
        parameter = sbml.getParameter(readout.name)
        assert parameter is not None and not parameter.getConstant()
        assert sbml.getAssignmentRuleByVariable(readout.name) is not None
    expected = len(model.states) + len(model.parameters) + len(model.inputs) + len(model.readouts)
    assert sbml.getNumParameters() == expected


def test_export_applies_overrides() -> None:
    model = get_model("hpa_core")
    name = model.parameter_names[0]
    value = model.parameter(name).value * 1.5
    state = model.state_names[0]
    sbml = libsbml.readSBMLFromString(
        to_sbml(
            model,
            parameters={name: value},
            initial_state={state: 0.25},
            inputs={"stress_input": 2.0},
        )
    ).getModel()
    assert math.isclose(sbml.getParameter(name).getValue(), value, rel_tol=1e-14)
    assert sbml.getParameter(state).getValue() == 0.25
    assert sbml.getParameter("stress_input").getValue() == 2.0
    assert sbml.getParameter("ultradian_pulse").getValue() == 1.0  # deterministic default


def test_time_is_the_sbml_csymbol() -> None:
    text = to_sbml(get_model("hpa_core"))
    assert 'definitionURL="http://www.sbml.org/sbml/symbols/time"' in text
    assert "<ci> t </ci>" not in text
    assert "<ci> time </ci>" not in text
    node = expressions.sympy_to_ast(TIME * 2)
    assert node.getChild(1).getType() == libsbml.AST_NAME_TIME


def test_reserved_names_stay_parameters() -> None:
    # parseL3Formula would read these names as constants; the AST builder must not.
    pi_symbol, e_symbol = sympy.Symbol("pi", real=True), sympy.Symbol("exponentiale", real=True)
    node = expressions.sympy_to_ast(pi_symbol * e_symbol)
    assert {node.getChild(i).getType() for i in range(2)} == {libsbml.AST_NAME}
    assert expressions.sympy_to_ast(sympy.pi).getType() == libsbml.AST_CONSTANT_PI


def test_unknown_symbol_is_rejected() -> None:
    with pytest.raises(ValueError, match="'ghost'"):
        expressions.sympy_to_ast(sympy.Symbol("ghost", real=True), known_names={"x"})


def _model_with_rate(rate: sympy.Expr, name: str = "probe") -> OdeModel:
    b = ModelBuilder(name, "probe model", citation="test")
    b.parameter("k", 0.5, "1/min", "rate", "test", Evidence.ASSUMPTION, rationale="test", upper=10)
    b.input("drive", "1", "drive", 1.0, upper=10)
    x = b.state("x", "1", "amount", 1.0)
    b.rate(x, rate.subs(sympy.Symbol("x", real=True), x))
    return b.build()


@pytest.mark.parametrize(
    "construct, label",
    [
        (sympy.erf(sympy.Symbol("x", real=True)), "erf"),
        (sympy.Function("mystery")(sympy.Symbol("x", real=True)), "mystery"),
        (sympy.Heaviside(sympy.Symbol("x", real=True) - 1), "Heaviside"),
        (sympy.besselj(0, sympy.Symbol("x", real=True)), "besselj"),
    ],
)
def test_unsupported_sympy_construct_raises(construct: sympy.Expr, label: str) -> None:
    with pytest.raises(NotImplementedError, match=label):
        to_sbml(_model_with_rate(-construct))


@needs_roadrunner
def test_bad_parameter_name_and_value() -> None:
    model = get_model("karin2020")
    with pytest.raises(ValueError, match="not_a_parameter"):
        to_sbml(model, parameters={"not_a_parameter": 1.0})
    with pytest.raises(ValueError, match="k_gr"):
        to_sbml(model, parameters={"k_gr": float("nan")})
    with pytest.raises(ValueError, match="n_gr"):
        simulate_roadrunner(model, np.array([0.0, 1.0]), parameters={"n_gr": float("nan")})
    with pytest.raises(ValueError, match="nope"):
        simulate_roadrunner(model, np.array([0.0, 1.0]), parameters={"nope": 1.0})


@needs_roadrunner
def test_bad_states_inputs_and_times() -> None:
    model = get_model("gupta2007")
    times = np.array([0.0, 1.0])
    with pytest.raises(ValueError, match="initial_state: unknown state 'cortsol'"):
        to_sbml(model, initial_state={"cortsol": 1.0})
    with pytest.raises(ValueError, match=r"initial_state crh: inf is not a finite number"):
        simulate_roadrunner(model, times, initial_state={"crh": float("inf")})
    with pytest.raises(ValueError, match=r"input stress_f: -1\.0 is outside the allowed range"):
        to_sbml(model, inputs={"stress_f": -1.0})
    with pytest.raises(ValueError, match="unknown input 'stress'"):
        simulate_roadrunner(model, times, input_segments=[(0.0, {"stress": 1.0})])
    with pytest.raises(ValueError, match=r"input_segments\[0\]: time"):
        simulate_roadrunner(model, times, input_segments=[(float("nan"), {"stress_f": 1.0})])
    with pytest.raises(ValueError, match=r"output_times: times must be sorted"):
        simulate_roadrunner(model, np.array([0.0, 2.0, 1.0]))
    with pytest.raises(ValueError, match="output_times: first time"):
        simulate_roadrunner(model, np.array([-1.0, 2.0]))
    with pytest.raises(ValueError, match="variables: unknown variable 'bogus'"):
        simulate_roadrunner(model, times, variables=["bogus"])


def test_write_sbml_is_atomic(tmp_path: Path) -> None:
    model = get_model("sriram2012")
    target = tmp_path / "sriram.xml"
    assert write_sbml(model, target) == target
    assert target.read_text(encoding="utf-8") == to_sbml(model)
    with pytest.raises(FileExistsError, match=r"sriram\.xml"):
        write_sbml(model, target, overwrite=False)
    before = target.read_text(encoding="utf-8")
    with pytest.raises(ValueError, match="K_b"):
        write_sbml(model, target, parameters={"K_b": -1.0})
    assert target.read_text(encoding="utf-8") == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sriram.xml"]  # no temp files left


def test_invalid_document_raises_clear_error() -> None:
    document = libsbml.SBMLDocument(3, 2)
    sbml_model = document.createModel()
    sbml_model.setId("broken")
    rule = sbml_model.createRateRule()
    rule.setVariable("missing")
    rule.setMath(libsbml.parseL3Formula("1"))
    with pytest.raises(SbmlExportError, match="broken"):
        export._validate(document, "broken")


# ------------------------------------------------------------------- simulation
@needs_roadrunner
@pytest.mark.parametrize("name, end, step", CROSS_CHECK_CASES)
def test_roadrunner_matches_scipy(name: str, end: float, step: float) -> None:
    model = get_model(name)
    times = np.arange(0.0, end + step / 2, step)
    reference = scipy_reference(model, times)
    result = simulate_roadrunner(model, times)
    assert result.shape == (times.size, len(model.states))
    assert_close_to_scipy(model, reference, result)


@needs_roadrunner
def test_gupta_stress_pulses_match_scipy() -> None:
    model = get_model("gupta2007")
    times = np.arange(0.0, 30.05, 0.1)
    segments = [(start, {"stress_f": value}) for start, value in model_b_stress_schedule()]
    reference = scipy_reference(model, times, segments)
    result = simulate_roadrunner(model, times, input_segments=segments)
    assert_close_to_scipy(model, reference, result)
    # the pulses matter: without them the trajectory ends elsewhere (model B is bistable)
    unstressed = scipy_reference(model, times)
    assert np.abs(unstressed[-1] - reference[-1]).max() > 1e-3


@needs_roadrunner
def test_hpa_core_dexamethasone_and_stress_segments_match_scipy() -> None:
    model = get_model("hpa_core")
    times = np.arange(0.0, 2880.0 + 5.0, 10.0)
    segments: Segments = [
        (0.0, {"stress_input": 1.5}),
        (1380.0, {"dex_dose_rate_mg_per_min": 1.0}),  # 1 mg over one minute at 23:00
        (1381.0, {"dex_dose_rate_mg_per_min": 0.0}),
        (1500.0, {"crh_infusion_rate_per_min": 0.05, "stress_input": 1.0}),
        (1530.0, {"crh_infusion_rate_per_min": 0.0}),
    ]
    reference = scipy_reference(model, times, segments)
    result = simulate_roadrunner(model, times, input_segments=segments)
    assert reference[:, model.state_names.index("dex_plasma_ng_ml")].max() > 0
    assert_close_to_scipy(model, reference, result)


@needs_roadrunner
@pytest.mark.parametrize("name", ["hpa_core", "bangsgaard2017"])
def test_assignment_rule_readouts_equal_numpy_readouts(name: str) -> None:
    model = get_model(name)
    # off the exact wake/sleep/midnight instants, where a comparison is decided by the last bit
    times = np.concatenate(([0.0], np.arange(7.0, 2880.0, 10.0)))
    segments: Segments = [(0.0, {"stress_input": 1.3})] if name == "hpa_core" else []
    variables = [*model.state_names, *model.readout_names]
    result = simulate_roadrunner(model, times, input_segments=segments, variables=variables)
    states = result[:, : len(model.states)]
    inputs = {signal.name: signal.default for signal in model.inputs}
    for _, updates in segments:
        inputs.update(updates)
    compiled = model.compiled("numpy")
    expected = compiled.readouts(
        times,
        list(states.T),
        [p.value for p in model.parameters],
        [inputs[n] for n in model.input_names],
    )
    for index, readout in enumerate(model.readout_names):
        wanted = np.broadcast_to(np.asarray(expected[index], dtype=float), times.shape)
        got = result[:, len(model.states) + index]
        np.testing.assert_allclose(got, wanted, rtol=1e-12, atol=1e-12, err_msg=readout)
    if name == "hpa_core":
        reference = scipy_reference(model, times, segments)
        cortisol = compiled.readouts(
            times,
            list(reference.T),
            [p.value for p in model.parameters],
            [inputs[n] for n in model.input_names],
        )[0]
        column = len(model.states) + model.readout_names.index("plasma_cortisol_nmol_l")
        error = np.abs(result[:, column] - cortisol).max()
        assert error <= MAX_RELATIVE_ERROR * np.abs(cortisol).max()


@needs_roadrunner
def test_kitchen_sink_expressions_match_scipy() -> None:
    """Every supported construct, through SBML and libRoadRunner, against numpy."""
    x = sympy.Symbol("x", real=True)
    k = sympy.Symbol("k", real=True)
    drive = sympy.Symbol("drive", real=True)
    rate = (
        k * sympy.sin(TIME / 7) * sympy.cos(sympy.pi * TIME / 11)
        + sympy.Rational(1, 3) * sympy.log(1 + x**2)
        - x / 5
        + sympy.Abs(sympy.tanh(x - 1)) / 10
        + sympy.Max(x, sympy.Rational(1, 2)) / 20
        - sympy.Min(x, 2) / 30
        + sympy.Piecewise(
            (drive / 10, sympy.And(TIME > 3, TIME <= 6)),
            (-sympy.Rational(1, 10), sympy.Or(TIME > 12, x < 0)),
            (0, True),
        )
        + sympy.Mod(TIME, 5) / 50
        + sympy.floor(TIME / 4) / 100
        - sympy.ceiling(TIME / 9) / 100
        + 1 / sympy.sqrt(1 + x**2) / 7
        + (1 + x**2) ** sympy.Rational(-3, 2) / 9
        + sympy.exp(-x) * sympy.E / 40
        + sympy.atan(x) / 13
    )
    model = _model_with_rate(rate, name="kitchen_sink")
    times = np.linspace(0.0, 20.0, 201)
    segments: Segments = [(0.0, {"drive": 2.0}), (5.0, {"drive": 3.0})]
    reference = scipy_reference(model, times, segments)
    result = simulate_roadrunner(model, times, input_segments=segments)
    assert_close_to_scipy(model, reference, result)


@needs_roadrunner
def test_simulator_runs_are_independent() -> None:
    model = get_model("karin2020")
    simulator = RoadRunnerSimulator(model)
    times = np.arange(0.0, 600.0, 30.0)
    baseline = simulator.run(None, None, times)
    parameter = model.parameter_names[5]
    changed = simulator.run(
        {parameter: model.parameter(parameter).value * 1.2},
        {"cortisol": 1.5},
        times,
        [(0.0, {"stress_input": 2.0}), (200.0, {"I1": 0.5})],
    )
    assert np.abs(changed - baseline).max() > 1e-3
    again = simulator.run(None, None, times)
    np.testing.assert_array_equal(again, baseline)
    fresh = RoadRunnerSimulator(model).run(None, None, times)
    np.testing.assert_allclose(fresh, baseline, rtol=1e-13, atol=0)


@needs_roadrunner
def test_inputs_can_be_set_between_segments_with_item_assignment() -> None:
    model = get_model("gupta2007")
    runner = rr_harness.load_roadrunner(to_sbml(model))
    runner.timeCourseSelections = ["time", *model.state_names]
    first = np.asarray(runner.simulate(times=[0.0, 0.5, 1.0]))
    runner["stress_f"] = 1.0  # a constant parameter, changed mid-simulation
    second = np.asarray(runner.simulate(times=[1.0, 1.5, 2.0]))
    manual = np.vstack((first[:, 1:], second[1:, 1:]))
    harness = simulate_roadrunner(
        model, np.array([0.0, 0.5, 1.0, 1.5, 2.0]), input_segments=[(1.0, {"stress_f": 1.0})]
    )
    np.testing.assert_allclose(manual, harness, rtol=1e-9, atol=1e-12)
    unchanged = simulate_roadrunner(model, np.array([0.0, 0.5, 1.0, 1.5, 2.0]))
    assert np.abs(unchanged[-1] - harness[-1]).max() > 1e-3  # the change was picked up


@needs_roadrunner
def test_output_times_with_repeats_and_change_at_the_end() -> None:
    model = get_model("hpa_core")
    times = np.array([0.0, 0.0, 60.0, 120.0, 120.0])
    result = simulate_roadrunner(
        model,
        times,
        input_segments=[(60.0, {"stress_input": 2.0}), (120.0, {"stress_input": 3.0})],
        variables=["crh", "stress_input"],
    )
    np.testing.assert_array_equal(result[:, 1], [1.0, 1.0, 2.0, 3.0, 3.0])
    assert result[0, 0] == result[1, 0] == model.default_initial_state()["crh"]
    assert result[3, 0] == result[4, 0]


def test_missing_roadrunner_gives_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "roadrunner", None)  # makes `import roadrunner` fail
    with pytest.raises(ImportError, match="pip install libroadrunner"):
        rr_harness.import_roadrunner()


@needs_roadrunner
@pytest.mark.parametrize("module", [expressions, export, rr_harness])
def test_docstring_examples(module: object) -> None:
    failures, attempted = doctest.testmod(module, optionflags=doctest.ELLIPSIS)  # type: ignore[arg-type]
    assert attempted > 0
    assert failures == 0
