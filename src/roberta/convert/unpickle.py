"""Reading a pickled checkpoint without running it: a restricted unpickler for fairseq's `model.pt`.

A pickle names functions by module and name and calls them while loading; that is how a plain `torch.load`
runs code from a file. This unpickler resolves only the names in `_ALLOWED` (torch's tensor rebuild functions,
containers, numbers, `argparse.Namespace`) and recreates the config classes fairseq pickled (omegaconf's
`DictConfig` and its nodes, fairseq's dataclasses and enums, `typing` annotations) as inert `Record`s, without
importing omegaconf or fairseq. Any other name is refused before it is looked up, so nothing in the file runs.

`load_checkpoint` passes it to `torch.load` as the pickle module: torch's zip format (torch >= 1.6) and the
older format of the 2019 release files (`_use_new_zipfile_serialization=False`) both go through it.
`to_plain` turns what was read into dicts, lists and values.
"""

from __future__ import annotations

import _compat_pickle
import argparse
import collections
import functools
import os
import pickle
import types
from typing import Any

import torch


class UnsafeCheckpointError(ValueError):
    """The checkpoint asks for an object this reader does not create (it could run code)."""


class Record:
    """An object of a class that is never imported (fairseq, omegaconf, typing): its pickled data only.

    Subclasses are made per pickled name (`record_class`); `name` says which. Calling one with a single value
    returns the value: that is how an `Enum` member is pickled (`EnumClass(value)`), so enums come out as values.
    """

    name = "?"

    def __new__(cls, *args: Any) -> Any:
        if len(args) == 1:
            return args[0]
        obj = super().__new__(cls)
        obj.args, obj.state = args, None
        return obj

    def __setstate__(self, state: Any) -> None:
        self.state = state

    def __repr__(self) -> str:
        return f"<{self.name} record>"


@functools.cache
def record_class(module: str, name: str) -> type[Record]:
    return type(name, (Record,), {"name": f"{module}.{name}", "__module__": __name__})


# Modules whose classes appear in fairseq's stored configs; they become records and are never imported.
_RECORD_MODULES = ("omegaconf", "fairseq", "typing")


def _is_record_module(module: str) -> bool:
    return any(module == m or module.startswith(m + ".") for m in _RECORD_MODULES)


def _subscript(obj: Any, key: Any) -> Any:
    """`operator.getitem` as pickled typing annotations use it (`Optional[X]` = getitem(Union, (X, None)))."""
    if not (isinstance(obj, type) and issubclass(obj, Record)):
        raise UnsafeCheckpointError(f"operator.getitem is only read on typing annotations, not on {obj!r}")
    return record_class("typing", f"{obj.name}[...]")


def _none_type(obj: Any) -> type:
    """`type(None)` is how NoneType is pickled; no other use of `type` is admitted (it would reach classes)."""
    if obj is not None:
        raise UnsafeCheckpointError(f"builtins.type is only read as type(None), not on {type(obj).__name__}")
    return type(None)


def _plain_dict(default_factory: Any = None) -> dict:
    return {}  # a defaultdict's items follow as plain SETITEMS


def _latin1_bytes(text: str, encoding: str = "latin1") -> bytes:
    if encoding not in ("latin1", "latin-1"):
        raise UnsafeCheckpointError(f"_codecs.encode is only read with latin1 (how bytes are pickled), not {encoding}")
    return text.encode("latin-1")


def _numpy_dtype(name: Any, align: bool = False, copy: bool = False) -> Any:
    import numpy as np

    dtype = np.dtype(name) if isinstance(name, str) else None
    if dtype is None or dtype.kind not in "biufc":
        raise UnsafeCheckpointError(f"numpy dtype {name!r} is not a number type; only numbers are read")
    return dtype


def _numpy_scalar(dtype: Any, data: bytes) -> int | float | complex | bool:
    import numpy as np

    if not isinstance(dtype, np.dtype) or dtype.kind not in "biufc":
        raise UnsafeCheckpointError(f"a numpy scalar of dtype {dtype!r} is not a number; only numbers are read")
    return np.frombuffer(data, dtype=dtype, count=1)[0].item()  # a plain Python number


def _numpy_array(subtype: Any, shape: Any, typecode: Any) -> Any:
    import numpy as np

    if subtype is not np.ndarray:
        raise UnsafeCheckpointError(f"only plain numpy arrays are read, not {subtype!r}")
    return np.ndarray((0,), dtype=np.uint8)  # its dtype (checked by _numpy_dtype) and data follow in BUILD


def _numpy_ndarray() -> Any:
    import numpy as np

    return np.ndarray


def _path(*parts: str) -> str:
    return os.path.join(*parts) if parts else ""


