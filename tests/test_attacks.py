"""What an attacker broke (issue 33), one regression test per finding.

Each test failed on the code before its fix: a crash at exit, hangs (a
thread the OS refuses, a server that trickles or short-changes), credentials
sent across a redirect, stale data served silently (.fai, disk cache), a
path cut at a NUL byte, and unclear errors or silently accepted bad
arguments. Crashes and hangs run in a child process with a time limit, so a
regression fails the test instead of killing pytest.
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

import bwl

TESTS = os.path.dirname(os.path.abspath(__file__))


def _child(script: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """Runs ``script`` in a fresh Python (tests/ on its path); a hang past
    ``timeout`` fails the test."""
    env = dict(os.environ, PYTHONPATH=TESTS + os.pathsep + os.environ.get("PYTHONPATH", ""))
    try:
        return subprocess.run([sys.executable, "-c", textwrap.dedent(script), *args], capture_output=True, text=True,
                              timeout=timeout, env=env)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"child still running after {timeout} s (a hang):\n{(e.stderr or b'')[-2000:]!r}")


# -- 1. crash: a daemon thread inside Collection.values at exit -----------------

_DAEMON = """
    import sys, threading, time, numpy as np, bwl
    paths = sys.argv[1:]
    if paths[0] == "http":
        from support.http_server import FaultServer
        srv = FaultServer(sys.argv[2]).__enter__()
        paths = [srv.url(os.path.basename(p)) for p in sys.argv[3:]]
    c = bwl.Collection(paths, threads=2)
    size = c.chroms()["chr1"]
    started = threading.Event()
    def loop():
        rng = np.random.default_rng(0)
        while True:
            s = rng.integers(0, size - 1000, 512)
            started.set()
            c.values(["chr1"] * 512, s, s + 1000)
    threading.Thread(target=loop, daemon=True).start()
    started.wait()
    time.sleep(0.05)
    print("exiting", flush=True)
"""


@pytest.mark.parametrize("where", ["local", "http"])
def test_exit_with_a_daemon_thread_inside_values(bw_files, where):
    """Python ends threads that want the GIL after exit began with a forced
    unwind; bwl's GIL guards used to turn it into std::terminate (exit 134,
    "terminate called without an active exception"). Now the thread parks
    (or its remote read fails) and the process exits 0. Three runs each: the
    crash came every time."""
    paths = [bw_files["pybw_bedGraph"].path, bw_files["bwl_fixedStep_little_zlib"].path]
    args = paths if where == "local" else ["http", os.path.dirname(paths[0]), *paths]
    script = "import os\n" + textwrap.dedent(_DAEMON)
    for _ in range(3):
        r = _child(script, *args)
        assert r.returncode == 0 and "exiting" in r.stdout, (r.returncode, r.stderr[-2000:])
        assert "terminate" not in r.stderr


# -- 3. hang: threads the OS refuses, absurd thread counts ----------------------

def test_threads_the_os_refuses(bw_files):
    """With address space for only a few thread stacks, threads=64 used to
    deadlock in the constructor (the queue the started workers wait on was
    destroyed first). Now: an OSError naming the thread count, at once; the
    default count keeps what the OS allows."""
    r = _child("""
        import resource, sys, time, bwl
        vm = next(int(l.split()[1]) * 1024 for l in open("/proc/self/status") if l.startswith("VmSize"))
        resource.setrlimit(resource.RLIMIT_AS, (vm + (120 << 20), resource.RLIM_INFINITY))
        try:
            bwl.Collection([sys.argv[1]], threads=64)
            print("no error")
        except OSError as e:
            print("OSError", e)
        c = bwl.Collection([sys.argv[1]])
        print("default", c._c.threads())
    """, bw_files["pybw_bedGraph"].path, timeout=60)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "could not start thread" in r.stdout and "threads=64" in r.stdout, r.stdout
    assert "default" in r.stdout


def test_absurd_thread_counts(bw_files):
    p = bw_files["pybw_bedGraph"].path
    for bad in (2 ** 40, 10 ** 6):
        with pytest.raises(ValueError, match="threads"):
            bwl.Collection([p], threads=bad)


# -- 7. a NUL byte in a path ----------------------------------------------------

def test_nul_byte_in_paths(bw_files, tmp_path):
    """C strings end at a NUL: "a.bw\\0x" used to open (or overwrite) a.bw.
    Now every entry point refuses the path, naming it, and writes nothing."""
    p = bw_files["pybw_bedGraph"].path
    bad = p + "\0.evil"
    with pytest.raises(ValueError, match="NUL"):
        bwl.open(bad)
    with pytest.raises(ValueError, match="NUL"):
        bwl.Collection([bad])
    victim = tmp_path / "victim.bw"
    victim.write_bytes(b"keep me")
    with pytest.raises(ValueError, match="NUL"):
        bwl.write(str(victim) + "\0.bw", {"chr1": 100}, {"chr1": ([0], [10], [1.0])})
    assert victim.read_bytes() == b"keep me"
