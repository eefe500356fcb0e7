"""Treatment plans: every malformed case is rejected with the entry and field named."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hpatwin.treatments import PatientFactors, PlanError, TreatmentPlan, load_plan


def ea(day: int, start: str = "09:00", **extra: Any) -> dict[str, Any]:
    session: dict[str, Any] = {
        "day": day,
        "start": start,
        "frequency": "2/100",
        "intensity_ma": 2.0,
        "tolerance_ma": 3.0,
        "points": ["GV20", "EX-HN3"],
    }
    session.update(extra)
    return session


def messages(data: dict[str, Any]) -> list[str]:
    with pytest.raises(PlanError) as info:
        TreatmentPlan.parse(data)
    return info.value.messages


def test_unknown_point_code_names_entry_and_index() -> None:
    sessions = [ea(d) for d in range(3)] + [ea(3, points=["GV20", "XX99"])]
    assert messages({"ea_sessions": sessions}) == [
        "ea_sessions[3].points[1]: unknown point code 'XX99'"
    ]


def test_unknown_point_code_in_other_session_kinds() -> None:
    assert messages(
        {"manual_acupuncture_sessions": [{"day": 0, "start": "09:00", "points": ["ST99"]}]}
    ) == ["manual_acupuncture_sessions[0].points[0]: unknown point code 'ST99'"]
    found = messages({"ea_sessions": [ea(0, electrode_pairs=[["GV20", "QQ1"]])]})
    assert found == ["ea_sessions[0].electrode_pairs[0][1]: unknown point code 'QQ1'"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("intensity_ma", -1.0, "ea_sessions[0].intensity_ma: Input should be greater than 0"),
        ("intensity_ma", 0, "ea_sessions[0].intensity_ma: Input should be greater than 0"),
        (
            "intensity_ma",
            25,
            "ea_sessions[0].intensity_ma: Input should be less than or equal to 20",
        ),
        ("tolerance_ma", -3, "ea_sessions[0].tolerance_ma: Input should be greater than 0"),
        ("frequency", 300, "ea_sessions[0].frequency: 300 Hz is outside 0.5–200 Hz"),
        ("frequency", "2/2", "ea_sessions[0].frequency: '2/2': the two alternating frequencies"),
        ("frequency", "fast", "ea_sessions[0].frequency: 'fast' is not a frequency"),
        ("duration_min", 25, "ea_sessions[0].duration_min: 25 min is not a multiple of the 10"),
        ("duration_min", 0, "ea_sessions[0].duration_min: Input should be greater than 0"),
        ("start", "25:00", "ea_sessions[0].start: '25:00' is not a clock time"),
        ("start", 900, "ea_sessions[0].start: 900 is not a clock time"),
        ("day", -1, "ea_sessions[0].day: Input should be greater than or equal to 0"),
        ("points", [], "ea_sessions[0].points: Tuple should have at least 1 item"),
    ],
)
def test_bad_ea_fields(field: str, value: Any, message: str) -> None:
    session = ea(0)
    session[field] = value
    found = messages({"ea_sessions": [session]})
    assert any(m.startswith(message) for m in found), found


def test_ea_needs_electrode_pairs() -> None:
    found = messages({"ea_sessions": [ea(0, points=["GV20", "EX-HN3", "PC6"])]})
    assert found == [
        "ea_sessions[0].points: EA needs electrode pairs; 3 points cannot be paired in order — "
        "list an even number or give electrode_pairs"
    ]
    found = messages(
        {"ea_sessions": [ea(0, points=["GV20", "EX-HN3", "PC6"], electrode_pairs=[["GV20", "ST36"]])]}
    )
    assert found == ["ea_sessions[0].electrode_pairs[0][1]: ST36 is not among the session's points"]
    ok = TreatmentPlan.parse(
        {"ea_sessions": [ea(0, points=["GV20", "EX-HN3", "PC6"], electrode_pairs=[["GV20", "EX-HN3"]])]}
    )
    assert ok.ea_sessions[0].pairs() == (("GV20", "EX-HN3"),)


def test_overlapping_sessions_are_rejected() -> None:
    sessions = [ea(0), ea(7), ea(7, "09:20")]
    assert messages({"ea_sessions": sessions}) == [
        "ea_sessions[2]: overlaps ea_sessions[1] (day 7 09:00-09:30)"
    ]


def test_overlaps_across_kinds_and_recurrences() -> None:
    data = {
        "start_weekday": "mon",
        "ea_schedules": [
            {**{k: v for k, v in ea(0).items() if k != "day"}, "weekdays": ["mon"], "count": 3}
        ],
        "cbt_sessions": [{"day": 7, "start": "09:15"}],
        "dry_needling_sessions": [
            {"day": 14, "start": "08:55", "region": "cervical", "muscle": "upper_trapezius"}
        ],
    }
    assert messages(data) == [
        "cbt_sessions[0]: overlaps ea_schedules[0] #2 (day 7 09:00-09:30)",
        "ea_schedules[0] #3: overlaps dry_needling_sessions[0] (day 14 09:00-09:10)",
    ]


def test_back_to_back_sessions_are_fine_and_starts_move_to_the_grid() -> None:
    plan = TreatmentPlan.parse(
        {
            "ea_sessions": [ea(0, "09:00")],
            "cbt_sessions": [{"day": 0, "start": "09:34"}],  # → 09:30, right after EA
        }
    )
    assert [b.describe() for b in plan.session_blocks()] == [
        "day 0 09:00-09:30",
        "day 0 09:30-10:20",
    ]
    assert plan.grid_notes() == [
        "cbt_sessions[0]: start 09:34 moved to 09:30 (10-minute input grid)"
    ]


def test_unknown_drug() -> None:
    found = messages({"drugs": [{"name": "Prozac", "dose_mg": 20, "times": ["08:00"]}]})
    assert len(found) == 1
    assert found[0].startswith("drugs[0].name: unknown drug 'Prozac'; known: duloxetine")


def test_dose_above_label_maximum() -> None:
    found = messages(
        {"drugs": [{"name": "duloxetine", "dose_mg": 90, "times": ["08:00", "20:00"]}]}
    )
    assert found == [
        "drugs[0].dose_mg: 90 mg × 2/day = 180 mg/day exceeds duloxetine's label maximum 120 mg/day"
    ]


def test_titration_above_label_maximum_and_at_the_maximum() -> None:
    found = messages(
        {
            "drugs": [
                {
                    "name": "Lexapro",
                    "dose_mg": 10,
                    "times": ["08:00"],
                    "titration": [{"day": 7, "dose_mg": 20}, {"day": 14, "dose_mg": 30}],
                }
            ]
        }
    )
    assert found == [
        "drugs[0].titration[1].dose_mg: 30 mg × 1/day = 30 mg/day exceeds escitalopram's "
        "label maximum 20 mg/day"
    ]
    TreatmentPlan.parse(
        {"drugs": [{"name": "Effexor", "dose_mg": 125, "times": ["08:00", "14:00", "20:00"]}]}
    )


def test_opioid_ceiling_is_named_as_a_plausibility_ceiling() -> None:
    found = messages(
        {"drugs": [{"name": "OxyContin", "dose_mg": 250, "times": ["08:00", "20:00"]}]}
    )
    assert found == [
        "drugs[0].dose_mg: 250 mg × 2/day = 500 mg/day exceeds oxycodone's plausibility ceiling "
        "(the label sets no maximum) 400 mg/day"
    ]


def test_entries_of_one_drug_are_summed_per_day() -> None:
    drugs = [
        {"name": "Cymbalta", "dose_mg": 60, "times": ["08:00"]},
        {"name": "duloxetine", "dose_mg": 30, "times": ["20:00"], "start_day": 3},
        {"name": "duloxetine", "dose_mg": 40, "times": ["13:00"], "start_day": 5},
    ]
    assert messages({"drugs": drugs}) == [
        "drugs: duloxetine totals 130 mg/day on day 5 (drugs[0] + drugs[1] + drugs[2]), above "
        "its label maximum 120 mg/day"
    ]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"end_day": 0}, "drugs[0].end_day: 0 must be after start_day 0"),
        (
            {"start_day": 5, "titration": [{"day": 5, "dose_mg": 60}]},
            "drugs[0].titration[0].day: 5 must be after start_day 5",
        ),
        (
            {"titration": [{"day": 9, "dose_mg": 60}, {"day": 8, "dose_mg": 30}]},
            "drugs[0].titration[1].day: 8 must be after titration[0].day 9",
        ),
        (
            {"end_day": 10, "titration": [{"day": 12, "dose_mg": 60}]},
            "drugs[0].titration[0].day: 12 is not before end_day 10",
        ),
        (
            {
                "titration": [{"day": 30, "dose_mg": 60}],
                "taper": {"start_day": 20, "percent": 10, "every_days": 7},
            },
            "drugs[0].titration[0].day: 30 is not before taper.start_day 20",
        ),
        (
            {"start_day": 10, "taper": {"start_day": 5, "percent": 10, "every_days": 7}},
            "drugs[0].taper.start_day: 5 is before start_day 10",
        ),
        (
            {"taper": {"start_day": 5, "percent": 10, "every_days": 7, "basis": "current"}},
            "drugs[0].taper.stop_below_mg: required with basis 'current'",
        ),
        (
            {"taper": {"start_day": 5, "percent": 0, "every_days": 7}},
            "drugs[0].taper.percent: Input should be greater than 0",
        ),
        (
            {"times": ["08:00", "08:04"]},
            "drugs[0].times[1]: 08:04 falls in the same 10-minute block as 08:00",
        ),
        ({"times": []}, "drugs[0].times: Tuple should have at least 1 item"),
        ({"dose_mg": -30}, "drugs[0].dose_mg: Input should be greater than 0"),
        ({"doze_mg": 30}, "drugs[0].doze_mg: Extra inputs are not permitted"),
    ],
)
def test_malformed_drug_entries(entry: dict[str, Any], message: str) -> None:
    base: dict[str, Any] = {"name": "duloxetine", "dose_mg": 30, "times": ["08:00"]}
    found = messages({"drugs": [{**base, **entry}]})
    assert any(m.startswith(message) for m in found), found


def test_other_malformed_entries() -> None:
    found = messages(
        {
            "dry_needling_sessions": [
                {"day": 0, "start": "10:00", "region": "lumbar", "muscle": "upper_trapezius"}
            ]
        }
    )
    assert found[0].startswith(
        "dry_needling_sessions[0].muscle: 'upper_trapezius' is not a lumbar muscle; known: "
        "quadratus_lumborum"
    )
    found = messages(
        {
            "dry_needling_sessions": [
                {"day": 0, "start": "10:00", "region": "thoracic", "muscle": "rhomboids"}
            ]
        }
    )
    assert found[0].startswith("dry_needling_sessions[0].region: Input should be 'cervical'")
    found = messages(
        {"cbt_schedules": [{"weekdays": ["mon", "funday"], "count": 2, "start": "10:00"}]}
    )
    assert found == [
        "cbt_schedules[0].weekdays[1]: 'funday' is not a weekday; use one of mon, "
        "tue, wed, thu, fri, sat, sun"
    ]
    assert messages({"ea_session": []}) == ["ea_session: Extra inputs are not permitted"]
    assert messages({"sham_sessions": [{"day": 0, "start": "10:00", "method": "placebo pill"}]})[
        0
    ].startswith("sham_sessions[0].method: Input should be")


def test_several_problems_are_all_reported() -> None:
    found = messages(
        {
            "ea_sessions": [ea(0, intensity_ma=-2, points=["GV20", "XX1"])],
            "drugs": [{"name": "Prozac", "dose_mg": 10, "times": ["08:00"]}],
        }
    )
    assert len(found) == 3


def test_recurrence_expansion_follows_the_weekdays() -> None:
    plan = TreatmentPlan.parse(
        {
            "start_weekday": "wed",
            "cbt_schedules": [
                {"start_day": 2, "weekdays": ["Monday", "thu"], "count": 4, "start": "10:00"}
            ],
        }
    )
    # day 0 = Wednesday → Thu 1, Mon 5, Thu 8, Mon 12, from day 2 on: 5, 8, 12, 15
    assert [b.start_min // 1440 for b in plan.session_blocks()] == [5, 8, 12, 15]


def test_taper_and_titration_daily_doses() -> None:
    plan = TreatmentPlan.parse(
        {
            "drugs": [
                {
                    "name": "oxycodone",
                    "dose_mg": 20,
                    "times": ["08:00", "20:00"],
                    "titration": [{"day": 3, "dose_mg": 30}],
                    "taper": {"start_day": 10, "percent": 10, "every_days": 7},
                }
            ]
        }
    )
    entry = plan.drugs[0]
    assert [entry.daily_dose_mg(d) for d in (0, 2, 3, 9)] == [40.0, 40.0, 60.0, 60.0]
    # 10 % of the original 30 mg per week: 27, 24, ... 3, then stop
    assert entry.daily_dose_mg(10) == pytest.approx(54.0)
    assert entry.daily_dose_mg(16) == pytest.approx(54.0)
    assert entry.daily_dose_mg(17) == pytest.approx(48.0)
    assert entry.daily_dose_mg(10 + 7 * 8) == pytest.approx(6.0)
    assert entry.daily_dose_mg(10 + 7 * 9) == 0.0
    assert entry.last_day() == 10 + 7 * 9 - 1


def test_geometric_taper_stops_below_the_threshold() -> None:
    plan = TreatmentPlan.parse(
        {
            "drugs": [
                {
                    "name": "oxycodone",
                    "dose_mg": 10,
                    "times": ["08:00"],
                    "taper": {
                        "start_day": 0,
                        "percent": 50,
                        "every_days": 1,
                        "basis": "current",
                        "stop_below_mg": 1.0,
                    },
                }
            ]
        }
    )
    entry = plan.drugs[0]
    assert [entry.dose_on_day(d) for d in range(5)] == [5.0, 2.5, 1.25, 0.0, 0.0]
    assert entry.last_day() == 2


def test_load_plan_yaml_and_json(tmp_path: Path) -> None:
    data = {
        "ea_sessions": [ea(0)],
        "drugs": [{"name": "Cymbalta", "dose_mg": 30, "times": ["08:00"]}],
    }
    json_path = tmp_path / "plan.json"
    json_path.write_text(json.dumps(data), encoding="utf-8")
    assert load_plan(json_path).drugs[0].drug.key == "duloxetine"
    yaml_path = tmp_path / "plan.yaml"
    yaml_path.write_text(
        "ea_sessions:\n  - {day: 0, start: '09:00', frequency: 2, intensity_ma: 1,"
        " tolerance_ma: 2, points: [GV20, EX-HN3]}\n",
        encoding="utf-8",
    )
    assert load_plan(str(yaml_path)).ea_sessions[0].frequency == "2"


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        (
            "bad.yaml",
            "ea_sessions:\n  - day: 1\n   start: x\n",
            r"not valid YAML \(line 3, column 4",
        ),
        ("bad.json", '{"ea_sessions": [}', r"not valid JSON \(line 1, column 18"),
        ("list.yaml", "- 1\n- 2\n", "the top level must be a mapping of plan fields, not list"),
        ("empty.yaml", "", "the file is empty"),
        (
            "typo.yaml",
            "drugs:\n  - {name: Prozac, dose_mg: 10, times: ['08:00']}\n",
            r"drugs\[0\]\.name: unknown drug 'Prozac'",
        ),
    ],
)
def test_malformed_files_name_the_file(tmp_path: Path, name: str, text: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PlanError, match=message) as info:
        load_plan(path)
    assert str(info.value).startswith(f"plan file {str(path)!r}: ")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match=r"plan file .*nope\.yaml.: cannot read: file not found"):
        load_plan(tmp_path / "nope.yaml")


def test_patient_factors_validation() -> None:
    with pytest.raises(ValueError, match=r"pregnancy_trimester: 2 given for sex 'male'"):
        PatientFactors(age_years=30, sex="male", pregnancy_trimester=2)
    with pytest.raises(ValueError, match=r"age_years\n.*is below 18"):
        PatientFactors(age_years=16, sex="female")
    with pytest.raises(ValueError, match=r"creatinine_clearance_ml_min\n.*must be a number"):
        PatientFactors(age_years=40, sex="female", creatinine_clearance_ml_min=0)
    with pytest.raises(ValueError, match=r"hepatic\n.*unknown grade 'bad'"):
        PatientFactors(age_years=40, sex="female", hepatic="bad")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"sex\n"):
        PatientFactors(age_years=40, sex="other")  # type: ignore[arg-type]
    patient = PatientFactors(age_years=80, sex="female", hepatic="mild", pregnancy_trimester=0)
    assert patient.clearance_factor("venlafaxine") == pytest.approx(0.5 * 0.86)


def test_unquoted_clock_times_in_yaml_stay_clock_times(tmp_path: Path) -> None:
    # plain YAML 1.1 would read 10:00 as the base-60 integer 600
    path = tmp_path / "plan.yaml"
    path.write_text(
        "cbt_sessions:\n  - {day: 0, start: 10:00}\n"
        "drugs:\n  - {name: Lexapro, dose_mg: 10, times: [20:00, 8:30]}\n",
        encoding="utf-8",
    )
    plan = load_plan(path)
    assert plan.cbt_sessions[0].start == "10:00"
    assert plan.drugs[0].times == ("20:00", "08:30")


def test_direct_construction_reports_like_parse() -> None:
    with pytest.raises(PlanError) as info:
        TreatmentPlan(ea_sessions=[ea(0, points=["GV20", "XX99"])])
    assert info.value.messages == ["ea_sessions[0].points[1]: unknown point code 'XX99'"]


def test_arm_to_leg_electrode_pair_is_refused() -> None:
    """Issue #17: a PC6–ST36 pair (arm to leg, current across the chest) was accepted."""
    found = messages(
        {"ea_sessions": [ea(0, points=["PC6", "ST36"], electrode_pairs=[["PC6", "ST36"]])]}
    )
    assert found == [
        "ea_sessions[0].electrode_pairs[0]: PC6–ST36: the circuit runs from the upper limb to "
        "the lower limb, so current crosses the chest or trunk; pair points within one limb or "
        "one region"
    ]
    implicit = messages({"ea_sessions": [ea(0, points=["GV20", "EX-HN3", "PC6", "ST36"])]})
    assert implicit[0].startswith("ea_sessions[0].points: PC6–ST36: the circuit runs")


def test_same_point_electrode_pair_is_refused() -> None:
    """Issue #17: a GV20–GV20 pair was accepted."""
    found = messages({"ea_sessions": [ea(0, electrode_pairs=[["GV20", "GV20"]])]})
    assert found[0].startswith("ea_sessions[0].electrode_pairs[0]: GV20–GV20: both electrodes")


def test_pairs_within_one_segment_are_accepted() -> None:
    for points in (["GV20", "EX-HN3"], ["PC6", "LI4"], ["BL23", "BL25"], ["ST36", "SP6"]):
        TreatmentPlan.parse({"ea_sessions": [ea(0, points=points)]})


def test_intensity_above_the_cap_is_refused() -> None:
    found = messages({"ea_sessions": [ea(0, intensity_ma=19.0, tolerance_ma=1.0)]})
    assert found == [
        "ea_sessions[0].intensity_ma: 19 mA is 19× the tolerance threshold (1 mA); at most 1.5× "
        "is accepted (EA is titrated to a comfortable tingling, never pain)"
    ]
    TreatmentPlan.parse({"ea_sessions": [ea(0, intensity_ma=1.5, tolerance_ma=1.0)]})