_TORCH_DTYPES = {name for name in dir(torch) if isinstance(getattr(torch, name, None), torch.dtype)}

# (module, name) -> what it resolves to. Values are looked up lazily where they would import something.
_ALLOWED: dict[tuple[str, str], Any] = {
    ("torch._utils", "_rebuild_tensor"): torch._utils._rebuild_tensor,
    ("torch._utils", "_rebuild_tensor_v2"): torch._utils._rebuild_tensor_v2,
    ("torch._utils", "_rebuild_tensor_v3"): getattr(torch._utils, "_rebuild_tensor_v3", None),
    ("torch._utils", "_rebuild_parameter"): torch._utils._rebuild_parameter,
    ("torch", "Size"): torch.Size,
    ("torch", "device"): torch.device,
    ("torch", "UntypedStorage"): torch.UntypedStorage,
    ("torch.storage", "UntypedStorage"): torch.UntypedStorage,
    **{("torch", name): getattr(torch, name) for name in _TORCH_DTYPES},
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("collections", "defaultdict"): _plain_dict,
    ("_codecs", "encode"): _latin1_bytes,
    ("argparse", "Namespace"): argparse.Namespace,
    ("operator", "getitem"): _subscript,
    ("_operator", "getitem"): _subscript,
    ("builtins", "type"): _none_type,
    **{
        ("builtins", t.__name__): t
        for t in (dict, list, tuple, set, frozenset, int, float, complex, bool, str, bytes, bytearray, slice, object)
    },
    **{("pathlib", n): _path for n in ("Path", "PosixPath", "WindowsPath", "PurePosixPath", "PureWindowsPath")},
    ("numpy", "dtype"): _numpy_dtype,
    ("numpy.core.multiarray", "scalar"): _numpy_scalar,
    ("numpy._core.multiarray", "scalar"): _numpy_scalar,
    ("numpy.core.multiarray", "_reconstruct"): _numpy_array,
    ("numpy._core.multiarray", "_reconstruct"): _numpy_array,
}
_LAZY = {("numpy", "ndarray"): _numpy_ndarray}


class RestrictedUnpickler(pickle.Unpickler):
    """`pickle.Unpickler` that resolves only the admitted names; see the module docstring."""

    def find_class(self, module: str, name: str) -> Any:
        # Protocol-2 pickles use Python 2 names (`__builtin__.long`); translate them as pickle's own find_class does.
        if (module, name) in _compat_pickle.NAME_MAPPING:
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        else:
            module = _compat_pickle.IMPORT_MAPPING.get(module, module)
        found = _ALLOWED.get((module, name))
        if found is not None:
            return found
        if (module, name) in _LAZY:
            return _LAZY[(module, name)]()
        if _is_record_module(module):
            return record_class(module, name)
        raise UnsafeCheckpointError(
            f"refused to load {module}.{name}: a fairseq checkpoint is read as tensors, containers, numbers and "
            f"its stored config only, and this object is none of those (it could run code; nothing was run)"
        )


def _restricted_load(file: Any, **kwargs: Any) -> Any:
    return RestrictedUnpickler(file, **kwargs).load()


# What torch.load needs of a pickle module.
_PICKLE_MODULE = types.SimpleNamespace(__name__=__name__, Unpickler=RestrictedUnpickler, load=_restricted_load)


def load_checkpoint(path: str | os.PathLike) -> Any:
    """Read a torch checkpoint (zip or pre-1.6 format) through `RestrictedUnpickler`, tensors on the CPU."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"checkpoint file not found: {path}")
    try:
        return torch.load(path, map_location="cpu", pickle_module=_PICKLE_MODULE, weights_only=False)
    except UnsafeCheckpointError as e:
        raise UnsafeCheckpointError(f"{path}: {e}") from None
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError, KeyError, AttributeError, TypeError) as e:
        raise ValueError(f"{path} could not be read as a PyTorch checkpoint: {e}") from None


def to_plain(obj: Any) -> Any:
    """Stored configs as plain data: `Namespace` -> dict, omegaconf containers -> dict / list, omegaconf value
    nodes -> their value; other records stay records."""
    if isinstance(obj, argparse.Namespace):
        return {k: to_plain(v) for k, v in vars(obj).items()}
    if isinstance(obj, Record):
        state = obj.state if isinstance(obj.state, dict) else {}
        if "_content" in state:  # omegaconf DictConfig / ListConfig
            return to_plain(state["_content"])
        if "_val" in state:  # omegaconf value node
            return to_plain(state["_val"])
        return obj
    if isinstance(obj, dict):
        return {to_plain(k): to_plain(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [to_plain(v) for v in obj]
    if isinstance(obj, tuple):
        return tuple(to_plain(v) for v in obj)
    return obj
