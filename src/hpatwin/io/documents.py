"""One document loader and one validation-error formatter for every file hpatwin reads.

Parameter files, trial specs, treatment plans, assessments, catalogues and the planner's
knowledge base all come through :func:`read_document`, so they share the same guarantees:

- a size limit checked before reading (default 10 MiB), and a clear error for a missing,
  unreadable or non-UTF-8 file;
- JSON for ``.json``, YAML otherwise, parsed safely: no Python objects, **no anchors or
  aliases** (the "billion laughs" expansion cannot happen), **no duplicate keys** (JSON and
  YAML alike), and ``HH:MM`` clock times kept as strings rather than YAML 1.1's base-60
  integers;
- nesting limited to :data:`MAX_DEPTH` levels;
- errors that name the file and the line, never echo the file's content.

:func:`validation_messages` turns a pydantic error into ``field.path[0].name: message`` lines
with the offending value shown only when it is short and scalar.

Example
-------
>>> import pathlib, tempfile
>>> path = pathlib.Path(tempfile.mkdtemp()) / "plan.yaml"
>>> _ = path.write_text("name: demo\\nclock: 08:30\\n", encoding="utf-8")
>>> read_document(path)
{'name': 'demo', 'clock': '08:30'}
>>> _ = path.write_text("a: 1\\na: 2\\n", encoding="utf-8")
>>> read_document(path)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
hpatwin.io.documents.DocumentError: .../plan.yaml: not valid YAML (line 2, column 1: duplicate key 'a')
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from hpatwin.errors import InputError

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "DocumentError",
    "field_path",
    "parse_document_text",
    "read_document",
    "read_packaged_document",
    "validation_messages",
]

#: largest document read by default (bytes); bigger files are refused before reading
MAX_BYTES = 10 * 1024 * 1024
#: deepest nesting of mappings and lists accepted
MAX_DEPTH = 64
#: longest offending value echoed in a validation message (characters)
MAX_ECHO_CHARS = 40


class DocumentError(InputError):
    """A document that cannot be read or parsed (names the file, never its content)."""

    def __init__(self, source: str, message: str) -> None:
        super().__init__(message, source=source)
        self.source_label = source
        self.detail = message


class _SafeLoader(yaml.SafeLoader):
    """SafeLoader without aliases, without duplicate keys and without base-60 integers."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.MarkedYAMLError(
                problem="aliases (*name) are not accepted", problem_mark=event.start_mark
            )
        event = self.peek_event()  # type: ignore[no-untyped-call]
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise yaml.MarkedYAMLError(
                problem="anchors (&name) are not accepted", problem_mark=event.start_mark
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, Mapping | list):
                raise yaml.MarkedYAMLError(
                    problem="a mapping or list cannot be a key", problem_mark=key_node.start_mark
                )
            if key in seen:
                raise yaml.MarkedYAMLError(
                    problem=f"duplicate key {_short(key)}", problem_mark=key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


# YAML 1.1 reads 08:30 as the base-60 integer 510; a clock time must stay a string.
_DECIMAL_INT = re.compile(
    r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"
)
_SafeLoader.yaml_implicit_resolvers = {
    first: [
        (tag, _DECIMAL_INT if tag == "tag:yaml.org,2002:int" else regexp)
        for tag, regexp in resolvers
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class _PackagedLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """libyaml's fast safe loader, for documents shipped in the package (already checked by
    the strict loader in the test suite): same clock-time rule, no per-node Python hooks."""


_PackagedLoader.yaml_implicit_resolvers = _SafeLoader.yaml_implicit_resolvers


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= MAX_ECHO_CHARS else text[: MAX_ECHO_CHARS - 1] + "…"


def _depth(data: Any, limit: int) -> int:
    stack: list[tuple[Any, int]] = [(data, 1)]
    deepest = 0
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if level > limit:
            return level
        if isinstance(item, Mapping):
            stack.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, level + 1) for v in item)
    return deepest


def _json_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {_short(key)}")
        result[key] = value
    return result


def parse_document_text(
    text: str, label: str, *, json_format: bool = False, packaged: bool = False
) -> Any:
    """Parse ``text`` as JSON (``json_format``) or safe YAML; errors name ``label`` and the line.

    ``packaged`` marks a document shipped with hpatwin: it is parsed by libyaml (about 10×
    faster) without the alias and duplicate-key checks, which the test suite runs instead.

    Example
    -------
    >>> parse_document_text("x: &a [1]\\ny: *a\\n", "spec.yaml")
    Traceback (most recent call last):
    ...
    hpatwin.io.documents.DocumentError: spec.yaml: not valid YAML (line 1, column 4: anchors (&name) are not accepted)
    """
    try:
        if json_format:
            data = json.loads(text, object_pairs_hook=_json_pairs)
        else:
            data = yaml.load(text, Loader=_PackagedLoader if packaged else _SafeLoader)
    except json.JSONDecodeError as exc:
        raise DocumentError(
            label, f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = exc.problem or exc.context or "syntax error"
        raise DocumentError(label, f"not valid YAML ({where}{problem})") from None
    except yaml.YAMLError:
        raise DocumentError(label, "not valid YAML") from None
    except (ValueError, RecursionError) as exc:
        message = str(exc) if isinstance(exc, ValueError) else "nested too deeply"
        raise DocumentError(label, message) from None
    if _depth(data, MAX_DEPTH) > MAX_DEPTH:
        raise DocumentError(label, f"nested more than {MAX_DEPTH} levels deep")
    return data


def read_document(
    path: Path | str,
    *,
    max_bytes: int = MAX_BYTES,
    require_mapping: bool = True,
    packaged: bool = False,
) -> Any:
    """Read a YAML or JSON document (by suffix) with the guarantees of this module.

    Raises :class:`DocumentError` naming the file; with ``require_mapping`` the top level
    must be a mapping.
    """
    file = Path(path)
    label = str(file)
    try:
        size = file.stat().st_size
    except FileNotFoundError:
        raise DocumentError(label, "cannot read: file not found") from None
    except OSError as exc:
        raise DocumentError(label, f"cannot read ({exc.strerror})") from None
    if file.is_dir():
        raise DocumentError(label, "is a folder, not a file")
    if size > max_bytes:
        raise DocumentError(label, f"{size:,} bytes is larger than the {max_bytes:,}-byte limit")
    try:
        text = file.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DocumentError(label, f"not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise DocumentError(label, f"cannot read ({exc.strerror})") from None
    return _checked(
        parse_document_text(
            text, label, json_format=file.suffix.lower() == ".json", packaged=packaged
        ),
        label,
        require_mapping,
    )


def read_packaged_document(package: str, *parts: str, require_mapping: bool = True) -> Any:
    """Read a document shipped inside ``package`` (e.g. a built-in catalogue).

    Example
    -------
    >>> sorted(read_packaged_document("hpatwin.data", "catalogues", "points.yaml"))[:2]
    ['points', 'ranges']
    """
    resource = resources.files(package).joinpath(*parts)
    label = f"built-in {'/'.join(parts)}"
    text = resource.read_text(encoding="utf-8")
    return _checked(parse_document_text(text, label, packaged=True), label, require_mapping)


def _checked(data: Any, label: str, require_mapping: bool) -> Any:
    if data is None:
        raise DocumentError(label, "the file is empty")
    if require_mapping and not isinstance(data, Mapping):
        raise DocumentError(label, "expected a mapping (key: value) at the top level")
    return data


def field_path(location: Iterable[int | str]) -> str:
    """A pydantic error location as ``arms[1].sessions[0].day``.

    Example
    -------
    >>> field_path(("arms", 1, "sessions", 0, "day"))
    'arms[1].sessions[0].day'
    """
    text = ""
    for part in location:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def validation_messages(error: ValidationError) -> list[str]:
    """``field.path: message`` lines for a pydantic error, showing short scalar inputs only.

    Example
    -------
    >>> from pydantic import BaseModel, Field
    >>> class Size(BaseModel):
    ...     patients: int = Field(ge=1)
    >>> try:
    ...     Size(patients=-3)
    ... except ValidationError as exc:
    ...     validation_messages(exc)
    ['patients: Input should be greater than or equal to 1 (got -3)']
    """
    lines: list[str] = []
    for item in error.errors():
        context = item.get("ctx") or {}
        if item["type"] == "value_error" and "error" in context:
            message = str(context["error"])
        elif item["type"] == "extra_forbidden":
            message = "unknown field (not allowed here)"
        else:
            message = str(item["msg"])
        for prefix in ("Value error, ", "Assertion failed, "):
            message = message.removeprefix(prefix)
        got = item.get("input")
        shown = ""
        if item["type"] not in ("value_error", "missing", "extra_forbidden") and isinstance(
            got, int | float | str | bool
        ):
            shown = f" (got {_short(got)})"
        location = field_path(item["loc"])
        lines.append(f"{location}: {message}{shown}" if location else f"{message}{shown}")
    return lines
