"""Optional packages: import them, or fail with one line naming the install.

The CLI turns :class:`MissingDependency` into that line and exit code 2.
"""
from __future__ import annotations

import importlib
from types import ModuleType

# The optional packages bwl and its benches import: import name -> what to
# pip install. The CLI turns a ModuleNotFoundError for one of these into
# its one-line message too.
PIP_NAMES = {
    "bbi": "pybbi",
    "torch": "torch",
    "pyBigWig": "pyBigWig",
    "pybigtools": "pybigtools",
    "pyfaidx": "pyfaidx",
    "matplotlib": "matplotlib",
    "deflate": "deflate",
    "fsspec": "fsspec",
}


class MissingDependency(ImportError):
    """An optional package is not installed; the message says what to install."""


def install_hint(module: str) -> str:
    """``pip install NAME`` for an import name."""
    return f"pip install {PIP_NAMES.get(module.split('.')[0], module.split('.')[0])}"


def require(module: str, purpose: str) -> ModuleType:
    """Imports ``module`` or raises :class:`MissingDependency`:
    "<purpose> needs <module>: pip install <name>"."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as e:
        if e.name and e.name.split(".")[0] != module.split(".")[0]:
            raise  # the package is there but broken: that traceback matters
        raise MissingDependency(f"{purpose} needs {module}: {install_hint(module)}") from None
