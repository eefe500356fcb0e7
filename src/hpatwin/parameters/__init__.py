"""Parameter registry: every number the model uses, with its unit, source and evidence level."""

from hpatwin.parameters.registry import (
    Evidence,
    Parameter,
    ParameterRegistry,
    default_registry,
)

__all__ = ["Evidence", "Parameter", "ParameterRegistry", "default_registry"]
