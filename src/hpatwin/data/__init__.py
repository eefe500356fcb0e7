"""The domain core: facts that the twin and the clinic both read, kept once.

Evidence levels, the acupoint catalogue (WHO standard codes) and the drug catalogue
(names, brands, class, label maximum, PK and exposure modifiers). Everything above —
parameters, model, treatments, clinic, records — reads these; nothing holds a copy.

Example
-------
>>> from hpatwin.data import load_drug_catalogue, load_point_catalogue
>>> "duloxetine" in load_drug_catalogue(), "ST36" in load_point_catalogue()
(True, True)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hpatwin._lazy import lazy_exports

if TYPE_CHECKING:
    from hpatwin.data.drugs import (
        DRUG_KEYS,
        Drug,
        DrugCatalogue,
        UnknownDrugError,
        clearance_factor,
        exposure_ratio,
        load_drug_catalogue,
        resolve_drug,
    )
    from hpatwin.data.evidence import Evidence
    from hpatwin.data.points import UnknownPointError, load_point_catalogue

#: Public name -> the module that defines it (loaded on first use).
_EXPORTS: dict[str, str] = {
    "DRUG_KEYS": "hpatwin.data.drugs",
    "Drug": "hpatwin.data.drugs",
    "DrugCatalogue": "hpatwin.data.drugs",
    "UnknownDrugError": "hpatwin.data.drugs",
    "clearance_factor": "hpatwin.data.drugs",
    "exposure_ratio": "hpatwin.data.drugs",
    "load_drug_catalogue": "hpatwin.data.drugs",
    "resolve_drug": "hpatwin.data.drugs",
    "Evidence": "hpatwin.data.evidence",
    "UnknownPointError": "hpatwin.data.points",
    "load_point_catalogue": "hpatwin.data.points",
}

__all__ = [
    "DRUG_KEYS",
    "Drug",
    "DrugCatalogue",
    "Evidence",
    "UnknownDrugError",
    "UnknownPointError",
    "clearance_factor",
    "exposure_ratio",
    "load_drug_catalogue",
    "load_point_catalogue",
    "resolve_drug",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
