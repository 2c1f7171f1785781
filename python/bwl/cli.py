"""The ``bwl`` command line: a thin shell over the library."""
from __future__ import annotations

import argparse
import json
import re
import sys
from typing import Optional, Sequence

import numpy as np


def parse_region(text: str) -> tuple[str, Optional[int], Optional[int]]:
    """``chr1:1,000-2,000`` -> ("chr1", 1000, 2000); ``chr1`` -> ("chr1", None, None)."""
    m = re.fullmatch(r"(.+?)(?::([\d,_]+)-([\d,_]+))?", text.strip())
    if not m:
        raise argparse.ArgumentTypeError(f"bad region {text!r} (use chrom:start-end)")
    chrom, s, e = m.groups()
    num = lambda x: int(x.replace(",", "").replace("_", "")) if x is not None else None  # noqa: E731
    return chrom, num(s), num(e)


def _table(rows: Sequence[Sequence[object]], header: Sequence[str]) -> str:
    cells = [[str(c) for c in header]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    line = lambda r: "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths)))  # noqa: E731
    return "\n".join([line(cells[0]), line(["-" * w for w in widths])] + [line(r) for r in cells[1:]])


def cmd_info(args: argparse.Namespace) -> int:
    import bwl

    with bwl.open(args.file) as f:
        h, chroms = f.header(), f.chroms()
    if args.json:
        print(json.dumps({"file": args.file, "header": h, "chroms": chroms}, indent=2))
        return 0
    print(f"file:           {args.file}")
    print(f"version:        {h['version']}")
    print(f"byte order:     {h['byteOrder']}-endian")
    print(f"compressed:     {h['compressed']} (uncompressBufSize {h['uncompressBufSize']})")
    print(f"sections:       {h['sectionCount']} in {h['blockCount']} blocks")
    print(f"bases covered:  {h['nBasesCovered']}")
    print(f"min/max/mean:   {h['minVal']:g} / {h['maxVal']:g} / "
          f"{h['sumData'] / h['nBasesCovered'] if h['nBasesCovered'] else float('nan'):g}")
    print(f"chromosomes:    {len(chroms)}")
    if h["zoomLevels"]:
        print("\nzoom levels:")
        print(_table([(i, z["reductionLevel"], z["dataOffset"]) for i, z in enumerate(h["zoomLevels"])],
                     ["level", "reduction", "data offset"]))
    print()
    shown = list(chroms.items())[: args.max_chroms]
    print(_table(shown, ["chrom", "size"]))
    if len(chroms) > len(shown):
        print(f"... {len(chroms) - len(shown)} more (--max-chroms)")
    return 0


def cmd_values(args: argparse.Namespace) -> int:
    import bwl

    chrom, start, end = args.region
    with bwl.open(args.file) as f:
        start = 0 if start is None else start
        end = f.chroms(chrom) if end is None else end
        v = f.values(chrom, start, end)
    if args.json:
        print(json.dumps([None if np.isnan(x) else float(x) for x in v]))
    else:
        np.savetxt(sys.stdout, v, fmt="%.7g")
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    import bwl

    chrom, start, end = args.region
    with bwl.open(args.file) as f:
        v = f.stats(chrom, start, end, type=args.type, nBins=args.bins, exact=args.exact)
    print(" ".join("nan" if np.isnan(x) else f"{x:.7g}" for x in v))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from bwl.demo import run

    return run(args.dir)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="bwl", description="BigWig loading for deep learning.")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("info", help="header, zoom levels and chromosomes of a bigWig")
    s.add_argument("file")
    s.add_argument("--json", action="store_true", help="print JSON")
    s.add_argument("--max-chroms", type=int, default=25, help="chromosomes to list (default 25)")
    s.set_defaults(func=cmd_info)

    s = sub.add_parser("values", help="per-base values of a region, one per line (nan: no data)")
    s.add_argument("file")
    s.add_argument("region", type=parse_region, help="chrom:start-end (0-based, half-open) or chrom")
    s.add_argument("--json", action="store_true", help="print a JSON list (null: no data)")
    s.set_defaults(func=cmd_values)

    s = sub.add_parser("stats", help="summary of a region in bins")
    s.add_argument("file")
    s.add_argument("region", type=parse_region)
    s.add_argument("--type", default="mean", choices=["mean", "min", "max", "cov", "std", "sum"])
    s.add_argument("--bins", type=int, default=1)
    s.add_argument("--exact", action="store_true", help="from the data, not the zoom levels")
    s.set_defaults(func=cmd_stats)

    s = sub.add_parser("demo", help="make example data and show the reader at work")
    s.add_argument("--dir", default=None, help="where to put the example files (default: a cache folder)")
    s.set_defaults(func=cmd_demo)
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    import bwl

    try:
        return args.func(args)
    except (bwl.FormatError, KeyError, ValueError, OSError) as e:
        msg = e.args[0] if isinstance(e, KeyError) and e.args else e
        print(f"bwl {args.command}: error: {msg}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
