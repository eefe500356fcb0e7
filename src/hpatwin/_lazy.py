"""Lazily loaded package exports (PEP 562), so importing a package costs only what is used.

``hpatwin score`` and ``hpatwin plan`` must start fast: a package's ``__init__`` lists its
public names and the modules that define them, and each module loads on first use.

Example
-------
>>> getattr_, dir_ = lazy_exports("hpatwin.io", {"atomic_path": "hpatwin.io.atomic"})
>>> getattr_("atomic_path").__name__, dir_()
('atomic_path', ['atomic_path'])
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, exports: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package`` that import ``exports[name]`` on first use."""

    def load_attribute(name: str) -> Any:
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(exports[name]), name)
        module = sys.modules.get(package)
        if module is not None:
            setattr(module, name, value)  # later look-ups skip this function
        return value

    def list_attributes() -> list[str]:
        return sorted(exports)

    return load_attribute, list_attributes
