"""Weight files as NumPy arrays, for the classes of the other frameworks (TensorFlow, Flax) and for reading
their files into the PyTorch classes. Nothing here imports torch (only `pytorch_model.bin` needs it, for that
file alone), TensorFlow or JAX.

Also the facts about the reference's PyTorch files that every reader handles: buffers that old checkpoints
saved, the LM head's bias saved a second time under the decoder's name, and TF-era LayerNorm leaf names
(`roberta.modeling.weights` handles the same on the PyTorch side).
"""

from __future__ import annotations

import re

import numpy as np

from .checkpoint_dir import BIN_INDEX, BIN_WEIGHTS, SAFE_INDEX, SAFE_WEIGHTS, read_index  # noqa: F401 (re-exported)
from .hub import resolve_file

BUFFERS = re.compile(r"(^|\.)embeddings\.(position_ids|token_type_ids)$")
BIAS_ALIAS = ("lm_head.decoder.bias", "lm_head.bias")
LEGACY_LEAVES = {"gamma": "weight", "beta": "bias"}


def resolve_files(path: str, single: str, index: str, hub: dict) -> tuple[str, ...] | None:
    """The file `single` of a checkpoint, or every shard its `index` lists; None when neither is there."""
    found = resolve_file(path, single, required=False, **hub)
    if found is not None:
        return (found,)
    found = resolve_file(path, index, required=False, **hub)
    if found is None:
        return None
    shards = sorted(set(read_index(found)[0].values()))  # plain file names of the folder only
    return tuple(resolve_file(path, shard, **hub) for shard in shards)


def safetensors_format(path: str) -> str | None:
    """The `format` a safetensors file's metadata declares ("pt", "flax", "tf"), or None."""
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(path, framework="np") as f:
            return (f.metadata() or {}).get("format")
    except (SafetensorError, OSError) as e:
        raise ValueError(f"{path} cannot be read as safetensors: {e}") from None


def read_safetensors(path: str) -> dict[str, np.ndarray]:
    """Every tensor of a safetensors file, by the name it has there."""
    from safetensors import SafetensorError, safe_open

    try:
        import ml_dtypes  # noqa: F401  (lets NumPy hold bfloat16 tensors)
    except ImportError:
        pass
    try:
        with safe_open(path, framework="np") as f:
            return {name: f.get_tensor(name) for name in f.keys()}  # noqa: SIM118 (not a dict)
    except (SafetensorError, OSError, TypeError) as e:
        raise ValueError(f"{path} cannot be read as safetensors: {e}") from None


def read_bin(path: str) -> dict[str, np.ndarray]:
    """A `pytorch_model.bin` through the PyTorch classes' weights-only reader (bfloat16 read as float32)."""
    import torch

    from .modeling.checkpoint_files import materialize, open_weight_files

    out = {}
    with open_weight_files([path]) as state:
        tensors = {name: materialize(t) for name, t in state.items()}
    for name, tensor in tensors.items():
        if tensor.dtype == torch.bfloat16:
            tensor = tensor.float()
        out[name] = tensor.numpy()
    return out


def to_torch(array: np.ndarray):
    """A writable torch copy of an array (bfloat16 kept)."""
    import torch

    if array.dtype.name == "bfloat16":  # NumPy's bfloat16 (ml_dtypes) is not a dtype torch reads
        return torch.from_numpy(np.ascontiguousarray(array).view(np.uint16).copy()).view(torch.bfloat16)
    return torch.from_numpy(np.array(array))
