"""One guarded reader for YAML and JSON input files.

Every loader of user files goes through :func:`load_structured` (or
:func:`parse_structured`), which refuses — with an :class:`~hpatwin.errors.InputError` that
names the file and a line/column, never echoing the file's content —

* files over ``max_bytes`` (checked before reading) and bytes that are not UTF-8;
* YAML whose aliases expand past ``max_nodes`` ("billion laughs": a 1 KB file that would grow
  to gigabytes), recursive anchors, and nesting deeper than ``max_depth``;
* duplicate mapping keys (YAML and JSON: the last one would silently win);
* integers beyond ±2**63 and values the YAML constructors reject (``2024-02-30``).

Example
-------
>>> parse_structured("a: 1\\nb: [1, 2]\\n", name="x.yaml")
{'a': 1, 'b': [1, 2]}
>>> bomb = "a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\\n" + "".join(
...     f"{k}: &{k} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\\n"
...     for p, k in zip("abcdefgh", "bcdefghi"))
>>> try:
...     parse_structured(bomb, name="bomb.yaml")
... except InputError as err:
...     print(str(err)[:60])
bomb.yaml: aliases expand to more than 200000 values (YAML "
>>> try:
...     parse_structured('{"a": 1, "a": 2}', name="d.json")
... except InputError as err:
...     print(err)
d.json: line 1: duplicate key 'a'
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from hpatwin.errors import InputError

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_DEPTH",
    "DEFAULT_MAX_NODES",
    "load_structured",
    "parse_structured",
    "read_text_guarded",
]

DEFAULT_MAX_BYTES = 8 * 1024 * 1024
DEFAULT_MAX_NODES = 200_000
DEFAULT_MAX_DEPTH = 64
_MAX_INT = 2**63


def _short(key: Any) -> str:
    text = "".join(ch for ch in str(key) if ch.isprintable())
    return repr(text if len(text) <= 40 else text[:39] + "…")


def read_text_guarded(path: str | Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """The UTF-8 text of ``path``; size, missing files, folders and bad bytes are refused.

    Example
    -------
    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "latin1.yaml"
    >>> _ = p.write_bytes(b"name: caf\\xe9\\n")
    >>> try:
    ...     read_text_guarded(p)
    ... except InputError as err:
    ...     print(str(err).split(": ", 1)[1])
    not UTF-8 text (invalid byte at offset 9); save the file as UTF-8
    """
    file = Path(path)
    name = str(file)
    try:
        size = file.stat().st_size
        if file.is_dir():
            raise InputError("is a folder, not a file", source=name)
        if size > max_bytes:
            raise InputError(
                f"{size} bytes is larger than the {max_bytes} bytes accepted", source=name
            )
        raw = file.read_bytes()
    except FileNotFoundError:
        raise InputError("file not found", source=name) from None
    except PermissionError:
        raise InputError("permission denied (cannot read the file)", source=name) from None
    except OSError as err:
        raise InputError(f"cannot read the file ({err.strerror or 'error'})", source=name) from None
    if len(raw) > max_bytes:
        raise InputError(f"larger than the {max_bytes} bytes accepted", source=name)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError(
            f"not UTF-8 text (invalid byte at offset {err.start}); save the file as UTF-8",
            source=name,
        ) from None


def _children(node: yaml.Node) -> Iterator[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        yield from node.value
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield key
            yield value


def _check_yaml_graph(root: yaml.Node, name: str, max_nodes: int, max_depth: int) -> None:
    """Expanded size (aliases counted each time they are used), depth, cycles, duplicates."""
    sizes: dict[int, int] = {}
    on_stack: set[int] = set()
    # iterative post-order walk: (node, depth, children expanded?)
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, expanded = stack.pop()
        key = id(node)
        if expanded:
            on_stack.discard(key)
            total = 1 + sum(sizes[id(child)] for child in _children(node))
            if total > max_nodes:
                raise InputError(
                    f'aliases expand to more than {max_nodes} values (YAML "billion laughs"); '
                    "write the values out or use fewer anchors",
                    source=name,
                )
            sizes[key] = total
            continue
        if key in sizes:
            continue
        if key in on_stack:
            raise InputError(
                f"line {node.start_mark.line + 1}: a recursive anchor refers to itself",
                source=name,
            )
        if depth > max_depth:
            raise InputError(
                f"line {node.start_mark.line + 1}: nested more than {max_depth} levels deep",
                source=name,
            )
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, _ in node.value:
                if isinstance(key_node, yaml.ScalarNode):
                    if key_node.value in seen and key_node.value != "<<":
                        raise InputError(
                            f"line {key_node.start_mark.line + 1}: duplicate key "
                            f"{_short(key_node.value)}",
                            source=name,
                        )
                    seen.add(key_node.value)
        elif isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:int":
            digits = node.value.lstrip("+-").replace("_", "")
            if len(digits) > 19:
                raise InputError(
                    f"line {node.start_mark.line + 1}: integer with {len(digits)} digits is "
                    "out of range",
                    source=name,
                )
        on_stack.add(key)
        stack.append((node, depth, True))
        for child in _children(node):
            stack.append((child, depth + 1, False))


def _yaml_error(err: yaml.YAMLError, name: str) -> InputError:
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    problem = getattr(err, "problem", None) or type(err).__name__
    return InputError(f"not valid YAML ({where}{problem})", source=name)


def _check_json(data: Any, name: str, max_depth: int) -> None:
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > max_depth:
            raise InputError(f"nested more than {max_depth} levels deep", source=name)
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)
        elif isinstance(value, int) and not isinstance(value, bool) and abs(value) >= _MAX_INT:
            raise InputError("an integer is out of range", source=name)


def parse_structured(
    text: str,
    *,
    name: str,
    json_format: bool | None = None,
    loader: type[yaml.SafeLoader] = yaml.SafeLoader,
    max_nodes: int = DEFAULT_MAX_NODES,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> Any:
    """Parse YAML (or JSON when ``json_format`` or ``name`` ends in ``.json``), guarded.

    ``loader`` must be :class:`yaml.SafeLoader` or a subclass of it.

    Example
    -------
    >>> try:
    ...     parse_structured("when: 2024-02-30\\n", name="a.yaml")
    ... except InputError as err:
    ...     print(err)
    a.yaml: line 1, column 7: invalid value (day is out of range for month)
    """
    if json_format is None:
        json_format = name.lower().endswith(".json")
    if json_format:

        def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
            out: dict[str, Any] = {}
            for key, value in pairs:
                if key in out:
                    raise _DuplicateKeyError(key)
                out[key] = value
            return out

        try:
            data = json.loads(text, object_pairs_hook=no_duplicates)
        except _DuplicateKeyError as dup:
            line = _json_line(text, dup.key)
            raise InputError(f"line {line}: duplicate key {_short(dup.key)}", source=name) from None
        except json.JSONDecodeError as err:
            raise InputError(
                f"not valid JSON (line {err.lineno}, column {err.colno}: {err.msg})", source=name
            ) from None
        except RecursionError:
            raise InputError("nested too deeply", source=name) from None
        except ValueError as err:  # e.g. integer string conversion limits
            raise InputError(f"invalid value ({type(err).__name__})", source=name) from None
        _check_json(data, name, max_depth)
        return data
    yaml_loader = loader(text)
    try:
        try:
            node = yaml_loader.get_single_node()
        except yaml.YAMLError as err:
            raise _yaml_error(err, name) from None
        except RecursionError:
            raise InputError("nested too deeply", source=name) from None
        if node is None:
            return None
        _check_yaml_graph(node, name, max_nodes, max_depth)
        try:
            return yaml_loader.construct_document(node)
        except yaml.YAMLError as err:
            raise _yaml_error(err, name) from None
        except (ValueError, OverflowError, TypeError) as err:
            mark = _failing_mark(yaml_loader, node)
            where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
            raise InputError(f"{where}invalid value ({err})", source=name) from None
    finally:
        yaml_loader.dispose()


class _DuplicateKeyError(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _json_line(text: str, key: str) -> int:
    needle = json.dumps(key)
    first = text.find(needle)
    second = text.find(needle, first + 1) if first >= 0 else -1
    index = second if second >= 0 else first
    return text.count("\n", 0, max(index, 0)) + 1


def _failing_mark(loader: yaml.SafeLoader, root: yaml.Node) -> yaml.Mark | None:
    """The first scalar the constructor rejects (re-tried one by one), for the error position."""
    stack = [root]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            try:
                loader.construct_object(node, deep=True)
            except Exception:
                return node.start_mark
        else:
            stack.extend(reversed(list(_children(node))))
    return None


def load_structured(
    path: str | Path,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    loader: type[yaml.SafeLoader] = yaml.SafeLoader,
    max_nodes: int = DEFAULT_MAX_NODES,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> Any:
    """Read and parse a YAML/JSON file with every guard of :func:`parse_structured`.

    Example
    -------
    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.json"
    >>> _ = p.write_text('{"x": [1, 2]}', encoding="utf-8")
    >>> load_structured(p)
    {'x': [1, 2]}
    """
    text = read_text_guarded(path, max_bytes=max_bytes)
    return parse_structured(
        text,
        name=str(path),
        json_format=str(path).lower().endswith(".json"),
        loader=loader,
        max_nodes=max_nodes,
        max_depth=max_depth,
    )
