"""Allow ``python -m hpatwin``."""

from hpatwin.cli import main

if __name__ == "__main__":
    main()
