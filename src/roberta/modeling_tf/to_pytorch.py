"""TF checkpoints for our PyTorch classes (`RobertaPreTrainedModel.from_pretrained(dir, from_tf=True)`).

Reads `tf_model.h5` with h5py and a TF-tagged `model.safetensors` with the safetensors package, renames the
variables to the reference's PyTorch names (`names.py`) and transposes the kernels back; TensorFlow is never
imported. The PyTorch loader then maps those names to its modules as for any checkpoint.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .checkpoints import TF_FILES, read_checkpoint
from .names import is_tf_naming, pt_state_from_tf


def _transpose(t: Any) -> Any:
    return np.ascontiguousarray(t.T) if isinstance(t, np.ndarray) else t.T.contiguous()


def read_tf_weights(name_or_path: str, **hub: Any) -> dict:
    """The tensors of a TF checkpoint (`tf_model.h5`, else `model.safetensors`) as torch tensors with the
    reference's PyTorch names."""
    import torch

    state, _, _ = read_checkpoint(name_or_path, TF_FILES, **hub)
    return {k: torch.from_numpy(np.require(v, requirements="W")) for k, v in with_pytorch_names(state).items()}


def with_pytorch_names(state: dict) -> dict:
    """A checkpoint's tensors under PyTorch names: TF-named ones (`roberta/.../kernel:0`, as in a TF-tagged
    `model.safetensors` read without `from_tf`) are renamed and transposed; PyTorch-named ones pass unchanged."""
    return pt_state_from_tf(state, _transpose) if is_tf_naming(list(state)) else state
