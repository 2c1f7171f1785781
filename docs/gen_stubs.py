"""Writes python/bwl/_core.pyi, the typed stub of the C++ module, from the
signatures pybind11 puts in its docstrings.

    python docs/gen_stubs.py          # rewrite python/bwl/_core.pyi
    python docs/gen_stubs.py --check  # exit 1 if the stub is stale

What it renders, from the installed ``bwl._core``:

* exceptions, as subclasses of their Python base;
* enums (``py::enum_``: DType, Layout, Summary, SectionType), their members
  as ``ClassVar`` attributes, plus ``__init__``, ``__int__``, ``__index__``,
  ``__eq__``, ``__ne__``, ``__hash__``, ``name`` and ``value``;
* classes: methods (overloads too), ``__init__``, ``__len__``, and
  properties typed from their getter's signature;
* module functions, and module constants (ints, floats, str) with their type.

Names bound only in CUDA builds (``CUDA_NAMES``, from
csrc/python/bind_cuda.cpp) are never introspected: ``CUDA_STUB``, written
here by hand with ``typing.Any`` arguments, declares them in every stub, so
the stub, and what ``--check`` says, are the same for a CPU and a CUDA
build. On a CUDA build both modes also check that ``CUDA_STUB`` declares
exactly the names (and class members) bind_cuda.cpp binds, and fail if not.

The types come from pybind11's signatures, which differ between pybind11
versions (3.x writes ``typing.SupportsInt | typing.SupportsIndex`` where
2.x wrote ``int``): pyproject.toml builds with pybind11 >= 3; regenerate
when a new pybind11 changes them.
"""
from __future__ import annotations

import ast
import difflib
import inspect
import re
import sys
from pathlib import Path

import bwl._core as core

STUB = Path(__file__).resolve().parent.parent / "python" / "bwl" / "_core.pyi"
LINE = 130  # ruff's line-length (pyproject.toml)

CUDA_NAMES = {"CudaBatcher", "CudaOutOfMemory", "DeviceArray", "cuda_device_count", "cuda_inflate_streams",
              "cuda_unavailable_reason"}
CUDA_STUB = '''
# Bound only in CUDA builds (csrc/python/bind_cuda.cpp; bwl.build_info()["cuda"]
# says which build this is). Declared by hand in every stub (docs/gen_stubs.py's
# CUDA_STUB), so the stub is the same for CPU and CUDA builds.

class CudaOutOfMemory(MemoryError): ...

class CudaBatcher:
    def __init__(self, collection: Collection, device: int, device_cache: bool, scratch_bytes: int) -> None: ...
    @property
    def device(self) -> int: ...
    def device_cache_bytes(self) -> int: ...
    def set_timing(self, on: bool) -> None: ...
    def last_timing(self) -> dict[str, typing.Any]: ...
    def values(self, *args: typing.Any, **kwargs: typing.Any) -> None: ...

class DeviceArray:
    def __init__(self, shape: collections.abc.Sequence[int], typestr: str, device: int) -> None: ...
    @property
    def ptr(self) -> int: ...
    @property
    def __cuda_array_interface__(self) -> dict[str, typing.Any]: ...
    @property
    def shape(self) -> tuple[int, ...]: ...
    @property
    def typestr(self) -> str: ...
    @property
    def device(self) -> int: ...
    @property
    def nbytes(self) -> int: ...
    def get(self) -> numpy.ndarray: ...

def cuda_device_count() -> int: ...
def cuda_inflate_streams(*args: typing.Any, **kwargs: typing.Any) -> tuple[typing.Any, ...]: ...
def cuda_unavailable_reason() -> str: ...
'''

# Dunder methods rendered; the rest (pickling, repr, pybind11's own) are left out.
ENUM_DUNDERS = {"__init__", "__int__", "__index__", "__eq__", "__ne__", "__hash__"}
CLASS_DUNDERS = {"__init__", "__len__", "__iter__", "__getitem__", "__contains__", "__enter__", "__exit__"}
MODULES = ["collections.abc", "typing", "typing_extensions", "numpy", "numpy.typing"]


