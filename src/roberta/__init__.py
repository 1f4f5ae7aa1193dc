"""roberta: a from-scratch RoBERTa, drop-in compatible with Hugging Face Transformers.

Swap `from transformers import ...` for `from roberta import ...` and load the same checkpoint directories.

Names are imported on first use (PEP 562), so `import roberta` is cheap and pulls in no framework: the
PyTorch classes import torch, the `TF*` classes TensorFlow, the `Flax*` classes JAX, each only when asked for.
"""

from __future__ import annotations

import importlib
from typing import Any

from .model_classes import exports

__version__ = "0.1.0"

# public name -> module that holds it: the registry's (every family's config, tokenizers and model classes in
# each framework, every framework's Auto classes; model_classes.py) and these
_EXPORTS: dict[str, str] = {
    **exports(),
    "AutoConfig": "roberta.auto",
    "AutoTokenizer": "roberta.auto",
    "GenerationConfig": "roberta.generation_config",
    "convert_fairseq": "roberta.convert",
    "export_onnx": "roberta.onnx",
    "pipeline": "roberta.pipelines",
    **dict.fromkeys(("BatchEncoding", "CharSpan", "TokenSpan"), "roberta.tokenizer"),
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'roberta' has no attribute {name!r}")
    try:  # a framework package's classes are imported by its own __getattr__: the getattr can fail too
        value = getattr(importlib.import_module(module), name)
    except ImportError as e:  # TensorFlow or JAX not installed: say which extra installs it
        from .extras import missing_extra

        missing = missing_extra(e, name)
        if missing is None:
            raise
        raise missing from e
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
