"""`RobertaConfig`: the one object that describes a RoBERTa model, and its `config.json` I/O."""

from __future__ import annotations

import copy
import difflib
import json
import os
from typing import Any

from ._io import atomic_write_text, read_json
from .checkpoint_dir import CONFIG_NAME, committed_config
from .hub import CheckpointNotFoundError, resolve_file

MODEL_TYPE = "roberta"

_ACTIVATIONS = ("gelu", "relu", "silu", "swish", "gelu_new", "gelu_fast", "gelu_pytorch_tanh", "quick_gelu", "tanh")
_POSITION_TYPES = ("absolute", "relative_key", "relative_key_query")
_PROBLEM_TYPES = ("regression", "single_label_classification", "multi_label_classification")

# Every documented parameter with its default, in the reference's order.
_DEFAULTS: dict[str, Any] = {
    "vocab_size": 50265,
    "hidden_size": 768,
    "num_hidden_layers": 12,
    "num_attention_heads": 12,
    "intermediate_size": 3072,
    "hidden_act": "gelu",
    "hidden_dropout_prob": 0.1,
    "attention_probs_dropout_prob": 0.1,
    "max_position_embeddings": 512,
    "type_vocab_size": 2,
    "initializer_range": 0.02,
    "layer_norm_eps": 1e-12,
    "pad_token_id": 1,
    "bos_token_id": 0,
    "eos_token_id": 2,
    "position_embedding_type": "absolute",
    "use_cache": True,
    "classifier_dropout": None,
    "is_decoder": False,
    "add_cross_attention": False,
    "tie_word_embeddings": True,
    "return_dict": True,
    "output_attentions": False,
    "output_hidden_states": False,
    "problem_type": None,
    "torch_dtype": None,
    "chunk_size_feed_forward": 0,
    "architectures": None,
}

# Keys the reference writes that carry no meaning for us; dropped when reading so they don't pile up.
_IGNORED_KEYS = {"transformers_version", "_name_or_path", "_attn_implementation_autoset"}


