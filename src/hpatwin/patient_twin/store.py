"""Fits and forecasts on disk: one NetCDF file each, written atomically, with provenance.

A fit file holds the posterior particles (standard-normal coordinates and their islands),
each particle's day-0 state and estimated fluctuation, and, as attributes, the data
snapshot it was fitted to, the settings, the hpatwin version, the creation time, the
diagnostics and the flags — everything needed to forecast later or to audit the fit.
A forecast is written as a NetCDF of the predictive draws plus a CSV summary.

Example
-------
>>> import tempfile, pathlib
>>> from hpatwin.patient_twin.data import PatientData
>>> from hpatwin.patient_twin.fit import FitSettings, prior_fit
>>> from hpatwin.patient_twin.smc import SMCSettings
>>> fit = prior_fit(PatientData(), FitSettings(smc=SMCSettings(n_particles=16, n_islands=2)))
>>> path = pathlib.Path(tempfile.mkdtemp()) / "fit.nc"
>>> save_fit(fit, path) == path, load_fit(path).z.shape
(True, (16, 13))
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from hpatwin.errors import InputError
from hpatwin.io.atomic import atomic_path, check_writable, refuse_overwrite
from hpatwin.patient_twin.data import PatientData
from hpatwin.patient_twin.fit import FitSettings, TwinFit
from hpatwin.patient_twin.forecast import Forecast
from hpatwin.patient_twin.priors import twin_prior
from hpatwin.patient_twin.runs import RunSettings
from hpatwin.patient_twin.smc import SMCSettings

FORMAT = "hpatwin-twin-fit/1"


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=float)


def fit_dataset(fit: TwinFit) -> xr.Dataset:
    """The fit as a labelled Dataset (what :func:`save_fit` writes)."""
    data: dict[str, Any] = {
        "z": (("particle", "quantity"), fit.z, {"long_name": "standard-normal coordinates"}),
        "island": (("particle",), fit.island),
    }
    for name, values in fit.baseline_states.items():
        data[f"state__{name}"] = (("particle",), np.asarray(values, dtype=np.float64))
    for name, values in fit.fluctuation.items():
        data[f"fluctuation__{name.replace(':', '__')}"] = (
            ("particle",),
            np.asarray(values, dtype=np.float64),
        )
    natural = fit.values()
    for name in fit.prior.names:
        data[f"value__{name}"] = (
            ("particle",),
            natural[name],
            {"units": fit.prior.quantity(name).unit},
        )
    return xr.Dataset(
        data,
        coords={"quantity": list(fit.prior.names)},
        attrs={
            "format": FORMAT,
            "hpatwin_version": fit.version,
            "created_at": fit.created_at,
            "phenotype": fit.prior.phenotype,
            "prior_based": int(fit.prior_based),
            "data_snapshot": _json(fit.data.snapshot()),
            "settings": _json(fit.settings.as_dict()),
            "diagnostics": _json(fit.diagnostics),
            "flags": _json(fit.flags),
        },
    )


def save_fit(fit: TwinFit, path: str | Path, *, overwrite: bool = True) -> Path:
    """Write a fit atomically (temp file, then rename); returns the path."""
    target = Path(path)
    refuse_overwrite(target, overwrite)
    check_writable(target)
    dataset = fit_dataset(fit)
    with atomic_path(target) as temporary:
        dataset.to_netcdf(temporary, engine="h5netcdf")
    return target


def load_fit(path: str | Path) -> TwinFit:
    """Read a fit written by :func:`save_fit`; a wrong or damaged file gets a clear error."""
    source = Path(path)
    if not source.is_file():
        raise InputError("no such fit file", source=source.name)
    try:
        with xr.open_dataset(source, engine="h5netcdf") as opened:
            dataset = opened.load()
    except (OSError, ValueError) as exc:
        raise InputError(
            f"not a readable fit file ({type(exc).__name__})", source=source.name
        ) from None
    if dataset.attrs.get("format") != FORMAT:
        raise InputError(
            f"not an hpatwin fit file (format {dataset.attrs.get('format')!r}, expected {FORMAT})",
            source=source.name,
        )
    data = PatientData.from_snapshot(json.loads(dataset.attrs["data_snapshot"]))
    stored = json.loads(dataset.attrs["settings"])
    settings = FitSettings(
        smc=SMCSettings(**stored["smc"]),
        run=RunSettings(**stored["run"]),
        phenotype=stored["phenotype"],
        model=stored["model"],
    )
    prior = twin_prior(age_years=data.age_years, phenotype=settings.phenotype, model=settings.model)
    names = [str(n) for n in dataset["quantity"].values]
    if tuple(names) != prior.names:
        raise InputError(
            "the fit's quantities differ from this version's prior; refit the patient",
            source=source.name,
        )
    return TwinFit(
        data=data,
        prior=prior,
        settings=settings,
        z=np.asarray(dataset["z"].values, dtype=np.float64),
        island=np.asarray(dataset["island"].values, dtype=np.int64),
        baseline_states={
            str(k).removeprefix("state__"): np.asarray(v.values, dtype=np.float64)
            for k, v in dataset.data_vars.items()
            if str(k).startswith("state__")
        },
        fluctuation={
            str(k).removeprefix("fluctuation__").replace("__", ":"): np.asarray(
                v.values, dtype=np.float64
            )
            for k, v in dataset.data_vars.items()
            if str(k).startswith("fluctuation__")
        },
        diagnostics=json.loads(dataset.attrs["diagnostics"]),
        flags=list(json.loads(dataset.attrs["flags"])),
        prior_based=bool(int(dataset.attrs["prior_based"])),
        created_at=str(dataset.attrs["created_at"]),
        version=str(dataset.attrs["hpatwin_version"]),
    )


def save_forecast(
    result: Forecast, folder: str | Path, *, overwrite: bool = True
) -> dict[str, Path]:
    """Write ``forecast.nc`` and ``forecast_summary.csv`` into ``folder`` (atomically)."""
    out = Path(folder)
    check_writable(out, folder=True)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"dataset": out / "forecast.nc", "summary": out / "forecast_summary.csv"}
    for path in paths.values():
        refuse_overwrite(path, overwrite)
    with atomic_path(paths["dataset"]) as temporary:
        result.dataset.to_netcdf(temporary, engine="h5netcdf")
    with atomic_path(paths["summary"]) as temporary:
        result.summary.to_csv(temporary, index=False)
    return paths
