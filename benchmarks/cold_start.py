"""Cold import time of each function's handler module, and the built layer's size.

Each handler is imported in a fresh interpreter (as a cold Lambda container does) N times;
the median is reported. Run after `make build` to include the layer's size.

    python benchmarks/cold_start.py [--runs 7] [--out benchmarks/cold_start.md]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import zipfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROBE = """
import os, sys, time
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
sys.path.insert(0, sys.argv[1])
start = time.perf_counter()
import app  # noqa
print(time.perf_counter() - start)
"""


def cold_import(function: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", PROBE, str(ROOT / "functions" / function)],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        )
        times.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(times)


def layer_size() -> tuple[int, int] | None:
    built = ROOT / ".aws-sam" / "build" / "GovbotLayer"
    if not built.is_dir():
        return None
    files = [p for p in built.rglob("*") if p.is_file()]
    unzipped = sum(p.stat().st_size for p in files)
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for p in files:
            z.write(p, p.relative_to(built))
    return unzipped, len(buffer.getvalue())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--out", default=str(Path(__file__).with_name("cold_start.md")))
    args = parser.parse_args()
    functions = sorted(p.name for p in (ROOT / "functions").iterdir() if (p / "app.py").is_file())
    lines = [
        "# Cold start: handler import time and layer size",
        "",
        f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores; "
        f"median of {args.runs} fresh interpreters each. Lambda runs python3.13 on arm64, so "
        "read these as relative figures. Produced by benchmarks/cold_start.py.",
        "",
        "| function | cold import (ms) |",
        "|---|---|",
    ]
    for fn in functions:
        ms = cold_import(fn, args.runs) * 1000
        print(f"{fn}: {ms:.0f} ms", file=sys.stderr)
        lines.append(f"| {fn} | {ms:.0f} |")
    size = layer_size()
    lines.append("")
    if size:
        lines.append(
            f"Built layer (`make build`): {size[0] / 1e6:.1f} MB unzipped, "
            f"{size[1] / 1e6:.1f} MB zipped (Lambda allows 250 MB unzipped)."
        )
    else:
        lines.append("Built layer: run `make build` first to measure it.")
    Path(args.out).write_text("\n".join(lines) + "\n")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
