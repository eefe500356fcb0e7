"""How treatments act on the twin: EA by frequency, needling, CBT and drugs (PK/PD).

Inputs follow the contract of :func:`hpatwin.treatments.compile_plan`
(``TREATMENT_INPUTS``). Effects enter the pain-depression layer and the HPA core
through their hooks:

* **Acute opioid release** (Han): low-frequency drive releases β-endorphin and
  enkephalin (μ/δ), high-frequency drive releases spinal dynorphin (κ); dense-disperse
  alternation is synergistic (Wang et al. 2005: 2/100 Hz ~40 % more potent); every
  release builds CCK-8, the anti-opioid behind tolerance. Analgesia follows receptor
  activation above basal tone.
* **Course effects**: an EA course state accumulates over sessions and decays between
  them; it drives the article's six non-HPA pathways (5-HT, BDNF, anti-inflammation,
  anandamide, autonomic, GR restoration) and the HPA drive, each with a switchable
  ``pathway_ea_*`` gain. Low frequency weighs more than high; alternation adds synergy,
  giving the article's ordering (cortisol fall and antidepressant effect 2/100 ≥ 2 > 100 Hz).
* **Non-specific effects** of any needling (the only effects of sham).
* **Dry needling** clears trigger-point load and lowers sympathetic tone for the next
  half hour (source article; the literature also reports acute rises: Lázaro-Navas et al., IJERPH 2021;18:6018).
* **CBT** lowers catastrophising through a slowly decaying skills state.
* **Drugs**: one-compartment oral PK from ``hpatwin.treatments`` (sourced), Emax PD:
  SNRIs raise 5-HT and NA and add spinal noradrenergic analgesia, the SSRI raises 5-HT
  only, the opioid gives μ analgesia, the NSAID lowers peripheral nociception.

Sizes are assumptions with rationales; the trial calibration (Vickers, MacPherson) is
documented in ``docs/treatments.md``.

Example
-------
>>> from hpatwin.model import get_model
>>> "ea_course" in get_model("twin").state_names
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import sympy

from hpatwin.data.drugs import DRUG_KEYS
from hpatwin.model.definition import ONE, ZERO, ModelBuilder
from hpatwin.parameters import Evidence, drug_pk_parameters

COMPONENT = "treatment_effects"
ASSUME = Evidence.ASSUMPTION
ARTICLE = "source article (the narrative review hpatwin implements: 'The Bidirectional Link Between Chronic Pain and Depression')"
HAN = "Han, Trends Neurosci 2003;26:17 and Neurosci Lett 2004;361:258: 2 Hz → enkephalin/β-endorphin, 100 Hz → dynorphin"

#: EA pathways beyond acute analgesia that ``ablate`` can switch off.
EA_PATHWAYS: dict[str, str] = {
    "ea_serotonin": "EA raises 5-HT in the dorsal raphe",
    "ea_bdnf": "EA raises hippocampal BDNF",
    "ea_antiinflammatory": "EA lowers IL-6/TNF-α/IL-1β (microglial activation)",
    "ea_endocannabinoid": "EA raises anandamide",
    "ea_autonomic": "EA lowers sympathetic tone and raises HRV",
    "ea_gr_restoration": "EA restores GR expression",
    "ea_hpa": "EA lowers the hypothalamic CRH drive (cortisol fall)",
    "ea_opioid": "EA releases endogenous opioid peptides",
}

#: (standard daily dose mg for the EC50, role) of each drug key
STANDARD_DOSES: dict[str, tuple[float, str]] = {
    "duloxetine": (60.0, "snri"),
    "venlafaxine": (150.0, "snri"),
    "escitalopram": (10.0, "ssri"),
    "oxycodone": (20.0, "opioid"),
    "naproxen": (1000.0, "nsaid"),
}


@dataclass
class TreatmentEffects:
    """Hook expressions for the pain-depression layer and the HPA core."""

    layer_hooks: dict[str, sympy.Expr] = field(default_factory=dict)
    gr_target_multiplier: sympy.Expr = ONE


def _saturating(x: sympy.Expr, half: sympy.Expr) -> sympy.Expr:
    return x / (x + half)


def _combined_relief(*reliefs: sympy.Expr) -> sympy.Expr:
    """Independent fractional reliefs combine as 1 - Π(1 - r)."""
    product: sympy.Expr = ONE
    for relief in reliefs:
        product = product * (1 - relief)
    return 1 - product


def add_treatment_effects(b: ModelBuilder) -> TreatmentEffects:
    """Declare treatment inputs, states and PK/PD on ``b``; return the hooks."""
    previous = b.component
    b.component = COMPONENT
    ln2 = sympy.log(2)
    day = 1440

    def par(
        name: str,
        value: float,
        unit: str,
        description: str,
        rationale: str,
        lower: float = 0.0,
        upper: float = 100.0,
        source: str = "hpatwin calibration",
        evidence: Evidence = ASSUME,
    ) -> sympy.Symbol:
        return b.parameter(
            name,
            value,
            unit,
            description,
            source,
            evidence,
            rationale=rationale,
            lower=lower,
            upper=upper,
        )

    pw = {name: b.pathway_gain(name, text, ARTICLE) for name, text in EA_PATHWAYS.items()}

    # --- inputs (contract of hpatwin.treatments.compile_plan) --------------------------------
    low = b.input(
        "ea_low_frequency_drive", "1", "EA low-frequency share × relative intensity", 0.0, upper=2
    )
    high = b.input(
        "ea_high_frequency_drive", "1", "EA high-frequency share × relative intensity", 0.0, upper=2
    )
    alternating = b.input(
        "ea_alternating", "1", "1 during 2/100 Hz dense-disperse EA", 0.0, upper=1
    )
    nonspecific = b.input(
        "needling_nonspecific", "1", "1 during any needling session", 0.0, upper=1
    )
    manual = b.input("manual_acupuncture", "1", "1 during manual acupuncture", 0.0, upper=1)
    b.input(
        "sham_needling", "1", "1 during sham sessions (non-specific effects only)", 0.0, upper=1
    )
    dry = b.input(
        "trigger_point_needling", "1", "1 during dry needling of trigger points", 0.0, upper=1
    )
    for region in ("cervical", "periscapular", "lumbar"):
        b.input(
            f"trigger_point_region_{region}",
            "1",
            f"1 during dry needling of the {region} region",
            0.0,
            upper=1,
        )
    cbt = b.input("cbt_session", "1", "1 during a CBT session", 0.0, upper=1)

    # --- acute opioid release, synergy, tolerance ------------------------------------------
    synergy = par(
        "ea_alternation_synergy",
        0.4,
        "1",
        "extra potency of dense-disperse alternation",
        "Wang et al. 2005 Exp Neurol 192:156: asynchronous 2/100 Hz 40 % more potent than "
        "simultaneous stimulation (rats)",
        upper=5,
        source="Wang, Zhang, Wang, Cao, Han 2005 Exp Neurol 192:156",
        evidence=Evidence.ANIMAL_STUDY,
    )
    manual_weight = par(
        "manual_acupuncture_low_frequency_equivalent",
        0.3,
        "1",
        "manual needling as a fraction of low-frequency EA drive",
        "manual de-qi stimulation recruits the same afferents with a weaker, "
        "irregular drive; EA vs manual differed little in chronic low back pain over 12 sessions (a Brazilian RCT, secondary summary). "
        "Not tuned; checked against ACUDep (MacPherson 2013: manual acupuncture, a mean of 10 "
        "weekly sessions, PHQ-9 −2.46 vs usual care at 3 months; calibration target −1.5 to "
        "−3.5): with 0.3 the calibration trial gives −2.05 at 300 per arm (docs/treatments.md)",
        upper=2,
    )
    # acute release follows the drive itself; alternation's synergy acts on the course (the
    # 40 % of Wang 2005 compares alternating with simultaneous mixed stimulation)
    low_total = low + manual_weight * manual
    high_total = high
    boost = 1 + synergy * alternating
    r_opioid = par(
        "ea_mu_delta_release_per_min",
        0.02,
        "1/min",
        "β-endorphin and enkephalin release per minute at full low-frequency drive",
        f"{HAN}; sized so a 30-min 2 Hz session gives moderate, long-lasting analgesia",
    )
    r_dyn = par(
        "ea_dynorphin_release_per_min",
        0.08,
        "1/min",
        "spinal dynorphin release per minute at full high-frequency drive",
        f"{HAN}; sized so 100 Hz gives the strongest but shortest analgesia (article table)",
    )
    release = pw["ea_opioid"]

    # --- EA course and non-specific states --------------------------------------------------
    course = b.state("ea_course", "1", "accumulated EA course effect (0 = none)", 0.0)
    placebo = b.state("nonspecific_effect", "1", "accumulated non-specific needling effect", 0.0)
    needling_autonomic = b.state(
        "needling_autonomic", "1", "acute autonomic effect of dry needling", 0.0
    )
    skills = b.state("cbt_skills", "1", "accumulated CBT skills (0 = none)", 0.0)
    w_high = par(
        "ea_high_frequency_course_weight",
        0.6,
        "1",
        "course effect of high- relative to low-frequency drive",
        "article: 100 Hz gives mild cortisol fall and moderate antidepressant effect, "
        "2 Hz moderate/strong",
        upper=5,
    )
    k_course = par(
        "ea_course_gain_per_min",
        0.0045,
        "1/min",
        "course build-up per minute of full drive",
        "calibrated (hpatwin.cohorts.treatment_calibration, docs/treatments.md): with it, EA vs usual "
        "care gives pain NRS ≈ 0.5 SD (Vickers 2012/2018) and 10 weekly manual acupuncture "
        "sessions give PHQ-9 −2.05 vs usual care at 3 months (MacPherson 2013, ACUDep: −2.46); was "
        "0.0115 (course state ≈ 1 twice weekly), which gave PHQ-9 −3.9, then 0.005, which with "
        "the enrolment exacerbation and the non-specific mood relief gave PHQ-9 −2.9 (both with "
        "ACUDep's acupuncture modelled as 2 Hz EA, which ACUDep did not use)",
        upper=1,
    )
    course_half = par(
        "ea_course_half_life_days",
        7.0,
        "d",
        "decay half-life of the course effect",
        "effects decay between sessions and accumulate over a course (issue; Vickers "
        "2018: ~15 % decay at 1 year for pain)",
        lower=0.1,
        upper=365,
    )
    b.rate(
        course,
        k_course * (low_total + w_high * high_total) * boost - ln2 * course / (day * course_half),
    )
    k_ns = par(
        "nonspecific_gain_per_min",
        0.0115,
        "1/min",
        "non-specific build-up per needling minute",
        "a few sessions bring the state near its twice-weekly level (≈ 1); the size of the "
        "non-specific effect is set by nonspecific_analgesia_max (calibrated)",
        upper=1,
    )
    ns_half = par(
        "nonspecific_half_life_days",
        7.0,
        "d",
        "decay half-life of non-specific effects",
        "expectation effects fade between sessions",
        lower=0.1,
        upper=365,
    )
    b.rate(placebo, k_ns * nonspecific - ln2 * placebo / (day * ns_half))
    k_auto = par(
        "dry_needling_autonomic_gain_per_min",
        0.05,
        "1/min",
        "acute autonomic effect build-up per minute of dry needling",
        "article: heart rate and systolic pressure fall over 30 min after upper-trapezius "
        "needling (literature conflicting: Abbaszadeh-Amirdehi et al., Acupunct Med 2017;35:85; Lázaro-Navas et al., IJERPH 2021;18:6018)",
        upper=10,
    )
    auto_half = par(
        "dry_needling_autonomic_half_life_min",
        45.0,
        "min",
        "decay half-life of the acute autonomic effect",
        "lasts around the 30-min window",
        lower=1,
        upper=1440,
    )
    b.rate(needling_autonomic, k_auto * dry - ln2 * needling_autonomic / auto_half)
    k_cbt = par(
        "cbt_gain_per_min",
        0.0005,
        "1/min",
        "CBT skills gained per session minute",
        "weekly 50-min sessions reach skills ≈ 1 within a course",
        upper=1,
    )
    cbt_half = par(
        "cbt_skills_half_life_days",
        90.0,
        "d",
        "half-life of CBT skills",
        "CBT effects persist for months",
        lower=1,
        upper=3650,
    )
    b.rate(skills, k_cbt * cbt - ln2 * skills / (day * cbt_half))
    half = par(
        "treatment_effect_half_saturation",
        0.5,
        "1",
        "course/skills level giving half of a saturating effect",
        "saturating effects",
        lower=0.01,
        upper=10,
    )
    sat_course = _saturating(course, half)

    def course_effect(name: str, value: float, description: str) -> sympy.Expr:
        gain = par(
            f"ea_{name}_gain",
            value,
            "1",
            description,
            f"{ARTICLE}: direction; size calibrated to trial effect sizes (docs/treatments.md)",
            upper=5,
        )
        return gain * sat_course

    # --- drug PK/PD --------------------------------------------------------------------------
    pk = {p.name: p for p in drug_pk_parameters()}
    drug_5ht: sympy.Expr = ZERO
    drug_na: sympy.Expr = ZERO
    spinal_relief: list[sympy.Expr] = []
    opioid_relief: sympy.Expr = ZERO
    nsaid_reduction: sympy.Expr = ZERO
    for key in DRUG_KEYS:
        symbols = {}
        for suffix in (
            "absorption_half_life_min",
            "elimination_half_life_h",
            "volume_l",
            "clearance_factor",
        ):
            p = pk[f"{key}_{suffix}"]
            symbols[suffix] = b.parameter(
                p.name,
                p.value,
                p.unit,
                p.description,
                p.source,
                p.evidence,
                rationale=p.rationale,
                lower=p.lower,
                upper=p.upper,
            )
        rate = b.input(
            f"{key}_dose_rate_mg_per_min", "mg/min", f"oral {key} dosing rate", 0.0, upper=1000
        )
        gut = b.state(f"{key}_gut_mg", "mg", f"{key} awaiting absorption", 0.0)
        conc = b.state(f"{key}_plasma_mg_l", "mg/L", f"{key} plasma concentration", 0.0)
        ka = ln2 / symbols["absorption_half_life_min"]
        ke = ln2 / (60 * symbols["elimination_half_life_h"]) * symbols["clearance_factor"]
        b.rate(gut, rate - ka * gut)
        b.rate(conc, ka * gut / symbols["volume_l"] - ke * conc)
        dose, role = STANDARD_DOSES[key]
        clearance_l_per_min = (
            pk[f"{key}_volume_l"].value
            * math.log(2)
            / (60 * pk[f"{key}_elimination_half_life_h"].value)
        )
        ec50_value = dose / 1440 / clearance_l_per_min
        ec50 = par(
            f"{key}_ec50_mg_l",
            ec50_value,
            "mg/L",
            f"{key} concentration for half-maximal effect",
            f"set to the mean steady-state concentration of {dose:g} mg/day with the catalogue "
            "PK, so the usual dose gives half the maximal effect",
            lower=1e-9,
            upper=1e3,
            source="derived from hpatwin.treatments drug catalogue",
        )
        occupancy = conc / (conc + ec50)
        if role in ("snri", "ssri"):
            drug_5ht = (
                drug_5ht
                + par(
                    f"{key}_serotonin_emax",
                    0.8,
                    "1",
                    f"maximal 5-HT tone rise ({key})",
                    "reuptake inhibition raises synaptic 5-HT",
                    upper=5,
                )
                * occupancy
            )
        if role == "snri":
            drug_na = (
                drug_na
                + par(
                    f"{key}_noradrenaline_emax",
                    0.6,
                    "1",
                    f"maximal NA tone rise ({key})",
                    "SNRIs also raise NA",
                    upper=5,
                )
                * occupancy
            )
            spinal_relief.append(
                par(
                    f"{key}_spinal_analgesia_emax",
                    0.25,
                    "1",
                    f"maximal spinal noradrenergic analgesia ({key})",
                    "article: dual antidepressants have some analgesic effect; most "
                    "SSRIs do not change pain",
                    upper=1,
                )
                * occupancy
            )
        if role == "opioid":
            opioid_relief = (
                par(
                    f"{key}_analgesia_emax",
                    0.6,
                    "1",
                    f"maximal μ-opioid analgesia ({key})",
                    "opioid analgesia; sized so the usual dose roughly halves moderate pain",
                    upper=1,
                )
                * occupancy
            )
        if role == "nsaid":
            nsaid_reduction = (
                par(
                    f"{key}_nociception_emax",
                    0.3,
                    "1",
                    f"maximal fall of peripheral nociceptive input ({key})",
                    "NSAIDs act on peripheral inflammatory nociception",
                    upper=1,
                )
                * occupancy
            )

    # --- assemble the hooks --------------------------------------------------------------------
    beta_endorphin = sympy.Symbol("beta_endorphin", real=True)
    enkephalin = sympy.Symbol("enkephalin", real=True)
    dynorphin = sympy.Symbol("dynorphin", real=True)
    cck = sympy.Symbol("cck", real=True)
    mu = (beta_endorphin + enkephalin) / 2 / (1 + cck)
    kappa = dynorphin / (1 + cck)
    relief_max = par(
        "ea_opioid_analgesia_max",
        0.5,
        "1",
        "maximal fractional analgesia from EA opioids",
        "EA analgesia is partial",
        upper=1,
    )
    relief_half = par(
        "ea_opioid_analgesia_half",
        0.6,
        "1",
        "receptor activation above basal for half relief",
        "saturating opioid analgesia",
        lower=0.01,
        upper=10,
    )
    excess = (mu - 1 + sympy.Abs(mu - 1)) / 2 + (kappa - 1 + sympy.Abs(kappa - 1)) / 2
    ea_relief = relief_max * _saturating(excess, relief_half)
    placebo_relief = par(
        "nonspecific_analgesia_max",
        0.3,
        "1",
        "maximal non-specific (sham) analgesia",
        "sham acupuncture has effects on pain: Vickers et al., J Pain 2018;19:455 ≈ 0.5 SD vs no "
        "acupuncture but only ≈ 0.2 SD vs sham, so sham carries over half of the effect; "
        "calibrated with hpatwin.cohorts.treatment_calibration (docs/treatments.md); was 0.12, which "
        "gave EA vs sham 0.38 SD",
        upper=1,
    ) * _saturating(placebo, half)
    autonomic_acute = (
        par(
            "ea_session_sympathetic_reduction",
            0.1,
            "1",
            "sympathetic reduction while EA stimulates",
            "article: EA normalises autonomic activity",
            upper=1,
        )
        * (low_total + high_total)
        * pw["ea_autonomic"]
    )
    sympathetic = _combined_relief(
        course_effect("sympathetic", 0.12, "sympathetic reduction by the EA course")
        * pw["ea_autonomic"],
        autonomic_acute,
        par(
            "dry_needling_sympathetic_reduction",
            0.2,
            "1",
            "maximal acute sympathetic reduction after dry needling",
            "article: HR and SBP fall over the 30 min after trapezius needling",
            upper=1,
        )
        * _saturating(needling_autonomic, half),
    )
    clearance = par(
        "dry_needling_trigger_point_clearance_per_min",
        0.0054,
        "1/min",
        "fraction of trigger-point load cleared per minute of dry needling",
        "a 30-min session clears ~15 % of the load (assumption); article: needling lowers "
        "trigger-point load and nociceptive input",
        upper=1,
    )
    effects = TreatmentEffects()
    effects.layer_hooks = {
        "serotonin_boost": course_effect(
            "serotonin", 0.35, "5-HT rise by the EA course (2 Hz via 5-HT)"
        )
        * pw["ea_serotonin"]
        + drug_5ht,
        "noradrenaline_boost": drug_na,
        "bdnf_boost": course_effect("bdnf", 0.3, "BDNF rise by the EA course") * pw["ea_bdnf"],
        "microglia_suppression": course_effect(
            "antiinflammatory", 0.3, "microglial suppression by the EA course"
        )
        * pw["ea_antiinflammatory"],
        "anandamide_boost": course_effect("anandamide", 0.3, "anandamide rise by the EA course")
        * pw["ea_endocannabinoid"],
        "sympathetic_reduction": sympathetic,
        "beta_endorphin_release": r_opioid * low_total * release,
        "enkephalin_release": r_opioid * low_total * release,
        "dynorphin_release": r_dyn * high_total * release,
        "cck_induction_factor": 1
        - par(
            "ea_alternation_cck_sparing",
            0.5,
            "1",
            "fall of CCK induction during alternating EA",
            "Lin, Hao, Chen, Han 1993 (rats): tolerance after ~5 h of simultaneous but ~10 h of "
            "alternating stimulation, i.e. about half the induction rate",
            upper=1,
            source="Lin, Hao, Chen, Han 1993 (rats; alternating 2/100 Hz postpones EA tolerance)",
            evidence=Evidence.ANIMAL_STUDY,
        )
        * alternating,
        "analgesic_relief": _combined_relief(
            ea_relief, placebo_relief, opioid_relief, *spinal_relief
        ),
        "nociception_reduction": nsaid_reduction,
        "trigger_point_clearance_per_min": clearance * dry,
        "catastrophising_reduction": par(
            "cbt_catastrophising_reduction_max",
            0.6,
            "1",
            "maximal fall of catastrophising with CBT",
            "CBT targets the cognitive component (article)",
            upper=1,
        )
        * _saturating(skills, half),
        "drive_reduction": course_effect("hpa", 0.12, "CRH drive reduction by the EA course")
        * pw["ea_hpa"],
        "sleep_boost": course_effect("sleep", 0.2, "sleep improvement by the EA course")
        + par(
            "nonspecific_sleep_boost",
            0.03,
            "1",
            "sleep improvement from non-specific effects",
            "attention and relaxation of any session",
            upper=1,
        )
        * _saturating(placebo, half),
        "expressed_mood_relief": par(
            "nonspecific_mood_relief_max",
            0.15,
            "1",
            "maximal fractional relief of the expressed depression severity by non-specific "
            "(expectancy, therapeutic-contact) effects of needling",
            "real and sham needling share expectancy and contact effects on mood as on pain "
            "(nonspecific_analgesia_max); ACUDep (MacPherson 2013) was not designed to separate "
            "specific from non-specific effects. Size: assumption calibrated to the treatment "
            "time-course targets with the MacPherson and Vickers targets kept "
            "(docs/treatments.md)",
            upper=1,
        )
        * _saturating(placebo, half),
    }
    effects.gr_target_multiplier = (
        1
        + course_effect("gr", 0.3, "GR expression restoration by the EA course")
        * pw["ea_gr_restoration"]
    )
    b.component = previous
    return effects
