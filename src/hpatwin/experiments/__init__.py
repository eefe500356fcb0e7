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

__all__ = [
    "CrhStimulationResult",
    "DexamethasoneResult",
    "StressReleaseResult",
    "WashoutResult",
    "cortisol_washout",
    "crh_stimulation",
    "dexamethasone_suppression",
    "stress_then_release",
]
