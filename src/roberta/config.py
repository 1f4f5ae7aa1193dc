"""`RobertaConfig`: the one object that describes a RoBERTa model, and its `config.json` I/O."""

from __future__ import annotations

import copy
import difflib
import json
import os
from pathlib import Path
from typing import Any

from ._io import atomic_write_text
from .checkpoint import CONFIG_NAME, committed_config
from .config_common import COMMON_DEFAULTS, as_dtype, dtype_name, read_json_object
from .hub import CheckpointNotFoundError, pop_hub_kwargs, resolve_file
from .model_facts import PROBLEM_TYPES, check_activation, config_positions

MODEL_TYPE = "roberta"

_POSITION_TYPES = ("absolute", "relative_key", "relative_key_query")

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
    "dtype": None,
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

    A model type of the same network (XLM-RoBERTa, CamemBERT: `roberta.config_types`) is a subclass that sets
    `model_type` and the defaults it changes (`default_overrides`); a config.json of another model type is
    refused, naming the class that reads it.
    """

    model_type = MODEL_TYPE
    # the defaults this model type changes from `_DEFAULTS` (the reference's own class defaults)
    default_overrides: dict[str, Any] = {}

    def __init__(self, **kwargs: Any) -> None:
        defaults = _DEFAULTS | self.default_overrides
        for key, default in defaults.items():
            setattr(self, key, kwargs.pop(key, copy.deepcopy(default)))
        legacy_dtype = kwargs.pop("torch_dtype", None)  # the older name; `dtype` wins when both are given
        self.dtype = as_dtype(self.dtype if self.dtype is not None else legacy_dtype)
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
        mt = kwargs.pop("model_type", self.model_type)
        if mt != self.model_type:
            raise ValueError(_wrong_model_type(type(self), mt))
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
        check_activation(self.hidden_act)
        if self.position_embedding_type not in _POSITION_TYPES:
            raise ValueError(
                f"position_embedding_type={self.position_embedding_type!r} is not one of {_POSITION_TYPES}"
            )
        if self.problem_type is not None and self.problem_type not in PROBLEM_TYPES:
            raise ValueError(f"problem_type={self.problem_type!r} is not one of {PROBLEM_TYPES} (or None)")

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
        return config_positions(self)

    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.num_attention_heads

    @property
    def use_return_dict(self) -> bool:
        """Outputs as named mappings, unless tuples are asked for (`return_dict=False` or `torchscript=True`)."""
        return bool(self.return_dict) and not getattr(self, "torchscript", False)

    @property
    def torch_dtype(self):
        """The older name of `dtype` (the reference keeps it as a deprecated alias)."""
        return self.dtype

    @torch_dtype.setter
    def torch_dtype(self, value: Any) -> None:
        self.dtype = as_dtype(value)

    # ------------------------------------------------------------------ dict / JSON
    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in self.__dict__.items():
            if key.startswith("_"):
                continue
            out[key] = copy.deepcopy(value)
        out["id2label"] = {str(k): v for k, v in self.id2label.items()}
        out["dtype"] = dtype_name(out.get("dtype"))  # torch.float16 -> "float16", as the reference writes it
        if out.get("architectures") is None:
            out.pop("architectures", None)
        out["model_type"] = self.model_type
        return dict(sorted(out.items()))

    def to_diff_dict(self) -> dict[str, Any]:
        """`to_dict()` without the entries the reference leaves out of a diff: a field common to every
        reference config (`COMMON_DEFAULTS`) is kept only where it differs from that default or from
        this class's default config's; every other field (the RoBERTa ones, unknown keys) is always kept."""
        ours, class_defaults = self.to_dict(), type(self)().to_dict()
        return {
            key: value
            for key, value in ours.items()
            if key not in COMMON_DEFAULTS or value != COMMON_DEFAULTS[key] or value != class_defaults.get(key, value)
        }

    def to_json_string(self, use_diff: bool = True) -> str:
        """The config as sorted, indented JSON: the `to_diff_dict()` (the default, as in the reference) or the
        whole `to_dict()`."""
        return json.dumps(self.to_diff_dict() if use_diff else self.to_dict(), indent=2, sort_keys=True) + "\n"

    def to_json_file(self, json_file_path: str | os.PathLike, use_diff: bool = True) -> None:
        """Write `to_json_string(use_diff)` to `json_file_path`, atomically: the file holds the old text or
        the new one, never a part."""
        atomic_write_text(json_file_path, self.to_json_string(use_diff=use_diff))

    def update(self, config_dict: dict[str, Any]) -> None:
        """Set the attributes named by `config_dict`, as the reference's `update`; labels are kept consistent
        and the result is validated first, so a bad value is a ValueError that leaves this config unchanged."""
        if not isinstance(config_dict, dict):
            raise TypeError(f"update() takes a dict, got {type(config_dict).__name__}")
        trial = copy.deepcopy(self).updated(**config_dict)
        self.__dict__.update(trial.__dict__)

    @classmethod
    def from_dict(cls, data: dict[str, Any], **overrides: Any) -> RobertaConfig:
        merged = dict(data)
        merged.update(overrides)
        return cls(**merged)

    @classmethod
    def from_json_file(cls, path: str | os.PathLike) -> RobertaConfig:
        return cls(**read_json_object(path))

    def save_pretrained(self, save_directory: str | os.PathLike) -> None:
        if os.path.isfile(save_directory):
            raise ValueError(f"save_directory {save_directory} is a file, not a directory")
        os.makedirs(save_directory, exist_ok=True)
        atomic_write_text(os.path.join(save_directory, CONFIG_NAME), self.to_json_string(use_diff=False))

    @classmethod
    def from_pretrained(
        cls, name_or_path: str | os.PathLike | dict, *, return_unused_kwargs: bool = False, **kwargs: Any
    ) -> RobertaConfig | tuple[RobertaConfig, dict[str, Any]]:
        """Read the config of a checkpoint directory (the one that belongs to its committed weights, see
        `roberta.checkpoint.records`), a config.json path, a hub id in the local cache, or a config dict.

        `subfolder` reads DIR/subfolder/config.json (or that path of a cached hub id); `revision` and
        `cache_dir` pick a hub id's cached snapshot; keywords that change nothing offline (`token`, `proxies`,
        ...) are accepted, and `force_download=True` for a hub id is an error (nothing is downloaded).

        Keyword arguments that are config fields override the stored values. With `return_unused_kwargs`,
        returns `(config, unused)` as the reference does: only keywords the config already has are applied,
        the others come back in `unused` (and so does `dtype`, which is applied as well); without it, every
        keyword is set on the config.
        """
        hub_kwargs = pop_hub_kwargs(kwargs)
        subfolder = hub_kwargs.pop("subfolder", None) or ""
        if isinstance(name_or_path, dict):
            config = cls.from_dict(name_or_path)
        elif os.path.isfile(name_or_path) and not subfolder:
            config = cls.from_json_file(name_or_path)
        elif os.path.isdir(name_or_path):
            directory = os.path.join(os.fspath(name_or_path), *Path(subfolder).parts)
            source = committed_config(directory) if os.path.isdir(directory) else None
            if source is None:
                raise CheckpointNotFoundError(f"{directory} has no {CONFIG_NAME}")
            config = cls.from_dict(source) if isinstance(source, dict) else cls.from_json_file(source)
        else:
            config = cls.from_json_file(resolve_file(name_or_path, CONFIG_NAME, subfolder=subfolder, **hub_kwargs))
        if not return_unused_kwargs:
            return config.updated(**kwargs)
        if "torch_dtype" in kwargs:  # the reference reports a legacy torch_dtype back under its new name
            legacy = kwargs.pop("torch_dtype")
            kwargs.setdefault("dtype", legacy)
        used = {k: v for k, v in kwargs.items() if config._has_field(k)}
        config.updated(**used)
        return config, {k: v for k, v in kwargs.items() if k not in used or k == "dtype"}

    def _has_field(self, key: str) -> bool:
        """Whether `key` names a field of this config (the reference's `hasattr` test, methods excluded)."""
        if key == "attn_implementation":
            return True
        return hasattr(self, key) and not callable(getattr(type(self), key, None))

    def updated(self, *, strict: bool = False, **overrides: Any) -> RobertaConfig:
        """Apply field overrides in place (labels kept consistent: `num_labels`, `id2label` with int keys,
        `label2id`) and validate; returns self. With `strict`, a key that is neither a documented field nor
        already in this config is an error (a typo such as `hidden_sise`), naming the closest field."""
        if "num_labels" in overrides and overrides.get("id2label") is not None:
            if int(overrides["num_labels"]) != len(overrides["id2label"]):
                raise ValueError(
                    f"num_labels={overrides['num_labels']} does not match the {len(overrides['id2label'])} entries "
                    f"of id2label"
                )
        if strict:
            known = set(_DEFAULTS) | {"num_labels", "id2label", "label2id", "torch_dtype"} | set(vars(self))
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
            elif key in ("dtype", "torch_dtype"):
                self.dtype = as_dtype(value)
            elif key == "attn_implementation":
                self._attn_implementation = value
            else:
                setattr(self, key, value)
        self.validate()
        return self

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RobertaConfig) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return f"{type(self).__name__} {self.to_json_string()}"


def _wrong_model_type(cls: type, model_type: Any) -> str:
    """The error for a config.json of another model type: the class that reads it, where there is one."""
    from .config_types import CONFIG_CLASSES

    right = CONFIG_CLASSES.get(model_type) if isinstance(model_type, str) else None
    if right is not None:
        return f"this is a {model_type!r} config: use {right.__name__} or AutoConfig, not {cls.__name__}"
    known = ", ".join(repr(t) for t in CONFIG_CLASSES)
    return f"config has model_type={model_type!r}; {cls.__name__} reads model_type {cls.model_type!r} (known: {known})"
