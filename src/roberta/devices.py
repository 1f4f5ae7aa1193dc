"""The one parser of device and dtype arguments, for every entry point (`from_pretrained`'s `device_map` and
`dtype`, `pipeline(device=, dtype=)`, the training commands' `--device`, the CLI's `--dtype`).

Asking for a GPU that torch does not see is an error: there is no silent fall-back to the CPU.
"""

from __future__ import annotations

from typing import Any

import torch

DeviceLike = str | int | torch.device | None
DtypeLike = str | torch.dtype | None

DTYPE_NAMES: dict[str, torch.dtype] = {
    "float32": torch.float32,
    "fp32": torch.float32,
    "float": torch.float32,
    "float16": torch.float16,
    "fp16": torch.float16,
    "half": torch.float16,
    "bfloat16": torch.bfloat16,
    "bf16": torch.bfloat16,
    "float64": torch.float64,
    "fp64": torch.float64,
    "double": torch.float64,
}


def parse_dtype(dtype: DtypeLike, *, auto: Any = None) -> torch.dtype | None:
    """A floating torch dtype from a dtype or its name ("float16", "torch.bfloat16", "fp16", ...); None stays
    None, and "auto" means `auto` (itself a dtype, a name or None, e.g. the dtype a checkpoint was saved in)."""
    if dtype is None:
        return None
    if isinstance(dtype, str) and dtype.strip().lower() == "auto":
        return None if auto is None or auto == "auto" else parse_dtype(auto)
    if isinstance(dtype, torch.dtype):
        if not dtype.is_floating_point:
            raise ValueError(f"dtype={dtype} is not a floating-point dtype")
        return dtype
    if isinstance(dtype, str):
        name = dtype.strip().lower().replace("torch.", "")
        if name in DTYPE_NAMES:
            return DTYPE_NAMES[name]
        raise ValueError(
            f"dtype={dtype!r} is not understood; use a torch dtype or one of {sorted(DTYPE_NAMES)} or 'auto'"
        )
    raise TypeError(f"dtype must be a torch.dtype or a string, not {type(dtype).__name__}")


def parse_device(device: DeviceLike, *, auto: bool = False) -> torch.device:
    """None / -1 / "cpu" -> CPU; an int N >= 0 or "cuda[:N]" -> that GPU; "mps"; with `auto`, the string
    "auto" -> the GPU when torch sees one, else the CPU."""
    if device is None:
        return torch.device("cpu")
    if isinstance(device, bool):
        raise TypeError(f"device must be None, an int, a string or a torch.device, not {device!r}")
    if isinstance(device, int):
        if device < -1:
            raise ValueError(f"device={device} is not valid: use -1 for the CPU or a GPU index >= 0")
        dev = torch.device("cpu") if device == -1 else torch.device("cuda", device)
    elif isinstance(device, torch.device):
        dev = device
    elif isinstance(device, str):
        text = device.strip().lower()
        if auto and text == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        if text.lstrip("-").isdigit():
            return parse_device(int(text))
        try:
            dev = torch.device(text)
        except RuntimeError:
            raise ValueError(
                f"device={device!r} is not a device: use 'cpu', 'cuda', 'cuda:N', an int index or -1"
            ) from None
    else:
        raise TypeError(f"device must be None, an int, a string or a torch.device, not {type(device).__name__}")
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(
                f"device={device!r} asks for a CUDA GPU, but torch sees none "
                f"(torch.cuda.is_available() is False); use device='cpu' or -1"
            )
        count = torch.cuda.device_count()
        if dev.index is not None and dev.index >= count:
            raise ValueError(f"device={device!r} asks for GPU {dev.index}, but torch sees only {count} GPU(s)")
    elif dev.type == "mps":
        if not (hasattr(torch.backends, "mps") and torch.backends.mps.is_available()):
            raise ValueError(f"device={device!r} asks for an Apple MPS device, but torch sees none")
    elif dev.type != "cpu":
        raise ValueError(f"device={device!r} is not supported: use 'cpu', 'cuda', 'cuda:N', an int index or -1")
    return dev
