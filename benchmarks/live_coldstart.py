"""Real cold starts by bundle size, bytecode cache off vs on (medians of repeated starts).

Run: ``python benchmarks/live_coldstart.py [--repeats 7] [--spawn]``. Each cold start is a new
instance process (zygote fork by default, ``--spawn`` for a fresh interpreter) that really
imports a generated bundle of 250, 550 or 800 kB: compiling it (cache off) or loading checked-hash
``.pyc`` files from the cache directory (cache on). Prints one table and the saving per size.
"""

from __future__ import annotations

import argparse
import json

from models.live.coldstart import cold_start_table
from models.live.runtime import LiveOptions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--spawn", action="store_true", help="fresh interpreter per instance")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    options = LiveOptions(start_method="spawn" if args.spawn else "zygote")
    rows = cold_start_table(repeats=args.repeats, options=options)
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(f"cold starts, {options.start_method}, median of {args.repeats} per cell (ms)")
    print(
        f"{'bundle':>7} {'cache':>5} {'runtime_init':>12} {'code_load':>9} {'(CPU)':>7}"
        f" {'module_init':>11} {'cold start':>10} {'1st response':>12} {'hits':>5}"
    )
    for row in rows:
        print(
            f"{row['size_kb']:>5.0f}kB {'on' if row['cache'] else 'off':>5}"
            f" {row['runtime_init_ms']:>12.1f} {row['code_load_ms']:>9.1f}"
            f" {row['code_load_cpu_ms']:>7.1f} {row['module_init_ms']:>11.1f}"
            f" {row['cold_start_ms']:>10.1f}"
            f" {row['first_response_ms']:>12.1f} {row['hits']:>3}/{row['samples']}"
        )
    print("saving from the cache (cold start off - on):")
    for off, on in zip(rows[::2], rows[1::2], strict=True):
        saved = off["cold_start_ms"] - on["cold_start_ms"]
        cpu = off["code_load_cpu_ms"] - on["code_load_cpu_ms"]
        print(
            f"  {off['size_kb']:.0f} kB: {saved:.1f} ms ({saved / off['cold_start_ms']:.0%})"
            f" of wall time, {cpu:.1f} ms of CPU"
        )


if __name__ == "__main__":
    main()
