"""The reference's named outputs as data: each class's name stem and its ordered fields, written once.

The PyTorch, TensorFlow and Flax output classes differ only in their base class (how the framework flattens
them), a name prefix ("TF", "Flax") and, for Flax, no `loss` field and the reference's Flax field order of the
trunk's output. Each framework's `outputs.py` makes its classes from these tables with `make_outputs`, so the
field lists cannot drift apart. Every field defaults to None, as the reference's do.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import make_dataclass
from typing import Any

_LOGITS = ("loss", "logits", "hidden_states", "attentions")
_WITH_CACHE = ("loss", "logits", "past_key_values", "hidden_states", "attentions", "cross_attentions")

# The trunk's and the heads' outputs (PyTorch and TF field order), by name stem.
HEAD_OUTPUTS: dict[str, tuple[str, ...]] = {
    "BaseModelOutputWithPoolingAndCrossAttentions": ("last_hidden_state", "pooler_output") + _WITH_CACHE[2:],
    "MaskedLMOutput": _LOGITS,
    "CausalLMOutputWithCrossAttentions": _WITH_CACHE,
    "SequenceClassifierOutput": _LOGITS,
    "MultipleChoiceModelOutput": _LOGITS,
    "TokenClassifierOutput": _LOGITS,
    "QuestionAnsweringModelOutput": ("loss", "start_logits", "end_logits", "hidden_states", "attentions"),
}

# Flax outputs carry no loss, and the Flax trunk's output lists hidden_states before past_key_values.
FLAX_OUTPUTS: dict[str, tuple[str, ...]] = {
    **{stem: tuple(f for f in names if f != "loss") for stem, names in HEAD_OUTPUTS.items()},
    "BaseModelOutputWithPoolingAndCrossAttentions": (
        "last_hidden_state",
        "pooler_output",
        "hidden_states",
        "past_key_values",
        "attentions",
        "cross_attentions",
    ),
    "GreedySearchOutput": ("sequences",),
    "SampleOutput": ("sequences",),
}

# PyTorch `generate(..., return_dict_in_generate=True)` outputs.
GENERATE_OUTPUTS: dict[str, tuple[str, ...]] = {
    "GenerateDecoderOnlyOutput": ("sequences", "scores", "logits", "attentions", "hidden_states", "past_key_values"),
    "GenerateBeamDecoderOnlyOutput": (
        "sequences",
        "sequences_scores",
        "scores",
        "logits",
        "beam_indices",
        "attentions",
        "hidden_states",
        "past_key_values",
    ),
}

GENERATE_DOCS = {
    "GenerateDecoderOnlyOutput": "Greedy or sampled output with `return_dict_in_generate=True`: `scores` are the "
    "processed scores of each step, (batch, vocab) each, `logits` the raw ones.",
    "GenerateBeamDecoderOnlyOutput": "Beam-search output with `return_dict_in_generate=True`: `sequences_scores` "
    "(with `output_scores`) are the final length-penalised scores, `beam_indices` (sequences, new tokens) the "
    "flat beam each token came from.",
}


def make_outputs(
    module: str,
    base: type,
    table: Mapping[str, tuple[str, ...]],
    prefix: str = "",
    docs: Mapping[str, str] | None = None,
    finish: Callable[[type], type] | None = None,
) -> dict[str, type]:
    """One dataclass per `table` entry, named `prefix + stem`, subclassing `base`, every field defaulting to None.

    `module` is the module the classes belong to (its `__name__`): it is set before the class is made, so
    pickle finds each class by qualified name there and `base.__init_subclass__` (the PyTorch pytree
    registration) sees it. `finish` is applied to each class (the Flax pytree registration). Returns
    name -> class, for the module to bind as its attributes.
    """
    classes = {}
    for stem, names in table.items():
        name = prefix + stem
        doc = (docs or {}).get(stem, f"The reference's `{name}`: {', '.join(names)} (each None when not computed).")
        namespace = {"__module__": module, "__qualname__": name, "__doc__": doc, "_field_names": names}
        cls = make_dataclass(name, [(field, Any, None) for field in names], bases=(base,), namespace=namespace)
        classes[name] = finish(cls) if finish else cls
    return classes


# What a head's output passes on unchanged from the trunk's output, where its class has the field.
_PASSED_ON = ("past_key_values", "hidden_states", "attentions", "cross_attentions")


def head_output(cls: type, out: Any, **own: Any) -> Any:
    """A head's output `cls` (made by `make_outputs`) from its `own` fields (loss, logits, ...) and those it
    passes on from the trunk's output `out`: hidden_states and attentions, and the causal LM's cache and
    cross-attentions."""
    return cls(**own, **{name: getattr(out, name) for name in cls._field_names if name in _PASSED_ON})
