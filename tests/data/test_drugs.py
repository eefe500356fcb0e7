"""Drug catalogue: names, label maxima, PK consistency, exposure directions, provenance."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml

from hpatwin.data.drugs import ExposureModifier, SourcedValue
from hpatwin.parameters import Evidence, ParameterRegistry
from hpatwin.treatments import (
    DRUG_KEYS,
    UnknownDrugError,
    clearance_factor,
    drug_pk_parameters,
    exposure_modifiers,
    exposure_ratio,
    load_drug_catalogue,
    resolve_drug,
)


def test_drug_keys_and_classes() -> None:
    catalogue = load_drug_catalogue()
    assert DRUG_KEYS == ("duloxetine", "venlafaxine", "escitalopram", "oxycodone", "naproxen")
    classes = {key: catalogue[key].drug_class.value for key in DRUG_KEYS}
    assert classes == {
        "duloxetine": "SNRI",
        "venlafaxine": "SNRI",
        "escitalopram": "SSRI",
        "oxycodone": "opioid",
        "naproxen": "NSAID",
    }
    assert "tramadol" not in DRUG_KEYS


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Cymbalta", "duloxetine"),
        ("cymbalta", "duloxetine"),
        ("Duloxetine Hydrochloride", "duloxetine"),
        ("Effexor", "venlafaxine"),
        ("Effexor XR", "venlafaxine"),
        ("effexor-xr", "venlafaxine"),
        ("Efexor XL", "venlafaxine"),
        ("Lexapro", "escitalopram"),
        ("Cipralex", "escitalopram"),
        ("OxyContin", "oxycodone"),
        ("Roxicodone", "oxycodone"),
        ("Naprosyn", "naproxen"),
        ("EC Naprosyn", "naproxen"),
        ("naproxen", "naproxen"),
    ],
)
def test_brand_and_generic_names_resolve(name: str, key: str) -> None:
    assert resolve_drug(name).key == key


def test_unknown_drug_lists_the_known_ones() -> None:
    with pytest.raises(UnknownDrugError, match=r"unknown drug 'Prozac'; known: duloxetine \("):
        resolve_drug("Prozac")
    with pytest.raises(UnknownDrugError, match="tramadol"):
        resolve_drug("tramadol")


def test_salt_brand_is_refused_with_the_conversion() -> None:
    with pytest.raises(UnknownDrugError, match=r"'Aleve'.*550 mg naproxen sodium = 500 mg"):
        resolve_drug("Aleve")


def test_label_maximum_daily_doses() -> None:
    catalogue = load_drug_catalogue()
    maxima = {key: catalogue[key].max_daily_dose for key in DRUG_KEYS}
    assert maxima["duloxetine"].mg_per_day == 120 and maxima["duloxetine"].kind == "label"
    assert maxima["venlafaxine"].mg_per_day == 375
    assert maxima["escitalopram"].mg_per_day == 20
    assert maxima["naproxen"].mg_per_day == 1500
    # the opioid label has no maximum: the ceiling is an assumption that says so
    assert maxima["oxycodone"].kind == "plausibility_ceiling"
    assert maxima["oxycodone"].evidence is Evidence.ASSUMPTION
    assert "no maximum" in maxima["oxycodone"].source


@pytest.mark.parametrize("key", DRUG_KEYS)
def test_absorption_half_life_reproduces_the_cited_tmax(key: str) -> None:
    drug = load_drug_catalogue()[key]
    assert drug.one_compartment_tmax_h() == pytest.approx(drug.tmax_h.value, rel=0.03)


@pytest.mark.parametrize(
    ("key", "reported_clearance_l_per_h", "tolerance"),
    [
        ("duloxetine", 114.0, 0.1),  # Sharma 2000 one-compartment CL/F
        ("escitalopram", 36.0, 0.15),  # Lexapro label oral clearance 600 mL/min
        ("naproxen", 0.13 * 70 * 60 / 1000, 0.05),  # Naprosyn label 0.13 mL/min/kg
        ("oxycodone", 15 / 0.1282, 0.01),  # label Table 2: 15 mg / AUC 128.2 ng·h/mL
        ("venlafaxine", 1.3 * 70, 0.25),  # Effexor label 1.3 L/h/kg
    ],
)
def test_volume_and_half_life_agree_with_reported_clearance(
    key: str, reported_clearance_l_per_h: float, tolerance: float
) -> None:
    drug = load_drug_catalogue()[key]
    assert drug.apparent_clearance_l_per_h == pytest.approx(
        reported_clearance_l_per_h, rel=tolerance
    )


def _every_sourced_number() -> list[tuple[str, SourcedValue | ExposureModifier]]:
    items: list[tuple[str, SourcedValue | ExposureModifier]] = []
    for drug in load_drug_catalogue().values():
        for name in ("tmax_h", "absorption_half_life_min", "elimination_half_life_h", "volume_l"):
            items.append((f"{drug.key}.{name}", getattr(drug, name)))
        items += [(f"{drug.key}.hepatic.{k}", m) for k, m in drug.hepatic.items()]
        items += [(f"{drug.key}.renal.{b.label}", b) for b in drug.renal]
        items += [(f"{drug.key}.age.{k}", m) for k, m in drug.age.items()]
        items += [(f"{drug.key}.pregnancy.{k}", m) for k, m in drug.pregnancy.items()]
    return items


def test_every_number_has_source_evidence_and_assumptions_a_rationale() -> None:
    items = _every_sourced_number()
    assert len(items) > 60
    for where, item in items:
        assert item.source.strip(), where
        assert isinstance(item.evidence, Evidence), where
        if item.evidence is Evidence.ASSUMPTION:
            assert len(item.rationale.strip()) > 20, where
    for drug in load_drug_catalogue().values():
        assert drug.max_daily_dose.source.strip()


def test_hepatic_impairment_raises_exposure_as_labels_describe() -> None:
    # duloxetine: Child-Pugh B clearance ~15% of normal, AUC ×5 (label §8.9)
    grades = ["none", "mild", "moderate", "severe"]
    duloxetine = [exposure_ratio("duloxetine", hepatic=g) for g in grades]
    assert duloxetine == sorted(duloxetine) and duloxetine[0] == 1.0
    assert duloxetine[2] == pytest.approx(1 / 0.15)
    # venlafaxine: Child-Pugh A/B dose −50%, C ≥ 50%
    assert exposure_ratio("venlafaxine", hepatic="mild") == pytest.approx(2.0)
    assert exposure_ratio("venlafaxine", hepatic="severe") > 2.0
    # escitalopram: clearance −37% in hepatic impairment
    assert exposure_ratio("escitalopram", hepatic="moderate") == pytest.approx(1 / 0.63)
    # oxycodone: start at 1/3–1/2 of the usual dose
    assert 2.0 <= exposure_ratio("oxycodone", hepatic="severe") <= 3.1
    # naproxen: unbound exposure rises in cirrhosis
    assert exposure_ratio("naproxen", hepatic="severe") > 1.0


def test_renal_impairment_raises_exposure_as_labels_describe() -> None:
    # duloxetine: no effect at CrCl 30-80 (population PK), AUC ×2 in ESRD
    assert exposure_ratio("duloxetine", creatinine_clearance_ml_min=45) == 1.0
    assert exposure_ratio("duloxetine", creatinine_clearance_ml_min=30) == 1.0
    assert exposure_ratio("duloxetine", creatinine_clearance_ml_min=15) == pytest.approx(2.0)
    # venlafaxine: mild/moderate dose −25-50%, severe ≥ 50%
    normal = exposure_ratio("venlafaxine", creatinine_clearance_ml_min=100)
    moderate = exposure_ratio("venlafaxine", creatinine_clearance_ml_min=45)
    severe = exposure_ratio("venlafaxine", creatinine_clearance_ml_min=20)
    assert normal == 1.0 < moderate < severe
    assert severe == pytest.approx(2.0)
    # escitalopram: clearance −17% in mild/moderate renal impairment
    assert exposure_ratio("escitalopram", creatinine_clearance_ml_min=50) == pytest.approx(1 / 0.83)
    # oxycodone: renal clearance falls below CrCl 60
    assert exposure_ratio("oxycodone", creatinine_clearance_ml_min=40) > 1.0
    # naproxen: elimination decreased in severe renal impairment only
    assert exposure_ratio("naproxen", creatinine_clearance_ml_min=50) == 1.0
    assert exposure_ratio("naproxen", creatinine_clearance_ml_min=20) > 1.0


def test_age_and_pregnancy_modifiers() -> None:
    assert exposure_ratio("duloxetine", age_years=64) == 1.0
    assert exposure_ratio("duloxetine", age_years=70) == pytest.approx(1.25)
    assert exposure_ratio("duloxetine", age_years=80) >= exposure_ratio("duloxetine", age_years=70)
    assert exposure_ratio("escitalopram", age_years=65) == pytest.approx(1.5, rel=0.01)
    # naproxen: unbound clearance halved in the elderly
    assert exposure_ratio("naproxen", age_years=70) == pytest.approx(1 / 0.54)
    # no pregnancy PK change documented for escitalopram/venlafaxine (Westin 2017)
    for key in ("escitalopram", "venlafaxine"):
        assert exposure_ratio(key, pregnancy_trimester=3) == 1.0
        assert load_drug_catalogue()[key].pregnancy[3].evidence is Evidence.MEASURED


def test_factors_combine_multiplicatively_and_ratio_is_the_reciprocal() -> None:
    combined = clearance_factor(
        "venlafaxine", hepatic="mild", creatinine_clearance_ml_min=45, age_years=70
    )
    assert combined == pytest.approx(0.5 * 0.75 * 0.86)
    assert exposure_ratio(
        "venlafaxine", hepatic="mild", creatinine_clearance_ml_min=45, age_years=70
    ) == pytest.approx(1 / combined)
    kinds = [m.kind for m in exposure_modifiers("venlafaxine", hepatic="mild", age_years=80)]
    assert kinds == ["hepatic mild", "age ≥ 75 y"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"hepatic": "cirrhotic"}, r"hepatic: unknown grade 'cirrhotic'; allowed: none, mild"),
        ({"creatinine_clearance_ml_min": -5}, r"creatinine_clearance_ml_min: -5 must be"),
        ({"creatinine_clearance_ml_min": math.nan}, r"creatinine_clearance_ml_min: nan"),
        ({"age_years": 12}, r"age_years: 12 is below 18"),
        ({"age_years": 150}, r"age_years: 150 must be"),
        ({"pregnancy_trimester": 4}, r"pregnancy_trimester: 4 must be 0"),
    ],
)
def test_bad_patient_arguments_name_the_field(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        clearance_factor("duloxetine", **kwargs)  # type: ignore[arg-type]


def test_pk_parameters_for_the_registry() -> None:
    parameters = drug_pk_parameters()
    registry = ParameterRegistry()
    registry.extend(parameters)  # no duplicates, every one valid
    assert registry.models() == ["treatments"]
    names = {p.name for p in parameters}
    for key in DRUG_KEYS:
        for suffix in (
            "absorption_half_life_min",
            "elimination_half_life_h",
            "volume_l",
            "clearance_factor",
        ):
            assert f"{key}_{suffix}" in names
    by_name = {p.name: p for p in parameters}
    factor = by_name["duloxetine_clearance_factor"]
    assert (factor.value, factor.lower, factor.upper) == (1.0, 0.05, 20.0)
    assert by_name["duloxetine_elimination_half_life_h"].value == 12.5
    assert by_name["duloxetine_elimination_half_life_h"].unit == "h"
    assert by_name["oxycodone_absorption_half_life_min"].evidence is Evidence.ASSUMPTION
    assert "tmax" in by_name["oxycodone_absorption_half_life_min"].rationale
    with pytest.raises(ValueError, match="duloxetine_clearance_factor"):
        factor.with_value(0.01)


def _write_catalogue(tmp_path: Path, edit: object) -> Path:
    source = Path(__file__).resolve().parents[2] / "src/hpatwin/data/catalogues/drugs.yaml"
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    edit(data)  # type: ignore[operator]
    path = tmp_path / "drugs.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_builtin_catalogue_round_trips(tmp_path: Path) -> None:
    path = _write_catalogue(tmp_path, lambda data: None)
    assert list(load_drug_catalogue(path)) == list(DRUG_KEYS)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda d: d["pharmacokinetics"]["duloxetine"]["modifiers"]["renal"][1].update(min_ml_min=40),
            "renal: bands must be contiguous",
        ),
        (
            lambda d: d["pharmacokinetics"]["naproxen"]["modifiers"]["hepatic"]["mild"].pop("rationale"),
            "an assumption must state its rationale",
        ),
        (
            lambda d: d["pharmacokinetics"]["escitalopram"]["pk"]["volume_l"].update(value=1000),
            "disagrees with 20 L/kg",
        ),
        (
            lambda d: next(e for e in d["drugs"] if e["id"] == "oxycodone")["names"].append(
                "Cymbalta"
            ),
            "'Cymbalta' is used by two drugs",
        ),
        (
            lambda d: d["pharmacokinetics"]["duloxetine"]["modifiers"]["age"].pop("75"),
            "age: needs factors",
        ),
        (
            lambda d: d["pharmacokinetics"]["venlafaxine"]["pk"]["tmax_h"].update(evidence="hearsay"),
            "evidence: unknown level 'hearsay'",
        ),
    ],
)
def test_malformed_drug_catalogue_is_rejected(tmp_path: Path, edit: object, message: str) -> None:
    path = _write_catalogue(tmp_path, edit)
    with pytest.raises(ValueError, match=message):
        load_drug_catalogue(path)
