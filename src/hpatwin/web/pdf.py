"""HTML to PDF with Chromium's own print-to-PDF (headless, in a child process with a timeout).

The report page is written to a private temporary folder (mode 0700, removed afterwards)
and printed by ``chromium --headless --print-to-pdf``; the page's print CSS sets the paper
(``@page { size: A4 }``). The child gets a throwaway profile, no network features, and is
killed with its process group when it overruns the timeout. At most ``max_parallel``
renders run at once; more wait briefly and are then refused (busy), so a burst of PDF
requests cannot exhaust memory.

Errors are :class:`PdfUnavailable` with a message for people (HTTP 503 in the app); they
never carry Chromium's output or the page's content.

Example
-------
>>> renderer = PdfRenderer(executable=None)
>>> try:
...     renderer.render("<p>x</p>")
... except PdfUnavailable as exc:
...     print(exc)
PDF reports are unavailable: Chromium was not found on the server (install Debian's chromium package or set HPATWIN_CHROMIUM)
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from hpatwin.errors import HpatwinError

__all__ = ["CHROMIUM_ENV", "PdfRenderer", "PdfUnavailable", "find_chromium", "pdf_page_count"]

CHROMIUM_ENV = "HPATWIN_CHROMIUM"
_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
_FLAGS = (
    "--headless", "--disable-gpu", "--no-first-run", "--disable-extensions",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-dev-shm-usage", "--no-pdf-header-footer",
    "--mute-audio",
)
LOG = logging.getLogger("hpatwin.web")


class PdfUnavailable(HpatwinError):  # noqa: N818 - a state, reported as HTTP 503
    """A PDF could not be made (no Chromium, timeout, busy, or Chromium failed)."""


def find_chromium() -> Path | None:
    """Chromium from ``HPATWIN_CHROMIUM``, else the first of chromium/chrome on ``PATH``.

    Example
    -------
    >>> found = find_chromium()
    >>> found is None or found.exists()
    True
    """
    configured = os.environ.get(CHROMIUM_ENV)
    if configured:
        path = Path(configured)
        return path if path.is_file() and os.access(path, os.X_OK) else None
    for name in _CANDIDATES:
        found = shutil.which(name)
        if found:
            return Path(found)
    return None


def pdf_page_count(pdf: bytes) -> int:
    """Pages in a PDF as Chromium writes it (counts ``/Type /Page`` objects).

    Example
    -------
    >>> pdf_page_count(b"<< /Type /Pages /Count 2 >> << /Type /Page >> << /Type /Page >>")
    2
    """
    count, start = 0, 0
    while (i := pdf.find(b"/Type /Page", start)) >= 0:
        start = i + len(b"/Type /Page")
        following = pdf[start:start + 1]
        if not following.isalpha():  # /Page, not /Pages
            count += 1
    return count


@dataclass
class PdfRenderer:
    """Print HTML to PDF with headless Chromium (``executable=None``: unavailable)."""

    executable: Path | None
    timeout_s: float = 60.0
    max_parallel: int = 2
    _slots: threading.BoundedSemaphore = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._slots = threading.BoundedSemaphore(max(1, self.max_parallel))

    @classmethod
    def default(cls) -> PdfRenderer:
        """The renderer for the Chromium that :func:`find_chromium` finds (or none)."""
        return cls(find_chromium())

    @property
    def available(self) -> bool:
        """Whether a Chromium executable is configured and present."""
        return self.executable is not None and self.executable.is_file()

    def _command(self, page: Path, out: Path, profile: Path) -> list[str]:
        assert self.executable is not None
        flags = list(_FLAGS)
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            flags.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
        return [str(self.executable), *flags, f"--user-data-dir={profile}",
                f"--print-to-pdf={out}", page.as_uri()]

    def check(self) -> None:
        """Raise :class:`PdfUnavailable` when no Chromium is there (before any work is done)."""
        if not self.available:
            raise PdfUnavailable(
                "PDF reports are unavailable: Chromium was not found on the server "
                f"(install Debian's chromium package or set {CHROMIUM_ENV})"
            )

    def render(self, html: str) -> bytes:
        """The PDF of a self-contained HTML page (inline CSS and SVG; nothing fetched)."""
        self.check()
        if not self._slots.acquire(timeout=self.timeout_s):
            raise PdfUnavailable("PDF reports are busy; try again in a minute")
        try:
            return self._render(html)
        finally:
            self._slots.release()

    def _render(self, html: str) -> bytes:
        with tempfile.TemporaryDirectory(prefix="hpatwin-pdf-") as folder:
            root = Path(folder)
            page, out, profile = root / "report.html", root / "report.pdf", root / "profile"
            page.write_text(html, encoding="utf-8")
            process = subprocess.Popen(
                self._command(page, out, profile), stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
            )
            try:
                code = process.wait(timeout=self.timeout_s)
            except subprocess.TimeoutExpired:
                _kill_group(process)
                LOG.warning("pdf: Chromium timed out after %.0f s", self.timeout_s)
                raise PdfUnavailable(
                    f"PDF generation timed out after {self.timeout_s:.0f} s; try again"
                ) from None
            finally:
                _kill_group(process)  # helpers Chromium may leave behind
            data = out.read_bytes() if out.is_file() else b""
            if code != 0 or not data.startswith(b"%PDF"):
                LOG.warning("pdf: Chromium failed (exit code %s)", code)
                raise PdfUnavailable("PDF generation failed; try again or use the HTML report")
            return data


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)
