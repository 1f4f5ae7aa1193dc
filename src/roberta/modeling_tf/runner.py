"""The TF classes inside the pipelines: runners for `roberta.pipelines.backends` (see its docstring).

A runner calls the model through one `tf.function` whose inputs have unknown batch and length, so batches of
any shape reuse a single trace; it returns the output's tensors as NumPy arrays, in the output's field order.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._keras import tf
from .pretrained import TFRobertaPreTrainedModel

_IDS = tf.TensorSpec([None, None], tf.int64)


class Runner:
    def __init__(self, model: TFRobertaPreTrainedModel) -> None:
        if not isinstance(model, TFRobertaPreTrainedModel):
            raise TypeError(f"expected a TFRoberta* model, got {type(model).__name__}")
        self.model, self.config = model, model.config
        self.model_class = type(model).__name__
        self._forward = tf.function(self._call, input_signature=[_IDS, _IDS])

    def _call(self, input_ids: tf.Tensor, attention_mask: tf.Tensor) -> dict[str, tf.Tensor]:
        out = self.model(input_ids=input_ids, attention_mask=attention_mask, training=False, return_dict=True)
        return {k: v for k, v in out.items() if isinstance(v, tf.Tensor)}

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> dict[str, np.ndarray]:
        out = self._forward(tf.constant(input_ids, tf.int64), tf.constant(attention_mask, tf.int64))
        return {k: v.numpy() for k, v in out.items()}

    def generate(
        self, prompts: list[list[int]], max_new_tokens: int, *, eos_token_id: int | None, **options: Any
    ) -> list[list[int]]:
        """Each prompt (all of one length) and its continuation, ending at the first eos if any: what
        `TextGenerationPipeline.generate_ids` returns for a PyTorch model."""
        if not hasattr(self.model, "generate"):
            raise TypeError(f"{self.model_class} cannot generate text; text-generation needs a TFRobertaForCausalLM")
        eos = -1 if eos_token_id is None else eos_token_id  # None here means no end token (-1 never comes)
        out = self.model.generate(np.array(prompts), max_new_tokens=max_new_tokens, eos_token_id=eos, **options)
        sequences = []
        for prompt, row in zip(prompts, out.numpy().tolist()):
            new = row[len(prompt) :]
            if eos_token_id is not None and eos_token_id in new:
                new = new[: new.index(eos_token_id) + 1]
            sequences.append(list(prompt) + new)
        return sequences


def load(path: str, model_class: str, dtype: Any) -> Runner:
    """A runner for the checkpoint at `path` with the TF class of `model_class`'s head (e.g. "RobertaForMaskedLM"),
    of the checkpoint's family (TFXLMRobertaForMaskedLM for an XLM-RoBERTa one)."""
    if dtype is not None and str(dtype) not in ("torch.float32", "float32"):
        raise ValueError(f"the TF models run in float32 in the pipelines; dtype={dtype} is not supported")
    from .._auto_base import auto_class_of

    return Runner(auto_class_of(model_class, "tf").from_pretrained(path))


def wrap(model: TFRobertaPreTrainedModel) -> Runner:
    """A runner for a TF model instance."""
    return Runner(model)
