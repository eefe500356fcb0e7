"""Clinical decision support: instruments, biomarkers, protocol planning and safety screening.

Example
-------
>>> from hpatwin.clinic import score
>>> score("phq9", [2, 2, 2, 2, 1, 1, 1, 0, 0]).severity
'moderate'
"""

from hpatwin.clinic.instruments import (
    INSTRUMENTS,
    Alert,
    Band,
    InstrumentError,
    InstrumentResult,
    InstrumentSpec,
    ItemValueError,
    MissingItemError,
    MissingRule,
    ResponseCountError,
    UnknownInstrumentError,
    get_spec,
    instrument_names,
    score,
    score_bpi,
    score_gad7,
    score_isi,
    score_nrs,
    score_pcs,
    score_phq9,
)

__all__ = [
    "INSTRUMENTS",
    "Alert",
    "Band",
    "InstrumentError",
    "InstrumentResult",
    "InstrumentSpec",
    "ItemValueError",
    "MissingItemError",
    "MissingRule",
    "ResponseCountError",
    "UnknownInstrumentError",
    "get_spec",
    "instrument_names",
    "score",
    "score_bpi",
    "score_gad7",
    "score_isi",
    "score_nrs",
    "score_pcs",
    "score_phq9",
]
