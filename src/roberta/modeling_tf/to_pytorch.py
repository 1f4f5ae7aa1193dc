"""TF checkpoints for our PyTorch classes (`RobertaPreTrainedModel.from_pretrained(dir, from_tf=True)`).

Reads `tf_model.h5` with h5py and a TF-tagged `model.safetensors` with the safetensors package, renames the
variables to the reference's PyTorch names (`names.py`) and transposes the kernels back; TensorFlow is never
imported. The PyTorch loader then maps those names to its modules as for any checkpoint.
"""

from __future__ import annotations

import numpy as np

from ..weight_arrays import to_torch
from .checkpoints import TF_WEIGHTS, find_tf_weights, read_weights
from .names import pt_state_from_tf


def _transpose(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a.T)


def read_tf_for_pytorch(path: str, *, from_tf: bool, **hub) -> dict | None:
    """The TF weights of a checkpoint as torch tensors under the reference's PyTorch names; None when `from_tf`
    is False and the checkpoint has no TF-tagged `model.safetensors` (a TF-tagged one is read without it)."""
    try:
        files = find_tf_weights(path, **hub)
        if files is not None and not from_tf and files[0].endswith(".h5"):
            files = None  # without from_tf, only a TF-tagged model.safetensors is read as TF weights
    except (ValueError, OSError):
        if from_tf:
            raise
        files = None  # a corrupt or missing file: the PyTorch reader says what is wrong
    if files is None:
        if from_tf:
            raise FileNotFoundError(f"{path} holds no TF weights ({TF_WEIGHTS} or a TF-tagged model.safetensors)")
        return None
    return {k: to_torch(v) for k, v in pt_state_from_tf(read_weights(files), _transpose).items()}
