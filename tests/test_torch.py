"""bwl.torch.BigWigDataset with torch's DataLoader and DDP (gloo, CPU).

Completeness and disjointness are checked from the batch indices each
process yields; content against pyBigWig; bfloat16 against torch's own
float32 -> bfloat16 conversion.
"""
from __future__ import annotations

import functools
import json
import os
import socket
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

import bwl
import bwl.torch as bt
from bwl.samplers import RandomRegions
from support.fasta import window_onehot
from support.oracles import assert_values_close, pybw_values
from support.tracks import make_genome

HERE = os.path.dirname(os.path.abspath(__file__))
N_BATCHES = 11


def make_loader(bigwigs, fasta, n_batches=N_BATCHES, dtype="float32", seed=0, prefetch=1, store=None):
    c = bwl.Collection(bigwigs, store=store)
    s = RandomRegions(c.chroms(), 512, c.chroms(), seed=seed)
    return bwl.Loader(c, s, 4, fasta=bwl.Fasta(fasta) if fasta else None, batches_per_epoch=n_batches,
                      dtype=dtype, prefetch=prefetch, seed=seed)


@pytest.fixture(scope="module")
def genome(tmp_path_factory):
    return make_genome(str(tmp_path_factory.mktemp("genome_t")))


def _factory(g, **kw):
    return functools.partial(make_loader, g.bigwigs, g.fasta, **kw)


def _collect(ds, num_workers, **kw):
    dl = torch.utils.data.DataLoader(ds, batch_size=None, num_workers=num_workers, timeout=60 if num_workers else 0, **kw)
    return list(dl)


@pytest.mark.parametrize("context", ["fork", "spawn"])
def test_workers_share_one_store(genome, tmp_path, context):
    """DataLoader workers (forked or spawned) opening one store: each track
    built once, every worker's batches equal to those without a store."""
    d = str(tmp_path / "store")
    ds = bt.BigWigDataset(_factory(genome, store=d))
    ds.set_epoch(0)
    items = _collect(ds, 2, multiprocessing_context=context)
    assert sorted(int(x["index"]) for x in items) == list(range(N_BATCHES))
    assert len([f for f in os.listdir(d) if f.endswith(".bwls")]) == len(genome.bigwigs)
    assert [e.status for e in bwl.Store(d).entries(verify=True)] == ["fresh"] * len(genome.bigwigs)
    ref = make_loader(genome.bigwigs, genome.fasta, prefetch=0)
    for x in items:
        assert np.array_equal(x["values"].numpy(), ref.make_batch(int(x["index"])).values, equal_nan=True)


@pytest.mark.parametrize("num_workers", [0, 2])
def test_dataloader_yields_every_batch_once(genome, num_workers):
    ds = bt.BigWigDataset(_factory(genome))
    ds.set_epoch(0)
    items = _collect(ds, num_workers)
    idx = [int(d["index"]) for d in items]
    assert sorted(idx) == list(range(N_BATCHES))
    ref = make_loader(genome.bigwigs, genome.fasta, prefetch=0)
    for d in items:
        assert isinstance(d["values"], torch.Tensor) and d["values"].dtype == torch.float32
        assert d["values"].shape == (4, 3, 512)
        assert d["sequence"].shape == (4, 512, 4)
        want = ref.make_batch(int(d["index"]))
        assert np.array_equal(d["starts"].numpy(), want.starts)
        assert list(d["chroms"]) == list(want.chroms)
    # content of one batch against pyBigWig / the FASTA
    d = items[-1]
    v = pybw_values(genome.bigwigs, d["chroms"], d["starts"].numpy(), d["ends"].numpy())
    assert_values_close(d["values"].numpy(), np.nan_to_num(v, nan=0.0))  # the Loader's default: 0.0
    import pyfaidx

    ref_fa = os.path.join(os.path.dirname(genome.fasta), "ref_copy", "genome.fa")
    os.makedirs(os.path.dirname(ref_fa), exist_ok=True)
    with open(genome.fasta, "rb") as a, open(ref_fa, "wb") as b:
        b.write(a.read())
    fa = pyfaidx.Fasta(ref_fa, sequence_always_upper=False, as_raw=True)
    for i in range(4):
        x = window_onehot(fa, str(d["chroms"][i]), int(d["starts"][i]), int(d["ends"][i]))
        assert np.array_equal(d["sequence"][i].numpy(), x)


def test_len_before_workers(genome):
    """len(dataset) in the parent (the Loader is built before the workers
    fork) must not break or hang the workers."""
    ds = bt.BigWigDataset(_factory(genome))
    assert len(ds) == N_BATCHES
    idx = sorted(int(d["index"]) for d in _collect(ds, 2))
    assert idx == list(range(N_BATCHES))


