"""Gupta et al. 2007 model B: pituitary GR self-upregulation and bistability.

Scaled equations (9–12) of Gupta, Aslakson, Gurbaxani & Vernon, Theor Biol Med
Model 2007;4:8, as given in the physiome CellML export
``gupta_aslakson_gurbaxani_vernon_2007_b``. Time is the paper's scaled time
(the CellML legend says "hour"; the scaling is UNCONFIRMED), so this model runs
in scaled time units, not minutes. Model B's stress protocol is the input
``stress_f`` (1 on (0,1), (4,5), (8,9), (12,13), (16,17); see :func:`model_b_stress_schedule`).

Example
-------
>>> from hpatwin.model.reference.gupta2007 import build
>>> build().parameter("krd").value
0.9
"""

from __future__ import annotations

from hpatwin.model.definition import ModelBuilder, OdeModel, SimulationDefaults
from hpatwin.parameters import Evidence

NAME = "gupta2007"
SOURCE = "Gupta et al. 2007 Theor Biol Med Model 4:8, model B (physiome CellML export)"
PUB = Evidence.PUBLISHED_MODEL


def build() -> OdeModel:
    """Build Gupta 2007 model B (scaled time)."""
    b = ModelBuilder(
        NAME,
        "Gupta 2007 model B: GR self-upregulation gives two stable steady states",
        citation="Gupta S, Aslakson E, Gurbaxani BM, Vernon SD. Inclusion of the glucocorticoid receptor "
        "in a hypothalamic pituitary adrenal axis model reveals bistability. Theor Biol Med Model 2007;4:8.",
        notes="Dimensionless hormones and scaled time (units UNCONFIRMED).",
        time_unit="scaled time (CellML legend: hour; UNCONFIRMED)",
    )
    kcd = b.parameter("kcd", 1.0, "1/scaled time", "CRH degradation", SOURCE, PUB)
    ki1 = b.parameter("ki1", 0.1, "1", "cortisol inhibition constant on CRH", SOURCE, PUB)
    kad = b.parameter("kad", 10.0, "1/scaled time", "ACTH degradation", SOURCE, PUB)
    ki2 = b.parameter("ki2", 0.1, "1", "GR-cortisol inhibition constant on ACTH", SOURCE, PUB)
    kcr = b.parameter("kcr", 0.05, "1/scaled time", "basal GR synthesis", SOURCE, PUB)
    krd = b.parameter("krd", 0.9, "1/scaled time", "GR degradation", SOURCE, PUB)
    k = b.parameter("k", 0.001, "1", "GR dimer self-induction constant", SOURCE, PUB)
    f = b.input("stress_f", "1", "stress input f(t) on CRH", 0.0)
    c = b.state("crh", "1", "CRH (scaled)", 0.6)
    o = b.state("cortisol", "1", "cortisol (scaled)", 0.055)
    a = b.state("acth", "1", "ACTH (scaled)", 0.055)
    r = b.state("gr", "1", "free pituitary GR (scaled)", 0.01)
    b.rate(c, (1 + f) / (1 + o / ki1) - kcd * c)
    b.rate(a, c / (1 + o * r / ki2) - kad * a)
    b.rate(r, (o * r) ** 2 / (k + (o * r) ** 2) + kcr - krd * r)
    b.rate(o, a - o)
    b.defaults = SimulationDefaults(time_step=0.002, output_every=0.1)
    return b.build()


def model_b_stress_schedule() -> list[tuple[float, float]]:
    """Model B's stress pulses as ``(start time, value)`` change points in scaled time."""
    points: list[tuple[float, float]] = []
    for start in (0.0, 4.0, 8.0, 12.0, 16.0):
        points += [(start, 1.0), (start + 1.0, 0.0)]
    return points
