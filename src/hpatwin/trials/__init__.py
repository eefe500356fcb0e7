"""In-silico trials: virtual populations, arms, randomisation, endpoints, effect sizes, power.

The pieces, in the order a trial uses them:

- :mod:`~hpatwin.trials.spec` — the trial spec (YAML, validated by pydantic);
- :mod:`~hpatwin.trials.population` — :func:`generate_population` and randomisation;
- :mod:`~hpatwin.trials.arms` — treatments as raw inputs or plans (:func:`register_plan_resolver`);
- :mod:`~hpatwin.trials.endpoints` — the endpoint catalogue;
- :mod:`~hpatwin.trials.runner` — :func:`run_trial`: chunks, checkpoint/resume, Dask;
- :mod:`~hpatwin.trials.statistics` — summaries and effect sizes with bootstrap CIs;
- :mod:`~hpatwin.trials.report` — the HTML report;
- :mod:`~hpatwin.trials.power` — power by simulation.

See ``docs/trials.md``.

Example
-------
>>> from hpatwin.trials import CATALOGUE
>>> CATALOGUE["pain_reduction_30"].default_threshold
0.3
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hpatwin._lazy import lazy_exports

if TYPE_CHECKING:
    from hpatwin.treatments.trial_resolver import Treatment
    from hpatwin.trials.arms import (
        PlanResolver,
        clear_plan_resolver,
        get_plan_resolver,
        register_plan_resolver,
    )
    from hpatwin.trials.endpoints import CATALOGUE
    from hpatwin.trials.population import allocate_arms, generate_population
    from hpatwin.trials.power import PowerResult, power_analysis
    from hpatwin.trials.runner import PreparedTrial, TrialResult, prepare_trial
    from hpatwin.trials.spec import TrialSpec, TrialSpecError, load_trial_spec, parse_spec
    from hpatwin.trials.study import run_trial

#: Public name -> the module that defines it (loaded on first use: a chunk worker that imports
#: hpatwin.trials.chunk does not load the report and matplotlib).
_EXPORTS: dict[str, str] = {
    "Treatment": "hpatwin.treatments.trial_resolver",
    "PlanResolver": "hpatwin.trials.arms",
    "clear_plan_resolver": "hpatwin.trials.arms",
    "get_plan_resolver": "hpatwin.trials.arms",
    "register_plan_resolver": "hpatwin.trials.arms",
    "CATALOGUE": "hpatwin.trials.endpoints",
    "allocate_arms": "hpatwin.trials.population",
    "generate_population": "hpatwin.trials.population",
    "PowerResult": "hpatwin.trials.power",
    "power_analysis": "hpatwin.trials.power",
    "PreparedTrial": "hpatwin.trials.runner",
    "TrialResult": "hpatwin.trials.runner",
    "prepare_trial": "hpatwin.trials.runner",
    "TrialSpec": "hpatwin.trials.spec",
    "TrialSpecError": "hpatwin.trials.spec",
    "load_trial_spec": "hpatwin.trials.spec",
    "parse_spec": "hpatwin.trials.spec",
    "run_trial": "hpatwin.trials.study",
}

__all__ = [
    "CATALOGUE",
    "PlanResolver",
    "PowerResult",
    "PreparedTrial",
    "Treatment",
    "TrialResult",
    "TrialSpec",
    "TrialSpecError",
    "allocate_arms",
    "clear_plan_resolver",
    "generate_population",
    "get_plan_resolver",
    "load_trial_spec",
    "parse_spec",
    "power_analysis",
    "prepare_trial",
    "register_plan_resolver",
    "run_trial",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
