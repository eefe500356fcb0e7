"""Provenance attributes every written result carries: what produced it, exactly.

NetCDF and Parquet attributes must be plain strings and numbers, so mappings are stored
as sorted JSON. A plan is identified by its name and a SHA-256 of its canonical JSON.

Example
-------
>>> attrs = base_provenance(model="hpa_core", seed=1)
>>> attrs["hpatwin_version"] != "" and attrs["seed"] == 1
True
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from hpatwin.engine.prepared import PreparedRun

if TYPE_CHECKING:  # the scenario module imports this one
    from hpatwin.simulation.scenario import Scenario


def hpatwin_version() -> str:
    """The installed hpatwin version (``"unknown"`` from an uninstalled source tree)."""
    try:
        return metadata.version("hpatwin")
    except metadata.PackageNotFoundError:
        return "unknown"


def canonical_json(value: Any) -> str:
    """Sorted, compact JSON of plain values, arrays as lists (what hashes are taken of).

    Example
    -------
    >>> canonical_json({"b": np.array([1.0, 2.0]), "a": 1})
    '{"a":1,"b":[1.0,2.0]}'
    """
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=_plain)


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray | np.generic):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    return repr(value)


def plan_identity(plan: Any) -> tuple[str, str]:
    """(name, SHA-256 of canonical JSON) of a treatment plan, file or mapping.

    Example
    -------
    >>> name, digest = plan_identity({"name": "ea", "ea_sessions": []})
    >>> name, len(digest)
    ('ea', 64)
    """
    if plan is None:
        return "", ""
    if isinstance(plan, str | Path):
        path = Path(plan)
        return path.stem, hashlib.sha256(path.read_bytes()).hexdigest()
    content = plan.model_dump(mode="json") if hasattr(plan, "model_dump") else plan
    name = str(content.get("name", "")) if isinstance(content, Mapping) else ""
    return name, hashlib.sha256(canonical_json(content).encode()).hexdigest()


def base_provenance(**fields: Any) -> dict[str, Any]:
    """The version plus the given fields, mappings as sorted JSON, ``None`` as ``""``."""
    attrs: dict[str, Any] = {"hpatwin_version": hpatwin_version()}
    for key, value in fields.items():
        if value is None:
            attrs[key] = ""
        elif isinstance(value, Mapping | list | tuple):
            attrs[key] = canonical_json(value)
        else:
            attrs[key] = value
    return attrs


def provenance_attributes(
    scenario: Scenario, run: PreparedRun, engine_settings: Mapping[str, Any]
) -> dict[str, Any]:
    """Attributes describing a scenario's run: version, model, overrides, ablations, plan,
    seed, start policy and engine settings."""
    plan_name, plan_hash = plan_identity(scenario.plan)
    return base_provenance(
        model=run.model.name,
        phenotype=scenario.phenotype or "",
        parameters_overridden=dict(scenario.parameters),
        initial_state_overridden=dict(scenario.initial_state),
        ablate=list(scenario.ablate),
        plan_name=plan_name,
        plan_sha256=plan_hash,
        seed=scenario.seed,
        pulses=int(scenario.pulses),
        start=scenario.start,
        dt=run.dt,
        engine_settings=dict(engine_settings),
    )
