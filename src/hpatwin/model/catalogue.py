"""The built-in models by name."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from hpatwin.model import hpa_core, twin
from hpatwin.model.definition import OdeModel
from hpatwin.model.reference import bangsgaard2017, gupta2007, karin2020, sriram2012
from hpatwin.parameters import ParameterRegistry

_BUILDERS: dict[str, Callable[[], OdeModel]] = {}


def _register() -> None:
    _BUILDERS.update(
        {
            hpa_core.NAME: hpa_core.build,
            twin.NAME: twin.build,
            karin2020.NAME: karin2020.build,
            gupta2007.NAME: gupta2007.build,
            sriram2012.NAME: sriram2012.build,
            bangsgaard2017.NAME: bangsgaard2017.build,
        }
    )


def model_names() -> list[str]:
    """Names of every built-in model."""
    if not _BUILDERS:
        _register()
    return list(_BUILDERS)


@cache
def get_model(name: str) -> OdeModel:
    """The built-in model called ``name`` (built once, then shared)."""
    if not _BUILDERS:
        _register()
    if name not in _BUILDERS:
        raise ValueError(f"model: unknown model {name!r}; known: {', '.join(_BUILDERS)}")
    return _BUILDERS[name]()


def all_models() -> list[OdeModel]:
    """Every built-in model."""
    return [get_model(name) for name in model_names()]


def default_registry() -> ParameterRegistry:
    """The registry of every built-in model's parameters.

    Example
    -------
    >>> reg = default_registry()
    >>> len(reg.select(model="karin2020")) > 5, len(reg.select(model="twin")) > 100
    (True, True)
    """
    registry = ParameterRegistry()
    for model in all_models():
        registry.add_model(model.name, model.parameters)
    return registry
