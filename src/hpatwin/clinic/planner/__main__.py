"""``python -m hpatwin.clinic.planner [FILE.md ...]``: regenerate the KB rule list in the docs.

Rewrites the section between the generated-rules markers of each file (default
``docs/planner.md``) from :func:`hpatwin.clinic.planner.knowledge.rules_markdown`.

Example
-------
>>> import pathlib, tempfile
>>> from hpatwin.clinic.planner.knowledge import RULES_BEGIN, RULES_END
>>> doc = pathlib.Path(tempfile.mkdtemp()) / "planner.md"
>>> _ = doc.write_text(f"{RULES_BEGIN}\\n{RULES_END}\\n")
>>> main([str(doc)])  # doctest: +ELLIPSIS
/...planner.md: updated
0
"""

from __future__ import annotations

import sys

from hpatwin.clinic.planner.knowledge import write_rules_doc


def main(argv: list[str] | None = None) -> int:
    """Regenerate the rules section of each Markdown file; return the exit status.

    Example
    -------
    >>> import pathlib, tempfile
    >>> from hpatwin.clinic.planner.knowledge import RULES_BEGIN, RULES_END
    >>> doc = pathlib.Path(tempfile.mkdtemp()) / "rules.md"
    >>> _ = doc.write_text(f"{RULES_BEGIN}\\n{RULES_END}\\n")
    >>> main([str(doc), str(doc)])  # doctest: +ELLIPSIS
    /...rules.md: updated
    /...rules.md: up to date
    0
    """
    paths = argv if argv is not None else sys.argv[1:]
    for path in paths or ["docs/planner.md"]:
        changed = write_rules_doc(path)
        print(f"{path}: {'updated' if changed else 'up to date'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
