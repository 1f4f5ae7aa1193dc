"""`pad`: padding encodings already made (one, a batch as a dict of lists, or a list of encodings)."""

from __future__ import annotations

from typing import Any

from .encoding import BatchEncoding
from .options import PaddingStrategy, pad_row, resolve_strategies


def to_lists(value: Any) -> Any:
    """A tensor or array (PyTorch, NumPy, TensorFlow, JAX), or a list of them, as plain Python lists."""
    if hasattr(value, "numpy") and not hasattr(value, "tolist"):  # a TensorFlow tensor
        value = value.numpy()
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [to_lists(v) for v in value]
    return value


class PaddingMixin:
    """`pad`, on the tokenizer's pad token, padding side and model input names."""

    model_input_names: list[str]
    padding_side: str

    # The reference's pad() argument list (the encoding methods list the same options): users pass it positionally.
    def pad(self, encoded_inputs: Any, padding: Any = True, max_length: int | None = None,
            pad_to_multiple_of: int | None = None, padding_side: str | None = None,
            return_attention_mask: bool | None = None, return_tensors: str | None = None,
            verbose: bool = True) -> BatchEncoding:  # fmt: skip
        """Pad one encoding, a batch of them (dict of lists) or a list of encodings to the same length."""
        if isinstance(encoded_inputs, (list, tuple)) and encoded_inputs and isinstance(encoded_inputs[0], dict):
            encoded_inputs = {k: [ex[k] for ex in encoded_inputs] for k in encoded_inputs[0]}
        if not isinstance(encoded_inputs, dict):
            raise TypeError(f"pad() takes a dict of lists or a list of dicts, got {type(encoded_inputs).__name__}")
        main = self.model_input_names[0]
        if main not in encoded_inputs:
            raise ValueError(
                f"You should supply an encoding or a list of encodings to this method that includes "
                f"{main}, but you provided {list(encoded_inputs)}"
            )
        data = dict(encoded_inputs)
        required = data[main]
        if required is None or len(required) == 0:
            if return_attention_mask:
                data["attention_mask"] = []
            return BatchEncoding(data)
        if not isinstance(required[0], int) or hasattr(required, "tolist"):
            if return_tensors is None:
                sample = required[0]
                if hasattr(sample, "numpy") and hasattr(sample, "device"):
                    return_tensors = "pt"
                elif hasattr(sample, "dtype") or hasattr(required, "dtype") and not isinstance(sample, list):
                    return_tensors = "np" if "torch" not in type(required).__module__ else "pt"
            data = {k: to_lists(v) for k, v in data.items()}
            required = data[main]
        pad, _, max_length = resolve_strategies(self, padding, None, max_length)
        if return_attention_mask is None:
            return_attention_mask = "attention_mask" in self.model_input_names
        common = dict(
            pad_to_multiple_of=pad_to_multiple_of,
            side=padding_side or self.padding_side,
            pad_id=self.pad_token_id,
            pad_type_id=self.pad_token_type_id,
            return_attention_mask=return_attention_mask,
        )
        if required and not isinstance(required[0], (list, tuple)):
            return BatchEncoding(
                pad_row(data, strategy=pad, max_length=max_length, **common), tensor_type=return_tensors
            )
        n = len(required)
        if any(len(v) != n for v in data.values()):
            raise ValueError("Some items in the output dictionary have a different batch size than others.")
        if pad == PaddingStrategy.LONGEST:
            max_length, pad = max(len(r) for r in required), PaddingStrategy.MAX_LENGTH
        rows = [
            pad_row({k: v[i] for k, v in data.items()}, strategy=pad, max_length=max_length, **common) for i in range(n)
        ]
        out = {k: [r[k] for r in rows] for k in rows[0]} if rows else {}
        return BatchEncoding(out, tensor_type=return_tensors)
