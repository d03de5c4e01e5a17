"""Re-record the live-scenario cassettes: `python scripts/record.py --api modrinth|...|all`.

The recorder lives beside the tests that replay its cassettes (tests/recording/recorder.py, where
every option and environment variable is documented); this is its command-line entry point, run
by `nox -s record -- ...`.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / "facade", ROOT / "generated"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from tests.recording.recorder import main  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(main())
