"""Writes docs/api.md from the docstrings of bwl's public API.

    python docs/gen_api.py          # rewrite docs/api.md
    python docs/gen_api.py --check  # exit 1 if docs/api.md is stale
"""
from __future__ import annotations

import inspect
import sys
from pathlib import Path

import bwl
import bwl.fasta
import bwl.loader
import bwl.regions
import bwl.samplers
import bwl.store
import bwl.tools
import bwl.writer

SECTIONS = [
    ("Reading one file", [bwl.open, bwl.BigWigFile, bwl.FormatError]),
    ("Remote files", [bwl.RemoteOptions, bwl.RemoteError, bwl.set_remote_cache, bwl.remote_cache_bytes]),
    ("Many tracks", [bwl.Collection, bwl.BatchOptions, bwl.Transform, bwl.bfloat16_dtype, bwl.set_max_open_files,
                     bwl.open_file_count]),
    ("Stores", [bwl.Store, bwl.store.StoreEntry, bwl.store.source_key]),
    ("Tools (the UCSC utilities' jobs)", [bwl.tools.average_over_bed, bwl.tools.AverageOverBed, bwl.tools.to_bedgraph,
                                          bwl.tools.to_bed, bwl.tools.merge, bwl.regions.bed_fields]),
    ("Writing", [bwl.write, bwl.writer.from_bedgraph, bwl.writer.from_wig, bwl.writer.from_bed, bwl.writer.read_chrom_sizes]),
    ("Sequence", [bwl.Fasta]),
    ("Sampling windows", [bwl.samplers.Sampler, bwl.samplers.RandomRegions, bwl.samplers.PeakRegions, bwl.samplers.Tiles,
                          bwl.samplers.Tracks, bwl.regions.as_regions, bwl.regions.read_bed, bwl.regions.merge,
                          bwl.regions.subtract]),
    ("Training", [bwl.Loader, bwl.LoaderOptions, bwl.Batch]),
    ("Build", [bwl.build_info, bwl.build_summary]),
]


def signature(obj) -> str:
    try:
        return str(inspect.signature(obj))
    except (TypeError, ValueError):
        return "(...)"


def render_obj(obj, qual: str) -> list[str]:
    doc = inspect.getdoc(obj) or "(undocumented)"
    out = [f"### `{qual}{signature(obj)}`", "", doc, ""]
    if inspect.isclass(obj):
        for name, member in inspect.getmembers(obj):
            if name.startswith("_") or not (inspect.isfunction(member) or isinstance(member, property)):
                continue
            if name not in obj.__dict__:
                continue
            mdoc = inspect.getdoc(member) or "(undocumented)"
            sig = "" if isinstance(member, property) else signature(member).replace("(self, ", "(").replace("(self)", "()")
            out += [f"#### `{qual}.{name}{sig}`", "", mdoc, ""]
    return out


def render() -> str:
    lines = ["# bwl API reference", "", "Generated from the docstrings by `python docs/gen_api.py`; do not edit.", ""]
    for title, objs in SECTIONS:
        lines += [f"## {title}", ""]
        for obj in objs:  # under the name users write: bwl.X when the package exports it
            exported = getattr(bwl, obj.__name__, None) is obj
            qual = f"bwl.{obj.__name__}" if exported else f"{obj.__module__}.{obj.__name__}"
            lines += render_obj(obj, qual)
    lines += ["## bwl.torch", "", "See `python/bwl/torch.py`: `BigWigDataset(make_loader)`, `to_tensor(a, dtype)`,",
              "`shard_of_this_process()` (importing it needs torch).", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    target = Path(__file__).with_name("api.md")
    text = render()
    if "--check" in sys.argv:
        if not target.exists() or target.read_text() != text:
            print("docs/api.md is stale: run python docs/gen_api.py", file=sys.stderr)
            sys.exit(1)
    else:
        target.write_text(text)
        print(f"wrote {target}")