def test_tensors_share_memory(genome):
    ld = make_loader(genome.bigwigs, genome.fasta, prefetch=0)
    b = next(iter(ld))
    d = bt.BigWigDataset.to_dict(b, "float32")
    assert d["values"].data_ptr() == b.values.ctypes.data
    assert d["sequence"].data_ptr() == b.sequence.ctypes.data
    assert d["starts"].data_ptr() == b.starts.ctypes.data
    d["values"][0, 0, 0] = 12345.0
    assert b.values[0, 0, 0] == 12345.0
    t = bt.to_tensor(b.values)
    assert t.data_ptr() == b.values.ctypes.data and np.shares_memory(t.numpy(), b.values)
    assert d["values"].shape == b.values.shape and d["values"].stride() == tuple(x // 4 for x in b.values.strides)


def test_bfloat16(genome, tmp_path):
    import pyfaidx

    ref = tmp_path / "ref.fa"
    ref.write_bytes(open(genome.fasta, "rb").read())
    fa = pyfaidx.Fasta(str(ref), as_raw=True, sequence_always_upper=False)
    ld = make_loader(genome.bigwigs, genome.fasta, dtype="bfloat16", prefetch=0, n_batches=2)
    for b in ld:
        d = bt.BigWigDataset.to_dict(b, "bfloat16")
        assert d["values"].dtype == torch.bfloat16 and d["sequence"].dtype == torch.bfloat16
        assert d["values"].data_ptr() == b.values.ctypes.data
        f32 = np.nan_to_num(pybw_values(genome.bigwigs, b.chroms, b.starts, b.ends), nan=0.0)
        want = torch.from_numpy(f32).to(torch.bfloat16)
        got = d["values"]
        nan = torch.isnan(want)
        assert torch.equal(torch.isnan(got), nan)
        assert torch.equal(got[~nan], want[~nan])
        seq = np.stack([window_onehot(fa, str(c), int(s), int(e)) for c, s, e in zip(b.chroms, b.starts, b.ends)])
        assert torch.equal(d["sequence"], torch.from_numpy(seq).to(torch.bfloat16))


@pytest.mark.parametrize("num_workers", [0, 2])
def test_set_epoch(genome, num_workers):
    ds = bt.BigWigDataset(_factory(genome, n_batches=4))

    def run(epoch):
        ds.set_epoch(epoch)
        return {int(d["index"]): d["starts"].numpy().copy() for d in _collect(ds, num_workers)}

    e0, e1, e1b = run(0), run(1), run(1)
    assert sorted(e0) == sorted(e1) == list(range(4))
    for i in range(4):
        assert np.array_equal(e1[i], e1b[i])
        assert not np.array_equal(e0[i], e1[i])
    ref = make_loader(genome.bigwigs, genome.fasta, n_batches=4, prefetch=0)
    for i in range(4):
        assert np.array_equal(e1[i], ref.make_batch(i, epoch=1).starts)


@pytest.mark.parametrize("num_workers", [0, 2])
def test_epochs_advance_without_set_epoch(genome, num_workers):
    """set_epoch never called: every epoch still reads new windows, each
    epoch's batches from one epoch of the Loader (workers agree), and the
    same again from the same torch seed."""
    ref = make_loader(genome.bigwigs, genome.fasta, n_batches=4, prefetch=0)

    def epochs(seed):
        torch.manual_seed(seed)
        ds = bt.BigWigDataset(_factory(genome, n_batches=4))
        out = []
        for e in range(2):
            if num_workers:  # the epoch is keyed by the DataLoader's base seed (BigWigDataset.epoch_now)
                gen = torch.Generator()
                gen.set_state(torch.get_rng_state())
                base = torch.empty((), dtype=torch.int64).random_(generator=gen).item()
                e = (base % (1 << 64)) << 16
            got = {int(d["index"]): d["starts"].numpy().copy() for d in _collect(ds, num_workers)}
            assert sorted(got) == list(range(4))
            for i, starts in got.items():
                assert np.array_equal(starts, ref.make_batch(i, epoch=e).starts), (e, i)
            out.append(got)
        return out

    a, b = epochs(1), epochs(1)
    assert not any(np.array_equal(a[0][i], a[1][i]) for i in range(4))  # new windows in epoch 2
    assert all(np.array_equal(a[k][i], b[k][i]) for k in range(2) for i in range(4))  # reproducible


# ------------------------------------------------------------------ DDP

_DDP = textwrap.dedent(r"""
    import functools, json, os, sys
    sys.path.insert(0, sys.argv[1])
    import torch
    import torch.distributed as dist
    import torch.multiprocessing as mp

    def make(bigwigs, fasta):
        import bwl
        from bwl.samplers import RandomRegions
        c = bwl.Collection(bigwigs)
        s = RandomRegions(c.chroms(), 256, c.chroms(), seed=1)
        return bwl.Loader(c, s, 3, fasta=bwl.Fasta(fasta), batches_per_epoch=int(sys.argv[5]), prefetch=1, seed=1)

    def worker(rank, world, out, bigwigs, fasta, port):
        os.environ["MASTER_ADDR"] = "127.0.0.1"
        os.environ["MASTER_PORT"] = str(port)
        dist.init_process_group("gloo", rank=rank, world_size=world)
        import bwl.torch as bt
        for nw, ctx in ((0, None), (2, None), (2, "fork")):
            ds = bt.BigWigDataset(functools.partial(make, bigwigs, fasta))
            ds.set_epoch(0)  # under DDP, as with DistributedSampler
            dl = torch.utils.data.DataLoader(ds, batch_size=None, num_workers=nw, timeout=60 if nw else 0,
                                             multiprocessing_context=ctx)
            got = [(int(d["index"]), d["starts"].tolist(), list(map(str, d["chroms"]))) for d in dl]
            with open(os.path.join(out, f"rank{rank}_nw{nw}_{ctx}.json"), "w") as fh:
                json.dump(got, fh)
        dist.barrier()
        dist.destroy_process_group()

    if __name__ == "__main__":
        out, bigwigs, fasta = sys.argv[2], sys.argv[3].split(","), sys.argv[4]
        port = int(sys.argv[6])
        mp.spawn(worker, args=(2, out, bigwigs, fasta, port), nprocs=2, join=True)
        print("OK")
""")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_ddp_two_ranks(genome, tmp_path):
    n = 13
    script = tmp_path / "ddp.py"
    script.write_text(_DDP)
    out = tmp_path / "out"
    out.mkdir()
    r = subprocess.run([sys.executable, str(script), HERE, str(out), ",".join(genome.bigwigs), genome.fasta, str(n),
                        str(_free_port())], capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    import bwl
    from bwl.samplers import RandomRegions

    c = bwl.Collection(genome.bigwigs)
    ref = bwl.Loader(c, RandomRegions(c.chroms(), 256, c.chroms(), seed=1), 3, batches_per_epoch=n, prefetch=0, seed=1)
    problems = []
    for cfg in ("nw0_None", "nw2_None", "nw2_fork"):
        per_rank = [json.load(open(out / f"rank{rank}_{cfg}.json")) for rank in (0, 1)]
        sets = [{i for i, _, _ in p} for p in per_rank]
        if any(len(s) != len(p) for s, p in zip(sets, per_rank)):
            problems.append(f"{cfg}: a rank yielded an index twice")
        if sets[0] & sets[1]:
            problems.append(f"{cfg}: ranks overlap: {sorted(sets[0])} {sorted(sets[1])}")
        if sets[0] | sets[1] != set(range(n)):
            problems.append(f"{cfg}: indices missing: {sorted(set(range(n)) - sets[0] - sets[1])}")
        for p in per_rank:
            for i, starts, chroms in p:
                b = ref.make_batch(i)
                assert starts == b.starts.tolist() and chroms == [str(x) for x in b.chroms]
    assert not problems, "\n".join(problems)


def test_cuda_oom_retried_after_torch_empty_cache(monkeypatch):
    """bwl's CUDA out-of-memory on a device collection: torch's cache is
    emptied and the batch tried once more; a second failure is torch's own
    OutOfMemoryError (what training loops catch), naming bwl's allocation.
    Other errors pass through at once, untried."""
    from bwl import _core, _cuda

    class Oom(MemoryError):
        pass

    monkeypatch.setattr(_core, "CudaOutOfMemory", Oom, raising=False)
    emptied = []
    monkeypatch.setattr(torch.cuda, "empty_cache", lambda: emptied.append(True))
    calls = []

    def fails(times, exc=Oom):
        def call():
            calls.append(True)
            if len(calls) <= times:
                raise exc("CUDA error in allocating 4096 bytes: out of memory")
            return "done"
        return call

    assert _cuda.retry_cuda_oom(fails(0), torch) == "done" and len(calls) == 1 and not emptied
    calls.clear()
    assert _cuda.retry_cuda_oom(fails(1), torch) == "done" and len(calls) == 2 and len(emptied) == 1
    calls.clear()
    with pytest.raises(torch.cuda.OutOfMemoryError, match="allocating 4096 bytes"):
        _cuda.retry_cuda_oom(fails(2), torch)
    assert len(calls) == 2 and len(emptied) == 2
    calls.clear()
    with pytest.raises(bwl.FormatError):
        _cuda.retry_cuda_oom(fails(1, bwl.FormatError), torch)
    assert len(calls) == 1 and len(emptied) == 2
