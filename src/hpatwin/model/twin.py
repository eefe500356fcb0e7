"""The hpatwin twin: HPA core, pain–depression layer and treatment effects in one definition.

Pain and depression feed the CRH drive (``HpaHooks.tonic_drive``); the layer
reads cortisol from the core; treatments (EA, needling, drugs, CBT) act through
the layer's hooks and on GR expression.

Example
-------
>>> from hpatwin.model import get_model
>>> twin = get_model("twin")
>>> {"cortisol", "depression_severity", "central_sensitisation"} <= set(twin.state_names)
True
"""

from __future__ import annotations

from hpatwin.model.definition import ModelBuilder, OdeModel, SimulationDefaults
from hpatwin.model.hpa_core import START_STATES, TRANSIENT_STATES, HpaHooks, add_hpa_core
from hpatwin.model.pain_depression import add_pain_depression_layer
from hpatwin.model.treatment_effects import add_treatment_effects

NAME = "twin"
#: Cohort and trial step (min): the twin's cohort configuration, float32 (accuracy in
#: docs/engine.md: within 0.06 PHQ-9 points and 0.22 nmol/L salivary cortisol of dt = 1 min
#: float64 over 12 weeks; the ultradian pulse bins are 10 min, so no longer step fits them).
COHORT_TIME_STEP_MIN = 10.0
#: The condition knobs at healthy values: an ``onset`` start settles with these, so the run
#: shows the condition developing.
ONSET_VALUES = {
    "tissue_nociception": 1.0,
    "depression_vulnerability": 0.0,
    "trigger_point_predisposition": 0.0,
}


def build() -> OdeModel:
    """Build the full twin (time in minutes)."""
    b = ModelBuilder(
        NAME,
        "hpatwin twin: HPA core with the pain-depression layer and treatment effects",
        citation="HPA core (Karin 2020 extended) coupled to the source article's pain-depression "
        "cascade and its treatments; see docs/pain-depression.md and docs/treatments.md.",
    )
    effects = add_treatment_effects(b)
    layer = add_pain_depression_layer(b, **effects.layer_hooks)
    add_hpa_core(
        b,
        HpaHooks(
            drive_multiplier=layer.drive_multiplier,
            tonic_drive=layer.tonic_drive,
            gr_target_multiplier=effects.gr_target_multiplier,
        ),
    )
    b.defaults = SimulationDefaults(
        cohort_time_step=COHORT_TIME_STEP_MIN,
        steady_start=True,
        onset_values=ONSET_VALUES,
        warmup_excluded={"injury_nociception": 0.0},  # an injury is a moment, not a condition
        transient_states=TRANSIENT_STATES,
        start_states=START_STATES,
    )
    return b.build()
