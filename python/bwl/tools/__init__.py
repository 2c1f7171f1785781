"""The jobs of the UCSC utilities, as library functions the ``bwl`` CLI is
a thin layer over: :func:`average_over_bed` (bigWigAverageOverBed)."""
from __future__ import annotations

from bwl.tools.average import AverageOverBed, average_over_bed

__all__ = ["AverageOverBed", "average_over_bed"]
