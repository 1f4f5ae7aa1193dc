"""`RobertaTokenizer`: the pure-Python byte-level BPE tokenizer (HF `RobertaTokenizer` compatible)."""

from __future__ import annotations

import json
import os
from typing import Any

import regex
from tokenizers import AddedToken

from roberta._io import atomic_write_text

from .base import RobertaTokenizerBase, default_special_tokens
from .bpe import BytePairEncoder, format_merges, load_merges, load_vocab, parse_merges, symbols_to_bytes
from .encoding import BatchEncoding
from .options import EncodeOptions, PaddingStrategy, TruncationStrategy, pad_row
from .special_tokens import TokenLike
from .truncation import truncate_pair


def _as_added(
    token: str | AddedToken, special: bool, lstrip: bool = False, normalized: bool | None = None
) -> AddedToken:
    if isinstance(token, AddedToken):
        return token
    if not isinstance(token, str):
        raise TypeError(f"tokens must be str or AddedToken, got {type(token).__name__}")
    return AddedToken(
        token,
        lstrip=lstrip,
        rstrip=False,
        special=special,
        normalized=(not special) if normalized is None else normalized,
    )


class RobertaTokenizer(RobertaTokenizerBase):
    """RoBERTa's byte-level BPE tokenizer in pure Python.

    A word is encoded differently at the start of a text ("Hello" -> 31414) than after a space
    (" Hello" -> 20920); `add_prefix_space=True` makes the first word behave like the others.
    Special tokens (`<s> </s> <pad> <unk> <mask>`) in the text are kept whole; `<mask>` absorbs the
    whitespace on its left.
    """

    def __init__(
        self,
        vocab_file: str | os.PathLike,
        merges_file: str | os.PathLike,
        errors: str = "replace",
        add_prefix_space: bool = False,
        added_tokens_decoder: dict[int, AddedToken] | None = None,
        **kwargs: Any,
    ) -> None:
        special = default_special_tokens(kwargs)
        additional = list(kwargs.pop("additional_special_tokens", None) or [])
        tokens: dict[str, Any] = {}
        for name, value in special.items():
            if value is not None:
                value = _as_added(
                    value,
                    special=False,  # marked below, after init_kwargs took its copy (as in the reference)
                    lstrip=(name == "mask_token"),
                    normalized=False if name == "mask_token" else True,
                )
            tokens[name] = value
        self._remember_init_kwargs(
            dict(errors=errors, **tokens, add_prefix_space=add_prefix_space, **kwargs)
            | ({"additional_special_tokens": additional} if additional else {})
        )
        for name, value in special.items():
            if isinstance(value, str):
                tokens[name].special = True
        kwargs.pop("tokenizer_file", None)
        kwargs.pop("trim_offsets", None)
        self.encoder: dict[str, int] = load_vocab(vocab_file)
        self.bpe_ranks = load_merges(merges_file)
        self._bpe = BytePairEncoder(self.bpe_ranks)
        super().__init__(errors=errors, add_prefix_space=add_prefix_space, **kwargs)
        self._setup_added_tokens(tokens, additional, added_tokens_decoder)

    def _setup_added_tokens(self, tokens: dict, additional: list, added_tokens_decoder: dict | None) -> None:
        """Register the special tokens by role, the stored added tokens, then the specials still missing."""
        self._added_decoder: dict[int, AddedToken] = {}
        self._added_encoder: dict[str, int] = {}
        self._reset_transient()  # the id -> token table and the added-token pattern
        self._init_special_tokens(tokens, additional)
        for index, token in sorted((added_tokens_decoder or {}).items()):
            if token.content not in self._added_encoder:
                self._register(token, index)
        self._add_to_vocabulary([t for t in tokens.values() if t is not None] + additional, special=True)

    # the reference's slow tokenizer keeps the tokenizer.json it was loaded beside (and does not read it)
    _not_init_kwargs = RobertaTokenizerBase._not_init_kwargs - {"tokenizer_file"}

    # the added-token splitting pattern (compiled on first use) and the id -> token table (the vocabulary's
    # inverse): not pickled (see state.py), which keeps the pickle `datasets` hashes smaller too
    _transient = ("_split_pattern", "decoder")

    def _reset_transient(self) -> None:
        self._split_pattern: regex.Pattern | None = None
        self.decoder: dict[int, str] = {i: t for t, i in self.encoder.items()}

    def __getstate__(self) -> dict[str, Any]:
        # The vocabulary and merges as their files' texts: `datasets` hashes the tokenizer's pickle at every
        # `.map`, and two strings hash in a fraction of the time of two 50k-entry dicts.
        state = super().__getstate__()
        state["encoder"] = json.dumps(self.encoder, ensure_ascii=False)
        state["bpe_ranks"] = format_merges(self.bpe_ranks)
        del state["_bpe"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state, encoder=json.loads(state["encoder"]))
        state["bpe_ranks"] = parse_merges(state["bpe_ranks"].split("\n"))
        state["_bpe"] = BytePairEncoder(state["bpe_ranks"])
        super().__setstate__(state)

    # ----------------------------------------------------------------- vocabulary
    @property
    def vocab_size(self) -> int:
        """Size of the base vocabulary (without added tokens)."""
        return len(self.encoder)

    def get_vocab(self) -> dict[str, int]:
        """Token -> id, including added tokens."""
        vocab = dict(self.encoder)
        vocab.update(self._added_encoder)
        return vocab

    def __len__(self) -> int:
        return len(self.get_vocab())

    @property
    def added_tokens_decoder(self) -> dict[int, AddedToken]:
        """Id -> AddedToken of the added (and special) tokens."""
        return dict(sorted(self._added_decoder.items()))

    @property
    def added_tokens_encoder(self) -> dict[str, int]:
        """Content -> id of the added (and special) tokens."""
        return {t.content: i for i, t in sorted(self._added_decoder.items())}

    def _register(self, token: AddedToken, index: int) -> None:
        self._added_decoder[index] = token
        self._added_encoder[token.content] = index
        self._split_pattern = None

    def _add_to_vocabulary(self, tokens: list[TokenLike], special: bool) -> int:
        added = 0
        for token in tokens:
            token = _as_added(token, special=special)
            if not token.content:
                raise ValueError("cannot add an empty token")
            if token.content in self._added_encoder:
                continue
            if special:
                token.special = True
            index = self.encoder.get(token.content)
            if index is None:
                index = len(self)
                added += 1
            self._register(token, index)
        return added

    def _lookup(self, token: str) -> int | None:
        index = self._added_encoder.get(token)
        return index if index is not None else self.encoder.get(token)

    def _token_of(self, index: int) -> str | None:
        token = self._added_decoder.get(index)
        return token.content if token is not None else self.decoder.get(index)

    def _vocabulary(self) -> tuple[dict[str, int], dict[tuple[str, str], int]]:
        return self.encoder, self.bpe_ranks

    def convert_tokens_to_string(self, tokens: list[str]) -> str:
        """Join byte-level tokens and decode their bytes as UTF-8 (`errors` handles invalid bytes)."""
        return symbols_to_bytes("".join(tokens)).decode("utf-8", errors=self.errors)

    # ----------------------------------------------------------------- tokenizing
    def _splitter(self) -> regex.Pattern:
        if self._split_pattern is None:
            contents = sorted(self._added_encoder, key=len, reverse=True)
            self._split_pattern = regex.compile("(" + "|".join(regex.escape(c) for c in contents) + ")")
        return self._split_pattern

    def tokenize(self, text: str, **kwargs: Any) -> list[str]:
        """Split `text` into tokens: added/special tokens whole, the rest byte-level BPE."""
        if not isinstance(text, str):
            raise TypeError(f"tokenize() takes a str, got {type(text).__name__}")
        add_prefix_space = kwargs.pop("add_prefix_space", self.add_prefix_space)
        split_words = kwargs.pop("is_split_into_words", False)
        split_special = kwargs.pop("split_special_tokens", self.split_special_tokens)
        if (split_words or add_prefix_space) and text and not text[0].isspace():
            text = " " + text
        if split_special or not self._added_encoder:
            return self._tokenize_chunk(text)
        pieces = [p for p in self._splitter().split(text) if p]
        added = self._added_encoder
        for i, piece in enumerate(pieces):
            if piece not in added:
                continue
            token = self._added_decoder[added[piece]]
            left = pieces[i - 1] if i > 0 else None
            right = pieces[i + 1] if i < len(pieces) - 1 else None
            if token.rstrip and right:
                pieces[i + 1] = right.lstrip()
            if token.lstrip and left:
                pieces[i - 1] = left.rstrip()
            if token.single_word and left and left[-1] != " ":
                pieces[i - 1] += piece
                pieces[i] = ""
            elif token.single_word and right and right[0] != " ":
                pieces[i + 1] = piece + pieces[i + 1]
                pieces[i] = ""
        out: list[str] = []
        for piece in pieces:
            if not piece:
                continue
            if piece in added:
                out.append(piece)
            else:
                out += self._tokenize_chunk(piece)
        return out

    def _tokenize_chunk(self, text: str) -> list[str]:
        """The tokens of a stretch of text that holds no added token (byte-level BPE here)."""
        return self._bpe.tokenize(text)

    def _input_ids(self, text: Any, split_words: bool, kwargs: dict[str, Any]) -> list[int]:
        if isinstance(text, str):
            return self.convert_tokens_to_ids(self.tokenize(text, **kwargs))
        if isinstance(text, (list, tuple)) and text and isinstance(text[0], str):
            if split_words:
                tokens: list[str] = []
                for word in text:
                    tokens += self.tokenize(word, is_split_into_words=True, **kwargs)
                return self.convert_tokens_to_ids(tokens)
            return self.convert_tokens_to_ids(list(text))
        if isinstance(text, (list, tuple)) and text and isinstance(text[0], int):
            return list(text)
        kind = (
            "a string or a list/tuple of strings"
            if split_words
            else "a string, a list/tuple of strings or a list/tuple of integers"
        )
        raise ValueError(f"Input {text!r:.80} is not valid. Should be {kind}.")

    def _encode_batch(self, inputs: list[tuple[Any, Any]], *, single: bool, options: EncodeOptions) -> BatchEncoding:
        o = options
        if o.return_offsets_mapping:
            raise NotImplementedError(
                "return_offsets_mapping is not available with the pure-Python "
                "RobertaTokenizer; use RobertaTokenizerFast."
            )
        if o.return_token_type_ids and not o.add_special_tokens:
            raise ValueError(
                "Asking to return token_type_ids while setting add_special_tokens to False results in "
                "an undefined behavior. Set add_special_tokens to True or return_token_type_ids to None."
            )
        type_ids = o.return_token_type_ids
        if type_ids is None:
            type_ids = "token_type_ids" in self.model_input_names
        attention = o.return_attention_mask
        if attention is None:
            attention = "attention_mask" in self.model_input_names
        rows = []
        for text, pair in inputs:
            first = self._input_ids(text, o.is_split_into_words, o.extra)
            second = self._input_ids(pair, o.is_split_into_words, o.extra) if pair is not None else None
            if (
                o.return_overflowing_tokens
                and o.truncation_strategy == TruncationStrategy.LONGEST_FIRST
                and second is not None
            ):
                raise ValueError(
                    "Not possible to return overflowing tokens for pair of sequences with the "
                    "`longest_first`. Please select another truncation strategy than `longest_first`, "
                    "for instance `only_second` or `only_first`."
                )
            rows.append(
                self._prepare_row(
                    first,
                    second,
                    o.add_special_tokens,
                    o.truncation_strategy,
                    o.max_length,
                    o.stride,
                    type_ids,
                    o.return_overflowing_tokens,
                    o.return_special_tokens_mask,
                )
            )
        # Kept repeat: a keyword dict of like shape to the models' layer keywords; nothing shared.
        pad_options = dict(
            max_length=o.max_length,
            pad_to_multiple_of=o.pad_to_multiple_of,
            side=o.padding_side,
            pad_id=self.pad_token_id,
            pad_type_id=self.pad_token_type_id,
            return_attention_mask=attention,
        )
        strategy = o.padding_strategy
        if single:
            row = pad_row(rows[0], strategy=strategy, **pad_options)
            if o.return_length:
                row["length"] = len(row["input_ids"])
            return BatchEncoding(row, tensor_type=o.return_tensors, prepend_batch_axis=True, n_sequences=None)
        if o.return_length:
            for row in rows:
                row["length"] = len(row["input_ids"])
        if strategy == PaddingStrategy.LONGEST and rows:
            pad_options["max_length"] = max(len(r["input_ids"]) for r in rows)
            strategy = PaddingStrategy.MAX_LENGTH
        rows = [pad_row(r, strategy=strategy, **pad_options) for r in rows]
        keys = list(rows[0]) if rows else ["input_ids"]
        return BatchEncoding({k: [r[k] for r in rows] for k in keys}, tensor_type=o.return_tensors)

    def _prepare_row(
        self,
        ids: list[int],
        pair: list[int] | None,
        add_special_tokens: bool,
        strategy: TruncationStrategy,
        max_length: int | None,
        stride: int,
        return_token_type_ids: bool,
        return_overflowing: bool,
        return_special_mask: bool,
    ) -> dict[str, Any]:
        total = len(ids) + (len(pair) if pair is not None else 0)
        if add_special_tokens:
            total += self.num_special_tokens_to_add(pair is not None)
        overflow: list[int] = []
        if strategy != TruncationStrategy.DO_NOT_TRUNCATE and max_length and total > max_length:
            ids, pair, overflow = truncate_pair(ids, pair, total - max_length, strategy, stride, self.truncation_side)
        row: dict[str, Any] = {}
        if return_overflowing:
            row["overflowing_tokens"] = overflow
            row["num_truncated_tokens"] = total - max_length if max_length is not None else total
        if add_special_tokens:
            sequence = self.build_inputs_with_special_tokens(ids, pair)
        else:
            sequence = ids + pair if pair is not None else list(ids)
        row["input_ids"] = sequence
        if return_token_type_ids:
            row["token_type_ids"] = [0] * len(sequence)
        if return_special_mask:
            row["special_tokens_mask"] = (
                self.get_special_tokens_mask(ids, pair) if add_special_tokens else [0] * len(sequence)
            )
        return row

    # ----------------------------------------------------------------- decoding
    def _decode(
        self, ids: list[int], skip_special_tokens: bool, spaces_between_special_tokens: bool = True, **kwargs: Any
    ) -> str:
        tokens = self.convert_ids_to_tokens(ids, skip_special_tokens=skip_special_tokens)
        missing = (
            [i for i, t in zip(ids, tokens) if t is None]
            if not skip_special_tokens
            else [i for i in ids if self.convert_ids_to_tokens(i) is None]
        )
        if missing:
            raise ValueError(f"ids {missing[:5]} are not in the vocabulary (size {len(self)})")
        special = set(self.all_special_tokens)
        loose = {t for t in self._added_encoder if t not in special}
        loose |= {t for t in self.additional_special_tokens if self._token_to_id(t) >= self.vocab_size}
        texts: list[str] = []
        current: list[str] = []
        for token in tokens:
            if skip_special_tokens and token in special:
                continue
            if token in loose:
                if current:
                    string = self.convert_tokens_to_string(current)
                    if string:
                        texts.append(string)
                    current = []
                texts.append(token)
            else:
                current.append(token)
        if current:
            texts.append(self.convert_tokens_to_string(current))
        return (" " if spaces_between_special_tokens else "").join(texts)

    # ----------------------------------------------------------------- saving
    def _save_extra(self, directory: str) -> list[str]:
        extra = {t: i for t, i in sorted(self._added_encoder.items(), key=lambda kv: kv[1]) if i >= self.vocab_size}
        if not extra:
            return []
        path = os.path.join(directory, "added_tokens.json")
        atomic_write_text(path, json.dumps(extra, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
        return [path]
