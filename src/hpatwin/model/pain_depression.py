"""The pain–depression layer: the source article's two-way cascade, hours to months.

The source article (the narrative review 'The Bidirectional Link Between Chronic Pain and
Depression' that hpatwin implements) describes the cascade this
layer encodes. Chronic stress or persistent pain → sustained CRH drive →
hypercortisolism with GR down-regulation (HPA core) → hippocampal neurotoxicity
(BDNF, neurogenesis, volume) and 5-HT/NA depletion → weaker descending
inhibition → more central sensitisation → more pain → more stress, closing
the loop through the CRH drive. Depression also raises sympathetic tone and
muscle tone, which feed myofascial trigger points and nociceptive input.

No published mechanistic model couples pain and depression
(see docs/hpa-core.md), so every link's *direction* comes from the source
article (evidence "source article"). The *sizes* are assumptions, each with its
rationale, calibrated on virtual populations to the epidemiology targets
(``docs/pain-depression.md``). Each link is multiplied by a pathway gain
``pathway_<name>`` (1 by default) so any named pathway can be switched off
(:data:`PATHWAYS`, ``simulate(..., ablate=[...])``).

States are normalised so the healthy steady state is 1 (tones, BDNF,
neurogenesis, volume, sleep) or 0 (sensitisation, trigger-point load,
catastrophising); depression severity is on 0–1 and maps to an expected PHQ-9
of 27× severity.

Example
-------
>>> from hpatwin.model import get_model
>>> "phq9_expected" in get_model("twin").readout_names
True
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from hpatwin.model.definition import ONE, ZERO, ModelBuilder
from hpatwin.parameters import Evidence

COMPONENT = "pain_depression"
ARTICLE = "source article (the narrative review hpatwin implements: 'The Bidirectional Link Between Chronic Pain and Depression')"
ASSUME = Evidence.ASSUMPTION
MIZRACHI = "Ron Mizrachi et al. 2023 PLoS Comput Biol 19:e1011645 (CNS state a7 = 1/21 per day)"

#: Named pathways that ``ablate`` can switch off, with what each carries.
PATHWAYS: dict[str, str] = {
    "cortisol_monoamine_depletion": "sustained hypercortisolism depletes 5-HT and NA",
    "inflammation_monoamine_depletion": "neuroinflammation depletes 5-HT and NA",
    "cortisol_neurotoxicity": "hypercortisolism lowers BDNF and hippocampal neurogenesis",
    "monoamine_bdnf": "5-HT/NA support BDNF",
    "cortisol_microglia": "hypercortisolism primes dorsal-horn microglia",
    "nociception_microglia": "nociceptive input activates dorsal-horn microglia",
    "descending_inhibition": "5-HT/NA/opioid/endocannabinoid tone inhibits dorsal-horn transmission",
    "microglia_sensitisation": "activated microglia amplify central sensitisation",
    "pain_stress": "pain drives the HPA axis (CRH) as a stressor",
    "mood_stress": "depression drives the HPA axis (CRH)",
    "psychological": "pain → functional limitation and catastrophising → depression",
    "monoamine_mood": "5-HT/NA deficit → depression",
    "neuroplasticity_mood": "BDNF/neurogenesis deficit → depression",
    "inflammation_mood": "neuroinflammation → depression",
    "sleep_mood": "poor sleep → depression",
    "hypercortisolism_sleep": "raised cortisol disturbs sleep",
    "pain_sleep": "pain disturbs sleep",
    "sympathetic_muscle_tone": "sympathetic hyperactivity raises muscle tone → trigger points",
    "trigger_point_nociception": "trigger points feed nociceptive input",
    "mood_pain_amplification": "depression and catastrophising amplify perceived pain",
}


@dataclass(frozen=True)
class PainDepressionLayer:
    """Expressions the rest of the twin (HPA hooks, treatments) reads."""

    drive_multiplier: sympy.Expr
    tonic_drive: sympy.Expr
    serotonin: sympy.Symbol
    noradrenaline: sympy.Symbol
    bdnf: sympy.Symbol
    microglia: sympy.Symbol
    sensitisation: sympy.Symbol
    trigger_point_load: sympy.Symbol
    sympathetic_tone: sympy.Symbol
    sleep_quality: sympy.Symbol
    catastrophising: sympy.Symbol
    depression: sympy.Symbol
    anandamide: sympy.Symbol
    pain_level: sympy.Expr
    opioid_tone: sympy.Expr


def smooth_positive(x: sympy.Expr, width: float = 0.01) -> sympy.Expr:
    """A smooth ``max(x, 0)`` (differentiable, SBML-friendly)."""
    return (x + sympy.sqrt(x**2 + width**2)) / 2


def add_pain_depression_layer(
    b: ModelBuilder,
    *,
    serotonin_boost: sympy.Expr = ZERO,
    noradrenaline_boost: sympy.Expr = ZERO,
    bdnf_boost: sympy.Expr = ZERO,
    microglia_suppression: sympy.Expr = ZERO,
    anandamide_boost: sympy.Expr = ZERO,
    sympathetic_reduction: sympy.Expr = ZERO,
    beta_endorphin_release: sympy.Expr = ZERO,
    enkephalin_release: sympy.Expr = ZERO,
    dynorphin_release: sympy.Expr = ZERO,
    cck_induction_factor: sympy.Expr = ONE,
    analgesic_relief: sympy.Expr = ZERO,
    nociception_reduction: sympy.Expr = ZERO,
    trigger_point_clearance_per_min: sympy.Expr = ZERO,
    catastrophising_reduction: sympy.Expr = ZERO,
    drive_reduction: sympy.Expr = ZERO,
    sleep_boost: sympy.Expr = ZERO,
    expressed_mood_relief: sympy.Expr = ZERO,
) -> PainDepressionLayer:
    """Declare the layer on ``b``; treatment effects enter through the keyword hooks.

    ``expressed_mood_relief`` is the fraction of the expressed depression severity that
    non-specific (expectancy, therapeutic-contact) effects remove; the slow core severity
    is untouched by it.

    The HPA core's symbols are read by name (``cortisol``, ``cortisol_feedback``,
    ``stress_input``), so the layer can be declared before the core and hand it
    ``drive_multiplier``.
    """
    previous = b.component
    b.component = COMPONENT

    def par(
        name: str,
        value: float,
        unit: str,
        description: str,
        rationale: str,
        lower: float = 0.0,
        upper: float = 100.0,
        source: str = ARTICLE + " (direction); size calibrated",
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

    pw = {name: b.pathway_gain(name, text, ARTICLE) for name, text in PATHWAYS.items()}
    day = 1440  # minutes

    # --- signals read from the HPA core -------------------------------------------------
    cortisol_chronic = sympy.Symbol("cortisol_feedback", real=True)  # 24-h filtered cortisol
    stress_input = sympy.Symbol("stress_input", real=True)
    cortisol_ref = par(
        "healthy_mean_cortisol",
        1.12,
        "1",
        "24-h mean normalised cortisol of the healthy default (hypercortisolism is relative to it)",
        "the healthy steady state of the HPA core's delayed-feedback cortisol signal",
        lower=0.1,
        upper=10,
    )
    hyper = smooth_positive(cortisol_chronic / cortisol_ref - 1)

    # --- phenotype knobs ----------------------------------------------------------------
    tissue_nociception = par(
        "tissue_nociception",
        1.0,
        "1",
        "peripheral nociceptive drive from tissue (1 = healthy; chronic pain conditions > 1)",
        "phenotype knob: persistent peripheral pain generator (injury, arthritis, myofascial)",
        upper=20,
    )
    vulnerability = par(
        "depression_vulnerability",
        0.0,
        "1",
        "intrinsic (genetic/psychosocial) drive towards depression, added to the mood balance",
        "phenotype knob: depression without a pain origin (the depression-only start)",
        lower=-5,
        upper=10,
    )

    # --- states ----------------------------------------------------------------------------
    serotonin = b.state("serotonin", "1", "brainstem 5-HT tone (dorsal raphe; 1 = healthy)", 1.0)
    noradrenaline = b.state("noradrenaline", "1", "brainstem NA tone (locus coeruleus)", 1.0)
    bdnf = b.state("bdnf", "1", "hippocampal BDNF (1 = healthy)", 1.0)
    neurogenesis = b.state("neurogenesis", "1", "hippocampal neurogenesis (1 = healthy)", 1.0)
    volume = b.state("hippocampal_volume", "1", "hippocampal volume index (1 = healthy)", 1.0)
    microglia = b.state("microglia", "1", "dorsal-horn microglial activation (1 = resting)", 1.0)
    beta_endorphin = b.state("beta_endorphin", "1", "β-endorphin tone (1 = basal)", 1.0)
    enkephalin = b.state("enkephalin", "1", "enkephalin tone (1 = basal)", 1.0)
    dynorphin = b.state("dynorphin", "1", "spinal dynorphin tone (1 = basal)", 1.0)
    cck = b.state("cck", "1", "CCK-8 anti-opioid tone (0 = none)", 0.0)
    anandamide = b.state("anandamide", "1", "endocannabinoid (anandamide) tone (1 = healthy)", 1.0)
    sensitisation = b.state(
        "central_sensitisation", "1", "dorsal-horn central sensitisation (0 = none)", 0.0
    )
    trigger = b.state("trigger_point_load", "1", "myofascial trigger-point load (0 = none)", 0.0)
    sympathetic = b.state("sympathetic_tone", "1", "sympathetic tone (1 = healthy)", 1.0)
    sleep = b.state("sleep_quality", "1", "sleep quality (1 = healthy, 0 = none)", 1.0)
    catastrophising = b.state(
        "catastrophising", "1", "pain catastrophising / cognitive component (0 = none)", 0.0
    )
    depression = b.state(
        "depression_severity", "1", "core depression severity (0-1; slow CNS state)", 0.05
    )
    exacerbation = b.state(
        "symptom_exacerbation",
        "1",
        "transient exacerbation above the personal set point (1 = its size at trial "
        "enrolment, 0 = none)",
        0.0,
    )

    # --- natural course: an exacerbation at enrolment that resolves by itself -------------
    # Patients enrol while their symptoms are above their own set point (they seek care and
    # pass the screening threshold at a bad time). The untreated twin has no exacerbation
    # (steady state 0); trial enrolment sets the state to 1 (hpatwin.cohorts.treatment_calibration)
    # and it resolves in every arm: regression to the mean emerging from the dynamics.
    tau_exacerbation = par(
        "exacerbation_resolution_time_constant_days",
        14.0,
        "d",
        "time constant with which an enrolment exacerbation resolves",
        "assumption calibrated to the treatment time-course targets (docs/treatments.md): "
        "the exacerbation is reactive distress on top of the slow core state and resolves "
        "over the first weeks of a trial in every arm, including usual care",
        lower=0.5,
        upper=365,
        source="hpatwin calibration (assumption)",
    )
    exacerbation_mood_share = par(
        "exacerbation_mood_share",
        0.2,
        "1",
        "share of the remaining healthy mood margin (1 − core severity) an exacerbation of "
        "size 1 takes away from the expressed severity",
        "assumption calibrated to the treatment time-course targets (docs/treatments.md); "
        "the multiplicative form keeps the expressed severity ≤ 1, so patients near the "
        "ceiling worsen least",
        upper=1,
        source="hpatwin calibration (assumption)",
    )
    exacerbation_nociception = par(
        "exacerbation_nociception",
        0.0,
        "1",
        "extra peripheral nociceptive input during an exacerbation of size 1 (pain flare)",
        "assumption: the enrolment exacerbation is set on mood; a pain flare can be added "
        "here (0 keeps the calibrated pain effect sizes)",
        upper=50,
        source="hpatwin calibration (assumption)",
    )
    b.rate(exacerbation, -exacerbation / (day * tau_exacerbation))
    # the expressed (reported, acting) severity: core severity, worsened by the
    # exacerbation, relieved by non-specific effects; it drives the PHQ-9 and every link
    # out of mood, while the core state carries the slow CNS dynamics
    mood = (1 - (1 - depression) * (1 - exacerbation_mood_share * exacerbation)) * (
        1 - expressed_mood_relief
    )
    # relax over days and read no input directly: the multirate step may advance them every
    # 30-60 min (docs/engine.md); hormones, peptides, drugs and sympathetic tone stay fast
    b.mark_slow(
        serotonin,
        noradrenaline,
        bdnf,
        neurogenesis,
        volume,
        microglia,
        anandamide,
        sensitisation,
        sleep,
        catastrophising,
        depression,
        exacerbation,
    )

    # --- monoamines: depleted by hypercortisolism and inflammation -------------------------
    tau_mono = par(
        "monoamine_time_constant_days",
        14.0,
        "d",
        "time constant of 5-HT/NA tone",
        "monoamine depletion and antidepressant-induced recovery take weeks (STAR*D timescales, "
        "Kroenke et al., J Gen Intern Med 2001;16:606)",
        lower=0.5,
        upper=365,
    )
    k_cort_5ht = par(
        "cortisol_serotonin_depletion",
        0.35,
        "1",
        "5-HT depletion per unit relative hypercortisolism",
        "article: sustained excess cortisol depletes 5-HT; sized in calibration"
        "; halved (realistic-severity recalibration) while the mood → CRH drive doubled, so ordinary depression "
        "raises morning cortisol with the same mood → HPA → mood loop gain",
    )
    k_cort_na = par(
        "cortisol_noradrenaline_depletion",
        0.25,
        "1",
        "NA depletion per unit relative hypercortisolism",
        "article: sustained excess cortisol depletes NA; sized in calibration"
        "; halved (realistic-severity recalibration) while the mood → CRH drive doubled, so ordinary depression "
        "raises morning cortisol with the same mood → HPA → mood loop gain",
    )
    k_infl_mono = par(
        "inflammation_monoamine_depletion",
        0.6,
        "1",
        "5-HT/NA depletion per unit microglial activation above rest",
        "cytokines shift tryptophan to kynurenine (Dalvi-Garcia 2021); sized in calibration",
    )
    inflammation = smooth_positive(microglia - 1)
    mono_load_5ht = (
        k_cort_5ht * hyper * pw["cortisol_monoamine_depletion"]
        + k_infl_mono * inflammation * pw["inflammation_monoamine_depletion"]
    )
    mono_load_na = (
        k_cort_na * hyper * pw["cortisol_monoamine_depletion"]
        + k_infl_mono * inflammation * pw["inflammation_monoamine_depletion"]
    )
    b.rate(serotonin, ((1 + serotonin_boost) / (1 + mono_load_5ht) - serotonin) / (day * tau_mono))
    b.rate(
        noradrenaline,
        ((1 + noradrenaline_boost) / (1 + mono_load_na) - noradrenaline) / (day * tau_mono),
    )

    # --- BDNF, neurogenesis, hippocampal volume --------------------------------------------
    tau_bdnf = par(
        "bdnf_time_constant_days",
        14.0,
        "d",
        "time constant of hippocampal BDNF",
        "BDNF follows antidepressant treatment over weeks",
        lower=0.5,
        upper=365,
    )
    k_cort_bdnf = par(
        "cortisol_bdnf_suppression",
        0.75,
        "1",
        "BDNF loss per unit hypercortisolism",
        "article: hippocampal neurotoxicity of sustained cortisol; sized in calibration"
        "; halved (realistic-severity recalibration) while the mood → CRH drive doubled, so ordinary depression "
        "raises morning cortisol with the same mood → HPA → mood loop gain",
    )
    k_mono_bdnf = par(
        "monoamine_bdnf_support",
        0.5,
        "1",
        "fractional BDNF change per unit change of 5-HT tone",
        "monoamines up-regulate BDNF (the antidepressant-neurotrophic link)",
    )
    tau_neuro = par(
        "neurogenesis_time_constant_days",
        28.0,
        "d",
        "time constant of neurogenesis",
        "new hippocampal neurons mature over weeks",
        lower=1,
        upper=365,
    )
    tau_volume = par(
        "hippocampal_volume_time_constant_days",
        180.0,
        "d",
        "time constant of the hippocampal volume index",
        "volume changes need months of sustained neurogenesis change",
        lower=7,
        upper=3650,
    )
    volume_span = par(
        "hippocampal_volume_span",
        0.15,
        "1",
        "largest fractional volume change from neurogenesis",
        "depression-related hippocampal volume loss is a few percent to ~10 %",
        upper=1,
    )
    bdnf_target = (1 + k_mono_bdnf * (serotonin - 1) * pw["monoamine_bdnf"] + bdnf_boost) / (
        1 + k_cort_bdnf * hyper * pw["cortisol_neurotoxicity"]
    )
    b.rate(bdnf, (bdnf_target - bdnf) / (day * tau_bdnf))
    b.rate(neurogenesis, (bdnf - neurogenesis) / (day * tau_neuro))
    b.rate(volume, (1 + volume_span * (neurogenesis - 1) - volume) / (day * tau_volume))

    # --- neuroinflammation: dorsal-horn microglia -------------------------------------------
    tau_mg = par(
        "microglia_time_constant_days",
        7.0,
        "d",
        "time constant of microglial activation",
        "glial activation builds and resolves over days",
        lower=0.1,
        upper=365,
    )
    k_noc_mg = par(
        "nociception_microglia_activation",
        0.12,
        "1",
        "activation per unit nociceptive input above normal",
        "persistent nociceptive barrage activates dorsal-horn microglia",
    )
    k_cort_mg = par(
        "cortisol_microglia_priming",
        0.8,
        "1",
        "activation per unit hypercortisolism",
        "article: neuroinflammation via microglial activation under sustained cortisol",
    )

    # --- descending inhibition, opioids, endocannabinoids ----------------------------------
    tau_be = par(
        "beta_endorphin_half_life_min",
        150.0,
        "min",
        "decay half-life of β-endorphin tone",
        "2 Hz EA analgesia is slow in onset and long-lasting (Han)",
        lower=5,
        upper=2880,
    )
    tau_enk = par(
        "enkephalin_half_life_min",
        120.0,
        "min",
        "decay half-life of enkephalin tone",
        "2 Hz EA analgesia is long-lasting (Han)",
        lower=5,
        upper=2880,
    )
    tau_dyn = par(
        "dynorphin_half_life_min",
        30.0,
        "min",
        "decay half-life of spinal dynorphin tone",
        "100 Hz EA analgesia is strong but short (article table)",
        lower=2,
        upper=2880,
    )
    tau_cck = par(
        "cck_half_life_min",
        240.0,
        "min",
        "decay half-life of CCK-8 anti-opioid tone",
        "tolerance appears within ~5-10 h of continuous EA (Lin 1993) and fades over hours",
        lower=5,
        upper=10080,
    )
    k_cck = par(
        "cck_induction",
        0.15,
        "1",
        "CCK build-up per unit opioid release",
        "sized so hours of continuous stimulation give tolerance (5-10 h) while a 30-min "
        "session barely does",
        upper=10,
    )
    ln2 = sympy.log(2)
    # treatment-driven release (per minute, ≥ 0) on top of basal turnover to tone 1;
    # CCK-8 builds with every release and opposes all three (tolerance)
    release = beta_endorphin_release + enkephalin_release + dynorphin_release
    b.rate(beta_endorphin, ln2 / tau_be * (1 - beta_endorphin) + beta_endorphin_release)
    b.rate(enkephalin, ln2 / tau_enk * (1 - enkephalin) + enkephalin_release)
    b.rate(dynorphin, ln2 / tau_dyn * (1 - dynorphin) + dynorphin_release)
    b.rate(cck, k_cck * cck_induction_factor * release - ln2 / tau_cck * cck)
    tau_aea = par(
        "anandamide_time_constant_days",
        2.0,
        "d",
        "time constant of anandamide tone",
        "endocannabinoid tone adapts over days",
        lower=0.05,
        upper=365,
    )
    k_stress_aea = par(
        "stress_anandamide_suppression",
        0.5,
        "1",
        "anandamide loss per unit hypercortisolism",
        "chronic stress lowers anandamide signalling",
    )
    b.rate(
        anandamide,
        ((1 + anandamide_boost) / (1 + k_stress_aea * hyper) - anandamide) / (day * tau_aea),
    )
    w_5ht = par(
        "descending_weight_serotonin",
        0.25,
        "1",
        "weight of 5-HT in descending inhibition",
        "article: 5-HT/NA descending pathways",
        upper=1,
    )
    w_na = par(
        "descending_weight_noradrenaline",
        0.25,
        "1",
        "weight of NA in descending inhibition",
        "article: 5-HT/NA descending pathways",
        upper=1,
    )
    w_op = par(
        "descending_weight_opioid",
        0.2,
        "1",
        "weight of opioid tone in descending inhibition",
        "PAG-RVM opioid descending control",
        upper=1,
    )
    w_aea = par(
        "descending_weight_anandamide",
        0.1,
        "1",
        "weight of endocannabinoid tone in descending inhibition",
        "article: anandamide regulates pain perception",
        upper=1,
    )
    opioid_tone = (beta_endorphin + enkephalin + dynorphin) / 3 / (1 + cck)
    raw_inhibition = (
        w_5ht * serotonin + w_na * noradrenaline + w_op * opioid_tone + w_aea * anandamide
    ) / (w_5ht + w_na + w_op + w_aea)
    inhibition = 1 + pw["descending_inhibition"] * (raw_inhibition - 1)

    # --- nociception, trigger points, sensitisation ----------------------------------------
    k_tp_noc = par(
        "trigger_point_nociception",
        0.6,
        "1",
        "nociceptive input per unit trigger-point load",
        "article: trigger points feed the nociceptive afferent input",
    )
    k_mt = par(
        "sympathetic_muscle_tone_gain",
        0.4,
        "1",
        "muscle tone rise per unit sympathetic rise",
        "article: depression raises baseline muscle tone via sympathetic hyperactivity",
    )
    tp_base = par(
        "trigger_point_predisposition",
        0.0,
        "1",
        "trigger-point load sustained without extra muscle tone (myofascial phenotype)",
        "phenotype knob: widespread myofascial trigger points",
        upper=10,
    )
    k_tone_tp = par(
        "muscle_tone_trigger_points",
        1.0,
        "1",
        "trigger-point load per unit muscle tone above normal",
        "article: raised muscle tone perpetuates trigger points",
    )
    tau_tp = par(
        "trigger_point_time_constant_days",
        21.0,
        "d",
        "time constant of trigger-point load",
        "trigger points form and resolve over weeks",
        lower=0.5,
        upper=365,
    )
    muscle_tone = 1 + k_mt * (sympathetic - 1) * pw["sympathetic_muscle_tone"]
    b.rate(
        trigger,
        (tp_base + k_tone_tp * smooth_positive(muscle_tone - 1) - trigger) / (day * tau_tp)
        - trigger_point_clearance_per_min * trigger,
    )
    # an injury or flare: extra nociception from its onset, healing exponentially; the
    # population generator gives some people one, so pain can start in anyone
    injury_day = par(
        "injury_onset_day",
        1e6,
        "day",
        "day of an injury or pain flare (default: never)",
        "event time drawn by the population generator",
        upper=1e7,
        source="hpatwin population model",
    )
    injury_size = par(
        "injury_nociception",
        0.0,
        "1",
        "extra nociceptive input at injury onset",
        "size drawn by the population generator",
        upper=50,
        source="hpatwin population model",
    )
    injury_heal = par(
        "injury_healing_time_constant_days",
        21.0,
        "d",
        "time constant of injury healing",
        "acute musculoskeletal injuries heal over weeks",
        lower=1,
        upper=365,
        source="hpatwin population model",
    )
    time = sympy.Symbol("t", real=True)
    since_injury = time / day - injury_day
    elapsed = (since_injury + sympy.Abs(since_injury)) / 2  # max(·, 0): no exp overflow
    injury = sympy.Piecewise((injury_size, since_injury >= 0), (0, True)) * sympy.exp(
        -elapsed / injury_heal
    )
    nociception = (
        tissue_nociception
        + injury
        + exacerbation_nociception * exacerbation
        + k_tp_noc * trigger * pw["trigger_point_nociception"]
    ) * (1 - nociception_reduction)

    mg_target = (
        1
        + k_noc_mg * smooth_positive(nociception - 1) * pw["nociception_microglia"]
        + k_cort_mg * hyper * pw["cortisol_microglia"]
    ) * (1 - microglia_suppression)
    b.rate(microglia, (mg_target - microglia) / (day * tau_mg))
    k_mg_z = par(
        "microglia_sensitisation_gain",
        0.4,
        "1",
        "spinal gain per unit microglial activation above rest",
        "activated microglia release factors that amplify dorsal-horn transmission",
    )
    k_z = par(
        "sensitisation_gain",
        0.6,
        "1",
        "sensitisation per unit net spinal drive above normal",
        "article: weaker descending inhibition increases central sensitisation",
    )
    tau_z = par(
        "sensitisation_time_constant_days",
        30.0,
        "d",
        "time constant of central sensitisation",
        "sensitisation develops and reverses over weeks to months",
        lower=1,
        upper=3650,
    )
    spinal_drive = (
        nociception * (1 + k_mg_z * inflammation * pw["microglia_sensitisation"]) / inhibition
    )
    z_half = par(
        "sensitisation_half_saturation",
        2.0,
        "1",
        "net spinal drive above normal giving half-maximal sensitisation",
        "wind-up and LTP saturate (Britton 1996 NMDA wind-up)",
        lower=0.01,
    )
    spinal_excess = smooth_positive(spinal_drive - 1)
    b.rate(
        sensitisation,
        (k_z * spinal_excess / (spinal_excess + z_half) - sensitisation) / (day * tau_z),
    )

    # --- perceived pain -----------------------------------------------------------------
    k_amp_d = par(
        "depression_pain_amplification",
        0.3,
        "1",
        "perceived-pain gain per unit depression severity",
        "article: depression amplifies pain (affective-attentional amplification)",
    )
    k_amp_c = par(
        "catastrophising_pain_amplification",
        0.5,
        "1",
        "perceived-pain gain per unit catastrophising",
        "catastrophising amplifies pain (amygdala, article)",
    )
    k_pain = par(
        "pain_half_saturation",
        2.0,
        "1",
        "spinal output above normal giving NRS 5",
        "maps the dimensionless pain signal onto the 0-10 scale",
        lower=0.01,
    )
    perceived = (
        nociception
        * (1 + sensitisation)
        / inhibition
        * (1 + (k_amp_d * mood + k_amp_c * catastrophising) * pw["mood_pain_amplification"])
        * (1 - analgesic_relief)
    )
    excess_pain = smooth_positive(perceived - 1)
    pain_level = excess_pain / (excess_pain + k_pain)

    # --- autonomic balance ----------------------------------------------------------------
    tau_sym = par(
        "sympathetic_time_constant_min",
        30.0,
        "min",
        "time constant of sympathetic tone",
        "autonomic tone changes within minutes (e.g. 30-min post-needling fall, article)",
        lower=1,
        upper=10080,
    )
    k_pain_sym = par(
        "pain_sympathetic_drive",
        0.16,
        "1",
        "sympathetic rise at maximal pain",
        "pain activates the sympathetic system",
    )
    k_dep_sym = par(
        "depression_sympathetic_drive",
        0.15,
        "1",
        "sympathetic rise at maximal depression",
        "article: sympathetic hyperactivity in depression",
    )
    k_stress_sym = par(
        "stress_sympathetic_drive",
        0.3,
        "1",
        "sympathetic rise per unit extra stress",
        "stress activates the sympathetic system",
    )
    sym_target = (
        1
        + k_pain_sym * pain_level
        + k_dep_sym * mood
        + k_stress_sym * smooth_positive(stress_input - 1)
    ) * (1 - sympathetic_reduction)
    b.rate(sympathetic, (sym_target - sympathetic) / tau_sym)

    # --- sleep ----------------------------------------------------------------------------
    tau_sleep = par(
        "sleep_time_constant_days",
        3.0,
        "d",
        "time constant of sleep quality",
        "article: sleep is the first to improve; it responds over days",
        lower=0.1,
        upper=365,
    )
    k_pain_sleep = par(
        "pain_sleep_disruption", 0.25, "1", "sleep loss at maximal pain", "pain disturbs sleep"
    )
    k_cort_sleep = par(
        "cortisol_sleep_disruption",
        0.2,
        "1",
        "sleep loss per unit hypercortisolism",
        "raised (evening) cortisol fragments sleep"
        "; halved (realistic-severity recalibration) while the mood → CRH drive doubled, so ordinary depression "
        "raises morning cortisol with the same mood → HPA → mood loop gain",
    )
    k_sym_sleep = par(
        "sympathetic_sleep_disruption",
        0.4,
        "1",
        "sleep loss per unit extra sympathetic tone",
        "hyperarousal disturbs sleep",
    )
    sleep_target = (1 + sleep_boost) / (
        1
        + k_pain_sleep * pain_level * pw["pain_sleep"]
        + k_cort_sleep * hyper * pw["hypercortisolism_sleep"]
        + k_sym_sleep * smooth_positive(sympathetic - 1)
    )
    b.rate(sleep, (sleep_target - sleep) / (day * tau_sleep))

    # --- catastrophising (cognitive component) --------------------------------------------
    tau_cat = par(
        "catastrophising_time_constant_days",
        30.0,
        "d",
        "time constant of catastrophising",
        "cognitive patterns change over weeks (CBT courses)",
        lower=1,
        upper=3650,
    )
    k_pain_cat = par(
        "pain_catastrophising",
        0.45,
        "1",
        "catastrophising at maximal pain",
        "persistent pain and functional limitation breed catastrophising",
    )
    b.rate(
        catastrophising,
        (
            (k_pain_cat * pain_level * pw["psychological"]) * (1 - catastrophising_reduction)
            - catastrophising
        )
        / (day * tau_cat),
    )

    # --- depression severity --------------------------------------------------------------
    tau_dep = par(
        "depression_time_constant_days",
        21.0,
        "d",
        "time constant of depression severity",
        "mood changes over weeks; same timescale as the CNS state of Ron Mizrachi 2023",
        source=MIZRACHI,
        lower=1,
        upper=365,
    )
    w_mono = par(
        "monoamine_mood_weight",
        3.5,
        "1",
        "mood balance per unit 5-HT/NA deficit",
        "article: 5-HT/NA deficiency in depression",
    )
    w_plast = par(
        "neuroplasticity_mood_weight",
        2.0,
        "1",
        "mood balance per unit neurogenesis deficit",
        "article: reduced neurogenesis and hippocampal volume",
    )
    w_infl = par(
        "inflammation_mood_weight",
        0.75,
        "1",
        "mood balance per unit microglial activation",
        "article: neuroinflammation perpetuates depression",
    )
    w_sleep = par(
        "sleep_mood_weight",
        1.0,
        "1",
        "mood balance per unit sleep loss",
        "insomnia precedes and sustains depression",
    )
    w_psy = par(
        "psychological_mood_weight",
        0.4,
        "1",
        "mood balance per unit catastrophising",
        "the psychological (functional-limitation) pathway of the article's myth",
    )
    bias = par(
        "mood_balance_offset",
        3.7,
        "1",
        "healthy offset of the mood balance (logistic)",
        "sets healthy core severity near 0.1 (PHQ-9 ≈ 3; general-population mean 2.9, SD 3.5, "
        "5.6 % ≥ 10: Kocalevent, Hinz & Brähler 2013 Gen Hosp Psychiatry 35:551, doi "
        "10.1016/j.genhosppsych.2013.04.006)",
        lower=-20,
        upper=20,
    )
    balance_scale = par(
        "mood_balance_scale",
        1.6,
        "1",
        "width of the logistic that maps the mood balance onto core severity",
        "sets how graded severity is: a wider logistic lowers the loop gain of the "
        "mood → HPA → monoamine → mood feedback, so vulnerable people spread over mild to "
        "severe PHQ-9 instead of piling up near the ceiling (trial baselines mean 14-19, "
        "Kroenke et al. 2001 J Gen Intern Med 16:606 severity bands)",
        lower=0.1,
        upper=10,
    )
    deficit = smooth_positive(1 - (serotonin + noradrenaline) / 2)
    balance = (
        w_mono * deficit * pw["monoamine_mood"]
        + w_plast * smooth_positive(1 - neurogenesis) * pw["neuroplasticity_mood"]
        + w_infl * inflammation * pw["inflammation_mood"]
        + w_sleep * smooth_positive(1 - sleep) * pw["sleep_mood"]
        + w_psy * catastrophising * pw["psychological"]
        + vulnerability
        - bias
    )
    b.rate(
        depression, (1 / (1 + sympy.exp(-balance / balance_scale)) - depression) / (day * tau_dep)
    )

    # --- feedback to the HPA axis -----------------------------------------------------------
    k_pain_hpa = par(
        "pain_hpa_drive",
        0.1,
        "1",
        "extra CRH drive at maximal pain",
        "article: amplified pain intensifies stress, feeding back into the HPA axis",
    )
    k_mood_hpa = par(
        "mood_hpa_drive",
        0.8,
        "1",
        "fractional rise of the (circadian, pulsatile) CRH drive at maximal depression",
        "hypothalamic CRH hyperactivity in depression amplifies secretory episodes (bigger, not "
        "more, cortisol pulses: JCEM 1985;61:429, 24-h ACTH/cortisol profile in major "
        "depression) rather than adding a constant night-time drive, so ordinary depression "
        "raises morning cortisol (d 0.3-0.6, Stetler & Miller 2011 Psychosom Med 73:114, "
        "doi 10.1097/PSY.0b013e31820ad12b) while late-night salivary cortisol mostly stays "
        "below 2.8 nmol/L; the flat, raised evening profile is the hypercortisolaemic "
        "phenotypes' tonic drive. Size calibrated on virtual populations",
    )
    tonic_drive = k_pain_hpa * pain_level * pw["pain_stress"]
    drive_multiplier = (1 + k_mood_hpa * mood * pw["mood_stress"]) * (1 - drive_reduction)

    # --- readouts ---------------------------------------------------------------------------
    hr0 = par(
        "resting_heart_rate_bpm",
        70.0,
        "1/min",
        "resting heart rate at healthy tone",
        "typical adult resting heart rate",
        lower=30,
        upper=150,
        source="hpatwin default (typical adult value)",
    )
    sbp0 = par(
        "resting_systolic_bp_mmhg",
        120.0,
        "mmHg",
        "resting systolic pressure at healthy tone",
        "typical adult systolic pressure",
        lower=70,
        upper=220,
        source="hpatwin default (typical adult value)",
    )
    rmssd0 = par(
        "resting_rmssd_ms",
        42.0,
        "ms",
        "short-term RMSSD at healthy tone",
        "Nunan et al. 2010 short-term norm quoted as ≈ 42 ms (value not confirmed in the paper itself)",
        lower=1,
        upper=300,
        source="Nunan et al. 2010 PACE 33:1407 (value UNCONFIRMED)",
    )
    k_hr = par(
        "sympathetic_heart_rate_gain",
        0.3,
        "1",
        "fractional HR rise per unit sympathetic rise",
        "maps sympathetic tone to heart rate",
    )
    k_bp = par(
        "sympathetic_pressure_gain",
        0.15,
        "1",
        "fractional SBP rise per unit sympathetic rise",
        "maps sympathetic tone to systolic pressure",
    )
    k_rmssd = par(
        "sympathetic_rmssd_loss",
        1.0,
        "1",
        "log RMSSD loss per unit sympathetic rise",
        "sized so depression lowers RMSSD by roughly g ≈ 0.5 (Koch et al. 2019)",
    )
    il6_0 = par(
        "il6_basal_pg_ml",
        1.5,
        "pg/mL",
        "plasma IL-6 at rest",
        "order of healthy plasma IL-6",
        upper=1000,
        source="hpatwin default",
    )
    tnf_0 = par(
        "tnf_basal_pg_ml",
        1.5,
        "pg/mL",
        "plasma TNF-α at rest",
        "order of healthy TNF-α",
        upper=1000,
        source="hpatwin default",
    )
    il1_0 = par(
        "il1b_basal_pg_ml",
        0.5,
        "pg/mL",
        "plasma IL-1β at rest",
        "order of healthy IL-1β",
        upper=1000,
        source="hpatwin default",
    )
    b.readout(
        "pain_nrs_expected", "0-10", "expected pain intensity on the 0-10 NRS", 10 * pain_level
    )
    b.readout("phq9_expected", "0-27", "expected PHQ-9 total", 27 * mood)
    b.readout(
        "depression_expressed",
        "1",
        "expressed depression severity (core severity with exacerbation and non-specific "
        "relief; PHQ-9 = 27×)",
        mood,
    )
    b.readout("descending_inhibition", "1", "descending inhibitory tone (1 = healthy)", inhibition)
    b.readout("nociceptive_input", "1", "peripheral nociceptive input (1 = healthy)", nociception)
    b.readout("muscle_tone", "1", "baseline muscle tone (1 = healthy)", muscle_tone)
    b.readout("opioid_tone", "1", "endogenous opioid tone net of CCK (1 = basal)", opioid_tone)
    b.readout(
        "mu_receptor_activation",
        "1",
        "μ-opioid receptor activation (β-endorphin, enkephalin)",
        (beta_endorphin + enkephalin) / 2 / (1 + cck),
    )
    b.readout(
        "delta_receptor_activation",
        "1",
        "δ-opioid receptor activation (enkephalin)",
        enkephalin / (1 + cck),
    )
    b.readout(
        "kappa_receptor_activation",
        "1",
        "κ-opioid receptor activation (dynorphin)",
        dynorphin / (1 + cck),
    )
    b.readout("il6_pg_ml", "pg/mL", "IL-6 (scaled by microglial activation)", il6_0 * microglia)
    b.readout(
        "tnf_alpha_pg_ml", "pg/mL", "TNF-α (scaled by microglial activation)", tnf_0 * microglia
    )
    b.readout("il1b_pg_ml", "pg/mL", "IL-1β (scaled by microglial activation)", il1_0 * microglia)
    b.readout("heart_rate_bpm", "1/min", "heart rate", hr0 * (1 + k_hr * (sympathetic - 1)))
    b.readout(
        "systolic_bp_mmhg", "mmHg", "systolic blood pressure", sbp0 * (1 + k_bp * (sympathetic - 1))
    )
    b.readout(
        "rmssd_ms", "ms", "short-term RMSSD", rmssd0 * sympy.exp(-k_rmssd * (sympathetic - 1))
    )
    b.readout("hypercortisolism_index", "1", "relative excess of 24-h cortisol over healthy", hyper)

    # brain-region readouts (1 = healthy): directions from the article's fMRI paragraph
    def region(name: str, value: float, description: str) -> sympy.Symbol:
        return par(
            f"region_{name}",
            value,
            "1",
            description,
            "article: comorbid pain-depression shows ACC hyperactivity and DLPFC "
            "hypoactivity; sizes are illustrative, not fitted to imaging data",
            upper=5,
        )

    b.readout(
        "acc_activity",
        "1",
        "anterior cingulate activity",
        1
        + region("acc_pain", 0.6, "ACC rise at maximal pain") * pain_level
        + region("acc_depression", 0.6, "ACC rise at maximal depression") * mood,
    )
    b.readout(
        "insula_activity",
        "1",
        "insular activity",
        1
        + region("insula_pain", 0.6, "insula rise at maximal pain") * pain_level
        + region("insula_sympathetic", 0.3, "insula rise per unit sympathetic rise")
        * (sympathetic - 1),
    )
    b.readout(
        "dlpfc_activity",
        "1",
        "dorsolateral prefrontal activity",
        1
        - region("dlpfc_depression", 0.5, "DLPFC fall at maximal depression") * mood
        - region("dlpfc_bdnf", 0.3, "DLPFC fall per unit BDNF loss") * smooth_positive(1 - bdnf),
    )
    b.readout(
        "amygdala_activity",
        "1",
        "amygdala activity",
        1
        + region("amygdala_catastrophising", 0.5, "amygdala rise per unit catastrophising")
        * catastrophising
        + region("amygdala_depression", 0.4, "amygdala rise at maximal depression") * mood
        + region("amygdala_cortisol", 0.3, "amygdala rise per unit hypercortisolism") * hyper,
    )
    b.readout(
        "prefrontal_limbic_connectivity",
        "1",
        "prefrontal-limbic functional connectivity",
        bdnf
        * (
            1
            - region("connectivity_depression", 0.4, "connectivity loss at maximal depression")
            * mood
        ),
    )
    b.component = previous
    return PainDepressionLayer(
        drive_multiplier=drive_multiplier,
        tonic_drive=tonic_drive,
        serotonin=serotonin,
        noradrenaline=noradrenaline,
        bdnf=bdnf,
        microglia=microglia,
        sensitisation=sensitisation,
        trigger_point_load=trigger,
        sympathetic_tone=sympathetic,
        sleep_quality=sleep,
        catastrophising=catastrophising,
        depression=depression,
        anandamide=anandamide,
        pain_level=pain_level,
        opioid_tone=opioid_tone,
    )
