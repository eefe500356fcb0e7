"""Simulated clinical and laboratory experiments on the HPA core."""

from hpatwin.experiments.protocols import (
    CrhStimulationResult,
    DexamethasoneResult,
    StressReleaseResult,
    WashoutResult,
    cortisol_washout,
    crh_stimulation,
    dexamethasone_suppression,
    stress_then_release,
)
from hpatwin.experiments.titration import TitrationResult, required_daily_dose

__all__ = [
    "CrhStimulationResult",
    "DexamethasoneResult",
    "StressReleaseResult",
    "TitrationResult",
    "WashoutResult",
    "cortisol_washout",
    "crh_stimulation",
    "dexamethasone_suppression",
    "required_daily_dose",
    "stress_then_release",
]
