"""The ``bwl`` command line: a thin shell over the library."""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Sequence

import numpy as np

from bwl._table import table


def parse_region(text: str) -> tuple[str, int | None, int | None]:
    """``chr1:1,000-2,000`` -> ("chr1", 1000, 2000); ``chr1`` -> ("chr1", None, None)."""
    m = re.fullmatch(r"(.+?)(?::([\d,_]+)-([\d,_]+))?", text.strip())
    if not m:
        raise argparse.ArgumentTypeError(f"bad region {text!r} (use chrom:start-end)")
    chrom, s, e = m.groups()
    num = lambda x: int(x.replace(",", "").replace("_", "")) if x is not None else None  # noqa: E731
    return chrom, num(s), num(e)


def cmd_info(args: argparse.Namespace) -> int:
    import bwl

    if args.build:
        if args.json:
            print(json.dumps(bwl.build_info(), indent=2))
        else:
            print(bwl.build_summary())
        return 0
    if args.file is None:
        raise ValueError("give a FILE, or --build for how bwl was built")
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
        print(table([(i, z["reductionLevel"], z["dataOffset"]) for i, z in enumerate(h["zoomLevels"])],
                     ["level", "reduction", "data offset"]))
    print()
    shown = list(chroms.items())[: args.max_chroms]
    print(table(shown, ["chrom", "size"]))
    if len(chroms) > len(shown):
        print(f"... {len(chroms) - len(shown)} more (--max-chroms)")
    return 0


def cmd_values(args: argparse.Namespace) -> int:
    import bwl

    chrom, start, end = args.region
    with bwl.open(args.file) as f:
        start = 0 if start is None else start
        if end is None:
            end = f.chroms(chrom)
            if end is None:
                raise KeyError(f"{args.file}: no chromosome '{chrom}'")
        v = f.values(chrom, start, end)
    if args.json:
        print(json.dumps([None if np.isnan(x) else float(x) for x in v]))
    else:
        np.savetxt(sys.stdout, v, fmt="%.9g")  # 9 digits round-trip float32
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    import bwl

    chrom, start, end = args.region
    with bwl.open(args.file) as f:
        v = f.stats(chrom, start, end, type=args.type, nBins=args.bins, exact=args.exact)
    print(" ".join("nan" if np.isnan(x) else f"{x:.17g}" for x in v))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from bwl.demo import run

    return run(args.dir, batches=args.batches)


def cmd_plot(args: argparse.Namespace) -> int:
    import os

    import bwl
    from bwl.plot import plot_tracks

    chrom, start, end = args.region
    rows, names = [], []
    for path in args.files:
        with bwl.open(path) as f:
            s = 0 if start is None else start
            e = f.chroms(chrom) if end is None else end
            if e is None:
                raise KeyError(f"{path}: no chromosome '{chrom}'")
            rows.append(f.values(chrom, s, e))
            names.append(os.path.splitext(os.path.basename(path))[0])
    if len({len(r) for r in rows}) != 1:
        raise ValueError("the files give different lengths for this region (give start-end explicitly)")
    out = plot_tracks(np.stack(rows), names, f"{chrom}:{s:,}-{e:,}", args.output, start=s, width=args.width)
    print(out)
    return 0


def cmd_from_bedgraph(args: argparse.Namespace) -> int:
    import time

    from bwl.writer import from_bedgraph

    t0 = time.perf_counter()
    n = from_bedgraph(args.bedgraph, args.chrom_sizes, args.output, type=args.type, compress=not args.uncompressed,
                      zoom_levels=args.zoom_levels, progress=not args.quiet)
    if not args.quiet:
        print(f"{args.output}: {n:,} lines in {time.perf_counter() - t0:.1f} s")
    return 0


