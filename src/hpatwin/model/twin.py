"""The hpatwin twin: the HPA core and the pain–depression layer in one definition.

Pain and depression feed the CRH drive (``HpaHooks.drive_multiplier``); the
layer reads cortisol from the core. Treatments (EA, needling, drugs, CBT) act
through the layer's hooks.

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

NAME = "twin"


def build() -> OdeModel:
    """Build the full twin (time in minutes)."""
    b = ModelBuilder(
        NAME,
        "hpatwin twin: HPA core with the pain-depression layer",
        citation="HPA core (Karin 2020 extended) coupled to the source article's pain-depression "
        "cascade; see docs/pain-depression.md.",
    )
    layer = add_pain_depression_layer(b)
    add_hpa_core(
        b, HpaHooks(drive_multiplier=layer.drive_multiplier, tonic_drive=layer.tonic_drive)
    )
    return b.build()
