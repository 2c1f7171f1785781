"""examples/train_tiny.py trains: it exits non-zero unless the loss falls."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_train_tiny(tmp_path):
    r = subprocess.run([sys.executable, str(ROOT / "examples" / "train_tiny.py"), "--data", str(tmp_path)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "->" in r.stdout  # the summary line: loss A -> B


def test_recipes(tmp_path):
    """examples/recipes.py: the Borzoi-like and BPNet-like loaders keep their
    promises on every batch (the script checks and exits non-zero if not)."""
    r = subprocess.run([sys.executable, str(ROOT / "examples" / "recipes.py"), "--data", str(tmp_path)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Borzoi-like:" in r.stdout and "BPNet-like:" in r.stdout