def _signatures(obj) -> list[str]:
    """The ``name(args) -> ret`` lines of a pybind11 function (one per overload)."""
    doc = obj.__doc__ or ""
    name = obj.__name__
    lines = [ln.strip() for ln in doc.splitlines()]
    if len(lines) > 1 and lines[1] == "Overloaded function.":
        return [ln.split(". ", 1)[1] for ln in lines if re.match(rf"^\d+\. {re.escape(name)}\(", ln)]
    if lines and lines[0].startswith(f"{name}(") and " -> " in lines[0]:
        return [lines[0]]
    return []


def _split_args(args: str) -> list[str]:
    """Top-level comma-separated parts (not inside brackets or a default's quotes)."""
    out, depth, cur, quote = [], 0, "", ""
    for ch in args + ",":
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
            continue
        elif ch in "([{<":
            depth += 1
        elif ch in ")]}>":
            depth -= 1
        cur += ch
    return [a for a in out if a]


def _def(name: str, args: list[str], ret: str, indent: str) -> list[str]:
    """A ``def`` line, its arguments one per line when it is too long."""
    text = f"{indent}def {name}({', '.join(args)}) -> {ret}: ..."
    if len(text) <= LINE:
        return [text]
    return [f"{indent}def {name}("] + [f"{indent}    {a}," for a in args] + [f"{indent}) -> {ret}: ..."]


def _clean(sig: str, indent: str) -> list[str]:
    """Stub syntax: defaults elided, ``self`` untyped, module-local names."""
    sig = sig.replace("bwl._core.", "")
    head, _, ret = sig.rpartition(" -> ")
    name, _, args = head.partition("(")
    parts = []
    for a in _split_args(args[:-1]):
        if "=" in a and not a.startswith("*"):
            a = a.split("=", 1)[0].rstrip() + " = ..."
        a = re.sub(r"^self: [\w.]+", "self", a)
        parts.append(a)
    return _def(name, parts, ret, indent)


def _functions(obj, indent: str, name: str = "") -> list[str]:
    name = name or obj.__name__
    sigs = _signatures(obj)
    if not sigs:
        return _def(name, ["*args: typing.Any", "**kwargs: typing.Any"], "typing.Any", indent)
    pre = [f"{indent}@typing.overload"] if len(sigs) > 1 else []
    out = []
    for s in sigs:
        out += pre + _clean(s, indent)
    return out


def _property(name: str, prop: property, indent: str) -> list[str]:
    """A read-only property typed from its getter's signature ``(arg0: T) -> R``."""
    first = ((prop.fget.__doc__ if prop.fget else None) or "").strip().splitlines()
    ret = first[0].rpartition(" -> ")[2].replace("bwl._core.", "") if first and " -> " in first[0] else "typing.Any"
    out = [f"{indent}@property", f"{indent}def {name}(self) -> {ret}: ..."]
    if prop.fset is not None:
        out += [f"{indent}@{name}.setter", f"{indent}def {name}(self, value: {ret}) -> None: ..."]
    return out


def _is_enum(cls) -> bool:
    return "__members__" in vars(cls) and "__entries" in vars(cls)


def _enum(name: str, cls) -> list[str]:
    lines = [f"class {name}:"]
    for m, v in cls.__members__.items():
        lines.append(f"    {m}: typing.ClassVar[{name}]  # value {int(v)}")
    lines.append(f"    __members__: typing.ClassVar[dict[str, {name}]]")
    for m in sorted(ENUM_DUNDERS & set(vars(cls))):
        lines += _functions(getattr(cls, m), "    ", m)
    lines.append("    @property")
    lines.append("    def name(self) -> str: ...")
    lines.append("    @property")
    lines.append("    def value(self) -> int: ...")
    return lines


