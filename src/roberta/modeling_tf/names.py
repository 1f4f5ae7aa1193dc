"""TensorFlow weight names, derived from the reference's PyTorch names on disk by one rule.

The reference's PyTorch checkpoints (the names `roberta.modeling.weights.RENAME_TABLE` targets) call a weight
`roberta.encoder.layer.3.attention.self.query.weight`; its TensorFlow checkpoints call the same weight
`roberta/encoder/layer_._3/attention/self/query/kernel:0` and store it transposed (a Keras kernel is
(in, out), a PyTorch linear weight (out, in)). The rule: '.' <-> '/', list items `layer.3` <-> `layer_._3`, and
the leaf renamed by the kind of module holding it (`_LEAVES`). Our TF layers create their variables under
exactly these names, so a name here is also a variable of the model.

Works on any array type with `.T` (NumPy arrays, torch tensors); imports neither TensorFlow nor torch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from ..weight_arrays import BIAS_ALIAS, BUFFERS

A = TypeVar("A")

# (the holding module's name ends with, PyTorch leaf, TF leaf, stored transposed); the first match wins.
_LEAVES: list[tuple[str, str, str, bool]] = [
    ("LayerNorm", "weight", "gamma", False),
    ("LayerNorm", "bias", "beta", False),
    ("layer_norm", "weight", "gamma", False),
    ("layer_norm", "bias", "beta", False),
    ("word_embeddings", "weight", "weight", False),
    ("embeddings", "weight", "embeddings", False),  # position_embeddings, token_type_embeddings
    ("distance_embedding", "weight", "embeddings", False),
    ("", "weight", "kernel", True),  # any other matrix is a linear layer's
]

# Modules of the trunk: a PyTorch base-model checkpoint names them without the `roberta.` prefix.
_TRUNK = ("embeddings.", "encoder.", "pooler.")
# Tied to the word embeddings in every TF class (as in the reference), so never stored on the TF side.
_DECODER_WEIGHT = "lm_head.decoder.weight"


def to_tf(pt_name: str) -> tuple[str, bool]:
    """A PyTorch name on disk -> (the TF name, whether the tensor is stored transposed)."""
    module, _, leaf = pt_name.rpartition(".")
    transposed = False
    for suffix, pt_leaf, tf_leaf, flip in _LEAVES:
        if leaf == pt_leaf and module.endswith(suffix):
            leaf, transposed = tf_leaf, flip
            break
    parts: list[str] = []
    for part in module.split(".") if module else []:
        if part.isdigit() and parts:  # an item of a list of layers
            parts[-1] += f"_._{part}"
        else:
            parts.append(part)
    return "/".join([*parts, leaf]), transposed


def to_pt(tf_name: str) -> tuple[str, bool]:
    """A TF name (with or without the `:0` suffix) -> (the PyTorch name on disk, whether it is transposed)."""
    tf_name = tf_name.removesuffix(":0")
    path, _, leaf = tf_name.rpartition("/")
    module = path.replace("_._", ".").replace("/", ".")
    for suffix, pt_leaf, tf_leaf, flip in _LEAVES:
        if leaf == tf_leaf and module.endswith(suffix):
            leaf, transposed = pt_leaf, flip
            break
    else:
        transposed = False
    return f"{module}.{leaf}" if module else leaf, transposed


def tf_state_from_pt(state: Mapping[str, A], transpose: Callable[[A], A]) -> dict[str, A]:
    """PyTorch-named tensors -> TF-named ones (kernels transposed, the trunk under `roberta/`).

    Dropped: buffers of old checkpoints, the tied LM decoder, and the decoder's copy of the LM bias (kept as
    `lm_head/bias` when the checkpoint has no other)."""
    alias, target = BIAS_ALIAS
    out: dict[str, A] = {}
    for name, tensor in state.items():
        if BUFFERS.search(name) or name.endswith(_DECODER_WEIGHT):
            continue
        if name.endswith(alias):
            if name[: -len(alias)] + target in state:
                continue
            name = name[: -len(alias)] + target
        if name.startswith(_TRUNK):
            name = "roberta." + name
        tf_name, flip = to_tf(name)
        out[tf_name] = transpose(tensor) if flip else tensor
    return out


def pt_state_from_tf(state: Mapping[str, A], transpose: Callable[[A], A]) -> dict[str, A]:
    """TF-named tensors -> PyTorch names on disk (kernels transposed back)."""
    out: dict[str, A] = {}
    for name, tensor in state.items():
        pt_name, flip = to_pt(name)
        out[pt_name] = transpose(tensor) if flip else tensor
    return out