def _size(n: float) -> str:
    """Bytes as a short human size: 812 B, 40.2 KiB, 1.3 GiB."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    raise AssertionError


def cmd_store(args: argparse.Namespace) -> int:
    import bwl

    store = bwl.Store(args.dir)
    if args.action == "build":
        if not args.tracks:
            raise ValueError("give the TRACKs to store (paths, URLs, a directory or a glob)")
        entries = store.build(args.tracks, threads=args.threads)
    elif args.action == "prune":
        entries = store.prune(keep_remote=not args.remote, verify=args.verify)
        print(f"removed {len(entries)} store file(s) from {store.directory}")
    else:
        entries = store.entries(verify=args.verify)
    if args.json:
        print(json.dumps([e.__dict__ for e in entries], indent=2))
        return 0
    rows = [(e.source, _size(e.file_bytes), _size(e.data_bytes), e.status, os.path.basename(e.path)) for e in entries]
    print(table(rows, ["track", "size", "decoded", "status", "file"]))
    print(f"{len(entries)} store file(s), {_size(sum(e.file_bytes for e in entries))} in {store.directory}")
    return 1 if args.action == "info" and args.verify and any(e.status.startswith("damaged") for e in entries) else 0


def cmd_average_over_bed(args: argparse.Namespace) -> int:
    from bwl.tools.average import average_over_bed, bed_out_text, tab_text, write_text

    if len(args.files) < 3:
        raise ValueError("give IN.bw [IN.bw ...] IN.bed OUT.tab")
    *tracks, bed, out = args.files
    res = average_over_bed(tracks, bed, sample_around_center=args.sampleAroundCenter, threads=args.threads,
                           keep_lines=bool(args.bedOut))
    write_text(out, tab_text(res, args.minMax))
    if args.bedOut:
        write_text(args.bedOut, bed_out_text(res, args.minMax))
    return 0


def cmd_to_bedgraph(args: argparse.Namespace) -> int:
    from bwl.tools import to_bedgraph

    to_bedgraph(args.input, args.output, chrom=args.chrom, start=args.start, end=args.end)
    return 0


def cmd_to_bed(args: argparse.Namespace) -> int:
    from bwl.tools import to_bed

    to_bed(args.input, args.output, chrom=args.chrom, start=args.start, end=args.end, max_items=args.maxItems,
           header=args.header)
    return 0


def cmd_merge(args: argparse.Namespace) -> int:
    from bwl.tools import merge

    if len(args.files) < 2:
        raise ValueError("give IN.bw [IN.bw ...] OUT.bedGraph")
    *inputs, out = args.files
    if args.inList:  # the inputs are files listing bigWig paths, as bigWigMerge -inList
        listed = []
        for lst in inputs:
            with open(lst) as fh:
                listed += [w for line in fh for w in line.split() if not w.startswith("#")]
        inputs = listed
    merge(inputs, out, threshold=args.threshold, adjust=args.adjust, clip=args.clip, max=args.max,
          threads=args.threads)
    return 0


def cmd_from_wig(args: argparse.Namespace) -> int:
    from bwl.writer import from_wig

    n = from_wig(args.wig, args.chrom_sizes, args.output, clip=args.clip, compress=not args.unc,
                 progress=not args.quiet)
    if not args.quiet:
        print(f"wrote {args.output} from {n:,} lines")
    return 0


def cmd_from_bed(args: argparse.Namespace) -> int:
    from bwl.writer import from_bed

    n = from_bed(args.bed, args.chrom_sizes, args.output, type=args.type, autosql=getattr(args, "as"), tab=args.tab,
                 compress=not args.unc, block_size=args.blockSize, items_per_slot=args.itemsPerSlot,
                 allow_1bp_overlap=args.allow1bpOverlap, progress=not args.quiet)
    if not args.quiet:
        print(f"wrote {args.output}: {n:,} records")
    return 0


def cmd_bench(args: argparse.Namespace, extra: Sequence[str]) -> int:
    import os
    import subprocess

    here = os.path.abspath(os.getcwd())
    while not os.path.isfile(os.path.join(here, "bench", f"{args.name}.py")):
        parent = os.path.dirname(here)
        if parent == here:
            raise OSError(f"bench/{args.name}.py not found: run `bwl bench` inside a bwl source checkout")
        here = parent
    return subprocess.call([sys.executable, os.path.join(here, "bench", f"{args.name}.py"), *extra])


def _range_args(s: argparse.ArgumentParser, start_help: str, end_help: str) -> None:
    """The UCSC converters' -chrom, -start, -end."""
    s.add_argument("-chrom", default=None, help="only this chromosome")
    s.add_argument("-start", type=int, default=None, help=f"only {start_help}")
    s.add_argument("-end", type=int, default=None, help=f"only {end_help}")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="bwl", description="BigWig loading for deep learning.")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("info", help="header, zoom levels and chromosomes of a bigWig (--build: how bwl was built)")
    s.add_argument("file", nargs="?")
    s.add_argument("--build", action="store_true", help="inflate backend, CUDA architectures, CPU features, notes")
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

    s = sub.add_parser("demo", help="make example data and run the training loader over it")
    s.add_argument("--dir", default=None, help="where to put the example files (default: ~/.cache/bwl/demo)")
    s.add_argument("--batches", type=int, default=300, help="batches to load (default 300)")
    s.set_defaults(func=cmd_demo)

    s = sub.add_parser("plot", help="draw the signal of one region of one or more files to a PNG")
    s.add_argument("files", nargs="+")
    s.add_argument("--region", required=True, type=parse_region, help="chrom:start-end")
    s.add_argument("-o", "--output", required=True, help="PNG file to write")
    s.add_argument("--width", type=float, default=10.0, help="figure width in inches (default 10)")
    s.set_defaults(func=cmd_plot)

    s = sub.add_parser("from-bedgraph", help="convert bedGraph (plain or .gz) to bigWig, like bedGraphToBigWig")
    s.add_argument("bedgraph")
    s.add_argument("chrom_sizes", help="chrom.sizes file: name and size per line")
    s.add_argument("output")
    s.add_argument("--type", default="bedGraph", choices=["bedGraph", "variableStep", "fixedStep"],
                   help="section type to write (default bedGraph)")
    s.add_argument("--uncompressed", action="store_true", help="store blocks without zlib")
    s.add_argument("--zoom-levels", type=int, default=None, help="at most this many zoom levels (default: automatic)")
    s.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    s.set_defaults(func=cmd_from_bedgraph)

    s = sub.add_parser("average-over-bed", help="signal over each BED region, like bigWigAverageOverBed",
                       description="Columns: name, size, covered, sum, mean0 (uncovered bases count as 0), mean "
                                   "(over covered bases; 0 where none), per track; several tracks give a block of "
                                   "columns each under a # header. - reads the BED from stdin / writes to stdout.")
    s.add_argument("files", nargs="+", metavar="IN.bw [IN.bw ...] IN.bed OUT.tab")
    s.add_argument("-minMax", action="store_true", help="two more columns: min and max over the covered bases")
    s.add_argument("-bedOut", metavar="OUT.bed", help="also write the BED with each track's mean appended")
    s.add_argument("-sampleAroundCenter", type=int, default=0, metavar="N",
                   help="sample the N bases centred on each region instead of the region")
    s.add_argument("--threads", type=int, default=None, help="threads (default: all cores)")
    s.set_defaults(func=cmd_average_over_bed)

    s = sub.add_parser("from-wig", help="convert wiggle (fixedStep, variableStep, bedGraph; .gz too) to bigWig, "
                                        "like wigToBigWig")
    s.add_argument("wig")
    s.add_argument("chrom_sizes", help="chrom.sizes file: name and size per line")
    s.add_argument("output")
    s.add_argument("-clip", action="store_true", help="cut items past a chromosome's end instead of failing")
    s.add_argument("-unc", action="store_true", help="store blocks without zlib")
    s.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    s.set_defaults(func=cmd_from_wig)

    s = sub.add_parser("from-bed", help="convert BED (sorted; .gz too) to bigBed, like bedToBigBed")
    s.add_argument("bed", metavar="IN.bed")
    s.add_argument("chrom_sizes", help="chrom.sizes file: name and size per line")
    s.add_argument("output", metavar="OUT.bb")
    s.add_argument("-type", default=None, metavar="bedN[+[P]]",
                   help="N standard BED fields (3..15), then P extra ones (default: counted on the first line)")
    s.add_argument("-as", default=None, metavar="FILE.as", help="autoSql describing the fields (needs -type)")
    s.add_argument("-tab", action="store_true", help="fields are tab-separated (may hold spaces)")
    s.add_argument("-unc", action="store_true", help="store blocks without zlib")
    s.add_argument("-blockSize", type=int, default=256, help="R-tree fan-out (default 256)")
    s.add_argument("-itemsPerSlot", type=int, default=512, help="records per data block (default 512)")
    s.add_argument("-allow1bpOverlap", action="store_true", help="BED12 blocks may overlap by one base")
    s.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    s.set_defaults(func=cmd_from_bed)

    s = sub.add_parser("to-bedgraph", help="a bigWig's items as bedGraph, like bigWigToBedGraph")
    s.add_argument("input", metavar="IN.bw")
    s.add_argument("output", metavar="OUT.bedGraph", help="- for stdout")
    _range_args(s, "items over start, clipped", "items under end, clipped")
    s.set_defaults(func=cmd_to_bedgraph)

    s = sub.add_parser("to-bed", help="a bigBed's records as BED, like bigBedToBed")
    s.add_argument("input", metavar="IN.bb")
    s.add_argument("output", metavar="OUT.bed", help="- for stdout")
    _range_args(s, "records overlapping from start", "records overlapping up to end")
    s.add_argument("-maxItems", type=int, default=None, help="only the first N records")
    s.add_argument("-header", action="store_true", help="a # line of the autoSql's field names first")
    s.set_defaults(func=cmd_to_bed)

    s = sub.add_parser("merge", help="per-base sum of bigWigs as bedGraph (or .bw), like bigWigMerge")
    s.add_argument("files", nargs="+", metavar="IN.bw [IN.bw ...] OUT.bedGraph|OUT.bw")
    s.add_argument("-threshold", type=float, default=0.0, help="don't output values at or below this (default 0)")
    s.add_argument("-adjust", type=float, default=0.0, help="add this to each value")
    s.add_argument("-clip", type=float, default=float("inf"), help="values higher than this are clipped to it")
    s.add_argument("-inList", action="store_true", help="the inputs are files listing bigWig paths")
    s.add_argument("-max", action="store_true", help="the maximum of the inputs rather than the sum")
    s.add_argument("--threads", type=int, default=None, help="threads (default: all cores)")
    s.set_defaults(func=cmd_merge)

    s = sub.add_parser("store", help="a store of decoded tracks (Collection(store=DIR)): build, info, prune",
                       description="build: decode TRACKs into DIR now (e.g. once per node before training); "
                                   "info: the store files, their sources and whether those changed; prune: "
                                   "remove the stale, orphaned and damaged ones.")
    s.add_argument("action", choices=["build", "info", "prune"])
    s.add_argument("dir", help="the store directory")
    s.add_argument("tracks", nargs="*", help="build: the tracks (paths, URLs, a directory or a glob)")
    s.add_argument("--verify", action="store_true", help="info, prune: check every decoded block's CRC too")
    s.add_argument("--remote", action="store_true", help="prune: remove URL tracks' files too")
    s.add_argument("--threads", type=int, default=None, help="build: threads (default: all cores)")
    s.add_argument("--json", action="store_true", help="print JSON")
    s.set_defaults(func=cmd_store)

    s = sub.add_parser("bench", help="run a benchmark from bench/ against the installed peers")
    s.add_argument("name", choices=["single_file", "collection", "loader", "store", "tools"], help="which bench/NAME.py")
    s.set_defaults(func=cmd_bench)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args, extra = build_parser().parse_known_args(argv)
    if extra and args.command != "bench":
        build_parser().parse_args(argv)  # reports the unknown arguments and exits
    import bwl
    from bwl._optional import PIP_NAMES, MissingDependency, install_hint

    try:
        return cmd_bench(args, extra) if args.command == "bench" else args.func(args)
    except BrokenPipeError:  # `bwl values ... | head`: the reader left, not an error
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (bwl.FormatError, KeyError, ValueError, OSError) as e:
        msg = e.args[0] if isinstance(e, KeyError) and e.args else e
        print(f"bwl {args.command}: error: {msg}", file=sys.stderr)
        return 1
    except MissingDependency as e:  # an optional package: one line, not a traceback
        print(f"bwl {args.command}: {e}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as e:
        if (e.name or "").split(".")[0] not in PIP_NAMES:
            raise
        print(f"bwl {args.command}: needs {e.name}: {install_hint(e.name)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
