"""The hpatwin HPA core: Karin 2020 gland masses extended for minutes-to-months simulation.

Structure: CRH → ACTH → cortisol with MR and GR negative feedback
(Karin 2020); a slow GR-sensitivity state that sustained hypercortisolism
down-regulates (time constant of the Ron Mizrachi 2023 CNS state); pituitary and
adrenal functional masses (Karin 2020); a two-harmonic circadian drive
(Grosskopf/Alon stochastic model) phase-locked to the wake time with a
cortisol awakening response; ultradian pulsatility as a seeded secretory pulse train on
the drive (input ``ultradian_pulse``); a stress input;
dexamethasone pharmacokinetics acting on pituitary GR through an effect compartment
(receptor-bound dexamethasone) whose half-life is the drug's biological half-life of
36-54 h, so one dose suppresses cortisol through the next day; exogenous CRH for the
CRH stimulation test; and total plasma, free and salivary cortisol readouts.

Time is minutes since midnight of day 0. Hormones are normalised so that the
daily mean of CRH and ACTH is 1 at steady state (Karin's dynamical
compensation); readouts convert to clinical units.

Example
-------
>>> from hpatwin.model.hpa_core import build
>>> model = build()
>>> "salivary_cortisol_nmol_l" in model.readout_names
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import sympy

from hpatwin.model.definition import (
    ONE,
    TIME,
    ZERO,
    ModelBuilder,
    OdeModel,
    SimulationDefaults,
    clock_minutes,
)
from hpatwin.parameters import Evidence

NAME = "hpa_core"
#: States of a test drug (dexamethasone) and injected CRH: a warm-up does not carry them over.
TRANSIENT_STATES = ("dex_gut_mg", "dex_plasma_ng_ml", "dex_gr_effect_ng_ml", "crh_exogenous")
#: Setting any of these as an initial state chooses the start (no steady-state warm-up).
START_STATES = ("crh", "acth", "cortisol", "pituitary_mass", "adrenal_mass", "gr_sensitivity")

KARIN = "Karin et al. 2020 Mol Syst Biol 16:e9510 (Milo et al. 2025 hpa-drugs DEFAULT_PARS)"
GROSSKOPF = "Grosskopf et al., stochastic cortisol ultradian model (YanivGros/cortisol-ultradian-stochastic fitted_config.yaml)"
MIZRACHI = "Ron Mizrachi et al. 2023 PLoS Comput Biol 19:e1011645 (HPA-CNS dynamics.py)"
PUB = Evidence.PUBLISHED_MODEL
MEAS = Evidence.MEASURED
ASSUME = Evidence.ASSUMPTION


@dataclass(frozen=True)
class HpaHooks:
    """Expressions other layers feed into the HPA core (each 1 when absent).

    ``drive_multiplier`` scales the hypothalamic CRH drive (treatments);
    ``tonic_drive`` adds non-circadian CRH drive (pain, mood: tonic, so it flattens the rhythm);
    ``gr_target_multiplier`` scales the GR-expression target (e.g. EA restoring GR).
    """

    drive_multiplier: sympy.Expr = ONE
    gr_target_multiplier: sympy.Expr = ONE
    tonic_drive: sympy.Expr = ZERO


@dataclass(frozen=True)
class HpaCore:
    """Symbols and expressions of the HPA core that other layers read."""

    cortisol: sympy.Symbol
    cortisol_feedback: sympy.Symbol
    gr_sensitivity: sympy.Symbol
    crh: sympy.Symbol
    acth: sympy.Symbol
    stress_input: sympy.Symbol
    plasma_cortisol_nmol_l: sympy.Expr
    salivary_cortisol_nmol_l: sympy.Expr
    awake: sympy.Expr
    clock_minutes: sympy.Expr


def build() -> OdeModel:
    """Build the HPA core model (time in minutes)."""
    b = ModelBuilder(
        NAME,
        "hpatwin HPA core: circadian and ultradian CRH-ACTH-cortisol with GR sensitivity and gland masses",
        citation="Extends Karin et al. 2020 (gland masses, MR/GR feedback) with Grosskopf/Alon "
        "circadian and stochastic ultradian drive and the Ron Mizrachi 2023 slow CNS timescale.",
    )
    add_hpa_core(b)
    b.defaults = SimulationDefaults(
        steady_start=True, transient_states=TRANSIENT_STATES, start_states=START_STATES
    )
    return b.build()


def add_hpa_core(b: ModelBuilder, hooks: HpaHooks | None = None) -> HpaCore:
    """Declare the HPA core's parameters, inputs, states, equations and readouts on ``b``.

    Parameters are registered under the component ``hpa_core`` whatever model
    they are built into, so the registry lists them once.
    """
    hooks = hooks or HpaHooks()
    previous_component = b.component
    b.component = NAME
    ln2 = math.log(2.0)
    two_pi = 2 * sympy.pi

    # --- hormone kinetics -------------------------------------------------------------
    crh_half = b.parameter(
        "crh_half_life_min", 4.0, "min", "CRH half-life", KARIN, PUB, lower=0.5, upper=60
    )
    acth_half = b.parameter(
        "acth_half_life_min",
        20.0,
        "min",
        "ACTH half-life",
        "Keenan, Roelfsema & Veldhuis, Am J Physiol Endocrinol Metab (20 ± 1.3 min)",
        MEAS,
        lower=2,
        upper=120,
    )
    cort_half = b.parameter(
        "cortisol_half_life_min",
        66.0,
        "min",
        "effective half-life of total plasma cortisol",
        "Twenty-four hour pattern of the episodic secretion of cortisol in normal subjects (mean 66 min; "
        "Weitzman 1971 attribution UNCONFIRMED); within the 49-80 min range of Keenan and Karin",
        MEAS,
        lower=10,
        upper=300,
    )
    pit_turn = b.parameter(
        "pituitary_turnover_days",
        20.0,
        "d",
        "corticotroph mass turnover time (ln2/γP)",
        KARIN + "; original paper value UNCONFIRMED",
        PUB,
        lower=1,
        upper=200,
    )
    adr_turn = b.parameter(
        "adrenal_turnover_days",
        30.0,
        "d",
        "adrenal mass turnover time (ln2/γA)",
        KARIN + "; original paper value UNCONFIRMED",
        PUB,
        lower=1,
        upper=200,
    )
    k_gr = b.parameter(
        "gr_feedback_half_saturation",
        4.0,
        "1",
        "cortisol occupancy giving half-maximal GR feedback (normalised)",
        KARIN,
        PUB,
        lower=0.01,
        upper=100,
    )
    n_gr = b.parameter(
        "gr_feedback_hill",
        3.0,
        "1",
        "GR feedback Hill coefficient",
        KARIN,
        PUB,
        lower=0.5,
        upper=10,
    )
    mr_floor = b.parameter(
        "mr_feedback_floor",
        0.05,
        "1",
        "floor of the MR feedback term (1+f)/(cortisol+f)",
        KARIN,
        ASSUME,
        rationale="Karin's MR(x)=1/x diverges as cortisol → 0 (full dexamethasone suppression); a small "
        "floor keeps it finite while leaving MR(1)=1 and the baseline behaviour unchanged.",
        lower=1e-4,
        upper=10,
    )
    fb_tau = b.parameter(
        "feedback_delay_time_constant_min",
        1440.0,
        "min",
        "time constant of the genomic MR feedback effect compartment",
        "hpatwin",
        ASSUME,
        rationale="MR/GR feedback on CRH acts largely through gene expression, with a delay of hours; "
        "acting on Karin's MR term through a slow compartment keeps his weeks-scale compensation "
        "while letting the published circadian drive reach the ~8× peak/nadir ratio (Debono)",
        lower=1,
        upper=10080,
    )

    # --- circadian drive, awakening response, sleep schedule ----------------------------
    a24 = b.parameter(
        "circadian_amplitude_24h",
        0.696,
        "1",
        "24 h harmonic of the drive (relative)",
        GROSSKOPF,
        PUB,
        upper=0.99,
    )
    a12 = b.parameter(
        "circadian_amplitude_12h",
        0.221,
        "1",
        "12 h harmonic of the drive (relative)",
        GROSSKOPF,
        PUB,
        upper=0.99,
    )
    wake_h = b.parameter(
        "wake_time_h",
        7.0,
        "h",
        "habitual wake time (clock hour)",
        "hpatwin default",
        ASSUME,
        rationale="a common schedule; every patient may set their own",
        upper=24,
    )
    sleep_h = b.parameter(
        "sleep_time_h",
        23.0,
        "h",
        "habitual sleep onset (clock hour)",
        "hpatwin default",
        ASSUME,
        rationale="a common schedule; every patient may set their own",
        upper=24,
    )
    off24 = b.parameter(
        "circadian_peak_offset_24h_min",
        300.0,
        "min",
        "24 h harmonic peak relative to wake time",
        "calibrated",
        ASSUME,
        lower=-720,
        upper=720,
        rationale="phases are not published with the amplitudes; calibrated so the plasma peak falls "
        "near 08:30 (Debono profile, PMC2684472) for a 07:00 wake time",
    )
    off12 = b.parameter(
        "circadian_peak_offset_12h_min",
        -120.0,
        "min",
        "12 h harmonic peak relative to wake time",
        "calibrated",
        ASSUME,
        lower=-720,
        upper=720,
        rationale="as the 24 h offset: calibrated to the Debono peak time and ~8× peak/nadir ratio",
    )
    car_amp = b.parameter(
        "awakening_response_amplitude",
        6.0,
        "1",
        "extra drive after waking (relative to mean drive)",
        "calibrated to Pruessner et al. 1997 Life Sci 61:2539 (+50-75% within 30 min)",
        ASSUME,
        rationale="shape and size are not published for this model; sized so salivary cortisol rises "
        "50-75% in the 30 min after waking",
        upper=20,
    )
    car_tau = b.parameter(
        "awakening_response_time_min",
        15.0,
        "min",
        "time to peak of the awakening drive",
        "calibrated to Pruessner et al. 1997 (peak ~30 min after waking)",
        ASSUME,
        rationale="drive peaks before the cortisol peak because cortisol lags the drive",
        lower=1,
        upper=120,
    )

    # --- ultradian pulsatility (parameters of the seeded pulse-train input) -------------
    b.parameter(
        "ultradian_pulse_interval_min",
        100.0,
        "min",
        "mean interval between hypothalamic secretory pulses",
        "Ultradian plasma corticotropin and cortisol rhythms: time-series analyses (ACTH "
        "periodicities 55-140 min)",
        MEAS,
        lower=30,
        upper=1440,
    )
    b.parameter(
        "ultradian_pulse_duration_min",
        20.0,
        "min",
        "duration of one secretory pulse",
        "hpatwin",
        ASSUME,
        rationale="short CRH bursts filtered by ACTH (20 min) and cortisol "
        "half-lives; calibrated to give distinct episodes",
        lower=10,
        upper=120,
    )
    b.parameter(
        "ultradian_basal_fraction",
        0.2,
        "1",
        "drive between pulses relative to the mean",
        "hpatwin",
        ASSUME,
        rationale="secretion is episodic with low inter-pulse output "
        "(Weitzman: secretion during ~24% of the day)",
        upper=1,
    )
    b.parameter(
        "ultradian_interval_cv",
        0.3,
        "1",
        "coefficient of variation of pulse intervals",
        "hpatwin",
        ASSUME,
        rationale="irregular but not Poisson spacing; calibrated to the 7-13 episode range",
        lower=0.05,
        upper=3,
    )
    b.parameter(
        "ultradian_amplitude_sigma",
        0.4,
        "1",
        "log-SD of pulse amplitudes",
        "hpatwin",
        ASSUME,
        rationale="variable pulse sizes (Grosskopf/Alon report amplitude CV ≈ 0.5); calibrated",
        upper=3,
    )
    b.parameter(
        "ultradian_bin_min",
        10.0,
        "min",
        "time grid of the pulse input",
        "hpatwin",
        ASSUME,
        rationale="matches 10-min sampling of the pulse literature; a whole number of steps",
        lower=1,
        upper=60,
    )

    # --- GR sensitivity (slow) ----------------------------------------------------------
    gr_tau = b.parameter(
        "gr_sensitivity_time_constant_days",
        21.0,
        "d",
        "time constant of GR-sensitivity adaptation",
        MIZRACHI + " (a7 = 1/21 per day)",
        PUB,
        lower=0.5,
        upper=365,
    )
    gr_theta = b.parameter(
        "gr_downregulation_threshold",
        3.0,
        "1",
        "normalised cortisol at which GR expression is halved (relative to baseline)",
        "hpatwin",
        ASSUME,
        rationale="chronic hypercortisolism down-regulates hippocampal/PFC GR (source article); set "
        "so daily cortisol peaks in health barely move GR while sustained doubling does",
        lower=0.1,
        upper=100,
    )
    gr_hill = b.parameter(
        "gr_downregulation_hill",
        4.0,
        "1",
        "steepness of GR down-regulation",
        "hpatwin",
        ASSUME,
        rationale="switch-like down-regulation above threshold",
        lower=0.5,
        upper=10,
    )
    tonic = b.parameter(
        "tonic_crh_drive",
        0.0,
        "1",
        "non-circadian CRH drive added to the circadian drive (relative to its mean)",
        "hpatwin",
        ASSUME,
        rationale="phenotype knob: chronic stress and depression add tonic PVN drive that raises the "
        "evening nadir (flattened slopes, Jarcho 2013; Adam 2017)",
        upper=10,
    )
    gr_capacity = b.parameter(
        "gr_expression_capacity",
        1.0,
        "1",
        "maximal GR sensitivity (1 = healthy; <1 = GR resistance)",
        "hpatwin",
        ASSUME,
        rationale="phenotype knob: GR resistance in depression (Carroll 1981 DST "
        "non-suppression) is represented as reduced receptor capacity",
        lower=0.01,
        upper=5,
    )

    # --- dexamethasone and exogenous CRH ------------------------------------------------
    dex_ka = b.parameter(
        "dex_absorption_half_life_min",
        30.0,
        "min",
        "oral dexamethasone absorption",
        "hpatwin",
        ASSUME,
        rationale="typical oral absorption; only the timing of "
        "suppression by 08:00 matters for the DST",
        lower=1,
        upper=600,
    )
    dex_ke = b.parameter(
        "dex_elimination_half_life_min",
        240.0,
        "min",
        "dexamethasone elimination",
        "hpatwin",
        ASSUME,
        rationale="dexamethasone is long-acting relative to the "
        "9 h between an 23:00 dose and 08:00 sampling",
        lower=10,
        upper=3000,
    )
    dex_vol = b.parameter(
        "dex_volume_l",
        50.0,
        "L",
        "apparent volume × 1/bioavailability",
        "hpatwin",
        ASSUME,
        rationale="order of magnitude of body water; scales concentration only",
        lower=1,
        upper=1000,
    )
    dex_effect_half = b.parameter(
        "dex_effect_half_life_h",
        36.0,
        "h",
        "half-life of dexamethasone's GR action (effect compartment: receptor-bound drug)",
        "Meikle & Tyler 1977 Am J Med 63:200 (PMID 888843; biological half-life of "
        "dexamethasone 36-54 h, duration of ACTH suppression after a single dose)",
        MEAS,
        lower=1,
        upper=200,
    )
    dex_pot = b.parameter(
        "dex_gr_potency_per_ng_ml",
        12.0,
        "1/(ng/mL)",
        "GR occupancy of 1 ng/mL effect-site dexamethasone in normalised cortisol units",
        "calibrated",
        ASSUME,
        rationale="dexamethasone is a potent pituitary GR agonist; calibrated so 1 mg at 23:00 "
        "suppresses healthy 08:00 cortisol below 50 nmol/L (Nieman et al. 2008 JCEM 93:1526, "
        "doi 10.1210/jc.2008-0125) and keeps 16:00 and 23:00 cortisol below 138 nmol/L "
        "(5 µg/dL; Carroll et al. 1981 Arch Gen Psychiatry 38:15, PMID 7458567) in ≥ 90 % of "
        "a healthy population",
        upper=1e3,
    )
    crh_exo_k = b.parameter(
        "exogenous_crh_clearance_per_min",
        0.016,
        "1/min",
        "clearance of injected CRH",
        MIZRACHI + " (a1_ext = 0.016·1440 per day)",
        PUB,
        lower=1e-4,
        upper=1,
    )

    # --- clinical units -----------------------------------------------------------------
    cort_scale = b.parameter(
        "cortisol_nmol_l_per_unit",
        190.0,
        "nmol/L",
        "total plasma cortisol of normalised 1",
        "calibrated to Debono profile (PMC2684472): peak ~428 nmol/L at 08:32, nadir ~55 nmol/L",
        ASSUME,
        rationale="unit conversion of the normalised model",
        lower=1,
        upper=2000,
    )
    acth_scale = b.parameter(
        "acth_pg_ml_per_unit",
        12.0,
        "pg/mL",
        "plasma ACTH of normalised 1",
        "calibrated to morning ACTH 7-50 pg/mL (AccessMedicine reference table)",
        ASSUME,
        rationale="unit conversion of the normalised model",
        lower=0.1,
        upper=1000,
    )
    cbg_cap = b.parameter(
        "cbg_binding_capacity_nmol_l",
        600.0,
        "nmol/L",
        "CBG cortisol binding capacity",
        "hpatwin",
        ASSUME,
        rationale="with the Kd below gives a free fraction < 6% at normal levels rising as CBG "
        "saturates (Lewis et al. 2005 Clin Chim Acta 359:189)",
        lower=1,
        upper=5000,
    )
    cbg_kd = b.parameter(
        "cbg_kd_nmol_l",
        30.0,
        "nmol/L",
        "CBG-cortisol dissociation constant",
        "hpatwin",
        ASSUME,
        rationale="high-affinity CBG binding; see CBG capacity",
        lower=0.1,
        upper=1000,
    )
    alb_ratio = b.parameter(
        "albumin_bound_to_free_ratio",
        1.74,
        "1",
        "albumin-bound / free cortisol (linear binding)",
        "Coolens, Van Baelen & Heyns 1987 J Steroid Biochem 26:197 (as commonly quoted)",
        ASSUME,
        rationale="value not found in a primary source read; low-affinity, non-saturable albumin "
        "binding",
        upper=50,
    )
    sal_ratio = b.parameter(
        "salivary_to_free_ratio",
        0.25,
        "1",
        "salivary / plasma free cortisol",
        "hpatwin",
        ASSUME,
        rationale="salivary cortisol tracks plasma free cortisol, lowered by salivary 11β-HSD2; "
        "calibrated to the Mayo LC-MS/MS reference ranges (08:00 2.8-20.7, 23:00 < 2.76 nmol/L) "
        "and the healthy late-night median of 0.53 nmol/L, range 0.06-11 (LC-MS/MS, PMID "
        "20631023): a population with default variability has 23:00 salivary cortisol below "
        "2.8 nmol/L in ≥ 95 % of healthy people",
        upper=5,
    )

    # --- inputs -------------------------------------------------------------------------
    stress = b.input(
        "stress_input", "1", "stress drive multiplier (1 = none, 2 = doubled)", 1.0, upper=100
    )
    pulse = b.input(
        "ultradian_pulse",
        "1",
        "ultradian secretory pulse train on the drive (mean 1)",
        1.0,
        upper=1e6,
    )
    dex_dose = b.input(
        "dex_dose_rate_mg_per_min", "mg/min", "oral dexamethasone dosing rate", 0.0, upper=100
    )
    crh_inf = b.input(
        "crh_infusion_rate_per_min", "1/min", "exogenous CRH infusion (normalised)", 0.0, upper=1e3
    )
    synth = b.input(
        "cortisol_synthesis_factor",
        "1",
        "adrenal synthesis factor (Karin I3; 0 = complete block for washout)",
        1.0,
        upper=10,
    )

    # --- states -------------------------------------------------------------------------
    crh = b.state("crh", "1", "hypothalamic CRH (normalised)", 0.098)
    acth = b.state("acth", "1", "plasma ACTH (normalised)", 0.101)
    cort = b.state("cortisol", "1", "total plasma cortisol (normalised)", 0.292)
    pit = b.state("pituitary_mass", "1", "corticotroph functional mass", 1.034)
    adr = b.state("adrenal_mass", "1", "adrenal cortex functional mass", 1.09)
    grs = b.state(
        "gr_sensitivity", "1", "hippocampal/PFC/pituitary GR sensitivity (1 = healthy)", 0.97
    )
    b.mark_slow(pit, adr, grs)  # turnover over weeks (docs/engine.md, multirate step)
    dex_gut = b.state("dex_gut_mg", "mg", "dexamethasone awaiting absorption", 0.0)
    dex = b.state("dex_plasma_ng_ml", "ng/mL", "plasma dexamethasone", 0.0)
    dex_effect = b.state(
        "dex_gr_effect_ng_ml",
        "ng/mL",
        "effect-site (receptor-bound) dexamethasone, as the plasma level it is in equilibrium with",
        0.0,
    )
    crh_exo = b.state("crh_exogenous", "1", "injected CRH (normalised)", 0.0)
    cort_fb = b.state("cortisol_feedback", "1", "cortisol signal of the delayed MR feedback", 1.1)

    # --- equations ----------------------------------------------------------------------
    wake_min = 60 * wake_h
    tod = clock_minutes(TIME)
    circadian = (
        1
        + a24 * sympy.cos(two_pi * (tod - wake_min - off24) / 1440)
        + a12 * sympy.cos(two_pi * (tod - wake_min - off12) / 720)
    )
    since_wake = clock_minutes(TIME - wake_min) / car_tau
    # s²·e^(2(1-s)): peaks at 1 when s = 1 and starts with zero slope, so fixed-step
    # integrators keep their order when the wake time falls between steps
    awakening = car_amp * since_wake**2 * sympy.exp(2 * (1 - since_wake))
    # the awakening burst is not pulse-gated
    drive = (circadian * pulse + awakening) * stress * hooks.drive_multiplier + (
        tonic + hooks.tonic_drive
    )

    mr = (1 + mr_floor) / (cort_fb + mr_floor)
    gr_hyp = 1 / (1 + (grs * cort / k_gr) ** n_gr)
    gr_pit = 1 / (1 + (grs * (cort + dex_pot * dex_effect) / k_gr) ** n_gr)
    crh_total = crh + crh_exo

    b.rate(crh, ln2 / crh_half * (drive * mr * gr_hyp - crh))
    b.rate(acth, ln2 / acth_half * (crh_total * pit * gr_pit - acth))
    b.rate(cort, ln2 / cort_half * (synth * acth * adr - cort))
    b.rate(pit, ln2 / (1440 * pit_turn) * pit * (crh_total - 1))
    b.rate(adr, ln2 / (1440 * adr_turn) * adr * (acth - 1))
    gr_target = (
        gr_capacity
        * hooks.gr_target_multiplier
        * (1 + gr_theta ** (-gr_hill))
        / (1 + (cort / gr_theta) ** gr_hill)
    )
    b.rate(grs, (gr_target - grs) / (1440 * gr_tau))
    b.rate(dex_gut, dex_dose - ln2 / dex_ka * dex_gut)
    b.rate(dex, ln2 / dex_ka * dex_gut * 1000 / dex_vol - ln2 / dex_ke * dex)
    # effect compartment: plasma dex equilibrates with the receptor-bound pool, which
    # outlasts plasma dex (biological half-life 36-54 h vs plasma half-life ~4 h)
    b.rate(dex_effect, ln2 / (60 * dex_effect_half) * (dex - dex_effect))
    b.rate(crh_exo, crh_inf - crh_exo_k * crh_exo)
    b.rate(cort_fb, (cort - cort_fb) / fb_tau)

    total = b.readout(
        "plasma_cortisol_nmol_l", "nmol/L", "total plasma cortisol", cort_scale * cort
    )
    a_q = 1 + alb_ratio
    b_q = a_q * cbg_kd + cbg_cap - total
    free = b.readout(
        "free_cortisol_nmol_l",
        "nmol/L",
        "plasma free cortisol (CBG saturable + albumin linear binding)",
        (-b_q + sympy.sqrt(b_q**2 + 4 * a_q * total * cbg_kd)) / (2 * a_q),
    )
    saliva = b.readout("salivary_cortisol_nmol_l", "nmol/L", "salivary cortisol", sal_ratio * free)
    b.readout("acth_pg_ml", "pg/mL", "plasma ACTH", acth_scale * acth)
    b.readout(
        "crh_drive", "1", "hypothalamic drive (circadian × pulses + awakening) × stress", drive
    )
    b.readout("clock_hour", "h", "time of day", tod / 60)
    hours_awake = clock_minutes(TIME - wake_min) / 60
    awake_span = clock_minutes(60 * sleep_h - wake_min) / 60
    awake = b.readout(
        "awake",
        "1",
        "1 while awake on the sleep/wake schedule, else 0",
        sympy.Piecewise((1, hours_awake < awake_span), (0, True)),
    )
    b.component = previous_component
    return HpaCore(
        cortisol=cort,
        cortisol_feedback=cort_fb,
        gr_sensitivity=grs,
        crh=crh,
        acth=acth,
        stress_input=stress,
        plasma_cortisol_nmol_l=total,
        salivary_cortisol_nmol_l=saliva,
        awake=awake,
        clock_minutes=tod,
    )
