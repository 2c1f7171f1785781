"""Pictures of signal, drawn with matplotlib (a dependency of bwl)."""
from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np


def _pyplot():
    from bwl._optional import require

    require("matplotlib", "plotting").use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_tracks(values: np.ndarray, names: Sequence[str], title: str, out: str, start: int = 0,
                sequence: np.ndarray | None = None, width: float = 10.0, dpi: int = 100) -> str:
    """Draws ``values`` (T, L) as T stacked area plots (NaN = gap), with an
    optional one-hot ``sequence`` (L, 4) as a colour strip on top, into the
    PNG ``out``. Returns the path."""
    plt = _pyplot()
    T, L = values.shape
    rows = T + (sequence is not None)
    fig, axes = plt.subplots(rows, 1, figsize=(width, 0.4 + 0.9 * rows), sharex=True, squeeze=False, dpi=dpi)
    axes = axes[:, 0]
    x = start + np.arange(L)
    if sequence is not None:
        colours = np.array([[0.1, 0.6, 0.1], [0.1, 0.2, 0.8], [0.95, 0.65, 0.1], [0.8, 0.1, 0.1]])  # A C G T
        rgb = np.clip(sequence.astype(np.float32) @ colours, 0, 1)
        axes[0].imshow(rgb[None], aspect="auto", extent=(x[0], x[-1] + 1, 0, 1))
        axes[0].set_yticks([])
        axes[0].set_ylabel("seq", rotation=0, ha="right", va="center")
        axes = axes[1:]
    for ax, v, name in zip(axes, values, names):
        v = v.astype(np.float32)
        ax.fill_between(x, np.nan_to_num(v), step="post", color="#3b6ea5", linewidth=0)
        ax.set_ylabel(name, rotation=0, ha="right", va="center", fontsize=8)
        ax.spines[["top", "right"]].set_visible(False)
    axes[-1].set_xlabel("position")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    return out
