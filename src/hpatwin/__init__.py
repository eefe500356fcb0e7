"""hpatwin: a mechanistic HPA-axis twin for chronic pain comorbid with depression.

The public API is re-exported here; everything else is an implementation detail.

Example
-------
>>> import hpatwin
>>> result = hpatwin.simulate("hpa_core", days=1, phenotype="healthy", seed=1)
>>> result["salivary_cortisol_nmol_l"].attrs["units"]
'nmol/L'
"""

from hpatwin.engine import simulate
from hpatwin.model import OdeModel, get_model, model_names
from hpatwin.parameters import Evidence, Parameter, ParameterRegistry, default_registry

__all__ = [
    "Evidence",
    "OdeModel",
    "Parameter",
    "ParameterRegistry",
    "default_registry",
    "get_model",
    "model_names",
    "simulate",
]
