"""hpatwin: a mechanistic HPA-axis twin for chronic pain comorbid with depression.

The public API is re-exported here; everything else is an implementation detail.
Names load on first use (PEP 562), so ``import hpatwin`` - and scoring, planning and
records, which need no simulation - never pay for JAX or SymPy.

Example
-------
>>> import hpatwin
>>> result = hpatwin.simulate("hpa_core", days=1, phenotype="healthy", seed=1)
>>> result["salivary_cortisol_nmol_l"].attrs["units"]
'nmol/L'
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hpatwin.engine import configure_jax
    from hpatwin.model import OdeModel, default_registry, get_model, model_names
    from hpatwin.parameters import Evidence, Parameter, ParameterRegistry
    from hpatwin.simulation import simulate

#: Public name -> the module that defines it.
_EXPORTS: dict[str, str] = {
    "Evidence": "hpatwin.parameters",
    "OdeModel": "hpatwin.model",
    "Parameter": "hpatwin.parameters",
    "ParameterRegistry": "hpatwin.parameters",
    "configure_jax": "hpatwin.engine",
    "default_registry": "hpatwin.model",
    "get_model": "hpatwin.model",
    "model_names": "hpatwin.model",
    "simulate": "hpatwin.simulation",
}

__all__ = [
    "Evidence",
    "OdeModel",
    "Parameter",
    "ParameterRegistry",
    "configure_jax",
    "default_registry",
    "get_model",
    "model_names",
    "simulate",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    raise AttributeError(f"module 'hpatwin' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
