"""The jobs of the UCSC utilities, as library functions the ``bwl`` CLI is
a thin layer over: :func:`average_over_bed` (bigWigAverageOverBed),
:func:`to_bedgraph` (bigWigToBedGraph), :func:`to_bed` (bigBedToBed),
:func:`merge` (bigWigMerge)."""
from __future__ import annotations

from bwl.tools.average import AverageOverBed, average_over_bed
from bwl.tools.convert import merge, to_bed, to_bedgraph

__all__ = ["AverageOverBed", "average_over_bed", "merge", "to_bed", "to_bedgraph"]
