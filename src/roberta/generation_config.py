"""`GenerationConfig`: the decoding options of `generate()`, and their `generation_config.json` I/O.

Field names, defaults and the file format are the reference's (transformers 4.56.2), so a checkpoint's
`generation_config.json` written by either library loads in the other. Only the options that
`roberta.modeling.generation.GenerationMixin.generate` implements are *supported*; the reference's other options
are kept (and written back) at their defaults, and `check_supported()` names any that a config sets, instead of
silently decoding without them. Unknown keys are kept too and round-trip, as in the reference (they parametrize
nothing there either). Framework-free: nothing here imports torch.
"""

from __future__ import annotations

import copy
import json
import logging
import os
from typing import Any

from ._io import atomic_write_text
from .config_common import GENERATION_FILTER_DEFAULTS, read_json_object
from .hub import CheckpointNotFoundError, pop_hub_kwargs, resolve_file

logger = logging.getLogger(__name__)

GENERATION_CONFIG_NAME = "generation_config.json"

# The options generate() implements, with the reference's defaults.
SUPPORTED: dict[str, Any] = {
    "max_length": 20,
    "max_new_tokens": None,
    "min_length": 0,
    "min_new_tokens": None,
    "early_stopping": False,
    "do_sample": False,
    "num_beams": 1,
    "use_cache": True,
    "temperature": 1.0,
    "top_k": 50,
    "top_p": 1.0,
    "length_penalty": 1.0,
    "num_return_sequences": 1,
    "output_scores": False,
    "output_logits": None,
    "return_dict_in_generate": False,
    "pad_token_id": None,
    "bos_token_id": None,
    "eos_token_id": None,
}

# The reference's options that change what it generates, and that generate() does not implement: a config that
# sets one to anything but this default is refused by check_supported().
UNSUPPORTED: dict[str, Any] = {
    "max_time": None,
    "stop_strings": None,
    "num_beam_groups": 1,
    "min_p": None,
    "typical_p": 1.0,
    "epsilon_cutoff": 0.0,
    "eta_cutoff": 0.0,
    "diversity_penalty": 0.0,
    "repetition_penalty": 1.0,
    "encoder_repetition_penalty": 1.0,
    "no_repeat_ngram_size": 0,
    "encoder_no_repeat_ngram_size": 0,
    "bad_words_ids": None,
    "force_words_ids": None,
    "renormalize_logits": False,
    "constraints": None,
    **GENERATION_FILTER_DEFAULTS,
    "sequence_bias": None,
    "token_healing": False,
    "guidance_scale": None,
    "watermarking_config": None,
    "output_attentions": False,
    "output_hidden_states": False,
    "prompt_lookup_num_tokens": None,
    "low_memory": None,
    "penalty_alpha": None,
    "dola_layers": None,
}

# The reference's options that cannot change the tokens of a decoder-only model decoded without an assistant
# (cache layout, compilation, encoder-decoder or assisted-decoding settings): kept, never refused.
INERT: dict[str, Any] = {
    "cache_implementation": None,
    "cache_config": None,
    "return_legacy_cache": None,
    "prefill_chunk_size": None,
    "decoder_start_token_id": None,
    "num_assistant_tokens": 20,
    "num_assistant_tokens_schedule": "constant",
    "assistant_confidence_threshold": 0.4,
    "max_matching_ngram_size": None,
    "assistant_early_exit": None,
    "assistant_lookbehind": 10,
    "target_lookbehind": 10,
    "compile_config": None,
    "disable_compile": False,
}

