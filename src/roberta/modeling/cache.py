"""Key/value cache for decoder use: self-attention keys grow each step, cross-attention keys are computed once."""

from __future__ import annotations

from collections.abc import Sequence

import torch


class KVCache:
    """Per-layer cached keys and values, each shaped (B, H, T, D).

    Indexing gives the legacy tuple `(self_k, self_v[, cross_k, cross_v])` of a layer, so code written for
    the reference's tuple caches keeps working; `from_legacy_cache` accepts such tuples.
    """

    def __init__(self, num_layers: int) -> None:
        self.keys: list[torch.Tensor | None] = [None] * num_layers
        self.values: list[torch.Tensor | None] = [None] * num_layers
        self.cross_keys: list[torch.Tensor | None] = [None] * num_layers
        self.cross_values: list[torch.Tensor | None] = [None] * num_layers

    def get_seq_length(self, layer: int = 0) -> int:
        k = self.keys[layer]
        return 0 if k is None else k.size(-2)

    def update(self, layer: int, k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Append this step's keys/values for `layer` and return all of them."""
        if self.keys[layer] is not None:
            k = torch.cat([self.keys[layer], k], dim=-2)
            v = torch.cat([self.values[layer], v], dim=-2)
        self.keys[layer], self.values[layer] = k, v
        return k, v

    def cross(self, layer: int) -> tuple[torch.Tensor, torch.Tensor] | None:
        if self.cross_keys[layer] is None:
            return None
        return self.cross_keys[layer], self.cross_values[layer]

    def set_cross(self, layer: int, k: torch.Tensor, v: torch.Tensor) -> None:
        self.cross_keys[layer], self.cross_values[layer] = k, v

    def reorder_cache(self, beam_idx: torch.Tensor) -> None:
        for table in (self.keys, self.values, self.cross_keys, self.cross_values):
            for i, t in enumerate(table):
                if t is not None:
                    table[i] = t.index_select(0, beam_idx.to(t.device))

    def __len__(self) -> int:
        return len(self.keys)

    def __getitem__(self, layer: int) -> tuple[torch.Tensor, ...]:
        own = (self.keys[layer], self.values[layer])
        cross = self.cross(layer)
        return own + cross if cross is not None else own

    def to_legacy_cache(self) -> tuple[tuple[torch.Tensor, ...], ...]:
        return tuple(self[i] for i in range(len(self)))

    @classmethod
    def from_legacy_cache(cls, legacy: Sequence[Sequence[torch.Tensor]], num_layers: int) -> KVCache:
        if len(legacy) != num_layers:
            raise ValueError(f"past_key_values has {len(legacy)} layers, the model has {num_layers}")
        cache = cls(num_layers)
        for i, entry in enumerate(legacy):
            if len(entry) not in (2, 4):
                raise ValueError(f"past_key_values[{i}] must hold 2 or 4 tensors, got {len(entry)}")
            cache.keys[i], cache.values[i] = entry[0], entry[1]
            if len(entry) == 4:
                cache.set_cross(i, entry[2], entry[3])
        return cache


def as_cache(past, num_layers: int) -> KVCache | None:
    """Accept our cache, a legacy tuple cache, an object with `to_legacy_cache()`, or None."""
    if past is None or isinstance(past, KVCache):
        return past
    if hasattr(past, "to_legacy_cache"):
        past = past.to_legacy_cache()
    return KVCache.from_legacy_cache(past, num_layers)
