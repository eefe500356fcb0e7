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

from hpatwin.model.definition import ModelBuilder, OdeModel
from hpatwin.model.hpa_core import HpaHooks, add_hpa_core
from hpatwin.model.pain_depression import add_pain_depression_layer
from hpatwin.model.treatment_effects import add_treatment_effects

NAME = "twin"


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
    return b.build()
