"""The observation model's numbers, each a sourced :class:`~hpatwin.parameters.Parameter`.

Targets (what the model must reproduce) and the noise parameters tuned to them are listed
together; :func:`observation_registry` returns them in a
:class:`~hpatwin.parameters.ParameterRegistry` under the model name ``observation``, and
:class:`ObservationSettings` carries their values (plus the ``noise`` switch) to the
vectorised functions. ``docs/observation.md`` explains each choice.

Example
-------
>>> settings = ObservationSettings.default()
>>> settings.noise, settings.value("phq9_retest_correlation_48h")
(True, 0.84)
>>> ObservationSettings.default(noise=False).noise
False
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from hpatwin.parameters import Evidence, Parameter, ParameterRegistry

MODEL = "observation"
_A, _M = Evidence.ASSUMPTION, Evidence.MEASURED
KROENKE_2001 = "Kroenke, Spitzer & Williams 2001 J Gen Intern Med 16:606 (48-h retest r = 0.84)"
LOWE_2004 = "Löwe et al. 2004 Med Care 42:1194 (5-point change needed for an individual)"
SUN_2020 = "Sun et al. 2020 BMC Psychiatry 20:474 (PHQ-9 2-week retest r = 0.737, MDD)"
FERRAZ_1990 = "Ferraz et al. 1990 J Rheumatol 17:1022 (NRS retest r = 0.95-0.96)"
ELECSYS_2003 = "Clin Biochem 2003;36:211 (salivary cortisol, Roche Elecsys: CVa 3.8 %, morning)"
UHLIG_2020 = (
    "Uhlig, Meylan & Rudolph 2020 Biol Psychol 154:107905 (HRV retest ICC 0.49-0.64 supine)"
)
LNSC_2011 = "Clin Biochem 2011;44:665 (late-night salivary cortisol, Salimetrics HS: CVa 15.4 %)"


def _p(
    name: str,
    value: float,
    unit: str,
    description: str,
    source: str,
    evidence: Evidence,
    rationale: str = "",
    lower: float = 0.0,
    upper: float = float("inf"),
) -> Parameter:
    return Parameter(
        name, value, unit, description, source, evidence, MODEL, rationale, lower, upper
    )


PARAMETERS: tuple[Parameter, ...] = (
    # ---------------------------------------------------------------- PHQ-9 targets
    _p(
        "phq9_retest_correlation_48h",
        0.84,
        "1",
        "PHQ-9 total-score correlation between two administrations 48 h apart",
        KROENKE_2001,
        _M,
        upper=1.0,
    ),
    _p("phq9_retest_interval_days", 2.0, "d", "interval of Kroenke's retest", KROENKE_2001, _M),
    _p(
        "phq9_sem_points",
        2.5,
        "points",
        "standard error of measurement of the PHQ-9 total",
        LOWE_2004,
        _A,
        rationale="half the 5-point criterion for reliable individual change, which the "
        "reference summary describes as 2 × SEM; consistent with r = 0.84 in a sample whose "
        "true-score SD is 5.7 points (SEM = SD·√(1 − r))",
    ),
    _p(
        "phq9_calibration_latent_max",
        20.0,
        "points",
        "stable calibration patients: latent PHQ-9 uniform on [0, this]",
        KROENKE_2001,
        _A,
        rationale="a spread of severities (SD 5.8 points) at which r = 0.84 and SEM = 2.5 "
        "agree; Kroenke's primary-care sample (mean about 5) is mostly at the low end",
        upper=27.0,
    ),
    # ---------------------------------------------------------------- PHQ-9 item model
    _p(
        "phq9_item_noise_sd",
        1.2,
        "item points",
        "SD of each item's latent response around the person's item location (ordinal "
        "model: item = latent rounded and clipped to 0-3)",
        KROENKE_2001,
        _A,
        rationale="tuned so simulated stable patients reproduce the 48-h retest r = 0.84 "
        "and SEM ≈ 2.5 (tests/observation/test_retest.py measures both; "
        "docs/observation.md lists the figures)",
    ),
    _p(
        "phq9_item9_offset",
        -2.0,
        "item points",
        "location of item 9 (self-harm thoughts) relative to the other eight items",
        "Simon et al. 2013 Psychiatr Serv (most patients answer item 9 'not at all')",
        _A,
        rationale="item 9 is the least endorsed PHQ-9 item; two answer steps below the "
        "others it is positive in about 14 % at latent total 10 and 58 % at 20 "
        "(docs/observation.md), while the total stays unbiased",
        lower=-3.0,
        upper=0.0,
    ),
    # ---------------------------------------------------------------- pain NRS
    _p(
        "nrs_retest_correlation",
        0.95,
        "1",
        "pain NRS test-retest correlation (short interval)",
        FERRAZ_1990,
        _M,
        upper=1.0,
    ),
    _p(
        "nrs_calibration_latent_low",
        1.0,
        "points",
        "stable calibration patients: latent NRS uniform on [low, high]",
        FERRAZ_1990,
        _A,
        rationale="the usual range of chronic-pain clinic patients (SD 2.3 points)",
        upper=10.0,
    ),
    _p(
        "nrs_calibration_latent_high",
        9.0,
        "points",
        "upper end of the NRS calibration range",
        FERRAZ_1990,
        _A,
        rationale="see nrs_calibration_latent_low",
        upper=10.0,
    ),
    _p(
        "nrs_noise_sd",
        0.42,
        "points",
        "SD of the answered rating around the latent pain before rounding to an integer",
        FERRAZ_1990,
        _A,
        rationale="tuned so simulated stable patients reproduce r = 0.95 "
        "(tests/observation/test_retest.py)",
    ),
    # ---------------------------------------------------------------- fluctuation
    _p(
        "fluctuation_correlation_time_days",
        14.0,
        "d",
        "correlation time of the visit-to-visit fluctuation (AR(1): φ = exp(−Δt/τ))",
        SUN_2020,
        _A,
        rationale="life events and pain flares last days to weeks; fitted together with "
        "phq9_fluctuation_sd_logit so that stable patients keep the 48-h retest r = 0.84 "
        "(Kroenke 2001) and fall to about 0.74 at 2 weeks (Sun 2020)",
    ),
    _p(
        "phq9_fluctuation_sd_logit",
        0.6,
        "logit",
        "stationary SD of the PHQ-9 fluctuation on the logit scale of (latent + 0.5)/28",
        SUN_2020,
        _A,
        rationale="tuned so that stable patients' retest correlation falls from about 0.84 "
        "at 48 h to about 0.74 at 2 weeks (Sun 2020) in an MDD-clinic-like sample (latent "
        "uniform on 5-25), with the correlation time above; mean-preserving: the latent "
        "expected value stays the mean of what is observed",
    ),
    _p(
        "nrs_fluctuation_sd_logit",
        0.6,
        "logit",
        "stationary SD of the pain (flare) fluctuation on the logit scale of (latent + 0.5)/11",
        "assumption",
        _A,
        rationale="no sourced retest over weeks found; the same relative size as the PHQ-9",
    ),
    # ---------------------------------------------------------------- salivary cortisol
    _p(
        "cortisol_assay_cv_morning",
        0.038,
        "1",
        "analytical CV of a morning salivary cortisol measurement",
        ELECSYS_2003,
        _M,
        upper=1.0,
    ),
    _p(
        "cortisol_assay_cv_evening",
        0.154,
        "1",
        "analytical CV of a late-night (low-concentration) salivary cortisol measurement",
        LNSC_2011,
        _M,
        upper=1.0,
    ),
    _p(
        "cortisol_sampling_jitter_sd_min",
        30.0,
        "min",
        "SD of the actual sampling time around the scheduled clock time (home sampling)",
        "assumption",
        _A,
        rationale="home samples are taken near, not at, the stated time; half an hour "
        "matters on the steep morning limb and little at the late-night nadir",
        upper=180.0,
    ),
    # ---------------------------------------------------------------- HRV
    _p(
        "rmssd_retest_icc",
        0.64,
        "1",
        "short-term (supine) HRV retest ICC in healthy adults (upper end of 0.49-0.64)",
        UHLIG_2020,
        _M,
        upper=1.0,
    ),
    _p(
        "rmssd_between_person_sd_log",
        0.5,
        "ln(ms)",
        "between-person SD of ln RMSSD (short-term recordings), for the retest check",
        "assumption",
        _A,
        rationale="typical spread of resting ln RMSSD between healthy adults; only used to "
        "turn the sourced ICC into a within-person SD",
        upper=3.0,
    ),
    _p(
        "rmssd_day_to_day_sd_log",
        0.37,
        "ln(ms)",
        "SD of ln RMSSD between days for a stable person (short-term recordings)",
        UHLIG_2020,
        _A,
        rationale="within-person SD that gives ICC = 0.64 with a between-person SD of 0.5: "
        "0.5·√((1 − 0.64)/0.64) = 0.375 (tests/observation/test_observation.py)",
        upper=2.0,
    ),
    # ---------------------------------------------------------------- likelihood
    _p(
        "score_answer_variance_inflation",
        1.5,
        "1",
        "factor on the answer-noise variance of PHQ-9 and NRS in the likelihood's "
        "logit-scale Kalman filter (hpatwin.observation.likelihood)",
        "assumption",
        _A,
        rationale="the filter carries the answer noise to the logit scale at the latent "
        "level, which understates it once the fluctuation moves the level (residual SD "
        "1.04-1.14 on the layer's own draws); 1.5 brings the one-step residuals to SD "
        "0.94-1.04 across PHQ-9 and NRS levels (tests/observation/test_likelihood.py)",
        lower=1.0,
        upper=4.0,
    ),
)


def observation_registry() -> ParameterRegistry:
    """The observation parameters in a registry (model ``observation``).

    Example
    -------
    >>> len(observation_registry().select(model="observation")) == len(PARAMETERS)
    True
    """
    registry = ParameterRegistry()
    registry.add_model(MODEL, PARAMETERS)
    return registry


@dataclass(frozen=True)
class ObservationSettings:
    """Parameter values and the ``noise`` switch used by the observation functions.

    ``noise=False`` turns every draw off: observed values are the rounded expected values
    (instrument scores) or the exact latent values (physiology).

    Example
    -------
    >>> ObservationSettings.default().with_values(nrs_noise_sd=0.0).value("nrs_noise_sd")
    0.0
    """

    noise: bool = True
    values: Mapping[str, float] = field(
        default_factory=lambda: {p.name: p.value for p in PARAMETERS}
    )

    @classmethod
    def default(cls, noise: bool = True) -> ObservationSettings:
        """Registered default values."""
        return cls(noise, {p.name: p.value for p in PARAMETERS})

    def value(self, name: str) -> float:
        """One parameter value; unknown names raise ``KeyError`` listing the known ones."""
        if name not in self.values:
            raise KeyError(f"observation parameter {name!r}; known: {', '.join(self.values)}")
        return float(self.values[name])

    def with_values(self, **changes: float) -> ObservationSettings:
        """A copy with some values replaced, each checked against its parameter's range."""
        known = {p.name: p for p in PARAMETERS}
        checked = dict(self.values)
        for name, value in changes.items():
            if name not in known:
                raise KeyError(f"observation parameter {name!r}; known: {', '.join(known)}")
            checked[name] = known[name].check(value)
        return ObservationSettings(self.noise, checked)
