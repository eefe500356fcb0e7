"""Bangsgaard & Ottesen 2017: CRH-ACTH-cortisol driven by an external circadian function.

Equations and the control-subject parameter set (subject f, Tables A1/A2) as
coded in ``cparker-uc/VeVaPy`` (Bangsgaard-Ottesen-2017.py); the values are
UNCONFIRMED against the paper's tables. Time in minutes; ACTH probably pg/mL and
cortisol µg/dL (Carroll 2007 data). ``t`` is minutes since midnight of day 0.

Example
-------
>>> from hpatwin.model.reference.bangsgaard2017 import build
>>> build().parameter("T_period_min").value
1440.0
"""

from __future__ import annotations

from typing import Any

from hpatwin.model.definition import TIME, ModelBuilder, OdeModel, clock_minutes
from hpatwin.parameters import Evidence

NAME = "bangsgaard2017"
SOURCE = "Bangsgaard & Ottesen 2017 Math Biosci; control subject f as coded in VeVaPy"
PUB = Evidence.PUBLISHED_MODEL


def build() -> OdeModel:
    """Build the Bangsgaard & Ottesen 2017 model (minutes)."""
    b = ModelBuilder(
        NAME,
        "Bangsgaard & Ottesen 2017: HPA axis with an external circadian drive C(t)",
        citation="Bangsgaard EO, Ottesen JT. Patient specific modeling of the HPA axis related to "
        "clinical diagnosis of depression. Math Biosci 2017;287:24-35.",
        notes="Parameter values UNCONFIRMED against the published tables.",
    )

    def par(name: str, value: float, unit: str, desc: str, fixed: bool = False) -> Any:
        low, high = (value, value) if fixed else (0.0, 1e15)
        return b.parameter(name, value, unit, desc, SOURCE, PUB, lower=low, upper=high)

    a0 = par("a0", 3.9031e-4, "1/min", "basal CRH production")
    a1 = par("a1", 6.839e12, "1/min", "circadian CRH production gain")
    a2 = par("a2", 1.7809e9, "1", "cortisol feedback on CRH")
    a3 = par("a3", 2.2803e4, "1/min", "ACTH production by CRH")
    a4 = par("a4", 1.7745e5, "1", "cortisol feedback on ACTH")
    a5 = par("a5", 4.617e-4, "1/min", "cortisol production by ACTH squared")
    mu = par("mu", 583.0, "1", "CRH saturation constant")
    w1 = par("w1", 0.0337, "1/min", "CRH elimination")
    w2 = par("w2", 0.0205, "1/min", "ACTH elimination")
    w3 = par("w3", 0.0238, "1/min", "cortisol elimination")
    period = par(
        "T_period_min", 1440.0, "min", "circadian period (fixed: the clock uses 1440)", fixed=True
    )
    n_c = par("N_c", 0.5217, "1", "circadian drive normalisation")
    k = par("k_rise", 5.0, "1", "circadian rise exponent k")
    ell = par("l_fall", 6.0, "1", "circadian fall exponent l")
    alpha = par("alpha_min", 300.0, "min", "circadian rise half-time")
    beta = par("beta_min", 950.0, "min", "circadian fall half-time")
    eps = par("epsilon", 0.01, "1", "circadian drive floor")
    delta = par("delta_min", 83.8, "min", "circadian phase shift (subject f)")

    x = b.state("crh", "pg/mL", "CRH", 2.0)
    y = b.state("acth", "pg/mL", "ACTH", 8.725314)
    z = b.state("cortisol", "ug/dL", "cortisol", 1.158798)
    tm = clock_minutes(TIME - delta)  # (t - delta) mod T with T = 1440 (T_period_min is fixed)
    circadian = n_c * (
        tm**k / (tm**k + alpha**k) * (period - tm) ** ell / ((period - tm) ** ell + beta**ell) + eps
    )
    b.rate(x, a0 + circadian * a1 / (1 + a2 * z**2) * x / (mu + x) - w1 * x)
    b.rate(y, a3 * x / (1 + a4 * z) - w2 * y)
    b.rate(z, a5 * y**2 - w3 * z)
    b.readout("circadian_drive", "1", "external circadian function C(t)", circadian)
    return b.build()
