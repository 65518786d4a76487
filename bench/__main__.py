"""Run the benchmark cases, each in its own process, and append the results to
docs/benchmarks.md with the machine and the date.

    python -m bench                      # every case at its target size
    python -m bench segment_jsonl --size 200000
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from bench.cases import CASES

DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"


def machine() -> str:
    cpu = "unknown CPU"
    info = Path("/proc/cpuinfo")
    if info.exists():
        for line in info.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores, {cpu}, {mem:.0f} GiB RAM, Python {platform.python_version()}"


def run_case(name: str, size: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="successlink-bench-") as work:
        child = subprocess.run(
            [sys.executable, "-c", "import json, resource; from pathlib import Path; "
             "from bench.cases import CASES; "
             f"r = CASES[{name!r}][0](Path({work!r}), {size}); "
             # The child's own peak: RUSAGE_CHILDREN in this process is the maximum over
             # every case run so far, not this case's.
             "r['peak_rss_mib'] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss "
             "/ 1024); print(json.dumps(r))"],
            capture_output=True, text=True, check=False)
        if child.returncode != 0:
            raise SystemExit(f"{name} failed:\n{child.stderr[-3000:]}")
        result: dict[str, object] = json.loads(child.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("cases", nargs="*", default=list(CASES))
    parser.add_argument("--size", type=int, help="override the case's size")
    args = parser.parse_args()
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"\n## {stamp} — {machine()}\n", "| case | size | result |", "|---|---|---|"]
    for name in args.cases:
        _, size, title = CASES[name]
        size = args.size or size
        print(f"running {name} ({size:,})...", flush=True)
        result = run_case(name, size)
        print(json.dumps(result), flush=True)
        lines.append(f"| {title} | {size:,} | `{json.dumps(result)}` |")
    with DOC.open("a", encoding="utf-8") as doc:
        doc.write("\n".join(lines) + "\n")
    print(f"appended to {DOC}")


if __name__ == "__main__":
    main()
