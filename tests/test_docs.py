"""The API reference is generated from the docstrings: it must match them."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_api_reference_is_current():
    r = subprocess.run([sys.executable, str(ROOT / "docs" / "gen_api.py"), "--check"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_public_api_is_documented():
    """Every name bwl exports has its entry in docs/api.md, with a docstring."""
    import bwl

    text = (ROOT / "docs" / "api.md").read_text()
    assert "(undocumented)" not in text
    missing = [n for n in bwl.__all__ if n != "__version__" and f"### `bwl.{n}" not in text]
    assert not missing, f"in bwl.__all__ but not in docs/api.md (add them to docs/gen_api.py's SECTIONS): {missing}"


def test_core_stub_is_current():
    """python/bwl/_core.pyi is docs/gen_stubs.py's output for this build
    (the CUDA-only names are declared by hand, so a CPU and a CUDA build
    give the same stub)."""
    r = subprocess.run([sys.executable, str(ROOT / "docs" / "gen_stubs.py"), "--check"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_architecture_names_files_that_exist():
    """Every file or folder docs/architecture.md names (in backticks) is in
    the repository, under one of the folders its tables are relative to."""
    import glob
    import re

    text = (ROOT / "docs" / "architecture.md").read_text()
    names = {t for t in re.findall(r"`([^`\s]+)`", text)
             if re.search(r"\.(py|cpp|hpp|cu|md|sh|cmake|txt|json)$", t) or t.endswith("/")}
    bases = ["", "csrc", "csrc/include", "csrc/core", "csrc/hd", "python", "python/bwl", "tests", "bench", "docs"]
    generated = {line.strip() for line in (ROOT / ".gitignore").read_text().splitlines()}  # made by runs, not in git
    missing = [t for t in sorted(names)
               if t not in generated and not any(glob.glob(str(ROOT / b / t)) for b in bases)]
    assert len(names) > 50 and not missing, missing
