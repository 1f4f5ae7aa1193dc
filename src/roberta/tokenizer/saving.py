"""Reading and writing a tokenizer directory (vocab.json, merges.txt, tokenizer_config.json,
special_tokens_map.json, ...): `save_pretrained`, `save_vocabulary` and `from_pretrained`."""

from __future__ import annotations

import json
import os
from typing import Any, TypeVar

from .._io import atomic_write_text, read_json
from ..hub import pop_hub_kwargs, resolve_file
from .bpe import format_merges
from .special_tokens import SPECIAL_TOKEN_ATTRIBUTES, added_token_from_json, added_token_to_dict

CONFIG_FILE = "tokenizer_config.json"
SPECIAL_TOKENS_FILE = "special_tokens_map.json"
ADDED_TOKENS_FILE = "added_tokens.json"
# from_pretrained arguments of the reference that do not apply here (one tokenizer class per file layout); the
# hub and offline no-op keywords are hub.pop_hub_kwargs's
_IGNORED_KWARGS = ("use_fast", "from_slow")
# Keys of tokenizer_config.json that become constructor arguments.
_CONFIG_KEYS = (
    "model_max_length",
    "padding_side",
    "truncation_side",
    "clean_up_tokenization_spaces",
    "add_prefix_space",
    "errors",
    "trim_offsets",
    "model_input_names",
    "split_special_tokens",
)


def read_init_kwargs(name_or_path: str | os.PathLike, hub_kwargs: dict[str, Any]) -> dict[str, Any]:
    """Constructor keyword arguments stored in a checkpoint's tokenizer_config.json / special_tokens_map.json."""
    kwargs: dict[str, Any] = {}
    special_path = resolve_file(name_or_path, SPECIAL_TOKENS_FILE, required=False, **hub_kwargs)
    if special_path:
        special = read_json(special_path)
        for name in SPECIAL_TOKEN_ATTRIBUTES:
            if name in special:
                kwargs[name] = added_token_from_json(special[name], special=True)
        _read_additional(special, kwargs)
    config_path = resolve_file(name_or_path, CONFIG_FILE, required=False, **hub_kwargs)
    if config_path:
        config = read_json(config_path)
        if not isinstance(config, dict):
            raise ValueError(f"{config_path} must hold a JSON object")
        for key in _CONFIG_KEYS:
            if key in config:
                kwargs[key] = config[key]
        for name in SPECIAL_TOKEN_ATTRIBUTES:
            if name in config:
                kwargs[name] = added_token_from_json(config[name], special=True)
        _read_additional(config, kwargs)
        decoder = config.get("added_tokens_decoder")
        if decoder:
            kwargs["added_tokens_decoder"] = {
                int(i): added_token_from_json(t, special=False) for i, t in decoder.items()
            }
        for name in SPECIAL_TOKEN_ATTRIBUTES:  # a string special token keeps the flags stored with its id
            if isinstance(kwargs.get(name), str) and decoder:
                for tok in kwargs["added_tokens_decoder"].values():
                    if tok.content == kwargs[name]:
                        kwargs[name] = tok
    added_path = resolve_file(name_or_path, ADDED_TOKENS_FILE, required=False, **hub_kwargs)
    if added_path and "added_tokens_decoder" not in kwargs:
        added = read_json(added_path)
        from tokenizers import AddedToken

        kwargs["added_tokens_decoder"] = {
            int(i): AddedToken(t, normalized=True, special=False) for t, i in added.items()
        }
    return kwargs


def _read_additional(stored: dict[str, Any], kwargs: dict[str, Any]) -> None:
    tokens = stored.get("additional_special_tokens")
    if tokens:
        kwargs["additional_special_tokens"] = [added_token_from_json(t, special=True) for t in tokens]


