"""Sriram, Rodriguez-Fernandez & Doyle 2012: HPA model with an intrinsic ~24 h limit cycle.

ODEs and the parameter set as coded in ``cparker-uc/VeVaPy``
(``sriram-model-plus-noise.py``; "optimized values from SensSB", probably the
normal group). Units of this set are UNCONFIRMED (probably hours and µg/dL),
so this model runs in its native time unit. The group-specific (normal /
depressed / PTSD) values of ``k_stress`` and ``k_i`` are UNCONFIRMED: the
depression and PTSD variants exposed by :func:`variant` only move those two
parameters in the direction the paper describes and are marked as assumptions.

Example
-------
>>> from hpatwin.model.reference.sriram2012 import build
>>> build().parameter("k_stress").value
10.1
"""

from __future__ import annotations

from hpatwin.model.definition import ModelBuilder, OdeModel, SimulationDefaults
from hpatwin.parameters import Evidence

NAME = "sriram2012"
SOURCE = "Sriram et al. 2012 PLoS Comput Biol 8:e1002379; parameter set as in VeVaPy sriram-model-plus-noise.py"
PUB = Evidence.PUBLISHED_MODEL

_VALUES = {
    "k_stress": (10.1, "CRH production under stress"),
    "k_i": (1.51, "GR inhibition constant"),
    "V_S3": (3.25, "CRH Michaelis-Menten degradation max rate"),
    "K_m1": (1.74, "CRH Michaelis-Menten constant"),
    "K_P2": (8.3, "ACTH production by CRH"),
    "V_S4": (0.907, "ACTH Michaelis-Menten degradation max rate"),
    "K_m2": (0.112, "ACTH Michaelis-Menten constant"),
    "K_P3": (0.945, "cortisol production by ACTH"),
    "V_S5": (0.00535, "cortisol Michaelis-Menten degradation max rate"),
    "K_m3": (0.0768, "cortisol Michaelis-Menten constant"),
    "K_d1": (0.00379, "CRH linear clearance"),
    "K_d2": (0.00916, "ACTH linear clearance"),
    "K_d3": (0.356, "cortisol linear clearance"),
    "n1": (5.43, "GR self-upregulation Hill coefficient"),
    "n2": (5.1, "GR inhibition Hill coefficient"),
    "K_b": (0.0202, "cortisol-GR binding"),
    "G_tot": (3.28, "total GR"),
    "V_S2": (0.0509, "GR self-upregulation max rate"),
    "K1": (0.645, "GR self-upregulation constant"),
    "K_d5": (0.0854, "GR degradation"),
}

VARIANTS: dict[str, dict[str, float]] = {
    "normal": {},
    # Direction only: the paper fits k_stress and k_i per group; the values are UNCONFIRMED.
    "depression": {"k_stress": 13.7},
    "ptsd": {"k_i": 1.2},
}


def build() -> OdeModel:
    """Build the Sriram 2012 model (native units)."""
    b = ModelBuilder(
        NAME,
        "Sriram 2012: CRH-ACTH-cortisol-GR with an intrinsic circadian limit cycle",
        citation="Sriram K, Rodriguez-Fernandez M, Doyle FJ 3rd. Modeling cortisol dynamics in the "
        "neuro-endocrine axis distinguishes normal, depression, and post-traumatic stress disorder "
        "(PTSD) in humans. PLoS Comput Biol 2012;8:e1002379.",
        notes="Units UNCONFIRMED (probably h and µg/dL); the ~24-unit limit-cycle period supports hours.",
        time_unit="h",
    )
    p = {
        name: b.parameter(name, value, "native", desc, SOURCE, PUB, upper=1e3)
        for name, (value, desc) in _VALUES.items()
    }
    crh = b.state("crh", "native", "CRH", 1.0)
    acth = b.state("acth", "native", "ACTH", 7.0)
    cort = b.state("cortisol", "native", "cortisol", 15.0)
    gr = b.state("gr", "native", "glucocorticoid receptor", 3.0)
    inh = p["k_i"] ** p["n2"] / (p["k_i"] ** p["n2"] + gr ** p["n2"])
    b.rate(crh, p["k_stress"] * inh - p["V_S3"] * crh / (p["K_m1"] + crh) - p["K_d1"] * crh)
    b.rate(acth, p["K_P2"] * crh * inh - p["V_S4"] * acth / (p["K_m2"] + acth) - p["K_d2"] * acth)
    b.rate(cort, p["K_P3"] * acth - p["V_S5"] * cort / (p["K_m3"] + cort) - p["K_d3"] * cort)
    b.rate(
        gr,
        p["K_b"] * cort * (p["G_tot"] - gr)
        + p["V_S2"] * gr ** p["n1"] / (p["K1"] ** p["n1"] + gr ** p["n1"])
        - p["K_d5"] * gr,
    )
    b.defaults = SimulationDefaults(time_step=0.01, output_every=0.5)
    return b.build()
