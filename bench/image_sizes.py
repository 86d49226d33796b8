"""Bytes of every shipped course image before and after the image pipeline.

Run: .venv/bin/python -m bench.image_sizes
"""

from __future__ import annotations

import time

from core.images import prepare_image
from courses.loader import DEFAULT_CONTENT_ROOT


def main() -> None:
    rows = []
    for path in sorted(DEFAULT_CONTENT_ROOT.glob("*/images/*")):
        data = path.read_bytes()
        started = time.perf_counter()
        prepared = prepare_image(data)
        elapsed = (time.perf_counter() - started) * 1000
        rows.append((path.relative_to(DEFAULT_CONTENT_ROOT), len(data), prepared, elapsed))
    print(f"{'image':48} {'before':>9} {'after':>8} {'size':>10} {'ms':>6}")
    for name, before, prepared, elapsed in rows:
        size = f"{prepared.width}x{prepared.height}"
        print(f"{name!s:48} {before:>9,} {len(prepared.data):>8,} {size:>10} {elapsed:>6.0f}")
    total_before = sum(r[1] for r in rows)
    total_after = sum(len(r[2].data) for r in rows)
    print(f"{'total (' + str(len(rows)) + ' images)':48} {total_before:>9,} {total_after:>8,}")
    print(f"largest after: {max(len(r[2].data) for r in rows):,} bytes (target 80,000)")


if __name__ == "__main__":
    main()
