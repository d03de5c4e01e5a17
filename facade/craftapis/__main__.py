"""`python -m craftapis`: the same as the `craftapis` command (needs `pip install "craftapis[cli]"`)."""

from __future__ import annotations

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
