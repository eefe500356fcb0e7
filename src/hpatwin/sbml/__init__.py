"""SBML export of model definitions and cross-checks in libRoadRunner.

:func:`to_sbml` / :func:`write_sbml` turn any :class:`~hpatwin.model.definition.OdeModel`
into an SBML Level 3 Version 2 document; :class:`RoadRunnerSimulator` and
:func:`simulate_roadrunner` run that document in libRoadRunner (optional
dependency, imported on first use). See ``docs/sbml.md``.

Example
-------
>>> from hpatwin.model.catalogue import get_model
>>> from hpatwin.sbml import to_sbml
>>> "<rateRule" in to_sbml(get_model("karin2020"))
True
"""

from hpatwin.sbml.export import SbmlExportError, sbml_document, to_sbml, write_sbml
from hpatwin.sbml.expressions import sympy_to_ast, sympy_to_l3_formula
from hpatwin.sbml.roadrunner import RoadRunnerSimulator, load_roadrunner, simulate_roadrunner

__all__ = [
    "RoadRunnerSimulator",
    "SbmlExportError",
    "load_roadrunner",
    "sbml_document",
    "simulate_roadrunner",
    "sympy_to_ast",
    "sympy_to_l3_formula",
    "to_sbml",
    "write_sbml",
]
