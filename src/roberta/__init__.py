"""roberta: a from-scratch RoBERTa, drop-in compatible with Hugging Face Transformers.

Swap `from transformers import ...` for `from roberta import ...` and load the same checkpoint directories.

Names are imported on first use (PEP 562), so `import roberta` is cheap and pulls in no framework: the
PyTorch classes import torch, the `TF*` classes TensorFlow, the `Flax*` classes JAX, each only when asked for.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    **dict.fromkeys(
        (
            "AutoConfig",
            "AutoModel",
            "AutoModelForCausalLM",
            "AutoModelForMaskedLM",
            "AutoModelForMultipleChoice",
            "AutoModelForQuestionAnswering",
            "AutoModelForSequenceClassification",
            "AutoModelForTokenClassification",
            "AutoTokenizer",
        ),
        "roberta.auto",
    ),
    "RobertaConfig": "roberta.config",
    "GenerationConfig": "roberta.generation_config",
    "convert_fairseq": "roberta.convert",
    "export_onnx": "roberta.onnx",
    **dict.fromkeys(
        (
            "RobertaForCausalLM",
            "RobertaForMaskedLM",
            "RobertaForMultipleChoice",
            "RobertaForQuestionAnswering",
            "RobertaForSequenceClassification",
            "RobertaForTokenClassification",
            "RobertaModel",
            "RobertaPreTrainedModel",
        ),
        "roberta.modeling",
    ),
    **dict.fromkeys(
        (
            "FlaxRobertaForCausalLM",
            "FlaxRobertaForMaskedLM",
            "FlaxRobertaForMultipleChoice",
            "FlaxRobertaForQuestionAnswering",
            "FlaxRobertaForSequenceClassification",
            "FlaxRobertaForTokenClassification",
            "FlaxRobertaModel",
        ),
        "roberta.modeling_flax.classes",
    ),
    "FlaxRobertaPreTrainedModel": "roberta.modeling_flax.base",
    **dict.fromkeys(
        (
            "FlaxAutoModel",
            "FlaxAutoModelForCausalLM",
            "FlaxAutoModelForMaskedLM",
            "FlaxAutoModelForMultipleChoice",
            "FlaxAutoModelForQuestionAnswering",
            "FlaxAutoModelForSequenceClassification",
            "FlaxAutoModelForTokenClassification",
        ),
        "roberta.modeling_flax.auto",
    ),
    **dict.fromkeys(
        (
            "TFAutoModel",
            "TFAutoModelForCausalLM",
            "TFAutoModelForMaskedLM",
            "TFAutoModelForMultipleChoice",
            "TFAutoModelForQuestionAnswering",
            "TFAutoModelForSequenceClassification",
            "TFAutoModelForTokenClassification",
        ),
        "roberta.modeling_tf.auto",
    ),
    **dict.fromkeys(
        (
            "TFRobertaForCausalLM",
            "TFRobertaForMaskedLM",
            "TFRobertaForMultipleChoice",
            "TFRobertaForQuestionAnswering",
            "TFRobertaForSequenceClassification",
            "TFRobertaForTokenClassification",
        ),
        "roberta.modeling_tf.heads",
    ),
    "TFRobertaModel": "roberta.modeling_tf.model",
    "TFRobertaPreTrainedModel": "roberta.modeling_tf.pretrained",
    "pipeline": "roberta.pipelines",
    **dict.fromkeys(
        ("BatchEncoding", "CharSpan", "RobertaTokenizer", "RobertaTokenizerFast", "TokenSpan"), "roberta.tokenizer"
    ),
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'roberta' has no attribute {name!r}")
    try:
        imported = importlib.import_module(module)
    except ImportError as e:  # TensorFlow or JAX not installed: say which extra installs it
        from .extras import missing_extra

        missing = missing_extra(e, name)
        if missing is None:
            raise
        raise missing from e
    value = getattr(imported, name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
