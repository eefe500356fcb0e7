"""Parameter registry: every number the model uses, with its unit, source and evidence level.

The registry of the built-in models is :func:`hpatwin.model.default_registry` (the model
layer builds it; this layer sits below the models).
"""

from hpatwin.data.evidence import Evidence
from hpatwin.parameters.drug_pk import drug_pk_parameters
from hpatwin.parameters.registry import Parameter, ParameterRegistry

__all__ = ["Evidence", "Parameter", "ParameterRegistry", "drug_pk_parameters"]
