"""Point catalogue: lookups, aliases, roles, pregnancy cautions, malformed catalogues."""

from __future__ import annotations

from pathlib import Path

import pytest

from hpatwin.data.points import normalise_code
from hpatwin.treatments import PointRole, UnknownPointError, load_point_catalogue

# the WHO 2008 core table, the depression-trial points and the segmental points
REQUIRED = ["GV20", "EX-HN3", "GV24", "PC6", "HT7", "LR3", "LI4", "SP6", "ST36", "GB20", "GB21"]
TRIAL_POINTS = ["GV26", "GV17", "EX-HN1", "EX-HN5", "GB15", "GB8", "ST8"]


def test_required_points_are_catalogued_with_names() -> None:
    catalogue = load_point_catalogue()
    names = {code: catalogue.get(code).name for code in REQUIRED}
    assert names == {
        "GV20": "Baihui",
        "EX-HN3": "Yintang",
        "GV24": "Shenting",
        "PC6": "Neiguan",
        "HT7": "Shenmen",
        "LR3": "Taichong",
        "LI4": "Hegu",
        "SP6": "Sanyinjiao",
        "ST36": "Zusanli",
        "GB20": "Fengchi",
        "GB21": "Jianjing",
    }
    for code in TRIAL_POINTS:
        assert catalogue.get(code).used_in, f"{code} should cite the trial that used it"


@pytest.mark.parametrize(
    ("alias", "code"),
    [
        ("GV29", "EX-HN3"),
        ("yintang", "EX-HN3"),
        ("Du20", "GV20"),
        ("du 24", "GV24"),
        ("Liv3", "LR3"),
        ("gv20", "GV20"),
        ("jiaji", "EX-B2"),
    ],
)
def test_aliases_resolve_to_the_who_code(alias: str, code: str) -> None:
    assert load_point_catalogue().get(alias).code == code


def test_yintang_is_keyed_by_its_who_2008_code_with_gv29_as_alias() -> None:
    point = load_point_catalogue().get("GV29")
    assert point.code == "EX-HN3" and "GV29" in point.aliases
    assert "EX-HN3" in point.code_status and "GV29" in point.code_status


def test_unknown_code_is_a_clear_error_with_suggestions() -> None:
    catalogue = load_point_catalogue()
    with pytest.raises(UnknownPointError, match=r"^unknown point code 'XX99'$"):
        catalogue.get("XX99")
    with pytest.raises(UnknownPointError, match=r"unknown point code 'ST-36'; did you mean ST36"):
        catalogue.get("ST-36")
    assert "XX99" not in catalogue
    assert 42 not in catalogue


def test_pregnancy_cautions_follow_the_reference() -> None:
    catalogue = load_point_catalogue()
    for code in ["LI4", "SP6", "GB21", "BL60", "BL67"]:
        point = catalogue.get(code)
        assert point.pregnancy_caution, code
        assert "Betts D, Budd S" in (point.pregnancy_caution_source or "")
    for code in ["GV20", "PC6", "ST36", "HT7"]:
        assert not catalogue.get(code).pregnancy_caution, code
    # ranges: lower abdominal and lumbosacral, both ends inclusive
    for code in ["BL22", "BL35", "GV3", "GV5", "CV3", "CV7", "ST25", "ST30", "KI11", "KI16"]:
        assert catalogue.get(code).pregnancy_caution, code
    for code in ["BL36", "CV8", "KI17"]:
        with pytest.raises(UnknownPointError):
            catalogue.get(code)
    assert "disputed" in catalogue.get("BL67").cautions[0].text
    assert {p.code for p in catalogue.pregnancy_cautioned()} >= {"LI4", "SP6", "GB21", "BL23"}


def test_range_point_without_entry_is_unnamed_but_flagged() -> None:
    point = load_point_catalogue().get("BL28")
    assert point.name is None and point.region == "low_back" and point.roles == ()
    assert load_point_catalogue().tags_of("BL28") == ("pregnancy_caution", "lumbosacral")


def test_roles_and_segmental_regions() -> None:
    catalogue = load_point_catalogue()
    lumbar = {p.code for p in catalogue.serving("low_back")}
    assert {"BL23", "BL25", "GV3", "GV4"} <= lumbar
    assert {p.code for p in catalogue.serving("neck")} >= {"GB20", "GB21"}
    assert "SI11" in {p.code for p in catalogue.serving("upper_back")}
    assert {"ST35", "SP9"} <= {p.code for p in catalogue.serving("knee")}
    assert {"GV20", "PC6", "LR3"} <= {p.code for p in catalogue.by_role(PointRole.HPA_SYSTEMIC)}
    assert {"HT7", "EX-HN3"} <= {p.code for p in catalogue.by_role("limbic")}
    for point in catalogue:
        for role in point.roles:
            # the article names no points: every role is an assumption with a rationale
            assert role.evidence.value == "assumption" and role.rationale.strip(), point.code
        assert point.source.strip(), point.code


def test_thorax_points_carry_a_pneumothorax_caution() -> None:
    catalogue = load_point_catalogue()
    assert "pneumothorax" in catalogue.get("GB21").cautions[0].text
    assert any("pneumothorax" in c.text for c in catalogue.get("EX-B2").cautions)


def test_normalise_code() -> None:
    assert normalise_code(" ren 4 ") == "CV4"
    assert normalise_code("ex-hn3") == "EX-HN3"


_MINIMAL = """
points:
{points}
ranges:
  - {{meridian: BL, first: 22, last: 35, region: low_back, pregnancy_caution: true,
      pregnancy_caution_source: betts_budd2011}}
"""


@pytest.mark.parametrize(
    ("points", "message"),
    [
        (
            "  - {code: BL23, name: Shenshu, region: low_back, location_status: not_recorded,"
            " source: who2008_reference, pregnancy_caution: false}",
            "BL23 lies in the pregnancy-cautioned range BL22-BL35",
        ),
        (
            "  - {code: GV20, name: Baihui, region: head, location_status: not_recorded,"
            " source: nowhere, pregnancy_caution: false}",
            "unknown source id 'nowhere'",
        ),
        (
            "  - {code: GV20, name: Baihui, region: head, location_status: not_recorded,"
            " source: who2008_reference, pregnancy_caution: false,"
            " roles: [{role: segmental_analgesic, evidence: assumption, rationale: r}]}",
            "must name the regions it serves",
        ),
        (
            "  - {code: GV20, name: Baihui, region: head, location_status: not_recorded,"
            " source: who2008_reference, pregnancy_caution: false, roles: [{role: limbic, evidence: assumption}]}",
            "an assumed role must state its rationale",
        ),
        (
            "  - {code: GV20, name: Baihui, region: head, location_status: not_recorded,"
            " source: who2008_reference, pregnancy_caution: false}\n"
            "  - {code: DU20, name: Baihui, region: head, location_status: not_recorded,"
            " source: who2008_reference, pregnancy_caution: false}",
            "point GV20: listed twice",
        ),
    ],
)
def test_malformed_catalogue_is_rejected(tmp_path: Path, points: str, message: str) -> None:
    path = tmp_path / "points.yaml"
    path.write_text(_MINIMAL.format(points=points), encoding="utf-8")
    with pytest.raises(ValueError, match=message) as info:
        load_point_catalogue(path)
    assert str(path) in str(info.value)


def test_catalogue_file_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot read: file not found"):
        load_point_catalogue(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("points: [", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.yaml: not valid YAML"):
        load_point_catalogue(bad)
