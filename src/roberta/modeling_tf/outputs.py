"""Named outputs of the TF classes, by the reference's class and field names.

An output is a dict of its non-None fields (in field order), readable by attribute (`out.logits`, None when
unset), by key and by position (`out[0]`). Being a mapping lets outputs cross `tf.function` and Keras
boundaries: `tf.nest` rebuilds a mapping by calling its type with (key, value) pairs, which `__init__` accepts.
"""

from __future__ import annotations

from typing import Any


class TFModelOutput(dict):
    """Base of the TF outputs; subclasses list their fields in `_fields`."""

    _fields: tuple[str, ...] = ()

    def __init__(self, *pairs: Any, **fields: Any) -> None:
        if pairs:  # tf.nest's way of rebuilding a mapping: one iterable of (key, value)
            (items,) = pairs
            fields = {**dict(items), **fields}
        unknown = set(fields) - set(self._fields)
        if unknown:
            raise TypeError(f"{type(self).__name__} has no field(s) {sorted(unknown)}; fields: {self._fields}")
        super().__init__((k, fields[k]) for k in self._fields if fields.get(k) is not None)

    def __getattr__(self, name: str) -> Any:
        if name in type(self)._fields:
            return self.get(name)
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, (int, slice)):
            return self.to_tuple()[key]
        return super().__getitem__(key)

    def to_tuple(self) -> tuple:
        """The non-None fields in order: what `return_dict=False` returns."""
        return tuple(self.values())


_HIDDEN = ("hidden_states", "attentions")


class TFBaseModelOutputWithPoolingAndCrossAttentions(TFModelOutput):
    _fields = ("last_hidden_state", "pooler_output", "past_key_values", *_HIDDEN, "cross_attentions")


class TFMaskedLMOutput(TFModelOutput):
    _fields = ("loss", "logits", *_HIDDEN)


class TFCausalLMOutputWithCrossAttentions(TFModelOutput):
    _fields = ("loss", "logits", "past_key_values", *_HIDDEN, "cross_attentions")


class TFSequenceClassifierOutput(TFModelOutput):
    _fields = ("loss", "logits", *_HIDDEN)


class TFMultipleChoiceModelOutput(TFModelOutput):
    _fields = ("loss", "logits", *_HIDDEN)


class TFTokenClassifierOutput(TFModelOutput):
    _fields = ("loss", "logits", *_HIDDEN)


class TFQuestionAnsweringModelOutput(TFModelOutput):
    _fields = ("loss", "start_logits", "end_logits", *_HIDDEN)
