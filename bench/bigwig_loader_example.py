"""bigwig-loader 0.3.2's own PyTorch example (its README, "PyTorch Example",
``examples/pytorch_example.py`` there; not in the sdist) run on
bwl.bigwig_loader, beside bwl's own ``bwl.Loader`` on the same tracks,
batch size and window length.

The example's text is kept below verbatim (``EXAMPLE``) and exec'd after
these substitutions, each printed when it runs (``CHANGES``):

1. ``from bigwig_loader...`` imports -> ``from bwl.bigwig_loader...``
   (the drop-in's only required change); ``config`` and
   ``download_example_data`` have no bwl counterpart: the download call is
   dropped and ``config.bigwig_dir`` / ``config.reference_genome`` point at
   the generated fixture (32 tracks, a 6 Mb genome: chr1, chr2 of 3 Mb).
2. ``1000,000`` / ``500,000`` -> ``1_000_000`` / ``500_000``: the README's
   typos are a SyntaxError (a positional argument after keywords).
3. ``torch.nn.Linear(4, 2)`` -> ``Linear(4, 32)``: its output must
   broadcast against the values' 32 tracks (upstream's example data has 2).
4. ``print(loss)`` -> ``losses.append(loss.item())`` (no 100 lines of output).
5. ``--quick``: ``batches_per_epoch=100`` -> ``10``.

Rows (samples/s, one sample = one 1 Mb window, 500 kb of targets x 32
tracks, batch_size=1): the example as exec'd (data + the model's steps),
the same PytorchBigWigDataset iterated without the model (data only), and
``bwl.Loader`` (RandomRegions over the same regions, 1 Mb windows,
``target_crop`` to the centre 500 kb, ``layout="BLT"``, bfloat16, prefetch=2).
Results: bench/results/bigwig_loader_example.json.

    python bench/bigwig_loader_example.py [--quick]
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import common  # noqa: F401  (puts tests/ on sys.path)
from common import DATA_DIR, machine_info, print_table, write_json
from support.fasta import fasta_bytes, random_sequence
from support.tracks import make_track

EXAMPLE = '''\
import pandas as pd
import torch
from torch.utils.data import DataLoader
from bigwig_loader import config
from bigwig_loader.pytorch import PytorchBigWigDataset
from bigwig_loader.download_example_data import download_example_data

# Download example data to play with
download_example_data()
example_bigwigs_directory = config.bigwig_dir
reference_genome_file = config.reference_genome

train_regions = pd.DataFrame({"chrom": ["chr1", "chr2"], "start": [0, 0], "end": [1000000, 1000000]})

dataset = PytorchBigWigDataset(
    regions_of_interest=train_regions,
    collection=example_bigwigs_directory,
    reference_genome_path=reference_genome_file,
    sequence_length=1000,000,
    center_bin_to_predict=500,000,
    window_size=1,
    batch_size=1,
    super_batch_size=4,
    batches_per_epoch=100,
    maximum_unknown_bases_fraction=0.1,
    sequence_encoder="onehot",
    n_threads=4,
    return_batch_objects=True,
    dtype="bfloat16"
)

# Don't use num_workers > 0 in DataLoader. The heavy
# lifting/parallelism is done on cuda streams on the GPU.
dataloader = DataLoader(dataset, num_workers=0, batch_size=None)


class MyTerribleModel(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(4, 2)

    def forward(self, batch):
        return self.linear(batch)


model = MyTerribleModel()
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)

def poisson_loss(pred, target):
    return (pred - target * torch.log(pred.clamp(min=1e-8))).mean()

for batch in dataloader:
    # batch.sequences.shape = n_batch x sequence_length x onehot encoding (4)
    pred = model(batch.sequences)
    # batch.values.shape = n_batch x center_bin_to_predict x n_tracks
    loss = poisson_loss(pred[:, 250000:750000, :], batch.values)
    print(loss)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
'''

N_TRACKS = 32
CHROMS = [("chr1", 3_000_000), ("chr2", 3_000_000)]


def make_data(root):
    root.mkdir(parents=True, exist_ok=True)
    fasta = root / "genome.fa"
    if not fasta.exists():
        rng = np.random.default_rng(3)
        seqs = {c: random_sequence(rng, n, p_n=0.002, p_iupac=0.001) for c, n in CHROMS}
        fasta.write_bytes(fasta_bytes(seqs, 60))
    tracks = root / "tracks"
    tracks.mkdir(exist_ok=True)
    for t in range(N_TRACKS):
        p = tracks / f"track{t:02d}.bw"
        if not p.exists():
            make_track(str(p), CHROMS, seed=500 + t)
    return fasta, tracks


def changes(quick: bool, fasta, tracks):
    c = [
        ("from bigwig_loader import config\n", ""),
        ("from bigwig_loader.pytorch import PytorchBigWigDataset", "from bwl.bigwig_loader.pytorch import PytorchBigWigDataset"),
        ("from bigwig_loader.download_example_data import download_example_data\n", ""),
        ("download_example_data()\n", ""),
        ("config.bigwig_dir", repr(str(tracks))),
        ("config.reference_genome", repr(str(fasta))),
        ("sequence_length=1000,000", "sequence_length=1_000_000"),
        ("center_bin_to_predict=500,000", "center_bin_to_predict=500_000"),
        ("torch.nn.Linear(4, 2)", f"torch.nn.Linear(4, {N_TRACKS})"),
        ("    print(loss)", "    losses.append(loss.item())"),
    ]
    if quick:
        c.append(("batches_per_epoch=100", "batches_per_epoch=10"))
    return c


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    import bwl

    fasta, tracks = make_data(DATA_DIR / "bigwig_loader_example")
    text = EXAMPLE
    for old, new in changes(a.quick, fasta, tracks):
        assert text.count(old) == 1, old
        text = text.replace(old, new)
        print(f"changed: {old.strip()!r} -> {new.strip()!r}")
    n_batches = 10 if a.quick else 100
    rows, results = [], {}

    ns: dict = {"losses": []}
    t0 = time.perf_counter()
    exec(compile(text, "bigwig_loader_example", "exec"), ns)  # noqa: S102
    t = time.perf_counter() - t0
    assert len(ns["losses"]) == n_batches and np.isfinite(ns["losses"]).all()
    results["example (data + model)"] = n_batches / t

    ds = ns["dataset"]
    t0 = time.perf_counter()
    got = sum(1 for _ in ds)
    t = time.perf_counter() - t0
    assert got == n_batches
    results["PytorchBigWigDataset, data only"] = n_batches / t

    paths = sorted(str(p) for p in tracks.glob("*.bw"))
    coll = bwl.Collection(paths)
    sampler = bwl.samplers.RandomRegions((["chr1", "chr2"], [0, 0], [1_000_000, 1_000_000]), length=1_000_000,
                                         chrom_sizes=dict(CHROMS), seed=0, oob="shift")
    loader = bwl.Loader(coll, sampler, 1, fasta=bwl.Fasta(str(fasta)), target_crop=250_000, layout="BLT",
                        dtype="bfloat16", prefetch=2, batches_per_epoch=n_batches)
    t0 = time.perf_counter()
    got = 0
    for b in loader:
        assert b.values.shape == (1, 500_000, N_TRACKS)
        got += 1
    t = time.perf_counter() - t0
    assert got == n_batches
    results["bwl.Loader (prefetch=2), data only"] = n_batches / t

    base = results["PytorchBigWigDataset, data only"]
    for k, v in results.items():
        rows.append((k, v, f"{v / base:.2f}x"))
    print(f"\nB=1, sequence_length=1,000,000, center_bin_to_predict=500,000, {N_TRACKS} tracks, {n_batches} batches; "
          f"inflate: {bwl.build_info()['inflate']} ({bwl.build_info()['inflate_version']})")
    print_table(rows, ["reader", "samples/s", "vs PytorchBigWigDataset"])
    write_json("bigwig_loader_example", {"params": {"batch_size": 1, "sequence_length": 1_000_000,
                                                     "center_bin_to_predict": 500_000, "tracks": N_TRACKS,
                                                     "batches": n_batches, "quick": a.quick,
                                                     "changes": changes(a.quick, "<fasta>", "<tracks>")},
                                          "samples_per_s": results, "build_info": bwl.build_info(),
                                          "machine": machine_info(("bwl", "numpy", "torch", "pyBigWig"))})


if __name__ == "__main__":
    main()
