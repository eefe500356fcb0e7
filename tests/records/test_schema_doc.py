"""docs/records-schema.md is generated from the models and must not be stale."""

from __future__ import annotations

from pathlib import Path

from hpatwin.records.models import Base
from hpatwin.records.schema_doc import schema_markdown, write_schema_doc

DOC = Path(__file__).resolve().parents[2] / "docs" / "records-schema.md"


def test_schema_doc_is_up_to_date() -> None:
    assert DOC.read_text(encoding="utf-8") == schema_markdown(), (
        "docs/records-schema.md is stale: run "
        "python -c 'from hpatwin.records.schema_doc import write_schema_doc; "
        'write_schema_doc("docs/records-schema.md")\''
    )


def test_every_table_and_column_is_documented() -> None:
    text = schema_markdown()
    for table in Base.metadata.tables.values():
        assert f"## `{table.name}`" in text
        for column in table.columns:
            assert f"| {column.name} |" in text


def test_a_stale_doc_is_detected_and_rewritten(tmp_path: Path) -> None:
    stale = tmp_path / "schema.md"
    stale.write_text("# old\n")
    assert write_schema_doc(stale) is True
    assert write_schema_doc(stale) is False
