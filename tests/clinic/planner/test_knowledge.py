"""The knowledge base: every rule sourced, cross-checked, malformed files fail naming the rule."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from hpatwin.clinic.planner import KnowledgeBase, KnowledgeBaseError, load_knowledge_base
from hpatwin.clinic.planner.knowledge import (
    DEFAULT_KB_DIR,
    KB_FILES,
    Confirmation,
    Predicate,
    rules_markdown,
    sync_rules_doc,
)
from hpatwin.parameters import Evidence

from .conftest import REPO


def test_every_rule_has_sources_and_an_evidence_level(kb: KnowledgeBase) -> None:
    rules = kb.all_rules()
    assert len(rules) == kb.rule_count() > 80
    for rule in rules:
        assert rule.sources, rule.id
        assert all(s in kb.sources for s in rule.sources), rule.id
        assert isinstance(rule.evidence, Evidence)
        if rule.evidence is Evidence.ASSUMPTION:
            assert rule.rationale.strip(), rule.id


def test_evidence_counts_cover_all_levels(kb: KnowledgeBase) -> None:
    counts = kb.evidence_counts()
    assert set(counts) == {level.value for level in Evidence}
    assert sum(counts.values()) == kb.rule_count()
    assert counts["source article"] > 0 and counts["assumption"] > 0


def test_unconfirmed_reference_items_are_flagged_not_stated_as_fact(kb: KnowledgeBase) -> None:
    # The session-4-6 response claim and the receptor mapping are UNCONFIRMED in the reference.
    review = kb.schedule.review_rule
    assert kb.confirmation_of(review) is Confirmation.UNCONFIRMED
    early = next(r for r in kb.schedule.review_items if r.id == "review-article-time-course")
    assert kb.confirmation_of(early) is Confirmation.UNCONFIRMED
    assert "UNCONFIRMED" in early.text
    for rule in kb.frequency_rules.values():
        receptors = rule.profile.get("opioid receptors")
        if receptors is not None:
            assert "UNCONFIRMED" in receptors
    # The venlafaxine MAOI washout (unconfirmed) is not given as a number.
    maoi = kb.safety_rule("snri-maoi").message
    assert "7 days" not in maoi and "venlafaxine is not confirmed" in maoi
    # Yintang is keyed by its WHO 2008 code EX-HN3; the newer GV29 is only an alias.
    assert "GV29" not in kb.points and "EX-HN3" in kb.points


def test_every_safety_level_is_used(kb: KnowledgeBase) -> None:
    levels = {rule.level.value for rule in kb.safety_rules}
    assert levels == {"urgent", "contraindication", "caution", "information"}


def test_article_table_rows_are_in_the_kb(kb: KnowledgeBase) -> None:
    rows = {r.dominance.value: r.frequency for r in kb.frequency_rules.values()}
    assert rows["depressive predominance"] == "2 Hz"
    assert rows["acute pain predominance"] == "100 Hz"
    assert rows["chronic pain + depression"] == "2/100 Hz"


def test_predicate_needs_exactly_one_key() -> None:
    with pytest.raises(ValueError, match="exactly one key, got 2"):
        Predicate.model_validate({"drug": "duloxetine", "crcl_below": 30})
    with pytest.raises(ValueError, match="exactly one key, got 0"):
        Predicate.model_validate({})


def _copy_kb(tmp_path: Path) -> Path:
    target = tmp_path / "kb"
    shutil.copytree(DEFAULT_KB_DIR, target)
    return target


def _edit(directory: Path, file_name: str, section: str, rule_id: str, **changes: object) -> None:
    path = directory / file_name
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    entries = data[section]
    entry = next(e for e in entries if e.get("id") == rule_id)
    for key, value in changes.items():
        if value is None:
            entry.pop(key, None)
        else:
            entry[key] = value
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


MALFORMED = [
    ("safety.yaml", "rules", "snri-maoi", {"level": "severe"}, "level"),
    ("safety.yaml", "rules", "snri-maoi", {"sources": ["no_such_source"]}, "unknown source"),
    ("safety.yaml", "rules", "snri-maoi", {"evidence": "hearsay"}, "evidence"),
    ("safety.yaml", "rules", "snri-maoi", {"evidence": "assumption"}, "must state its rationale"),
    (
        "safety.yaml",
        "rules",
        "snri-maoi",
        {"when": {"drug_class": "nonsense"}},
        "unknown drug class",
    ),
    ("safety.yaml", "rules", "snri-maoi", {"when": {"drugg": "x"}}, "when.drugg"),
    ("safety.yaml", "rules", "snri-maoi", {"sources": []}, "sources"),
    ("pharmacotherapy.yaml", "notes", "pharm-ssri-pain", {"message": None}, "message"),
    ("points.yaml", "role_selections", "points-limbic", {"points": ["GV999"]}, "unknown point"),
    (
        "indications.yaml",
        "role_rules",
        "role-monotherapy-mild",
        {"severities": ["moderate"]},
        "covered by exactly one role rule",
    ),
    ("indications.yaml", "thresholds", "threshold-chronic-pain", {"value": "three"}, "value"),
]


@pytest.mark.parametrize(("file_name", "section", "rule_id", "changes", "expected"), MALFORMED)
def test_malformed_kb_fails_naming_file_and_rule(
    tmp_path: Path,
    file_name: str,
    section: str,
    rule_id: str,
    changes: dict[str, object],
    expected: str,
) -> None:
    directory = _copy_kb(tmp_path)
    _edit(directory, file_name, section, rule_id, **changes)
    with pytest.raises(KnowledgeBaseError) as excinfo:
        load_knowledge_base(directory)
    message = str(excinfo.value)
    assert message.startswith(file_name), message
    assert repr(rule_id) in message or rule_id in message, message
    assert expected in message, message


def test_duplicate_rule_id_is_rejected(tmp_path: Path) -> None:
    directory = _copy_kb(tmp_path)
    _edit(directory, "pharmacotherapy.yaml", "notes", "pharm-ssri-pain", id="snri-maoi")
    with pytest.raises(KnowledgeBaseError, match="'snri-maoi': duplicate rule id"):
        load_knowledge_base(directory)


def test_invalid_yaml_and_missing_file_fail_loudly(tmp_path: Path) -> None:
    directory = _copy_kb(tmp_path)
    (directory / "safety.yaml").write_text("rules: [\n", encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match=r"safety.yaml: not valid YAML"):
        load_knowledge_base(directory)
    (directory / "safety.yaml").unlink()
    with pytest.raises(KnowledgeBaseError, match=r"safety.yaml: cannot read"):
        load_knowledge_base(directory)


def test_an_edited_kb_changes_the_plan(tmp_path: Path) -> None:
    """Thresholds are configurable: chronic pain from 6 months turns a 4-month pain acute."""
    from hpatwin.clinic.planner import build_plan

    from .conftest import make

    directory = _copy_kb(tmp_path)
    _edit(directory, "indications.yaml", "thresholds", "threshold-chronic-pain", value=6)
    custom = load_knowledge_base(directory)
    assessment = make(phq9_total=7, pain_nrs=8, pain_duration_months=4)
    assert build_plan(assessment).dominance.category == "chronic pain + depression"
    assert build_plan(assessment, custom).dominance.category == "acute pain predominance"
    assert custom.sha256 != load_knowledge_base().sha256


def test_kb_files_ship_inside_the_package() -> None:
    # hatchling packages everything under src/hpatwin, so the YAML files are package data.
    package_root = Path(__file__).resolve().parents[3] / "src" / "hpatwin"
    assert DEFAULT_KB_DIR.is_relative_to(package_root) or "site-packages" in str(DEFAULT_KB_DIR)
    for name in KB_FILES:
        assert (DEFAULT_KB_DIR / name).is_file(), name


def test_rules_markdown_lists_every_rule_with_its_source(kb: KnowledgeBase) -> None:
    text = rules_markdown(kb)
    for rule in kb.all_rules():
        assert f"`{rule.id}`" in text, rule.id
    assert "| assumption |" in text
    assert "Kroenke" in text


def test_docs_rules_section_is_generated_from_the_kb(kb: KnowledgeBase) -> None:
    doc = (REPO / "docs" / "planner.md").read_text(encoding="utf-8")
    assert sync_rules_doc(doc, kb) == doc, (
        "docs/planner.md is stale: run python -m hpatwin.clinic.planner docs/planner.md"
    )
