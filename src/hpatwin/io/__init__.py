"""File input/output shared by the CLI and the API: atomic writes and validated parameter files."""

from hpatwin.io.atomic import atomic_path, atomic_write_text, refuse_overwrite
from hpatwin.io.parameter_file import ParameterFile, load_parameter_file

__all__ = [
    "ParameterFile",
    "atomic_path",
    "atomic_write_text",
    "load_parameter_file",
    "refuse_overwrite",
]
