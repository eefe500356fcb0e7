"""The drug catalogue's pharmacokinetic constants as registry parameters.

The numbers themselves live once, in the drug catalogue (:mod:`hpatwin.data.drugs`); this
module presents them as :class:`~hpatwin.parameters.Parameter` objects so the model can
declare them and ``hpatwin params`` can list them with their sources.
"""

from __future__ import annotations

from hpatwin.data.drugs import (
    CLEARANCE_FACTOR_BOUNDS,
    DRUG_KEYS,
    Drug,
    SourcedValue,
    load_drug_catalogue,
)
from hpatwin.data.evidence import Evidence
from hpatwin.parameters.registry import Parameter

__all__ = ["DRUG_KEYS", "MODEL_NAME", "drug_pk_parameters"]

#: the registry's model name for the drug catalogue's parameters
MODEL_NAME = "treatments"

def drug_pk_parameters() -> list[Parameter]:
    """The catalogue's PK constants as registry parameters (model ``"treatments"``).

    Per drug: ``<key>_absorption_half_life_min``, ``<key>_elimination_half_life_h``,
    ``<key>_volume_l`` and ``<key>_clearance_factor`` (default 1, bounds 0.05–20).

    Example
    -------
    >>> params = {p.name: p for p in drug_pk_parameters()}
    >>> params["duloxetine_volume_l"].value, params["duloxetine_volume_l"].evidence.value
    (1943.0, 'published model')
    >>> params["oxycodone_clearance_factor"].upper
    20.0
    """
    parameters: list[Parameter] = []
    for drug in load_drug_catalogue().values():
        parameters.extend(
            [
                _parameter(
                    drug,
                    "absorption_half_life_min",
                    "min",
                    drug.absorption_half_life_min,
                    f"First-order oral absorption half-life of {drug.generic_name} "
                    f"(one-compartment tmax {drug.tmax_h.value:g} h)",
                    (1.0, 1440.0),
                ),
                _parameter(
                    drug,
                    "elimination_half_life_h",
                    "h",
                    drug.elimination_half_life_h,
                    f"Elimination half-life of {drug.generic_name} in a typical adult",
                    (0.1, 500.0),
                ),
                _parameter(
                    drug,
                    "volume_l",
                    "L",
                    drug.volume_l,
                    f"Apparent volume of distribution V/F of {drug.generic_name} "
                    f"(dose in {drug.dose_basis})",
                    (0.1, 1e5),
                ),
                Parameter(
                    name=f"{drug.key}_clearance_factor",
                    value=1.0,
                    unit="1",
                    description=(
                        f"Per-patient factor on the apparent clearance of {drug.generic_name} "
                        "(hepatic × renal × age × pregnancy modifiers of the drug catalogue)"
                    ),
                    source=(
                        "hpatwin.data.drugs.clearance_factor over the sourced modifiers of the "
                        "drug catalogue (hpatwin/data/catalogues/drugs.yaml)"
                    ),
                    evidence=Evidence.ASSUMPTION,
                    model=MODEL_NAME,
                    rationale=(
                        "1 is the typical adult; compile_plan sets it per patient. Modifiers of "
                        "different kinds multiply (independence assumption)."
                    ),
                    lower=CLEARANCE_FACTOR_BOUNDS[0],
                    upper=CLEARANCE_FACTOR_BOUNDS[1],
                ),
            ]
        )
    return parameters


def _parameter(
    drug: Drug,
    suffix: str,
    unit: str,
    sourced: SourcedValue,
    description: str,
    bounds: tuple[float, float],
) -> Parameter:
    return Parameter(
        name=f"{drug.key}_{suffix}",
        value=sourced.value,
        unit=unit,
        description=description,
        source=sourced.source,
        evidence=sourced.evidence,
        model=MODEL_NAME,
        rationale=sourced.rationale,
        lower=bounds[0],
        upper=bounds[1],
    )


