"""Named outputs of the PyTorch classes: dataclasses that are also ordered mappings, as the reference's are.

`isinstance(out, dict)` holds, so accelerate, Trainer and users' code treat them as the reference's outputs:
fields read by attribute, by key (`out["logits"]`) or by position (`out[0]`, positions skip fields that are
None), `to_tuple()` gives what `return_dict=False` returns, and accelerate's `recursively_apply` can rebuild
one from a dict (`MaskedLMOutput({"logits": ...})`). Each class is a torch pytree node, so `torch.export` and
`torch.compile` return them whole.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import fields
from typing import Any

import torch.utils._pytree as pytree

from ..model_facts.outputs import HEAD_OUTPUTS, make_outputs


class ModelOutput(OrderedDict):
    """Base of the output dataclasses: the fields that are not None are also the mapping's keys, in order."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        pytree.register_pytree_node(
            cls,
            lambda out: (list(out.values()), list(out.keys())),
            lambda values, keys, _cls=cls: _cls(**dict(zip(keys, values))),
            serialized_type_name=f"{cls.__module__}.{cls.__name__}",
        )

    def __post_init__(self) -> None:
        names = [f.name for f in fields(self)]
        first = getattr(self, names[0])
        rest_none = all(getattr(self, n) is None for n in names[1:])
        if rest_none and isinstance(first, Mapping):  # built from a dict: MaskedLMOutput({"logits": ...})
            OrderedDict.__delitem__(self, names[0])
            object.__setattr__(self, names[0], None)
            for key, value in first.items():
                if key not in names:
                    raise TypeError(f"{type(self).__name__} has no field {key!r}; its fields are {names}")
                self[key] = value
            return
        for name in names:
            value = getattr(self, name)
            if value is not None:
                super().__setitem__(name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        if value is not None and name in {f.name for f in fields(self)}:
            super().__setitem__(name, value)
        super().__setattr__(name, value)

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        super().__setattr__(key, value)

    def __getitem__(self, key: int | slice | str) -> Any:
        if isinstance(key, str):
            return super().__getitem__(key)
        return self.to_tuple()[key]

    def to_tuple(self) -> tuple:
        return tuple(self[k] for k in self.keys())

    def _refuse(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError(f"a {type(self).__name__} keeps its fields: set them by attribute or key, not with this")

    __delitem__ = setdefault = pop = popitem = update = _refuse

    def __reduce__(self):  # copy / pickle by fields (the mapping follows from them)
        return (_rebuild, (type(self), {f.name: getattr(self, f.name) for f in fields(self)}))


def _rebuild(cls: type, values: dict) -> ModelOutput:
    return cls(**values)


# The classes come from the shared field table, bound here as module attributes (pickle and the pytree
# registration find them as `roberta.modeling.outputs.<name>`).
globals().update(make_outputs(__name__, ModelOutput, HEAD_OUTPUTS))
