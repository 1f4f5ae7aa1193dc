"""Weight names in the three frameworks, derived from one table, and the legacy names of older files.

The PyTorch classes carry the reference's module tree, so a PyTorch name on disk is a module path and a leaf:
`roberta.encoder.layer.3.attention.self.query.weight`. The TF and Flax names of the same weight follow from it:

* TF (`tf_model.h5`, TF-tagged safetensors): '.' -> '/', list items `layer.3` -> `layer_._3`, the leaf renamed;
  `roberta/encoder/layer_._3/attention/self/query/kernel`.
* Flax (`flax_model.msgpack`, Flax-tagged safetensors): the module path as a tree, the leaf renamed;
  `roberta/encoder/layer/3/attention/self/query/kernel` here ('/'-joined; Flax-tagged safetensors join with '.').

The leaf renames are `LEAVES`: by the kind of module that holds the weight, with matrices of linear layers
stored transposed (a Keras / Flax kernel is (in, out), a PyTorch weight (out, in)). Every conversion goes
through the PyTorch names, where the legacy forms of older files are resolved once (`canonical`): TF-era
LayerNorm leaves (`gamma` / `beta`), the LM head's bias saved under the decoder's name (`lm_head.decoder.bias`
is `lm_head.bias`; dropped when both are there, as they are one parameter), and buffers that old checkpoints
saved. NumPy only; values pass through untouched unless a kernel must be transposed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import numpy as np

A = TypeVar("A")
Path = tuple[str, ...]

# (the holding module's name ends with, PyTorch leaf, TF leaf, Flax leaf, stored transposed); first match wins.
LEAVES: tuple[tuple[str, str, str, str, bool], ...] = (
    ("LayerNorm", "weight", "gamma", "scale", False),
    ("LayerNorm", "bias", "beta", "bias", False),
    ("layer_norm", "weight", "gamma", "scale", False),
    ("layer_norm", "bias", "beta", "bias", False),
    ("word_embeddings", "weight", "weight", "embedding", False),
    ("embeddings", "weight", "embeddings", "embedding", False),  # position_embeddings, token_type_embeddings
    ("distance_embedding", "weight", "embeddings", "embedding", False),
    ("", "weight", "kernel", "kernel", True),  # any other matrix is a linear layer's
)
_COLUMN = {"pt": 1, "tf": 2, "flax": 3}

BUFFERS = re.compile(r"(^|\.)embeddings\.(position_ids|token_type_ids)$")  # saved by old checkpoints
BIAS_ALIAS = ("lm_head.decoder.bias", "lm_head.bias")
LEGACY_LEAVES = {"gamma": "weight", "beta": "bias"}
# Tied to the word embeddings in every TF class (as in the reference), so never stored on the TF side.
TF_TIED = "lm_head.decoder.weight"


def _leaf(module: str, leaf: str, src: str, dst: str) -> tuple[str, bool]:
    for row in LEAVES:
        if row[_COLUMN[src]] == leaf and module.endswith(row[0]):
            return row[_COLUMN[dst]], row[4]
    return leaf, False


def pt_to_tf(name: str) -> tuple[str, bool]:
    """A PyTorch name -> (the TF name, whether the tensor is stored transposed)."""
    module, _, leaf = name.rpartition(".")
    leaf, transposed = _leaf(module, leaf, "pt", "tf")
    parts: list[str] = []
    for part in module.split(".") if module else []:
        if part.isdigit() and parts:  # an item of a list of layers
            parts[-1] += f"_._{part}"
        else:
            parts.append(part)
    return "/".join([*parts, leaf]), transposed


def tf_to_pt(name: str) -> tuple[str, bool]:
    """A TF name (with or without `:0`) -> (the PyTorch name, whether the tensor is stored transposed)."""
    path, _, leaf = name.removesuffix(":0").rpartition("/")
    module = path.replace("_._", ".").replace("/", ".")
    leaf, transposed = _leaf(module, leaf, "tf", "pt")
    return f"{module}.{leaf}" if module else leaf, transposed


def pt_to_flax(name: str) -> tuple[str, bool]:
    """A PyTorch name -> (the '/'-joined Flax path, whether the tensor is stored transposed)."""
    module, _, leaf = name.rpartition(".")
    leaf, transposed = _leaf(module, leaf, "pt", "flax")
    return "/".join([*(module.split(".") if module else []), leaf]), transposed


def flax_to_pt(path: str) -> tuple[str, bool]:
    """A '/'-joined Flax path -> (the PyTorch name, whether the tensor is stored transposed)."""
    module, _, leaf = path.rpartition("/")
    module = module.replace("/", ".")
    leaf, transposed = _leaf(module, leaf, "flax", "pt")
    return f"{module}.{leaf}" if module else leaf, transposed


_TO_PT = {"tf": tf_to_pt, "flax": flax_to_pt}
_FROM_PT = {"tf": pt_to_tf, "flax": pt_to_flax}


def transposed(array: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(array).T)


def canonical(state: dict[str, A]) -> tuple[dict[str, A], list[str]]:
    """PyTorch names found on disk -> the models' names, resolving the legacy forms (module docstring).
    Takes ownership of `state` and empties it. Returns (state, the names left out)."""
    alias, target = BIAS_ALIAS
    names = set(state)
    out: dict[str, A] = {}
    ignored: list[str] = []
    for name in list(state):
        value = state.pop(name)
        if BUFFERS.search(name):
            ignored.append(name)
            continue
        head, _, leaf = name.rpartition(".")
        name = f"{head}.{LEGACY_LEAVES.get(leaf, leaf)}" if head else name
        if name == alias or name.endswith("." + alias):
            renamed = name[: len(name) - len(alias)] + target
            if renamed in names:  # the same tensor as the bias beside it (one parameter, two names)
                ignored.append(name)
                continue
            name = renamed
        out[name] = value
    return out, ignored


def convert(
    state: dict[str, A], src: str, dst: str, transpose: Callable[[A], A] = transposed
) -> tuple[dict[str, A], list[str]]:
    """Tensors named in framework `src` ("pt", "tf" or "flax") -> named in `dst`, through the PyTorch names
    (legacy forms resolved there). Takes ownership of `state`. Returns (state, the names left out)."""
    if src != "pt":
        renamed: dict[str, A] = {}
        for name in list(state):
            value = state.pop(name)
            pt_name, flip = _TO_PT[src](name)
            renamed[pt_name] = transpose(value) if flip else value
        state = renamed
    state, ignored = canonical(state)
    if dst == "pt":
        return state, ignored
    out: dict[str, A] = {}
    for name in list(state):
        value = state.pop(name)
        if dst == "tf" and (name == TF_TIED or name.endswith("." + TF_TIED)):
            ignored.append(name)
            continue
        new, flip = _FROM_PT[dst](name)
        out[new] = transpose(value) if flip else value
    return out, ignored


def match_prefix(state: dict[str, A], expected: Iterable[str], prefix: str, sep: str) -> dict[str, A]:
    """Match a base checkpoint to a head model (every name gains `prefix`: a base checkpoint holds the trunk
    only) or a head checkpoint to a base model (strip it)."""
    expected = set(expected)
    lead = prefix + sep
    has_prefix = any(k.startswith(lead) for k in state)
    wants_prefix = any(k.startswith(lead) for k in expected)
    if wants_prefix and not has_prefix:
        return {lead + k: v for k, v in state.items()}
    if has_prefix and not wants_prefix:
        return {k.removeprefix(lead): v for k, v in state.items()}
    return state


# ---------------------------------------------------------------------- Flax trees
def flatten(tree: Mapping, prefix: Path = ()) -> dict[Path, Any]:
    """Nested dict -> {path tuple: leaf} (empty maps vanish, as in Flax)."""
    out: dict[Path, Any] = {}
    for key, value in tree.items():
        if isinstance(value, Mapping):
            out.update(flatten(value, prefix + (str(key),)))
        else:
            out[prefix + (str(key),)] = value
    return out


def unflatten(flat: Mapping[Path, Any]) -> dict:
    """{path tuple: leaf} -> nested dict."""
    tree: dict = {}
    for path, value in flat.items():
        node = tree
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = value
    return tree
