"""Validated YAML/JSON parameter files for ``hpatwin simulate``.

A file names the model, optionally a phenotype, and overrides::

    model: hpa_core
    phenotype: healthy
    parameters:
      cortisol_half_life_min: 70
    initial_state:
      gr_sensitivity: 0.8
    inputs:
      stress_input: 1.5
    ablate: [psychological]

Example
-------
>>> from hpatwin.io.parameter_file import ParameterFile
>>> ParameterFile.model_validate({"model": "hpa_core", "parameters": {"wake_time_h": 6.5}}).model
'hpa_core'
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from hpatwin.errors import InputError
from hpatwin.io.documents import DocumentError, read_document, validation_messages


class ParameterFile(BaseModel):
    """Contents of a parameter file (unknown keys are rejected)."""

    model_config = ConfigDict(extra="forbid")

    model: str = "hpa_core"
    phenotype: str | None = None
    parameters: dict[str, float] = Field(default_factory=dict)
    initial_state: dict[str, float] = Field(default_factory=dict)
    inputs: dict[str, float] = Field(default_factory=dict)
    ablate: list[str] = Field(default_factory=list)

    @field_validator("parameters", "initial_state", "inputs")
    @classmethod
    def _finite(cls, values: dict[str, float]) -> dict[str, float]:
        for name, value in values.items():
            if value != value or value in (float("inf"), float("-inf")):
                raise ValueError(f"{name}: {value} is not a finite number")
        return values

    @field_validator("initial_state")
    @classmethod
    def _non_negative(cls, values: dict[str, float]) -> dict[str, float]:
        # every model state is a concentration, amount, mass or level: never below zero
        for name, value in values.items():
            if value < 0:
                raise ValueError(f"{name}: {value:g} is negative; a state cannot be below 0")
        return values


def load_parameter_file(path: Path | str) -> ParameterFile:
    """Read and validate a YAML or JSON parameter file; errors name the file and field."""
    path = Path(path)
    try:
        data = read_document(path)
    except DocumentError as err:
        raise InputError(err.detail, source=f"parameter file {path}") from None
    try:
        return ParameterFile.model_validate(data)
    except ValidationError as err:
        problems = "; ".join(validation_messages(err))
        raise InputError(problems, source=f"parameter file {path}") from None
