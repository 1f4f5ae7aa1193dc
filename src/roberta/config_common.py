"""What every reference config has, whatever its model: the common fields' defaults (the base of a diff,
`RobertaConfig.to_diff_dict`) and the `dtype` field's two forms (a `torch.dtype` in memory, its name in JSON)."""

from __future__ import annotations

import os
import sys
from typing import Any

from ._io import read_json

# transformers 4.56.2's `PretrainedConfig().to_dict()`, in the form `RobertaConfig.to_dict` writes (label ids
# as strings). A field listed here is left out of a diff where it keeps both this default and RobertaConfig's.
# Generation options with the same defaults in the config's legacy attributes and in GenerationConfig,
# at the same place in both of the reference's tables.
GENERATION_FILTER_DEFAULTS: dict[str, Any] = {
    "forced_bos_token_id": None,
    "forced_eos_token_id": None,
    "remove_invalid_values": False,
    "exponential_decay_length_penalty": None,
    "suppress_tokens": None,
    "begin_suppress_tokens": None,
}

COMMON_DEFAULTS: dict[str, Any] = {
    "return_dict": True,
    "output_hidden_states": False,
    "output_attentions": False,
    "torchscript": False,
    "dtype": None,
    "pruned_heads": {},
    "tie_word_embeddings": True,
    "chunk_size_feed_forward": 0,
    "is_encoder_decoder": False,
    "is_decoder": False,
    "cross_attention_hidden_size": None,
    "add_cross_attention": False,
    "tie_encoder_decoder": False,
    "architectures": None,
    "finetuning_task": None,
    "id2label": {"0": "LABEL_0", "1": "LABEL_1"},
    "label2id": {"LABEL_0": 0, "LABEL_1": 1},
    "task_specific_params": None,
    "problem_type": None,
    "tokenizer_class": None,
    "prefix": None,
    "bos_token_id": None,
    "pad_token_id": None,
    "eos_token_id": None,
    "sep_token_id": None,
    "decoder_start_token_id": None,
    # generation defaults, still config fields in 4.56
    "max_length": 20,
    "min_length": 0,
    "do_sample": False,
    "early_stopping": False,
    "num_beams": 1,
    "num_beam_groups": 1,
    "diversity_penalty": 0.0,
    "temperature": 1.0,
    "top_k": 50,
    "top_p": 1.0,
    "typical_p": 1.0,
    "repetition_penalty": 1.0,
    "length_penalty": 1.0,
    "no_repeat_ngram_size": 0,
    "encoder_no_repeat_ngram_size": 0,
    "bad_words_ids": None,
    "num_return_sequences": 1,
    "output_scores": False,
    "return_dict_in_generate": False,
    **GENERATION_FILTER_DEFAULTS,
    "tf_legacy_loss": False,
    "use_bfloat16": False,
    "model_type": "",
}


_DTYPE_NAMES = {
    *("float32", "float", "float16", "half", "bfloat16", "float64", "double"),
    *("int8", "uint8", "int16", "int32", "int64", "bool", "complex64", "complex128"),
}


def as_dtype(value: Any) -> Any:
    """The `dtype` field as the reference holds it: None, or a `torch.dtype` (a name such as "float16", as
    config.json stores it, is turned into one). Anything else is a ValueError / TypeError naming the field."""
    if value is None:
        return None
    if isinstance(value, str) and "torch" not in sys.modules:
        # TensorFlow and Flax users load configs without torch: the name is checked and kept as it is
        name = value.strip().removeprefix("torch.")
        if name not in _DTYPE_NAMES:
            raise ValueError(f"dtype={value!r} is not the name of a torch dtype (for example 'float16' or 'bfloat16')")
        return name
    import torch

    if isinstance(value, torch.dtype):
        return value
    if isinstance(value, str):
        found = getattr(torch, value.strip().removeprefix("torch."), None)
        if isinstance(found, torch.dtype):
            return found
        raise ValueError(f"dtype={value!r} is not the name of a torch dtype (for example 'float16' or 'bfloat16')")
    raise TypeError(f"dtype must be a torch.dtype, its name or None, got {type(value).__name__}")


def dtype_name(value: Any) -> Any:
    """The JSON form of the `dtype` field: torch.float16 -> "float16"; None and strings are kept."""
    if value is None or isinstance(value, (str, int)):
        return value
    return str(value).split(".")[-1]


def read_json_object(path: str | os.PathLike) -> dict[str, Any]:
    """The JSON object a config file holds; a ValueError naming the file when it holds something else."""
    data = read_json(path)
    if not isinstance(data, dict):
        raise ValueError(f"{path} does not hold a JSON object")
    return data