def _class(name: str, cls) -> list[str]:
    lines = [f"class {name}:"]
    for m in sorted(vars(cls)):
        if m.startswith("_") and m not in CLASS_DUNDERS:
            continue
        attr = vars(cls)[m]
        if isinstance(attr, property):
            lines += _property(m, attr, "    ")
        elif callable(attr):
            lines += _functions(getattr(cls, m), "    ", m)
        else:
            lines.append(f"    {m}: typing.ClassVar[{type(attr).__name__}]")
    if len(lines) == 1:
        lines.append("    ...")
    return lines


def _cuda_drift() -> list[str]:
    """On a CUDA build, where CUDA_STUB and the module's CUDA names differ
    (names and class members only; empty on a CPU build)."""
    if not hasattr(core, "CudaBatcher"):
        return []
    declared: dict[str, set] = {}
    for node in ast.parse(CUDA_STUB).body:
        if isinstance(node, ast.ClassDef):
            declared[node.name] = {f.name for f in node.body if isinstance(f, ast.FunctionDef)}
        elif isinstance(node, ast.FunctionDef):
            declared[node.name] = set()
    out = []
    for n in sorted(CUDA_NAMES | set(declared)):
        obj = getattr(core, n, None)
        if n not in declared or obj is None or n not in CUDA_NAMES:
            out.append(f"{n}: in CUDA_NAMES {n in CUDA_NAMES}, in CUDA_STUB {n in declared}, bound {obj is not None}")
        elif inspect.isclass(obj):
            bound = set(vars(obj)) - {"__doc__", "__module__", "__dict__", "__weakref__", "_pybind11_conduit_v1_"}
            if bound != declared[n]:
                out.append(f"{n}: bound but not declared {sorted(bound - declared[n])}, "
                           f"declared but not bound {sorted(declared[n] - bound)}")
    return out


def render() -> str:
    body: list[str] = []
    names = sorted(n for n in dir(core) if not n.startswith("__") and n not in CUDA_NAMES)
    objs = {n: getattr(core, n) for n in names}
    consts = [f"{n}: {type(obj).__name__}" for n, obj in objs.items() if isinstance(obj, (int, float, str))]
    if consts:
        body += consts + [""]
    for n, obj in objs.items():
        if inspect.isclass(obj) and issubclass(obj, BaseException):
            body += [f"class {n}({obj.__mro__[1].__name__}): ...", ""]
    for n, obj in objs.items():
        if inspect.isclass(obj) and not issubclass(obj, BaseException):
            body += (_enum(n, obj) if _is_enum(obj) else _class(n, obj)) + [""]
    for n, obj in objs.items():
        if not inspect.isclass(obj) and callable(obj):
            body += _functions(obj, "", n)
    text = "\n".join(body).rstrip() + "\n" + CUDA_STUB
    used = [m for m in MODULES if re.search(rf"(?<![\w.]){re.escape(m)}\.", text)]
    std = sorted(m for m in used if m.split(".")[0] in ("collections", "typing"))
    third = sorted(m for m in used if m not in std)  # numpy, typing_extensions: isort's third-party block
    header = ['"""Typed stub of bwl._core (generated by docs/gen_stubs.py: do not edit)."""']
    header += [f"import {m}" for m in std]
    if third:
        header += [""] + [f"import {m}" for m in third]
    return "\n".join(header) + "\n\n" + text


def main() -> int:
    drift = _cuda_drift()
    if drift:
        print("CUDA_STUB in docs/gen_stubs.py is out of step with csrc/python/bind_cuda.cpp:", file=sys.stderr)
        print("\n".join(drift), file=sys.stderr)
        return 1
    text = render()
    if "--check" in sys.argv:
        old = STUB.read_text() if STUB.exists() else ""
        if old != text:
            print(f"{STUB} is stale: run python docs/gen_stubs.py", file=sys.stderr)
            sys.stderr.writelines(list(difflib.unified_diff(old.splitlines(True), text.splitlines(True),
                                                            "_core.pyi", "generated"))[:60])
            return 1
        return 0
    STUB.write_text(text)
    print(f"wrote {STUB}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