DEFAULTS: dict[str, Any] = {**SUPPORTED, **UNSUPPORTED, **INERT}
_METADATA = ("transformers_version", "_commit_hash", "_original_object_hash")  # read, never kept
_EARLY_STOPPING = (True, False, "never")
_WARNED: set[tuple[str, str]] = set()


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class GenerationConfig:
    """Decoding options, with the reference's names and defaults (see `SUPPORTED`).

    `GenerationConfig(**options)` validates as the reference does on construction (an `early_stopping` that is not
    a bool or "never", `max_new_tokens` <= 0, `num_return_sequences` that the other options cannot give); `check()`
    does the full checks `generate()` needs.
    """

    def __init__(self, **kwargs: Any) -> None:
        for key, default in DEFAULTS.items():
            setattr(self, key, kwargs.pop(key, copy.deepcopy(default)))
        self._from_model_config = bool(kwargs.pop("_from_model_config", False))
        for key in _METADATA:
            kwargs.pop(key, None)
        if not self._from_model_config:  # as the reference: a model config's other fields are not options
            for key, value in kwargs.items():
                setattr(self, key, value)
        self.validate()

    # ------------------------------------------------------------------ validation
    def validate(self) -> None:
        """The reference's construction-time errors (its other findings are warnings: see `issues()`)."""
        if self.early_stopping not in _EARLY_STOPPING or not isinstance(self.early_stopping, (bool, str)):
            raise ValueError(f"`early_stopping` must be a boolean or 'never', but is {self.early_stopping!r}.")
        if self.max_new_tokens is not None and (not _is_int(self.max_new_tokens) or self.max_new_tokens <= 0):
            raise ValueError(f"`max_new_tokens` must be an integer greater than 0, but is {self.max_new_tokens!r}.")
        if self.num_return_sequences != 1:
            if self.num_beams == 1 and self.do_sample is False:
                raise ValueError(
                    "Greedy methods without beam search do not support `num_return_sequences` different than 1 "
                    f"(got {self.num_return_sequences})."
                )
            if (
                self.num_beams != 1
                and _is_int(self.num_return_sequences)
                and self.num_return_sequences > self.num_beams
            ):
                raise ValueError(
                    f"`num_return_sequences` ({self.num_return_sequences}) has to be smaller or equal to "
                    f"`num_beams` ({self.num_beams})."
                )
        for flag, value in self.issues().items():
            if (flag, value) not in _WARNED:  # once per process, as the reference's warning_once
                _WARNED.add((flag, value))
                logger.warning("generation flag `%s` %s", flag, value)

    def issues(self) -> dict[str, str]:
        """Options set where the chosen decoding ignores them (the reference warns, and refuses to save them)."""
        found = {}
        if self.do_sample is False:
            for key in ("temperature", "top_p", "top_k"):
                if getattr(self, key) is not None and getattr(self, key) != SUPPORTED[key]:
                    found[key] = f"set to {getattr(self, key)!r}, but it is only used with do_sample=True"
        if self.num_beams == 1:
            for key in ("early_stopping", "length_penalty"):
                if getattr(self, key) != SUPPORTED[key]:
                    found[key] = f"set to {getattr(self, key)!r}, but it is only used with num_beams > 1"
        if self.return_dict_in_generate is not True:
            for key in ("output_scores", "output_logits", "output_attentions", "output_hidden_states"):
                if getattr(self, key) is True:
                    found[key] = "set to True, but it is ignored unless return_dict_in_generate=True"
        return found

    def check(self) -> None:
        """Every check `generate()` needs before decoding: types and ranges, then `check_supported()`."""
        self.validate()
        for key in ("max_length", "min_length", "num_beams", "num_return_sequences", "top_k"):
            value = getattr(self, key)
            least = 0 if key in ("min_length", "top_k") else 1
            if not _is_int(value) or value < least:
                raise ValueError(f"`{key}` must be an integer >= {least}, got {value!r}")
        if self.min_new_tokens is not None and (not _is_int(self.min_new_tokens) or self.min_new_tokens < 0):
            raise ValueError(f"`min_new_tokens` must be an integer >= 0, got {self.min_new_tokens!r}")
        if self.do_sample:
            if not isinstance(self.temperature, (int, float)) or self.temperature <= 0:
                raise ValueError(f"`temperature` has to be a strictly positive float, got {self.temperature!r}")
            if not isinstance(self.top_p, (int, float)) or not 0 <= self.top_p <= 1:
                raise ValueError(f"`top_p` has to be a float >= 0 and <= 1, got {self.top_p!r}")
        if not isinstance(self.length_penalty, (int, float)) or isinstance(self.length_penalty, bool):
            raise ValueError(f"`length_penalty` must be a number, got {self.length_penalty!r}")
        for key in ("pad_token_id", "bos_token_id"):
            value = getattr(self, key)
            if value is not None and (not _is_int(value) or value < 0):
                raise ValueError(f"`{key}` must be a token id (an integer >= 0) or None, got {value!r}")
        eos = self.eos_token_id
        if (
            eos is not None
            and not (_is_int(eos) and eos >= 0)
            and not (isinstance(eos, (list, tuple)) and eos and all(_is_int(e) and e >= 0 for e in eos))
        ):
            raise ValueError(f"`eos_token_id` must be a token id, a non-empty list of them, or None, got {eos!r}")
        self.check_supported()

    def check_supported(self) -> None:
        """Refuse the reference's options that generate() does not implement, when set to a non-default value."""
        used = {k: getattr(self, k) for k, default in UNSUPPORTED.items() if getattr(self, k) != default}
        if used:
            listing = ", ".join(f"{k}={v!r}" for k, v in used.items())
            defaults = ", ".join(f"{k}={UNSUPPORTED[k]!r}" for k in used)
            raise ValueError(
                f"generate() does not implement {listing}; set them back to their defaults ({defaults}) in the call "
                f"or in the model's generation_config"
            )

    # ------------------------------------------------------------------ building
    @classmethod
    def from_model_config(cls, model_config: Any) -> GenerationConfig:
        """Defaults taken from a model config, as the reference: every option the model config holds (not None),
        e.g. `bos_token_id`, `eos_token_id`, `pad_token_id`, `use_cache`; its other fields are ignored."""
        data = {k: v for k, v in model_config.to_dict().items() if v is not None and k in DEFAULTS}
        return cls(**data, _from_model_config=True)

    def update(self, **kwargs: Any) -> dict[str, Any]:
        """Set the given options that are attributes of this config, validate, and return the others."""
        unused = {k: v for k, v in kwargs.items() if k not in vars(self) or k.startswith("_")}  # never a method
        for key, value in kwargs.items():
            if key not in unused:
                setattr(self, key, value)
        self.validate()
        return unused

    # ------------------------------------------------------------------ dict / JSON
    def to_dict(self) -> dict[str, Any]:
        return {k: copy.deepcopy(v) for k, v in self.__dict__.items() if k not in _METADATA}

    def to_diff_dict(self) -> dict[str, Any]:
        """The fields that differ from a default `GenerationConfig()` (what the reference writes)."""
        defaults = {**DEFAULTS, "_from_model_config": False}
        return {k: v for k, v in self.to_dict().items() if k not in defaults or v != defaults[k]}

    def to_json_string(self, use_diff: bool = True) -> str:
        return json.dumps(self.to_diff_dict() if use_diff else self.to_dict(), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any], **kwargs: Any) -> GenerationConfig:
        return cls(**{**data, **kwargs})

    @classmethod
    def from_json_file(cls, path: str | os.PathLike) -> GenerationConfig:
        return cls(**read_json_object(path))

    @classmethod
    def from_pretrained(cls, name_or_path: str | os.PathLike, **kwargs: Any) -> GenerationConfig:
        """Read `generation_config.json` from a checkpoint directory or a hub id in the local cache (raises
        `CheckpointNotFoundError`, an `OSError`, when there is none); keyword options override the stored ones."""
        hub = pop_hub_kwargs(kwargs)
        path = resolve_file(name_or_path, GENERATION_CONFIG_NAME, required=False, **hub)
        if path is None:
            raise CheckpointNotFoundError(f"{os.fspath(name_or_path)} has no {GENERATION_CONFIG_NAME}")
        config = cls.from_json_file(path)
        config.update(**kwargs)
        return config

    def save_pretrained(self, save_directory: str | os.PathLike) -> None:
        """Write `generation_config.json` atomically. As the reference, a config with options its decoding
        ignores (see `issues()`) is refused, so that no such file is ever shared."""
        found = self.issues()
        if found:
            listing = "; ".join(f"`{k}` {v}" for k, v in found.items())
            raise ValueError(f"GenerationConfig is invalid: {listing}. Fix these issues to save the configuration.")
        if os.path.isfile(save_directory):
            raise ValueError(f"save_directory {save_directory} is a file, not a directory")
        os.makedirs(save_directory, exist_ok=True)
        atomic_write_text(os.path.join(save_directory, GENERATION_CONFIG_NAME), self.to_json_string())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GenerationConfig) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return f"GenerationConfig {self.to_json_string()}"
