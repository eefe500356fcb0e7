"""Karin et al. 2020 gland-mass HPA model (Mol Syst Biol 16:e9510).

Equations and default parameters follow ``HPA_full``/``DEFAULT_PARS`` of the
Milo et al. 2025 update (``tomermilo/hpa-drugs``), rewritten with time in
minutes: rates quoted per day there are divided by 1440 here. Hormones are
normalised (baseline ≈ 1). Drug knobs I1–I3, C1–C3 and A1–A3 are inputs (all 1
by default); the adenoma terms of the notebook are not included.

Example
-------
>>> from hpatwin.model.reference.karin2020 import build
>>> model = build()
>>> model.state_names
('crh', 'acth', 'cortisol', 'pituitary_mass', 'adrenal_mass')
"""

from __future__ import annotations

import math

from hpatwin.model.definition import ModelBuilder, OdeModel
from hpatwin.parameters import Evidence

NAME = "karin2020"
SOURCE = (
    "Karin et al. 2020 Mol Syst Biol 16:e9510; values from Milo et al. 2025 hpa-drugs DEFAULT_PARS"
)
PUB = Evidence.PUBLISHED_MODEL


def build() -> OdeModel:
    """Build the Karin 2020 model (time in minutes)."""
    b = ModelBuilder(
        NAME,
        "Karin 2020 HPA model with pituitary and adrenal functional masses",
        citation="Karin O, Raz M, Tendler A, et al. A new model for the HPA axis explains dysregulation "
        "of stress hormones on the timescale of weeks. Mol Syst Biol 2020;16:e9510.",
        notes="Gland turnover rates follow the Milo 2025 code (P: ln2/20 d, A: ln2/30 d); the original "
        "paper's values are UNCONFIRMED (the code comments disagree).",
    )
    ln2 = math.log(2.0)
    g1 = b.parameter(
        "gamma_crh_per_min", ln2 / 4.0, "1/min", "CRH removal rate (half-life 4 min)", SOURCE, PUB
    )
    g2 = b.parameter(
        "gamma_acth_per_min",
        ln2 / 20.0,
        "1/min",
        "ACTH removal rate (half-life 20 min)",
        SOURCE,
        PUB,
    )
    g3 = b.parameter(
        "gamma_cortisol_per_min",
        ln2 / 80.0,
        "1/min",
        "cortisol removal rate (effective half-life 80 min)",
        SOURCE,
        PUB,
    )
    gp = b.parameter(
        "gamma_pituitary_per_min",
        ln2 / (20.0 * 1440.0),
        "1/min",
        "corticotroph turnover (ln2/20 d)",
        SOURCE,
        PUB,
    )
    ga = b.parameter(
        "gamma_adrenal_per_min",
        ln2 / (30.0 * 1440.0),
        "1/min",
        "adrenal cortex turnover (ln2/30 d)",
        SOURCE,
        PUB,
    )
    k_gr = b.parameter(
        "k_gr", 4.0, "1", "GR feedback half-saturation (normalised cortisol)", SOURCE, PUB
    )
    n_gr = b.parameter("n_gr", 3.0, "1", "GR feedback Hill coefficient", SOURCE, PUB)
    k_p = b.parameter(
        "k_pituitary", 1e6, "1", "corticotroph carrying capacity (effectively off)", SOURCE, PUB
    )
    k_a = b.parameter(
        "k_adrenal", 1e6, "1", "adrenal carrying capacity (effectively off)", SOURCE, PUB
    )

    u = b.input("stress_input", "1", "stress drive u(t) on CRH secretion", 1.0)
    knobs = {}
    for kind, desc in (
        ("I", "synthesis inhibitor (<1)"),
        ("C", "receptor agonist (>1)/antagonist (<1)"),
        ("A", "neutralising antibody (>1)"),
    ):
        for i in (1, 2, 3):
            knobs[f"{kind}{i}"] = b.input(f"{kind}{i}", "1", f"drug knob {kind}{i}: {desc}", 1.0)

    x1 = b.state("crh", "1", "CRH (normalised)", 1.0)
    x2 = b.state("acth", "1", "ACTH (normalised)", 1.0)
    x3 = b.state("cortisol", "1", "cortisol (normalised)", 1.0)
    p = b.state("pituitary_mass", "1", "corticotroph functional mass", 1.0)
    a = b.state("adrenal_mass", "1", "adrenal cortex functional mass", 1.0)

    occupancy = knobs["C3"] * x3
    mr = 1 / occupancy
    gr = 1 / (1 + (occupancy / k_gr) ** n_gr)
    b.rate(x1, g1 * (knobs["I1"] * u * mr * gr - knobs["A1"] * x1))
    b.rate(x2, g2 * (knobs["I2"] * (knobs["C1"] * x1) * p * gr - knobs["A2"] * x2))
    b.rate(x3, g3 * (knobs["I3"] * (knobs["C2"] * x2) * a - knobs["A3"] * x3))
    b.rate(p, gp * p * ((knobs["C1"] * x1) * (1 - p / k_p) - 1))
    b.rate(a, ga * a * ((knobs["C2"] * x2) * (1 - a / k_a) - 1))
    return b.build()