def write_config_files(
    tok: Any, directory: str, tokenizer_class: str, settings: dict[str, Any] | None = None
) -> list[str]:
    """Write tokenizer_config.json and special_tokens_map.json for `tok`; returns the paths. `settings` are
    the constructor settings of `tok`'s class that the file keeps (by default RoBERTa's: `add_prefix_space`,
    `errors` and, for the fast tokenizer, `trim_offsets`)."""
    if settings is None:
        settings = {"add_prefix_space": tok.add_prefix_space, "errors": tok.errors}
        if hasattr(tok, "trim_offsets"):
            settings["trim_offsets"] = tok.trim_offsets
    extended = tok.special_tokens_map_extended
    config: dict[str, Any] = {
        "added_tokens_decoder": {str(i): added_token_to_dict(t) for i, t in sorted(tok.added_tokens_decoder.items())},
        **settings,
    }
    for name, value in sorted(extended.items()):
        config[name] = str(value)
    if tok.additional_special_tokens:
        config["additional_special_tokens"] = list(tok.additional_special_tokens)
    config.update(
        {
            "clean_up_tokenization_spaces": tok.clean_up_tokenization_spaces,
            "extra_special_tokens": {},
            "model_max_length": tok.model_max_length,
            "tokenizer_class": tokenizer_class,
        }
    )
    if tok.padding_side != "right":
        config["padding_side"] = tok.padding_side
    if tok.truncation_side != "right":
        config["truncation_side"] = tok.truncation_side
    special_map: dict[str, Any] = {}
    for name, value in sorted(extended.items()):
        if isinstance(value, str):
            special_map[name] = value
        else:
            special_map[name] = added_token_to_dict(value, with_special=False)
    if tok.additional_special_tokens:
        special_map["additional_special_tokens"] = list(tok.additional_special_tokens)
    config_path = os.path.join(directory, CONFIG_FILE)
    special_path = os.path.join(directory, SPECIAL_TOKENS_FILE)
    atomic_write_text(config_path, json.dumps(dict(sorted(config.items())), indent=2, ensure_ascii=False) + "\n")
    atomic_write_text(special_path, json.dumps(special_map, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    return [config_path, special_path]


_Tokenizer = TypeVar("_Tokenizer", bound="SavingMixin")


class SavingMixin:
    """Saving and loading tokenizer directories; subclasses provide `_vocabulary` (vocab.json and merges.txt
    as tables) and may write more files in `_save_extra`."""

    vocab_files_names: dict[str, str]

    def save_pretrained(
        self,
        save_directory: str | os.PathLike,
        legacy_format: bool | None = None,
        filename_prefix: str | None = None,
        **kwargs: Any,
    ) -> tuple[str, ...]:
        """Write vocab.json, merges.txt (`_save_vocabulary_files`), tokenizer_config.json (recording
        `saved_class_name` and `_saved_settings`), special_tokens_map.json and `_save_extra`'s files, each
        atomically."""
        directory = os.fspath(save_directory)
        if os.path.isfile(directory):
            raise ValueError(f"save_directory ({directory}) should be a directory, not a file")
        os.makedirs(directory, exist_ok=True)
        files = write_config_files(self, directory, self.saved_class_name, settings=self._saved_settings())
        files += self._save_vocabulary_files(directory, filename_prefix)
        files += self._save_extra(directory)
        return tuple(files)

    saved_class_name = "RobertaTokenizer"  # the class tokenizer_config.json records (the slow one, for both)

    def _saved_settings(self) -> dict[str, Any] | None:
        """Settings of this class that tokenizer_config.json records besides the shared ones."""
        return None

    def _save_vocabulary_files(self, directory: str, filename_prefix: str | None) -> list[str]:
        return list(self.save_vocabulary(directory, filename_prefix=filename_prefix))

    def _save_extra(self, directory: str) -> list[str]:
        return []

    def save_vocabulary(self, save_directory: str | os.PathLike, filename_prefix: str | None = None) -> tuple[str, str]:
        """Write vocab.json and merges.txt into `save_directory` (as the reference's slow tokenizer writes
        them); returns their paths."""
        directory = os.fspath(save_directory)
        if not os.path.isdir(directory):
            raise ValueError(f"Vocabulary path ({directory}) should be a directory")
        prefix = filename_prefix + "-" if filename_prefix else ""
        vocab, ranks = self._vocabulary()
        vocab_path = os.path.join(directory, prefix + "vocab.json")
        merges_path = os.path.join(directory, prefix + "merges.txt")
        atomic_write_text(vocab_path, json.dumps(vocab, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
        atomic_write_text(merges_path, format_merges(ranks))
        return vocab_path, merges_path

    @classmethod
    def from_pretrained(
        cls: type[_Tokenizer], pretrained_model_name_or_path: str | os.PathLike, *init_inputs: Any, **kwargs: Any
    ) -> _Tokenizer:
        """Load from a directory (or a hub id already in the local cache); `kwargs` override saved settings."""
        hub = pop_hub_kwargs(kwargs)
        for ignored in _IGNORED_KWARGS:
            kwargs.pop(ignored, None)
        init = read_init_kwargs(pretrained_model_name_or_path, hub)
        init.update(kwargs)
        init["name_or_path"] = os.fspath(pretrained_model_name_or_path)
        files = cls._resolve_files(pretrained_model_name_or_path, hub)
        return cls(*init_inputs, **files, **init)

    @classmethod
    def _resolve_files(cls, name_or_path: str | os.PathLike, hub: dict[str, Any]) -> dict[str, str | None]:
        """The vocabulary files (`vocab_files_names`) a checkpoint holds; an error naming what is missing
        unless they suffice (`_enough_files`)."""
        names = {"tokenizer_file": "tokenizer.json"} | cls.vocab_files_names  # the slow one ignores tokenizer.json
        found = {arg: resolve_file(name_or_path, name, required=False, **hub) for arg, name in names.items()}
        if not cls._enough_files(found):
            wanted = " + ".join(cls.vocab_files_names[a] for a in ("vocab_file", "merges_file"))
            extra = " (or tokenizer.json)" if "tokenizer_file" in cls.vocab_files_names else ""
            raise FileNotFoundError(f"{os.fspath(name_or_path)} holds no tokenizer files: expected {wanted}{extra}")
        return found

    @classmethod
    def _enough_files(cls, found: dict[str, str | None]) -> bool:
        return found.get("vocab_file") is not None and found.get("merges_file") is not None
