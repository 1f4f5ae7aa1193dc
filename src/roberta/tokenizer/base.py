"""The Hugging Face tokenizer surface shared by `RobertaTokenizer` and `RobertaTokenizerFast`.

The two tokenizers supply a small backend half: encoding (`_encode_batch`), decoding, and the vocabulary
(`_lookup`, `_token_of`, `_add_to_vocabulary`, `_vocabulary`). This class holds everything else: the
user-facing options (resolved once into `EncodeOptions`), padding, RoBERTa's special-token layout, token <-> id
conversion, adding tokens, and saving / loading tokenizer directories.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from typing import Any

from tokenizers import AddedToken

from .._io import atomic_write_text
from ..hub import pop_hub_kwargs, resolve_file
from .bpe import format_merges
from .encoding import BatchEncoding
from .options import (
    ENCODE_OPTIONS,
    LARGE_INTEGER,
    EncodeOptions,
    PaddingStrategy,
    TruncationStrategy,
    pad_row,
    resolve_strategies,
)
from .saving import read_init_kwargs, write_config_files
from .special_tokens import DEFAULT_SPECIAL_TOKENS, SPECIAL_TOKEN_ATTRIBUTES, SpecialTokensMixin, TokenLike
from .state import TokenizerStateMixin

logger = logging.getLogger(__name__)

TextInput = str | Sequence[str]


def _is_text_input(t: Any) -> bool:
    if isinstance(t, str):
        return True
    if isinstance(t, (list, tuple)):
        if len(t) == 0 or isinstance(t[0], str):
            return True
        if isinstance(t[0], (list, tuple)):
            return len(t[0]) == 0 or isinstance(t[0][0], str)
    return False


def _to_py(value: Any) -> Any:
    if hasattr(value, "numpy") and not hasattr(value, "tolist"):  # a TensorFlow tensor
        value = value.numpy()
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [_to_py(v) for v in value]
    return value


def clean_up_tokenization(text: str) -> str:
    """Remove the spaces before punctuation and English contractions (" ." -> ".", " 's" -> "'s", ...)."""
    for old, new in (
        (" .", "."),
        (" ?", "?"),
        (" !", "!"),
        (" ,", ","),
        (" ' ", "'"),
        (" n't", "n't"),
        (" 'm", "'m"),
        (" 's", "'s"),
        (" 've", "'ve"),
        (" 're", "'re"),
    ):
        text = text.replace(old, new)
    return text


# __call__'s padding arguments, resolved into EncodeOptions' strategies by _options
_PADDING_ARGS = ("padding", "truncation", "max_length", "pad_to_multiple_of", "padding_side")


class RobertaTokenizerBase(TokenizerStateMixin, SpecialTokensMixin):
    """Shared encode/pad/decode/save logic of the RoBERTa tokenizers."""

    model_input_names: list[str] = ["input_ids", "attention_mask"]
    vocab_files_names = {"vocab_file": "vocab.json", "merges_file": "merges.txt"}
    is_fast = False

    def __init__(
        self,
        *,
        errors: str = "replace",
        add_prefix_space: bool = False,
        model_max_length: int | None = None,
        padding_side: str = "right",
        truncation_side: str = "right",
        clean_up_tokenization_spaces: bool = False,
        model_input_names: list[str] | None = None,
        split_special_tokens: bool = False,
        name_or_path: str | os.PathLike = "",
        **special_tokens: Any,
    ) -> None:
        unknown = set(special_tokens) - set(SPECIAL_TOKEN_ATTRIBUTES)
        if unknown:
            raise TypeError(f"unexpected keyword argument(s) {sorted(unknown)} for {type(self).__name__}")
        for name, value in (("padding_side", padding_side), ("truncation_side", truncation_side)):
            if value not in ("left", "right"):
                raise ValueError(f"{name} must be 'left' or 'right', got {value!r}")
        self.errors = errors
        self.add_prefix_space = bool(add_prefix_space)
        self.model_max_length = LARGE_INTEGER if model_max_length is None else int(model_max_length)
        self.padding_side = padding_side
        self.truncation_side = truncation_side
        self.clean_up_tokenization_spaces = clean_up_tokenization_spaces
        self.split_special_tokens = split_special_tokens
        if model_input_names is not None:
            self.model_input_names = list(model_input_names)
        self.name_or_path = os.fspath(name_or_path)

    # ----------------------------------------------------------------- hooks for subclasses
    def _encode_batch(self, inputs: list[tuple[Any, Any]], *, single: bool, options: EncodeOptions) -> BatchEncoding:
        raise NotImplementedError

    # ----------------------------------------------------------------- the backend's half (slow.py, fast.py)
    def _lookup(self, token: str) -> int | None:
        """The id of a token of the vocabulary or an added token; None when there is none (no <unk> here)."""
        raise NotImplementedError

    def _token_of(self, index: int) -> str | None:
        raise NotImplementedError

    def _add_to_vocabulary(self, tokens: list[TokenLike], special: bool) -> int:
        """Add tokens that are never split; returns how many new ids were created."""
        raise NotImplementedError

    def _vocabulary(self) -> tuple[dict[str, int], dict[tuple[str, str], int]]:
        """The base vocabulary (token -> id) and the merge ranks, as vocab.json and merges.txt hold them."""
        raise NotImplementedError

    # ----------------------------------------------------------------- vocabulary
    def convert_tokens_to_ids(self, tokens: str | list[str] | None) -> int | list[int] | None:
        """Token (or list of tokens) -> id(s); unknown tokens map to the unk id."""
        if tokens is None:
            return None
        if isinstance(tokens, str):
            return self._token_to_id(tokens)
        lookup, unk = self._lookup, None  # a hot loop in the slow tokenizer: one call per token
        out = []
        for token in tokens:
            index = lookup(token)
            if index is None:
                index = unk = self._token_to_id(token) if unk is None else unk
            out.append(index)
        return out

    def _token_to_id(self, token: str) -> int | None:
        index = self._lookup(token)
        if index is not None:
            return index
        unk = self._special_tokens.get("unk_token")
        return None if unk is None else self._lookup(str(unk))

    def convert_ids_to_tokens(self, ids: Any, skip_special_tokens: bool = False) -> Any:
        """Id (or list of ids) -> token(s); with `skip_special_tokens`, special ids are dropped from lists."""
        if isinstance(ids, int):
            return self._token_of(ids)
        skip = set(self.all_special_ids) if skip_special_tokens else ()
        return [self._token_of(int(i)) for i in ids if int(i) not in skip]

    def get_added_vocab(self) -> dict[str, int]:
        """Content -> id of the added (and special) tokens, by id."""
        return {t.content: i for i, t in sorted(self.added_tokens_decoder.items())}

    @property
    def max_len_single_sentence(self) -> int:
        """The longest single sequence the model takes, less the special tokens added around it."""
        return self.model_max_length - self.num_special_tokens_to_add(pair=False)

    @max_len_single_sentence.setter
    def max_len_single_sentence(self, value: int) -> None:
        _check_derived_length(self, "max_len_single_sentence", value)

    @property
    def max_len_sentences_pair(self) -> int:
        """The longest pair of sequences (both together) the model takes, less the special tokens."""
        return self.model_max_length - self.num_special_tokens_to_add(pair=True)

    @max_len_sentences_pair.setter
    def max_len_sentences_pair(self, value: int) -> None:
        _check_derived_length(self, "max_len_sentences_pair", value)

    def add_tokens(self, new_tokens: TokenLike | list[TokenLike], special_tokens: bool = False) -> int:
        """Add tokens that are never split; returns how many new ids were created."""
        if not isinstance(new_tokens, (list, tuple)):
            new_tokens = [new_tokens]
        for t in new_tokens:
            if not isinstance(t, (str, AddedToken)):
                raise TypeError(f"tokens must be str or AddedToken, got {type(t).__name__}")
        return self._add_to_vocabulary(list(new_tokens), special_tokens)

    def add_special_tokens(
        self, special_tokens_dict: dict[str, Any], replace_additional_special_tokens: bool = True
    ) -> int:
        """Set special tokens by role (e.g. {"pad_token": "<pad>"}) and add them to the vocabulary."""
        new: list[TokenLike] = []
        for name, value in special_tokens_dict.items():
            if name == "additional_special_tokens":
                strs = [str(v) for v in value]
                if replace_additional_special_tokens:
                    self.additional_special_tokens = strs
                else:
                    self.additional_special_tokens += [t for t in strs if t not in self.additional_special_tokens]
                new += list(value)
            elif name in self._special_tokens:
                self._special_tokens[name] = value
                new.append(value)
            else:
                raise ValueError(f"{name!r} is not a special-token role; use one of {list(self._special_tokens)}")
        return self.add_tokens(new, special_tokens=True)

    def _decode(self, ids: list[int], skip_special_tokens: bool, **kwargs: Any) -> str:
        raise NotImplementedError

    # ----------------------------------------------------------------- encoding
    def __call__(
        self,
        text: Any = None,
        text_pair: Any = None,
        add_special_tokens: bool = True,
        padding: Any = False,
        truncation: Any = None,
        max_length: int | None = None,
        stride: int = 0,
        is_split_into_words: bool = False,
        pad_to_multiple_of: int | None = None,
        padding_side: str | None = None,
        return_tensors: str | None = None,
        return_token_type_ids: bool | None = None,
        return_attention_mask: bool | None = None,
        return_overflowing_tokens: bool = False,
        return_special_tokens_mask: bool = False,
        return_offsets_mapping: bool = False,
        return_length: bool = False,
        verbose: bool = True,
        **kwargs: Any,
    ) -> BatchEncoding:
        """Tokenize a string, a pair, a batch of strings/pairs or pre-split words, ready for the model."""
        if text is None:
            raise ValueError("You need to specify `text` (a string, a list of strings or a list of word lists).")
        for name, value in (("text", text), ("text_pair", text_pair)):
            if value is not None and not _is_text_input(value):
                raise ValueError(
                    f"{name} must be a str (one example), a list[str] (a batch, or one pre-split "
                    f"example) or a list[list[str]] (a batch of pre-split examples); got {value!r:.80}"
                )
        options = {k: v for k, v in locals().items() if k in ENCODE_OPTIONS or k in _PADDING_ARGS}
        options.update(kwargs)
        if is_split_into_words:
            batched = isinstance(text, (list, tuple)) and bool(text) and isinstance(text[0], (list, tuple))
        else:
            batched = isinstance(text, (list, tuple))
        if not batched:
            return self.encode_plus(text, text_pair, **options)
        if isinstance(text_pair, str):
            raise TypeError(
                "when tokenizing batches of text, `text_pair` must be a list or tuple with the same length as `text`."
            )
        if text_pair is not None and len(text) != len(text_pair):
            raise ValueError(
                f"batch length of `text`: {len(text)} does not match batch length of `text_pair`: {len(text_pair)}."
            )
        pairs = list(zip(text, text_pair)) if text_pair is not None else text
        return self.batch_encode_plus(pairs, **options)

    def _options(
        self,
        padding: Any,
        truncation: Any,
        max_length: int | None,
        pad_to_multiple_of: int | None,
        padding_side: str | None,
        kwargs: dict[str, Any],
    ) -> EncodeOptions:
        pad, trunc, max_length = resolve_strategies(self, padding, truncation, max_length, pad_to_multiple_of)
        if padding_side is not None and padding_side not in ("left", "right"):
            raise ValueError(f"padding_side must be 'left' or 'right', got {padding_side!r}")
        tensors = kwargs.get("return_tensors")
        if tensors is not None and getattr(tensors, "value", tensors) not in ("pt", "np", "jax", "tf"):
            raise ValueError(f"return_tensors must be 'pt', 'np', 'jax', 'tf' or None, got {tensors!r}")
        known: dict[str, Any] = {"split_special_tokens": self.split_special_tokens}
        extra: dict[str, Any] = {}
        for key, value in kwargs.items():
            (known if key in ENCODE_OPTIONS else extra)[key] = value
        return EncodeOptions(
            padding_strategy=pad,
            truncation_strategy=trunc,
            max_length=max_length,
            pad_to_multiple_of=pad_to_multiple_of,
            padding_side=padding_side or self.padding_side,
            extra=extra,
            **known,
        )

    def encode_plus(
        self,
        text: Any,
        text_pair: Any = None,
        *,
        padding: Any = False,
        truncation: Any = None,
        max_length: int | None = None,
        pad_to_multiple_of: int | None = None,
        padding_side: str | None = None,
        **kwargs: Any,
    ) -> BatchEncoding:
        """Encode one example (a string, pre-split words or ids) or one pair; returns unbatched lists."""
        options = self._options(padding, truncation, max_length, pad_to_multiple_of, padding_side, kwargs)
        return self._encode_batch([(text, text_pair)], single=True, options=options)

    def batch_encode_plus(
        self,
        batch_text_or_text_pairs: Sequence[Any],
        *,
        padding: Any = False,
        truncation: Any = None,
        max_length: int | None = None,
        pad_to_multiple_of: int | None = None,
        padding_side: str | None = None,
        **kwargs: Any,
    ) -> BatchEncoding:
        """Encode a batch of examples; an example may be a (text, text_pair) tuple."""
        if not isinstance(batch_text_or_text_pairs, (list, tuple)):
            raise TypeError(
                f"batch_text_or_text_pairs has to be a list or a tuple (got {type(batch_text_or_text_pairs).__name__})"
            )
        options = self._options(padding, truncation, max_length, pad_to_multiple_of, padding_side, kwargs)
        split = options.is_split_into_words
        inputs = []
        for item in batch_text_or_text_pairs:
            if not isinstance(item, (list, tuple)) or (split and not isinstance(item[0], (list, tuple))):
                inputs.append((item, None))
            else:
                if len(item) != 2:
                    raise ValueError(
                        f"a batch item that is a list/tuple must be a (text, text_pair) pair, got "
                        f"{len(item)} elements; pass is_split_into_words=True for pre-split words"
                    )
                inputs.append((item[0], item[1]))
        return self._encode_batch(inputs, single=False, options=options)

    def encode(self, text: Any, text_pair: Any = None, add_special_tokens: bool = True, **kwargs: Any) -> list[int]:
        """Return the input ids of one example or pair."""
        return self.encode_plus(text, text_pair, add_special_tokens=add_special_tokens, **kwargs)["input_ids"]

    # ----------------------------------------------------------------- padding
    def pad(
        self,
        encoded_inputs: Any,
        padding: Any = True,
        max_length: int | None = None,
        pad_to_multiple_of: int | None = None,
        padding_side: str | None = None,
        return_attention_mask: bool | None = None,
        return_tensors: str | None = None,
        verbose: bool = True,
    ) -> BatchEncoding:
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
            data = {k: _to_py(v) for k, v in data.items()}
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

    # ----------------------------------------------------------------- RoBERTa layout
    def build_inputs_with_special_tokens(
        self, token_ids_0: list[int], token_ids_1: list[int] | None = None
    ) -> list[int]:
        """`<s> A </s>` for one sequence, `<s> A </s></s> B </s>` for a pair."""
        cls, sep = [self.cls_token_id], [self.sep_token_id]
        if token_ids_1 is None:
            return cls + list(token_ids_0) + sep
        return cls + list(token_ids_0) + sep + sep + list(token_ids_1) + sep

    def get_special_tokens_mask(
        self, token_ids_0: list[int], token_ids_1: list[int] | None = None, already_has_special_tokens: bool = False
    ) -> list[int]:
        """1 for special tokens, 0 for sequence tokens, for the layout `build_inputs_with_special_tokens` makes."""
        if already_has_special_tokens:
            if token_ids_1 is not None:
                raise ValueError(
                    "You should not supply a second sequence if the provided sequence of ids is "
                    "already formatted with special tokens for the model."
                )
            special = set(self.all_special_ids)
            return [1 if t in special else 0 for t in token_ids_0]
        if token_ids_1 is None:
            return [1] + [0] * len(token_ids_0) + [1]
        return [1] + [0] * len(token_ids_0) + [1, 1] + [0] * len(token_ids_1) + [1]

    def create_token_type_ids_from_sequences(
        self, token_ids_0: list[int], token_ids_1: list[int] | None = None
    ) -> list[int]:
        """RoBERTa does not use token types: all zeros, one per token of the built input."""
        return [0] * len(self.build_inputs_with_special_tokens(token_ids_0, token_ids_1))

    def num_special_tokens_to_add(self, pair: bool = False) -> int:
        """How many special tokens `build_inputs_with_special_tokens` adds (2, or 4 for a pair)."""
        return 4 if pair else 2

    # ----------------------------------------------------------------- decoding
    def decode(
        self,
        token_ids: Any,
        skip_special_tokens: bool = False,
        clean_up_tokenization_spaces: bool | None = None,
        **kwargs: Any,
    ) -> str:
        """Turn ids back into text."""
        ids = _to_py(token_ids)
        if isinstance(ids, int):
            ids = [ids]
        if not isinstance(ids, list) or any(not isinstance(i, int) for i in ids):
            raise TypeError(f"decode() takes an int or a flat sequence of ints, got {token_ids!r:.80}")
        text = self._decode(ids, skip_special_tokens, **kwargs)
        if clean_up_tokenization_spaces is None:
            clean_up_tokenization_spaces = self.clean_up_tokenization_spaces
        return clean_up_tokenization(text) if clean_up_tokenization_spaces else text

    def batch_decode(
        self,
        sequences: Any,
        skip_special_tokens: bool = False,
        clean_up_tokenization_spaces: bool | None = None,
        **kwargs: Any,
    ) -> list[str]:
        """`decode` each row of `sequences`."""
        return [
            self.decode(
                seq,
                skip_special_tokens=skip_special_tokens,
                clean_up_tokenization_spaces=clean_up_tokenization_spaces,
                **kwargs,
            )
            for seq in _to_py(sequences)
        ]

    clean_up_tokenization = staticmethod(clean_up_tokenization)

    # ----------------------------------------------------------------- saving / loading
    def save_pretrained(
        self,
        save_directory: str | os.PathLike,
        legacy_format: bool | None = None,
        filename_prefix: str | None = None,
        **kwargs: Any,
    ) -> tuple[str, ...]:
        """Write vocab.json, merges.txt, tokenizer_config.json, special_tokens_map.json (each atomically)."""
        directory = os.fspath(save_directory)
        if os.path.isfile(directory):
            raise ValueError(f"save_directory ({directory}) should be a directory, not a file")
        os.makedirs(directory, exist_ok=True)
        files = write_config_files(self, directory, "RobertaTokenizer")
        files += list(self.save_vocabulary(directory, filename_prefix=filename_prefix))
        files += self._save_extra(directory)
        return tuple(files)

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
        cls, pretrained_model_name_or_path: str | os.PathLike, *init_inputs: Any, **kwargs: Any
    ) -> RobertaTokenizerBase:
        """Load from a directory (or a hub id already in the local cache); `kwargs` override saved settings."""
        hub = pop_hub_kwargs(kwargs)
        for ignored in ("use_fast", "from_slow"):
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

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(name_or_path={self.name_or_path!r}, vocab_size={self.vocab_size}, "
            f"model_max_length={self.model_max_length}, padding_side={self.padding_side!r}, "
            f"special_tokens={self.special_tokens_map})"
        )


def _check_derived_length(tok: Any, name: str, value: int) -> None:
    """The reference's setters of the derived lengths: setting the value they already have warns (once per
    tokenizer: deprecated), any other value is an error."""
    if value != getattr(tok, name):
        raise ValueError(f"Setting '{name}' is now deprecated. This value is automatically set up.")
    warned = tok.__dict__.setdefault("deprecation_warnings", {})
    if not warned.get(name):
        logger.warning("Setting '%s' is now deprecated. This value is automatically set up.", name)
    warned[name] = True


def default_special_tokens(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Pop the special-token arguments from `kwargs`, filling RoBERTa's defaults."""
    return {name: kwargs.pop(name, DEFAULT_SPECIAL_TOKENS[name]) for name in SPECIAL_TOKEN_ATTRIBUTES}


__all__ = ["RobertaTokenizerBase", "TruncationStrategy", "PaddingStrategy", "clean_up_tokenization"]
