"""Size of the orbit.js browser SDK (owns bench/sdk_size.py): raw and gzip -9 bytes, printed as JSON.

Usage: python bench/sdk_size.py [--check]   (--check exits 1 when over the 6 KB gzipped budget)
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

SDK = Path(__file__).resolve().parent.parent / "chalicelib" / "web" / "assets" / "orbit.js"
BUDGET_GZIP_BYTES = 6 * 1024


def measure(path: Path = SDK) -> dict[str, object]:
    raw = path.read_bytes()
    gz = len(gzip.compress(raw, compresslevel=9, mtime=0))
    return {
        "file": str(path.relative_to(SDK.parents[3])),
        "raw_bytes": len(raw),
        "gzip_bytes": gz,
        "budget_gzip_bytes": BUDGET_GZIP_BYTES,
        "within_budget": gz <= BUDGET_GZIP_BYTES,
    }


def section(result: dict[str, object]) -> str:
    """The ``orbit.js size`` section of docs/benchmarks.md."""
    gz = int(str(result["gzip_bytes"]))
    return (
        "## orbit.js size\n\n"
        f"`{result['file']}`: {result['raw_bytes']:,} bytes raw, **{gz:,} bytes gzipped** (gzip -9), "
        f"{gz / BUDGET_GZIP_BYTES:.0%} of the 6 KB budget. No dependencies, no build step.\n"
    )


def main(argv: list[str]) -> int:
    result = measure()
    print(json.dumps(result))
    return 1 if "--check" in argv and not result["within_budget"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
