"""Track lists and per-track keys as bigwig-loader reads them."""
from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Union

PathArg = Union[str, "os.PathLike[str]"]


def interpret_path(paths: PathArg | Iterable[PathArg], file_extensions: Iterable[str] = (".bigWig", ".bw"),
                   crawl: bool = True) -> list[Path]:
    """The bigWig files ``paths`` names: a file, a folder (its files with
    one of ``file_extensions``; with ``crawl`` in every subfolder too), or
    an iterable of those. Unsorted: :class:`BigWigCollection` sorts them.
    FileNotFoundError for a path that does not exist."""
    if isinstance(paths, (str, os.PathLike)):
        p = Path(paths)
        if not p.exists():
            raise FileNotFoundError(f"No such file or directory: {p}")
        if p.is_dir():
            pattern = "**/*" if crawl else "*"
            return [f for ext in file_extensions for f in p.glob(f"{pattern}{ext}")]
        return [p]
    if isinstance(paths, Iterable):
        return [f for element in paths for f in interpret_path(element, file_extensions, crawl)]
    raise ValueError(f"Can not interpret {paths} as path or a collection of paths.")


def _subpaths(path: Path) -> Iterator[Path]:
    """The path's tails, longest first, each also without its suffix; then
    the same for its parent folder (so a folder key matches its files)."""
    parts = path.parts
    stemmed = (*parts[:-1], path.stem)
    for i in range(len(parts) - 1):
        base, stem = parts[: len(parts) - i], stemmed[: len(stemmed) - i]
        for j in range(len(base)):
            yield Path(*base[j:])
            if stem != base:
                yield Path(*stem[j:])


def match_key_to_path(path: Path, keys: Iterable[str | Path]) -> str | Path | None:
    """The key (of a ``scale`` dict) that best names ``path``: the whole path,
    then shorter tails of it, with or without the suffix, then the same for
    its folders. None when no key matches."""
    keys = list(keys)
    if not keys:
        return None
    for sub in _subpaths(Path(path)):
        if str(sub) in keys:
            return str(sub)
        if sub in keys:
            return sub
    return None


def map_path_to_value(path: Path, values: Mapping[Any, Any], default: Any = None) -> Any:
    key = match_key_to_path(path, values.keys())
    return default if key is None else values[key]