class RobertaConfig:
    """Configuration of a RoBERTa model, compatible with the reference's `config.json`.

    Every keyword has the reference's default (see `_DEFAULTS`). Unknown keywords are kept as attributes
    and written back, so a `config.json` round-trips through this class unchanged. Labels: pass either
    `num_labels`, or `id2label` / `label2id` (keys of `id2label` may be strings as in JSON).
    """

    model_type = MODEL_TYPE

    def __init__(self, **kwargs: Any) -> None:
        for key, default in _DEFAULTS.items():
            setattr(self, key, kwargs.pop(key, copy.deepcopy(default)))
        if "dtype" in kwargs:  # newer name of torch_dtype
            self.torch_dtype = kwargs.pop("dtype")
        self._attn_implementation = kwargs.pop("attn_implementation", None)
        id2label = kwargs.pop("id2label", None)
        label2id = kwargs.pop("label2id", None)
        num_labels = kwargs.pop("num_labels", None)
        if id2label is not None:
            self.id2label = {int(k): str(v) for k, v in dict(id2label).items()}
            if num_labels is not None and num_labels != len(self.id2label):
                raise ValueError(f"num_labels={num_labels} does not match the {len(self.id2label)} entries of id2label")
        else:
            self.id2label = {i: f"LABEL_{i}" for i in range(2 if num_labels is None else int(num_labels))}
        if label2id is not None:
            self.label2id = {str(k): int(v) for k, v in dict(label2id).items()}
        else:
            self.label2id = {v: k for k, v in self.id2label.items()}
        for key in _IGNORED_KEYS:
            kwargs.pop(key, None)
        mt = kwargs.pop("model_type", MODEL_TYPE)
        if mt != MODEL_TYPE:
            raise ValueError(f"config has model_type={mt!r}; roberta loads only model_type 'roberta'")
        for key, value in kwargs.items():  # unknown keys are kept for round-tripping
            setattr(self, key, value)
        self.validate()

    # ------------------------------------------------------------------ validation
    def validate(self) -> None:
        """Raise `ValueError` naming the first field that cannot work."""
        for key in (
            "vocab_size",
            "hidden_size",
            "num_hidden_layers",
            "num_attention_heads",
            "intermediate_size",
            "max_position_embeddings",
            "type_vocab_size",
        ):
            value = getattr(self, key)
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"{key} must be a positive integer, got {value!r}")
        if self.hidden_size % self.num_attention_heads != 0:
            raise ValueError(
                f"hidden_size ({self.hidden_size}) is not a multiple of "
                f"num_attention_heads ({self.num_attention_heads})"
            )
        for key in ("pad_token_id", "bos_token_id", "eos_token_id"):
            value = getattr(self, key)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                raise ValueError(f"{key} must be an integer or null, got {value!r}")
        for key in ("hidden_dropout_prob", "attention_probs_dropout_prob"):
            value = getattr(self, key)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value < 1:
                raise ValueError(f"{key} must be a probability in [0, 1), got {value!r}")
        if self.hidden_act not in _ACTIVATIONS:
            raise ValueError(f"hidden_act={self.hidden_act!r} is not one of {_ACTIVATIONS}")
        if self.position_embedding_type not in _POSITION_TYPES:
            raise ValueError(
                f"position_embedding_type={self.position_embedding_type!r} is not one of {_POSITION_TYPES}"
            )
        if self.problem_type is not None and self.problem_type not in _PROBLEM_TYPES:
            raise ValueError(f"problem_type={self.problem_type!r} is not one of {_PROBLEM_TYPES} (or None)")

    def estimated_parameters(self) -> int:
        """About how many parameters a model of this config has (trunk, pooler and LM head; within ~1%)."""
        h, i, n = self.hidden_size, self.intermediate_size, self.num_hidden_layers
        layer = 4 * h * h + 2 * h * i + i + 9 * h
        if self.add_cross_attention:
            layer += 4 * h * h + 6 * h
        if self.position_embedding_type != "absolute":
            layer += (2 * self.max_position_embeddings - 1) * (h // self.num_attention_heads)
        embeddings = (self.vocab_size + self.max_position_embeddings + self.type_vocab_size + 2) * h
        return embeddings + n * layer + 2 * (h * h + h) + self.vocab_size

    # ------------------------------------------------------------------ labels
    @property
    def num_labels(self) -> int:
        return len(self.id2label)

    @num_labels.setter
    def num_labels(self, n: int) -> None:
        if n != len(self.id2label):
            self.id2label = {i: f"LABEL_{i}" for i in range(n)}
            self.label2id = {v: k for k, v in self.id2label.items()}

    @property
    def usable_positions(self) -> int:
        """Tokens one sequence may hold (the reference counts absolute positions from pad_token_id + 1)."""
        if self.position_embedding_type == "absolute" and self.pad_token_id is not None:
            return self.max_position_embeddings - self.pad_token_id - 1
        return self.max_position_embeddings

    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.num_attention_heads

    @property
    def use_return_dict(self) -> bool:
        """Outputs as named mappings, unless tuples are asked for (`return_dict=False` or `torchscript=True`)."""
        return bool(self.return_dict) and not getattr(self, "torchscript", False)

    @property
    def dtype(self):
        return self.torch_dtype

    # ------------------------------------------------------------------ dict / JSON
    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in self.__dict__.items():
            if key.startswith("_"):
                continue
            out[key] = copy.deepcopy(value)
        out["id2label"] = {str(k): v for k, v in self.id2label.items()}
        if out.get("torch_dtype") is not None and not isinstance(out["torch_dtype"], str):
            out["torch_dtype"] = str(out["torch_dtype"]).replace("torch.", "")
        if out.get("architectures") is None:
            out.pop("architectures", None)
        out["model_type"] = MODEL_TYPE
        return dict(sorted(out.items()))

    def to_json_string(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any], **overrides: Any) -> RobertaConfig:
        merged = dict(data)
        merged.update(overrides)
        return cls(**merged)

    @classmethod
    def from_json_file(cls, path: str | os.PathLike) -> RobertaConfig:
        data = read_json(path)
        if not isinstance(data, dict):
            raise ValueError(f"{path} does not hold a JSON object")
        return cls(**data)

    def save_pretrained(self, save_directory: str | os.PathLike) -> None:
        if os.path.isfile(save_directory):
            raise ValueError(f"save_directory {save_directory} is a file, not a directory")
        os.makedirs(save_directory, exist_ok=True)
        atomic_write_text(os.path.join(save_directory, CONFIG_NAME), self.to_json_string())

    @classmethod
    def from_pretrained(cls, name_or_path: str | os.PathLike | dict, **kwargs: Any) -> RobertaConfig:
        """Read the config of a checkpoint directory (the one that belongs to its committed weights, see
        `roberta.checkpoint_dir`), a config.json path, a hub id in the local cache, or a config dict.

        Keyword arguments that are config fields override the stored values.
        """
        hub_kwargs = {k: kwargs.pop(k) for k in ("cache_dir", "revision", "local_files_only", "token") if k in kwargs}
        if isinstance(name_or_path, dict):
            config = cls.from_dict(name_or_path)
        elif os.path.isfile(name_or_path):
            config = cls.from_json_file(name_or_path)
        elif os.path.isdir(name_or_path):
            source = committed_config(os.fspath(name_or_path))
            if source is None:
                raise CheckpointNotFoundError(f"{os.fspath(name_or_path)} has no {CONFIG_NAME}")
            config = cls.from_dict(source) if isinstance(source, dict) else cls.from_json_file(source)
        else:
            config = cls.from_json_file(resolve_file(name_or_path, CONFIG_NAME, **hub_kwargs))
        return config.updated(**kwargs)

    def updated(self, *, strict: bool = False, **overrides: Any) -> RobertaConfig:
        """Apply field overrides in place (labels kept consistent: `num_labels`, `id2label` with int keys,
        `label2id`) and validate; returns self. With `strict`, a key that is neither a documented field nor
        already in this config is an error (a typo such as `hidden_sise`), naming the closest field."""
        if strict:
            known = set(_DEFAULTS) | {"num_labels", "id2label", "label2id"} | set(vars(self))
            for key in overrides:
                if key not in known:
                    close = difflib.get_close_matches(key, sorted(known), n=1)
                    hint = f" (did you mean {close[0]!r}?)" if close else ""
                    raise ValueError(f"{key!r} is not a config field{hint}")
        for key, value in overrides.items():
            if key == "num_labels":
                self.num_labels = int(value)
            elif key == "id2label":
                self.id2label = {int(k): str(v) for k, v in dict(value).items()}
                if "label2id" not in overrides:
                    self.label2id = {v: k for k, v in self.id2label.items()}
            elif key == "label2id":
                self.label2id = {str(k): int(v) for k, v in dict(value).items()}
            elif key in ("dtype", "attn_implementation"):
                setattr(self, {"dtype": "torch_dtype", "attn_implementation": "_attn_implementation"}[key], value)
            else:
                setattr(self, key, value)
        self.validate()
        return self

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RobertaConfig) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return f"RobertaConfig {self.to_json_string()}"
