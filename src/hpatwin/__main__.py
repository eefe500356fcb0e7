"""Allow ``python -m hpatwin``."""

from hpatwin.cli import main

main()
