"""The API reference is generated from the docstrings: it must match them."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_api_reference_is_current():
    r = subprocess.run([sys.executable, str(ROOT / "docs" / "gen_api.py"), "--check"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_public_api_is_documented():
    text = (ROOT / "docs" / "api.md").read_text()
    assert "(undocumented)" not in text
