"""Export an :class:`~hpatwin.model.definition.OdeModel` as SBML Level 3 Version 2.

Mapping (one compartment, no species, no reactions):

* every **state** → a non-constant global ``parameter`` (initial value = the
  state's initial value) with a ``rateRule`` holding its rate equation;
* every **model parameter** → a constant global ``parameter`` carrying its
  value, with unit, description, source, evidence level, rationale and allowed
  range in its notes and in an ``hpatwin:quantity`` annotation;
* every **input** → a constant global ``parameter`` holding the input's value
  (the default unless overridden). Inputs are piecewise constant: a simulator
  changes them between integration segments (libRoadRunner: ``rr[name] = v``,
  see :mod:`hpatwin.sbml.roadrunner`);
* every **readout** → a non-constant global ``parameter`` with an
  ``assignmentRule``;
* the model time symbol ``t`` → the SBML ``time`` csymbol.

The model's ``id`` is the model name and its notes carry title, citation and
model notes. The document is validated with libSBML (``checkConsistency``, unit
checks off because model units are free text) before it is returned.

libSBML writes numbers with 15 significant digits; the exact value of every
parameter, state initial value and input is also kept in the annotation
(attribute ``value``, Python ``repr``).

Example
-------
>>> from hpatwin.model.catalogue import get_model
>>> text = to_sbml(get_model("gupta2007"), parameters={"krd": 0.8})
>>> import libsbml
>>> sbml_model = libsbml.readSBMLFromString(text).getModel()
>>> sbml_model.getId(), sbml_model.getParameter("krd").getValue()
('gupta2007', 0.8)
>>> sbml_model.getRateRuleByVariable("crh").getFormula()
'(stress_f + 1) / (cortisol / ki1 + 1) - crh * kcd'
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import libsbml

from hpatwin.io.atomic import atomic_write_text
from hpatwin.model.definition import TIME, OdeModel
from hpatwin.sbml.expressions import sympy_to_ast

ANNOTATION_NAMESPACE = "urn:hpatwin:sbml:1"
"""XML namespace of the ``hpatwin:quantity`` annotation on every exported parameter."""

COMPARTMENT_ID = "default_compartment"
"""Id of the single (unused, size 1) compartment SBML tools expect."""

_XHTML = "http://www.w3.org/1999/xhtml"


class SbmlExportError(RuntimeError):
    """The exported document failed libSBML validation (message lists the problems)."""


# ---------------------------------------------------------------------------- values
def checked_initial_state(
    model: OdeModel, overrides: Mapping[str, float] | None
) -> dict[str, float]:
    """Default initial state updated with ``overrides`` (unknown names, non-finite values raise).

    Example
    -------
    >>> from hpatwin.model.catalogue import get_model
    >>> checked_initial_state(get_model("gupta2007"), {"crh": 0.5})["crh"]
    0.5
    >>> checked_initial_state(get_model("gupta2007"), {"crh": float("nan")})
    Traceback (most recent call last):
    ...
    ValueError: initial_state crh: nan is not a finite number (allowed range: any finite real)
    """
    values = model.default_initial_state()
    for name, value in (overrides or {}).items():
        if name not in values:
            raise ValueError(
                f"initial_state: unknown state {name!r} for model {model.name}; "
                f"known: {', '.join(model.state_names)}"
            )
        values[name] = _finite(f"initial_state {name}", value, "any finite real")
    return values


def checked_inputs(model: OdeModel, overrides: Mapping[str, float] | None) -> dict[str, float]:
    """Default input values updated with ``overrides`` (checked against each input's range).

    Example
    -------
    >>> from hpatwin.model.catalogue import get_model
    >>> checked_inputs(get_model("gupta2007"), {"stress_f": 1.0})
    {'stress_f': 1.0}
    >>> checked_inputs(get_model("gupta2007"), {"stress": 1.0})
    Traceback (most recent call last):
    ...
    ValueError: inputs: unknown input 'stress' for model gupta2007; known: stress_f
    """
    values = {signal.name: signal.default for signal in model.inputs}
    for name, value in (overrides or {}).items():
        if name not in values:
            raise ValueError(
                f"inputs: unknown input {name!r} for model {model.name}; "
                f"known: {', '.join(model.input_names) or '(none)'}"
            )
        signal = model.input_signal(name)
        allowed = f"[{signal.lower:g}, {signal.upper:g}] {signal.unit}"
        number = _finite(f"input {name}", value, allowed)
        values[name] = signal.check(number)
    return values


def _finite(field: str, value: object, allowed: str) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{field}: {value!r} is not a number (allowed range: {allowed})") from None
    if not math.isfinite(number):
        raise ValueError(f"{field}: {number} is not a finite number (allowed range: {allowed})")
    return number


# ---------------------------------------------------------------------------- export
def to_sbml(
    model: OdeModel,
    parameters: Mapping[str, float] | None = None,
    initial_state: Mapping[str, float] | None = None,
    inputs: Mapping[str, float] | None = None,
) -> str:
    """The model as an SBML Level 3 Version 2 document (XML text), validated by libSBML.

    ``parameters``, ``initial_state`` and ``inputs`` override the model's
    defaults by name; unknown names and out-of-range or non-finite values raise
    ``ValueError`` naming the field. A construct SBML math cannot express raises
    ``NotImplementedError``; a document libSBML finds inconsistent raises
    :class:`SbmlExportError`.

    Example
    -------
    >>> from hpatwin.model.catalogue import get_model
    >>> text = to_sbml(get_model("hpa_core"), inputs={"stress_input": 2.0})
    >>> text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    True
    >>> import libsbml
    >>> libsbml.readSBMLFromString(text).getModel().getParameter("stress_input").getValue()
    2.0
    """
    document = sbml_document(model, parameters, initial_state, inputs)
    text: str = libsbml.writeSBMLToString(document)
    return text


def sbml_document(
    model: OdeModel,
    parameters: Mapping[str, float] | None = None,
    initial_state: Mapping[str, float] | None = None,
    inputs: Mapping[str, float] | None = None,
) -> libsbml.SBMLDocument:
    """The validated libSBML document behind :func:`to_sbml` (same arguments).

    Example
    -------
    >>> from hpatwin.model.catalogue import get_model
    >>> document = sbml_document(get_model("karin2020"))
    >>> document.getLevel(), document.getVersion(), document.getModel().getNumRules()
    (3, 2, 5)
    """
    parameter_values = model.checked_parameters(parameters or {})
    state_values = checked_initial_state(model, initial_state)
    input_values = checked_inputs(model, inputs)
    _check_ids(model)

    document = libsbml.SBMLDocument(3, 2)
    sbml_model = document.createModel()
    _ok(sbml_model.setId(model.name), f"model id {model.name!r}")
    _ok(sbml_model.setName(model.title), "model name")
    _ok(sbml_model.setNotes(_model_notes(model)), "model notes")

    compartment = sbml_model.createCompartment()
    _ok(compartment.setId(COMPARTMENT_ID), "compartment id")
    _ok(compartment.setConstant(True), "compartment constant")
    _ok(compartment.setSize(1.0), "compartment size")
    _ok(compartment.setSpatialDimensions(3), "compartment spatialDimensions")

    known = frozenset((*model.state_names, *model.parameter_names, *model.input_names))

    for p in model.parameters:
        value = parameter_values[p.name]
        _add_parameter(
            sbml_model,
            p.name,
            value,
            constant=True,
            description=p.description,
            details={
                "role": "parameter",
                "unit": p.unit,
                "evidence": p.evidence.value,
                "source": p.source,
                "rationale": p.rationale,
                "lower": repr(p.lower),
                "upper": repr(p.upper),
                "value": repr(value),
            },
        )
    for signal in model.inputs:
        value = input_values[signal.name]
        _add_parameter(
            sbml_model,
            signal.name,
            value,
            constant=True,
            description=f"{signal.description} (piecewise-constant input)",
            details={
                "role": "input",
                "unit": signal.unit,
                "default": repr(signal.default),
                "lower": repr(signal.lower),
                "upper": repr(signal.upper),
                "value": repr(value),
            },
        )
    for state in model.states:
        value = state_values[state.name]
        _add_parameter(
            sbml_model,
            state.name,
            value,
            constant=False,
            description=state.description,
            details={"role": "state", "unit": state.unit, "value": repr(value)},
        )
        rule = sbml_model.createRateRule()
        _ok(rule.setVariable(state.name), f"rate rule variable {state.name}")
        math_ast = sympy_to_ast(model.rates[state.name], known)
        _ok(rule.setMath(math_ast), f"rate rule of {state.name}")
    for readout in model.readouts:
        _add_parameter(
            sbml_model,
            readout.name,
            None,
            constant=False,
            description=readout.description,
            details={"role": "readout", "unit": readout.unit},
        )
        rule = sbml_model.createAssignmentRule()
        _ok(rule.setVariable(readout.name), f"assignment rule variable {readout.name}")
        math_ast = sympy_to_ast(readout.expression, known)
        _ok(rule.setMath(math_ast), f"assignment rule of {readout.name}")

    _validate(document, model.name)
    return document


def write_sbml(
    model: OdeModel,
    path: str | os.PathLike[str],
    parameters: Mapping[str, float] | None = None,
    initial_state: Mapping[str, float] | None = None,
    inputs: Mapping[str, float] | None = None,
    *,
    overwrite: bool = True,
) -> Path:
    """Write :func:`to_sbml` output to ``path`` atomically (temporary file, then rename).

    With ``overwrite=False`` an existing file raises ``FileExistsError``. A
    failure leaves any existing file untouched. Returns the path written.

    Example
    -------
    >>> import tempfile, pathlib
    >>> from hpatwin.model.catalogue import get_model
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     out = write_sbml(get_model("sriram2012"), pathlib.Path(folder) / "sriram.xml")
    ...     out.name, out.read_text().count("<rateRule")
    ('sriram.xml', 4)
    """
    target = Path(path)
    if not overwrite and target.exists():
        raise FileExistsError(f"path: {target} exists (pass overwrite=True to replace it)")
    text = to_sbml(model, parameters, initial_state, inputs)
    if not target.parent.is_dir():
        raise FileNotFoundError(f"path: folder {target.parent} does not exist")
    atomic_write_text(target, text, overwrite=overwrite)
    return target


# ---------------------------------------------------------------------------- helpers
def _check_ids(model: OdeModel) -> None:
    names = (*model.state_names, *model.parameter_names, *model.input_names, *model.readout_names)
    for name in names:
        if name == TIME.name:
            raise ValueError(
                f"model {model.name}: name {name!r} clashes with the time symbol; rename it"
            )
        if not libsbml.SyntaxChecker.isValidSBMLSId(name):
            raise ValueError(
                f"model {model.name}: name {name!r} is not a valid SBML id "
                "(letters, digits and _; not starting with a digit)"
            )
    if not libsbml.SyntaxChecker.isValidSBMLSId(model.name):
        raise ValueError(f"model name {model.name!r} is not a valid SBML id")


def _add_parameter(
    sbml_model: libsbml.Model,
    name: str,
    value: float | None,
    *,
    constant: bool,
    description: str,
    details: Mapping[str, str],
) -> None:
    parameter = sbml_model.createParameter()
    _ok(parameter.setId(name), f"parameter id {name!r}")
    _ok(parameter.setConstant(constant), f"parameter {name} constant")
    if value is not None:
        _ok(parameter.setValue(value), f"parameter {name} value")
    if description:
        _ok(parameter.setName(description), f"parameter {name} name")
    _ok(parameter.setNotes(_parameter_notes(description, details)), f"parameter {name} notes")
    attributes = " ".join(f"{key}={quoteattr(text)}" for key, text in details.items())
    annotation = (
        f"<annotation><hpatwin:quantity xmlns:hpatwin={quoteattr(ANNOTATION_NAMESPACE)} "
        f"{attributes}/></annotation>"
    )
    _ok(parameter.setAnnotation(annotation), f"parameter {name} annotation")


def _model_notes(model: OdeModel) -> str:
    paragraphs = [
        f"<h1>{escape(model.title)}</h1>",
        f"<p>Citation: {escape(model.citation)}</p>",
    ]
    if model.notes:
        paragraphs.append(f"<p>{escape(model.notes)}</p>")
    paragraphs.append(
        f"<p>Exported by hpatwin from the symbolic model definition. Time unit: "
        f"{escape(model.time_unit)} (the SBML csymbol time is the model time t). States are "
        "global parameters with rate rules; model parameters are constant global parameters; "
        "inputs are constant global parameters holding piecewise-constant values, to be changed "
        "between simulation segments; readouts are assignment rules.</p>"
    )
    return f'<body xmlns="{_XHTML}">{"".join(paragraphs)}</body>'


def _parameter_notes(description: str, details: Mapping[str, str]) -> str:
    rows = "".join(
        f"<li>{escape(key)}: {escape(text)}</li>" for key, text in details.items() if text
    )
    return f'<body xmlns="{_XHTML}"><p>{escape(description)}</p><ul>{rows}</ul></body>'


def _ok(status: int, what: str) -> None:
    if status != libsbml.LIBSBML_OPERATION_SUCCESS:
        message = libsbml.OperationReturnValue_toString(status) or f"status {status}"
        raise SbmlExportError(f"SBML export: libSBML rejected {what}: {message}")


def _validate(document: libsbml.SBMLDocument, model_name: str) -> None:
    """Raise :class:`SbmlExportError` listing every libSBML error (warnings are allowed)."""
    document.setConsistencyChecks(libsbml.LIBSBML_CAT_UNITS_CONSISTENCY, False)
    problems: list[str] = []
    for check in (document.checkInternalConsistency, document.checkConsistency):
        check()
        log = document.getErrorLog()
        for index in range(log.getNumErrors()):
            error = log.getError(index)
            if error.isError() or error.isFatal():
                problems.append(
                    f"line {error.getLine()}: [{error.getErrorId()}] {error.getMessage().strip()}"
                )
        log.clearLog()
    if problems:
        raise SbmlExportError(
            f"SBML export of model {model_name}: libSBML found {len(problems)} error(s):\n"
            + "\n".join(problems)
        )
