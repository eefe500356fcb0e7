"""File input/output shared by the CLI and the API: atomic writes and validated parameter files."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hpatwin._lazy import lazy_exports

if TYPE_CHECKING:
    from hpatwin.io.atomic import atomic_path, atomic_write_text, refuse_overwrite
    from hpatwin.io.parameter_file import ParameterFile, load_parameter_file

#: Public name -> the module that defines it (loaded on first use).
_EXPORTS: dict[str, str] = {
    "atomic_path": "hpatwin.io.atomic",
    "atomic_write_text": "hpatwin.io.atomic",
    "refuse_overwrite": "hpatwin.io.atomic",
    "ParameterFile": "hpatwin.io.parameter_file",
    "load_parameter_file": "hpatwin.io.parameter_file",
}

__all__ = [
    "ParameterFile",
    "atomic_path",
    "atomic_write_text",
    "load_parameter_file",
    "refuse_overwrite",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
