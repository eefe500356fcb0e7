"""The one document loader: safe YAML/JSON, clear errors naming the file, no content echoed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hpatwin.io.documents import (
    MAX_DEPTH,
    DocumentError,
    parse_document_text,
    read_document,
)

SRC = Path(__file__).resolve().parents[2] / "src" / "hpatwin"
PACKAGED = sorted(p for p in SRC.rglob("*.yaml") if "__pycache__" not in p.parts)


@pytest.mark.parametrize("path", PACKAGED, ids=lambda p: str(p.relative_to(SRC)))
def test_every_packaged_document_passes_the_strict_loader(path: Path) -> None:
    # packaged documents are parsed by libyaml at run time; the strict checks run here
    assert read_document(path) == read_document(path, packaged=True)


def test_billion_laughs_is_refused_fast(tmp_path: Path) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}]*9" for i in range(8)]
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(DocumentError, match="anchors"):
        read_document(bomb)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("dup.json", '{"a": 1, "a": 2}', "duplicate key 'a'"),
        ("dup.yaml", "a: 1\na: 2\n", "duplicate key 'a'"),
        ("bytes.yaml", b"\xff\xfe\x00bad", "not UTF-8"),
        ("list.yaml", "- 1\n", "expected a mapping"),
        ("empty.yaml", "", "the file is empty"),
        ("bad.json", "{", "not valid JSON"),
    ],
)
def test_bad_documents_name_the_file_and_not_the_content(
    tmp_path: Path, name: str, content: str | bytes, message: str
) -> None:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(DocumentError, match=message) as info:
        read_document(path)
    assert str(path) in str(info.value)


def test_secret_content_is_never_echoed(tmp_path: Path) -> None:
    path = tmp_path / "passwd.yaml"
    path.write_text("root:x:0:0:secret-canary:/root:/bin/bash\n  - [", encoding="utf-8")
    with pytest.raises(DocumentError) as info:
        read_document(path)
    assert "secret-canary" not in str(info.value)


def test_size_limit_is_checked_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("a: " + "x" * 2000, encoding="utf-8")
    with pytest.raises(DocumentError, match="larger than the 1,000-byte limit"):
        read_document(path, max_bytes=1000)


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="cannot read: file not found"):
        read_document(tmp_path / "nope.yaml")
    with pytest.raises(DocumentError, match="is a folder"):
        read_document(tmp_path)


def test_deep_nesting_is_refused() -> None:
    deep = "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5)
    with pytest.raises(DocumentError, match="nested"):
        parse_document_text(deep, "deep.json", json_format=True)


def test_clock_times_stay_strings_and_integers_stay_integers() -> None:
    data = parse_document_text("t: 08:30\nn: 12\nh: 0x1f\n", "x.yaml")
    assert data == {"t": "08:30", "n": 12, "h": 31}


_scalars = st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.text(max_size=20)
_documents = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(_documents)
def test_any_json_document_round_trips(document: object) -> None:
    assert parse_document_text(json.dumps(document), "x.json", json_format=True) == document


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_parses_or_raises_a_document_error(text: str) -> None:
    try:
        parse_document_text(text, "fuzz.yaml")
    except DocumentError as err:
        assert str(err).startswith("fuzz.yaml: ")
