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
