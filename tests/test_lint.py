"""The code passes the project's lint: ruff with pyflakes, pycodestyle, bugbear,
isort and pyupgrade rules, configured in pyproject.toml ([tool.ruff]); the
C++ and CUDA sources are as .clang-format formats them (clang-format pinned
in the test extra)."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_clean():
    r = subprocess.run([sys.executable, "-m", "ruff", "check", "--output-format", "concise", "."],
                       capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr


def test_cpp_formatted():
    files = subprocess.run(["git", "ls-files", "*.c", "*.cpp", "*.hpp", "*.cu"], capture_output=True, text=True, cwd=ROOT,
                           check=True).stdout.split()
    files = [f for f in files if f.startswith(("csrc/", "tests/"))]
    assert len(files) > 50, files
    exe = Path(sys.executable).with_name("clang-format")
    r = subprocess.run([str(exe), "--dry-run", "--Werror", *files], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert r.returncode == 0, "run clang-format -i on these (the test extra's version):\n" + r.stderr[-3000:]
