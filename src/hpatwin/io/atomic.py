"""Atomic file writes: write to a temporary file beside the target, then rename.

Example
-------
>>> import pathlib, tempfile
>>> from hpatwin.io.atomic import atomic_path
>>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
>>> with atomic_path(target) as tmp:
...     _ = tmp.write_text("done")
>>> target.read_text()
'done'
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from hpatwin.errors import InputError, ResourceError

_STALE_AFTER_S = 3600.0
"""Temp files without a live owner process (or older than this, old-style names) are removed."""


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def clean_stale_temp_files(target: Path | str) -> list[Path]:
    """Remove hidden ``.NAME.*.tmp`` files beside ``target`` left by a killed writer.

    A temp file names its writer's process id (``.NAME.PID.XXXX.tmp``); it is stale when that
    process no longer runs (or, for names without a pid, when older than an hour).
    Returns the files removed.

    Example
    -------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / ".out.nc.999999999.abcd.tmp").write_text("partial")
    >>> [p.name for p in clean_stale_temp_files(folder / "out.nc")]
    ['.out.nc.999999999.abcd.tmp']
    """
    target = Path(target)
    removed: list[Path] = []
    if not target.parent.is_dir():
        return removed
    prefix = f".{target.name}."
    now = time.time()
    try:
        candidates = [p for p in target.parent.iterdir() if p.name.startswith(prefix)]
    except OSError:
        return removed
    for path in candidates:
        if not path.name.endswith(".tmp") or not path.is_file():
            continue
        middle = path.name[len(prefix) : -len(".tmp")]
        pid_text = middle.split(".", 1)[0]
        try:
            stale = (
                not _pid_alive(int(pid_text))
                if pid_text.isdigit() and "." in middle
                else (now - path.stat().st_mtime > _STALE_AFTER_S)
            )
            if stale:
                path.unlink()
                removed.append(path)
        except OSError:
            continue
    return removed


def check_writable(path: Path | str, *, folder: bool = False) -> None:
    """Raise :class:`~hpatwin.errors.ResourceError` unless ``path`` can be written (before work).

    ``folder``: ``path`` is an output folder (it, or its nearest existing parent, must be a
    writable folder); otherwise ``path`` is a file whose folder must exist or be creatable.

    Example
    -------
    >>> import pathlib, tempfile
    >>> check_writable(pathlib.Path(tempfile.mkdtemp()) / "new" / "out.nc")
    >>> blocker = pathlib.Path(tempfile.mkdtemp()) / "a-file"
    >>> _ = blocker.write_text("x")
    >>> check_writable(blocker / "out.nc")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    hpatwin.errors.ResourceError: .../a-file/out.nc: cannot write here (... is not a folder)
    """
    target = Path(path)
    if not folder and target.is_dir():
        raise ResourceError(f"{target}: is a folder; give a file name")
    if folder and target.exists() and not target.is_dir():
        raise ResourceError(f"{target}: exists and is not a folder")
    start = target if folder else target.parent
    existing = start
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if not existing.is_dir():
        raise ResourceError(f"{target}: cannot write here ({existing} is not a folder)")
    try:  # a real probe: permissions, read-only file systems, full disks of inodes
        with tempfile.TemporaryFile(dir=existing, prefix=".hpatwin-probe."):
            pass
    except OSError as err:
        reason = err.strerror or type(err).__name__
        raise ResourceError(f"{target}: cannot write here ({existing}: {reason})") from None


def distinct_outputs(*paths: Path | str | None) -> None:
    """Raise :class:`~hpatwin.errors.InputError` when two outputs are the same file.

    Example
    -------
    >>> distinct_outputs("a.nc", "b.png", None)
    >>> distinct_outputs("x.png", "./x.png")
    Traceback (most recent call last):
    ...
    hpatwin.errors.InputError: ./x.png: given for two outputs; each output needs its own file
    """
    seen: dict[Path, Path] = {}
    for path in paths:
        if path is None:
            continue
        key = Path(path).resolve()
        if key in seen:
            raise InputError(
                "given for two outputs; each output needs its own file", source=str(path)
            )
        seen[key] = Path(path)


def refuse_overwrite(path: Path, overwrite: bool) -> None:
    """Raise ``FileExistsError`` if ``path`` exists and ``overwrite`` is false."""
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; pass --overwrite (overwrite=True) to replace it")


@contextlib.contextmanager
def atomic_path(target: Path | str) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; on success rename it onto ``target``.

    On any error the temporary file is removed and ``target`` is left untouched.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    clean_stale_temp_files(target)
    handle, name = tempfile.mkstemp(
        prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=target.parent
    )
    os.close(handle)
    tmp = Path(name)
    try:
        yield tmp
        with tmp.open("rb+") as written:  # make the contents durable before the rename
            os.fsync(written.fileno())
        umask = os.umask(0)
        os.umask(umask)
        tmp.chmod(0o666 & ~umask)  # mkstemp creates 0600; give the file normal permissions
        tmp.replace(target)
    finally:
        if tmp.exists():
            tmp.unlink()


def atomic_write_text(path: str | os.PathLike[str], text: str, *, overwrite: bool = True) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically; an existing file stays intact on failure.

    With ``overwrite=False`` an existing file raises ``FileExistsError``.

    Example
    -------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "b.txt"
    >>> atomic_write_text(p, "x"); atomic_write_text(p, "y"); p.read_text()
    'y'
    """
    target = Path(path)
    if not overwrite and target.exists():
        raise FileExistsError(f"{target}: exists (pass overwrite=True to replace it)")
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="")
