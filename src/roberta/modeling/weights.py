"""Checkpoint names: one rename table between our module names and the reference's names on disk.

Our modules say what they are (`layers.3.attn.qkv`); checkpoints keep the reference's layout
(`encoder.layer.3.attention.self.{query,key,value}`), so any Hugging Face RoBERTa checkpoint loads and every
checkpoint we save loads back into `transformers`. A table entry maps one of our module prefixes to one
reference prefix, or to several that are concatenated along dim 0 (fused projections).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import torch

from ..weight_arrays import BIAS_ALIAS, BUFFERS, LEGACY_LEAVES
from .checkpoint_files import StoredTensor, materialize

_L = "encoder.layer.{i}"
RENAME_TABLE: list[tuple[str, str | tuple[str, ...]]] = [
    ("embeddings.norm", "embeddings.LayerNorm"),
    ("layers.{i}.attn.qkv", (f"{_L}.attention.self.query", f"{_L}.attention.self.key", f"{_L}.attention.self.value")),
    ("layers.{i}.attn.distance_embedding", f"{_L}.attention.self.distance_embedding"),
    ("layers.{i}.attn.out", f"{_L}.attention.output.dense"),
    ("layers.{i}.attn.norm", f"{_L}.attention.output.LayerNorm"),
    ("layers.{i}.cross.q", f"{_L}.crossattention.self.query"),
    ("layers.{i}.cross.kv", (f"{_L}.crossattention.self.key", f"{_L}.crossattention.self.value")),
    ("layers.{i}.cross.out", f"{_L}.crossattention.output.dense"),
    ("layers.{i}.cross.norm", f"{_L}.crossattention.output.LayerNorm"),
    ("layers.{i}.ffn.up", f"{_L}.intermediate.dense"),
    ("layers.{i}.ffn.down", f"{_L}.output.dense"),
    ("layers.{i}.ffn.norm", f"{_L}.output.LayerNorm"),
]

# The facts about the reference's files that every framework's reader handles (weight_arrays.py): TF-era
# gamma/beta LayerNorm leaves, the LM bias saved a second time under the decoder's name, old buffers.
_ALIASES = dict([BIAS_ALIAS])


def _pattern(template: str) -> re.Pattern:
    body = re.escape(template).replace(re.escape("{i}"), r"(?P<i>\d+)")
    return re.compile(rf"^(?P<pre>(?:.*\.)?){body}\.(?P<leaf>\w+)$")


_OURS = [(_pattern(ours), ours, disk) for ours, disk in RENAME_TABLE]
_DISK: list[tuple[re.Pattern, str, int, int]] = []  # (pattern, our template, part index, part count)
for _ours, _disk in RENAME_TABLE:
    _parts = (_disk,) if isinstance(_disk, str) else _disk
    for _k, _p in enumerate(_parts):
        _DISK.append((_pattern(_p), _ours, _k, len(_parts)))


def to_disk(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Our state dict -> the reference's names, splitting fused tensors."""
    out: dict[str, torch.Tensor] = {}
    for name, tensor in state.items():
        for pat, _ours, disk in _OURS:
            m = pat.match(name)
            if m:
                parts = (disk,) if isinstance(disk, str) else disk
                chunks = tensor.chunk(len(parts), dim=0) if len(parts) > 1 else (tensor,)
                for part, chunk in zip(parts, chunks):
                    out[f"{m['pre']}{part.format(i=m.groupdict().get('i'))}.{m['leaf']}"] = chunk
                break
        else:
            out[name] = tensor
    return out


def from_disk(state: dict[str, Any]) -> tuple[dict[str, torch.Tensor], list[str], list[str]]:
    """The reference's names -> ours, fusing split tensors. Values may be tensors or `StoredTensor`s (fused groups
    of stored parts are read straight into the fused tensor; other stored values pass through unread). Takes
    ownership of `state` and empties it, so the parts of a fused group are freed once it is built.

    Returns (state, ignored keys, keys of incomplete fused groups). Legacy gamma/beta leaves and aliases are
    resolved here.
    """
    out: dict[str, torch.Tensor] = {}
    ignored: list[str] = []
    groups: dict[str, list] = {}
    names = set(state)
    for name in list(state):
        tensor = state.pop(name)
        if BUFFERS.search(name):
            ignored.append(name)
            continue
        head, _, leaf = name.rpartition(".")
        name = f"{head}.{LEGACY_LEAVES.get(leaf, leaf)}" if head else name
        alias = next((a for a in _ALIASES if name == a or name.endswith("." + a)), None)
        if alias is not None:
            target = name[: len(name) - len(alias)] + _ALIASES[alias]
            if target in names:
                ignored.append(name)
                continue
            name = target
        for pat, ours, k, n in _DISK:
            m = pat.match(name)
            if m:
                key = f"{m['pre']}{ours.format(i=m.groupdict().get('i'))}.{m['leaf']}"
                if n == 1:
                    out[key] = tensor
                else:
                    parts = groups.setdefault(key, [None] * n)
                    parts[k] = tensor
                    if all(p is not None for p in parts):
                        out[key] = _fuse(groups.pop(key))
                break
        else:
            out[name] = tensor
    return out, ignored, list(groups)


def _fuse(parts: list) -> torch.Tensor:
    """Concatenate along dim 0; stored parts are read straight into their slice of the result."""
    if not all(isinstance(p, StoredTensor) for p in parts) or len({p.dtype for p in parts}) > 1:
        return torch.cat([materialize(p) for p in parts], dim=0)
    rows = [p.shape[0] for p in parts]
    out = torch.empty((sum(rows), *parts[0].shape[1:]), dtype=parts[0].dtype)
    for part, chunk in zip(parts, out.split(rows)):
        part.read_into(chunk)
    return out


def add_or_strip_prefix(
    state: dict[str, torch.Tensor], expected: Iterable[str], prefix: str
) -> dict[str, torch.Tensor]:
    """Match a base checkpoint to a head model (add `prefix.`) or a head checkpoint to a base model (strip it)."""
    expected = set(expected)
    has_prefix = any(k.startswith(prefix + ".") for k in state)
    wants_prefix = any(k.startswith(prefix + ".") for k in expected)
    if wants_prefix and not has_prefix:
        return {(f"{prefix}.{k}" if f"{prefix}.{k}" in expected else k): v for k, v in state.items()}
    if has_prefix and not wants_prefix:
        return {(k[len(prefix) + 1 :] if k.startswith(prefix + ".") else k): v for k, v in state.items()}
    return state
