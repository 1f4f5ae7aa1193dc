"""`ModelOutput`: the base of every named output, framework-free (the PyTorch and Flax outputs share it).

Each output is a dataclass that also behaves like the reference's `ModelOutput`: fields can be read by
attribute, by key (`out["logits"]`), or by position (`out[0]`), where positions skip fields that are None.
`to_tuple()` gives the tuple that `return_dict=False` returns.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import fields
from typing import Any


class ModelOutput:
    """Base for output dataclasses: attribute, key and index access over the non-None fields."""

    def _items(self) -> list[tuple[str, Any]]:
        return [(f.name, getattr(self, f.name)) for f in fields(self) if getattr(self, f.name) is not None]

    def to_tuple(self) -> tuple:
        return tuple(v for _, v in self._items())

    def keys(self) -> list[str]:
        return [k for k, _ in self._items()]

    def values(self) -> list[Any]:
        return [v for _, v in self._items()]

    def items(self) -> list[tuple[str, Any]]:
        return self._items()

    def __getitem__(self, key: int | slice | str) -> Any:
        if isinstance(key, str):
            return dict(self._items())[key]
        return self.to_tuple()[key]

    def __contains__(self, key: str) -> bool:
        return key in self.keys()

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self._items())

    def get(self, key: str, default: Any = None) -> Any:
        return dict(self._items()).get(key, default)
