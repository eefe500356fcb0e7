"""Model layer: the single symbolic definition of every model, and the built-in models."""

from hpatwin.model.catalogue import all_models, default_registry, get_model, model_names
from hpatwin.model.definition import (
    TIME,
    InputSignal,
    ModelBuilder,
    OdeModel,
    Readout,
    StateVariable,
)

__all__ = [
    "TIME",
    "InputSignal",
    "ModelBuilder",
    "OdeModel",
    "Readout",
    "StateVariable",
    "all_models",
    "default_registry",
    "get_model",
    "model_names",
]
