"""The code passes the project's lint: ruff with pyflakes, pycodestyle, bugbear,
isort and pyupgrade rules, configured in pyproject.toml ([tool.ruff])."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_clean():
    r = subprocess.run([sys.executable, "-m", "ruff", "check", "--output-format", "concise", "."],
                       capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
