"""`RobertaTokenizerFast`: RoBERTa's tokenizer backed by the Rust `tokenizers` library."""

from __future__ import annotations

import json
import os
import threading
from typing import Any

from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors

from roberta._io import atomic_write_text

from .base import RobertaTokenizerBase, default_special_tokens
from .bpe import load_merges, load_vocab
from .encoding import BatchEncoding
from .options import EncodeOptions, PaddingStrategy, TruncationStrategy
from .retrain import retrained_init_kwargs, train_backend
from .special_tokens import TokenLike


class PretokenizedInputError(ValueError, AssertionError):
    """Pre-split words given to a fast tokenizer built without `add_prefix_space=True`.

    Also an AssertionError, which is what the reference raises in this case.
    """


def _build_backend(
    vocab_file: str, merges_file: str, add_prefix_space: bool, cls: tuple[str, int], sep: tuple[str, int]
) -> Tokenizer:
    vocab = load_vocab(vocab_file)
    ranks = load_merges(merges_file)
    merges = [pair for pair, _ in sorted(ranks.items(), key=lambda kv: kv[1])]
    backend = Tokenizer(
        models.BPE(
            vocab=vocab,
            merges=merges,
            dropout=None,
            continuing_subword_prefix="",
            end_of_word_suffix="",
            fuse_unk=False,
        )
    )
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=add_prefix_space)
    backend.decoder = decoders.ByteLevel()
    backend.post_processor = processors.RobertaProcessing(
        sep=sep, cls=cls, add_prefix_space=add_prefix_space, trim_offsets=True
    )
    return backend


def _component_state(component: Any) -> dict[str, Any] | None:
    if component is None:
        return None
    try:
        return json.loads(component.__getstate__())
    except Exception:  # custom components may not serialise; leave them alone
        return None


def _frozen(settings: dict | None) -> tuple | None:
    return None if settings is None else tuple(sorted(settings.items()))


class RobertaTokenizerFast(RobertaTokenizerBase):
    """RoBERTa's byte-level BPE tokenizer on the `tokenizers` library, with offsets and word ids.

    Loads `tokenizer.json` when given, else builds the pipeline from vocab.json + merges.txt.
    `trim_offsets` keeps the leading space out of offsets; pre-split input
    (`is_split_into_words=True`) needs `add_prefix_space=True`.
    """

    is_fast = True
    # pre-split words need add_prefix_space=True (byte-level BPE would glue them); SentencePiece's
    # tokenizers mark every word anyway
    _words_need_prefix_space = True

    def __init__(self, vocab_file: str | None = None, merges_file: str | None = None, tokenizer_file: str | None = None,
                 errors: str = "replace", add_prefix_space: bool = False, trim_offsets: bool = True,
                 added_tokens_decoder: dict[int, AddedToken] | None = None, tokenizer_object: Tokenizer | None = None,
                 **kwargs: Any) -> None:  # fmt: skip
        special = default_special_tokens(kwargs)
        additional = list(kwargs.pop("additional_special_tokens", None) or [])
        mask = special.get("mask_token")
        if isinstance(mask, str):  # <mask> absorbs the space before it
            special["mask_token"] = AddedToken(mask, lstrip=True, rstrip=False, normalized=False)
        self._remember_init_kwargs(
            dict(errors=errors, **special, add_prefix_space=add_prefix_space, trim_offsets=trim_offsets, **kwargs)
            | ({"additional_special_tokens": additional} if additional else {})
        )
        if isinstance(mask, str):  # marked special after init_kwargs took its copy, as in the reference
            special["mask_token"].special = True
        super().__init__(errors=errors, add_prefix_space=add_prefix_space, **kwargs)
        self.trim_offsets = trim_offsets
        self.vocab_file, self.merges_file = vocab_file, merges_file
        if tokenizer_object is not None:
            self._tokenizer = Tokenizer.from_str(tokenizer_object.to_str())
        elif tokenizer_file is not None:
            if not os.path.isfile(tokenizer_file):
                raise FileNotFoundError(f"tokenizer file not found: {tokenizer_file}")
            try:
                self._tokenizer = Tokenizer.from_file(os.fspath(tokenizer_file))
            except Exception as e:
                raise ValueError(f"{tokenizer_file} is not a valid tokenizers JSON file: {e}") from None
        else:
            self._tokenizer = self._backend_from_files(vocab_file, merges_file, special, add_prefix_space)
        self._tokenizer.no_truncation()
        self._tokenizer.no_padding()
        self._reset_transient()
        self._init_special_tokens(special, additional)
        present = {t.content for t in self._tokenizer.get_added_tokens_decoder().values()}
        extra = [t for _, t in sorted((added_tokens_decoder or {}).items()) if t.content not in present]
        extra += [
            t
            for t in [*special.values(), *additional]
            if t is not None and str(t) not in present and str(t) not in {str(e) for e in extra}
        ]
        for token in extra:
            is_special = str(token) in self.all_special_tokens or getattr(token, "special", False)
            token = token if isinstance(token, AddedToken) else AddedToken(token, special=is_special)
            token.special = is_special
            self._tokenizer.add_tokens([token])
        self._sync_prefix_space(add_prefix_space, trim_offsets)

    def _backend_from_files(
        self, vocab_file: str | None, merges_file: str | None, special: dict[str, Any], add_prefix_space: bool
    ) -> Tokenizer:
        """The backend built from the slow tokenizer's files (no tokenizer.json): byte-level BPE from
        vocab.json + merges.txt here."""
        if vocab_file is None or merges_file is None:
            raise ValueError(f"{type(self).__name__} needs tokenizer_file, or both vocab_file and merges_file")
        vocab = load_vocab(vocab_file)
        ids = {name: vocab.get(str(special[name])) for name in ("cls_token", "sep_token")}
        missing = [str(special[n]) for n, i in ids.items() if i is None]
        if missing:
            raise ValueError(f"special tokens {missing} are not in {vocab_file}")
        return _build_backend(
            vocab_file,
            merges_file,
            add_prefix_space,
            (str(special["cls_token"]), ids["cls_token"]),
            (str(special["sep_token"]), ids["sep_token"]),
        )

    # configured backends and their lock: rebuilt on use, so not pickled (see state.py)
    _transient = ("_configured", "_configured_lock")

    def _reset_transient(self) -> None:
        # Configured copies of the backend by (truncation, padding, split_special_tokens). Each is configured
        # once and then only read, so threads encoding with different settings never mutate a shared backend
        # (the Rust side refuses a mutation during another thread's encode: "Already borrowed").
        self._configured: dict[tuple, Tokenizer] = {}
        self._configured_lock = threading.Lock()

    def _sync_prefix_space(self, add_prefix_space: bool, trim_offsets: bool) -> None:
        state = _component_state(self._tokenizer.post_processor)
        if state and state.get("type") == "RobertaProcessing":
            if state.get("add_prefix_space") != add_prefix_space or state.get("trim_offsets") != trim_offsets:
                self._tokenizer.post_processor = processors.RobertaProcessing(
                    sep=tuple(state["sep"]),
                    cls=tuple(state["cls"]),
                    add_prefix_space=add_prefix_space,
                    trim_offsets=trim_offsets,
                )
        state = _component_state(self._tokenizer.pre_tokenizer)
        if state and state.get("type") == "ByteLevel" and state.get("add_prefix_space") != add_prefix_space:
            self._tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(
                add_prefix_space=add_prefix_space,
                use_regex=state.get("use_regex", True),
                trim_offsets=state.get("trim_offsets", True),
            )

    vocab_files_names = {"vocab_file": "vocab.json", "merges_file": "merges.txt", "tokenizer_file": "tokenizer.json"}

    @classmethod
    def _enough_files(cls, found: dict[str, str | None]) -> bool:
        return found.get("tokenizer_file") is not None or super()._enough_files(found)

    @property
    def backend_tokenizer(self) -> Tokenizer:
        """The underlying `tokenizers.Tokenizer`."""
        return self._tokenizer

    # ----------------------------------------------------------------- vocabulary
    @property
    def vocab_size(self) -> int:
        """Size of the base vocabulary (without added tokens)."""
        return self._tokenizer.get_vocab_size(with_added_tokens=False)

    def get_vocab(self) -> dict[str, int]:
        """Token -> id, including added tokens."""
        return self._tokenizer.get_vocab(with_added_tokens=True)

    def __len__(self) -> int:
        return self._tokenizer.get_vocab_size(with_added_tokens=True)

    @property
    def added_tokens_decoder(self) -> dict[int, AddedToken]:
        """Id -> AddedToken of the added (and special) tokens."""
        return dict(sorted(self._tokenizer.get_added_tokens_decoder().items()))

    @property
    def added_tokens_encoder(self) -> dict[str, int]:
        """Content -> id of the added (and special) tokens."""
        return {t.content: i for i, t in self.added_tokens_decoder.items()}

    def _add_to_vocabulary(self, tokens: list[TokenLike], special: bool) -> int:
        with self._configured_lock:
            self._configured.clear()  # configured copies would miss the new tokens
        if special:
            return self._tokenizer.add_special_tokens(tokens)
        return self._tokenizer.add_tokens(tokens)

    def _lookup(self, token: str) -> int | None:
        return self._tokenizer.token_to_id(token)

    def _token_of(self, index: int) -> str | None:
        return self._tokenizer.id_to_token(index)

    def convert_tokens_to_string(self, tokens: list[str]) -> str:
        """Join tokens into text with the byte-level decoder."""
        decoder = self._tokenizer.decoder
        return decoder.decode(tokens) if decoder is not None else " ".join(tokens)

    def tokenize(
        self, text: str, pair: str | None = None, add_special_tokens: bool = False, **kwargs: Any
    ) -> list[str]:
        """The tokens of `text` (without special tokens unless asked)."""
        return self.encode_plus(text, pair, add_special_tokens=add_special_tokens, **kwargs).tokens()

    # ----------------------------------------------------------------- encoding
    def _configure(
        self,
        padding: PaddingStrategy,
        truncation: TruncationStrategy,
        max_length: int | None,
        stride: int,
        pad_to_multiple_of: int | None,
        padding_side: str,
        split_special: bool,
    ) -> Tokenizer:
        trunc = None
        if truncation != TruncationStrategy.DO_NOT_TRUNCATE:
            trunc = dict(
                max_length=max_length, stride=stride, strategy=truncation.value, direction=self.truncation_side
            )
        pad = None
        if padding != PaddingStrategy.DO_NOT_PAD:
            pad = dict(
                length=max_length if padding == PaddingStrategy.MAX_LENGTH else None,
                direction=padding_side,
                pad_id=self.pad_token_id,
                pad_token=self.pad_token,
                pad_type_id=self.pad_token_type_id,
                pad_to_multiple_of=pad_to_multiple_of,
            )
        return self._backend(trunc, pad, split_special)

    def _backend(self, trunc: dict | None, pad: dict | None, split_special: bool) -> Tokenizer:
        """The backend tokenizer for these settings: the plain one, or a configured copy (never mutated)."""
        base = self._tokenizer
        if trunc is None and pad is None and not split_special and not base.encode_special_tokens:
            if base.truncation is None and base.padding is None:  # unless a user configured it by hand
                return base
        key = (_frozen(trunc), _frozen(pad), split_special, id(base))
        backend = self._configured.get(key)
        if backend is not None:
            return backend
        backend = Tokenizer.from_str(base.to_str())
        try:
            backend.no_truncation() if trunc is None else backend.enable_truncation(**trunc)
        except Exception as e:
            raise ValueError(f"invalid truncation settings {trunc}: {e}") from None
        backend.no_padding() if pad is None else backend.enable_padding(**pad)
        backend.encode_special_tokens = split_special
        with self._configured_lock:
            if len(self._configured) >= 16:  # settings are few in practice; bound them anyway
                self._configured.clear()
            self._configured.setdefault(key, backend)
        return self._configured.get(key, backend)

    def _encode_batch(self, inputs: list[tuple[Any, Any]], *, single: bool, options: EncodeOptions) -> BatchEncoding:
        o = options
        if o.extra:
            raise TypeError(f"unexpected keyword argument(s) {sorted(o.extra)}")
        if o.is_split_into_words and self._words_need_prefix_space and not self.add_prefix_space:
            raise PretokenizedInputError(
                f"You need to instantiate {type(self).__name__} with add_prefix_space=True "
                "to use it with pretokenized inputs (is_split_into_words=True)."
            )
        backend = self._configure(
            o.padding_strategy,
            o.truncation_strategy,
            o.max_length,
            o.stride,
            o.pad_to_multiple_of,
            o.padding_side,
            o.split_special_tokens,
        )
        if single:
            text, pair = inputs[0]
            batch = [(text, pair)] if pair else [text]
        else:
            batch = [text if pair is None else (text, pair) for text, pair in inputs]
        try:
            encodings = backend.encode_batch(
                batch, add_special_tokens=o.add_special_tokens, is_pretokenized=o.is_split_into_words
            )
        except TypeError as e:
            raise TypeError(f"cannot encode {batch!r:.80}: {e}") from None
        except Exception as e:  # the Rust side raises a bare Exception (e.g. "Truncation error: ...")
            raise ValueError(str(e)) from None
        except BaseException as e:  # a Rust panic (pyo3 PanicException), e.g. stride >= room left by max_length
            if type(e).__name__ != "PanicException":
                raise
            raise ValueError(
                f"invalid truncation settings (max_length={o.max_length}, stride={o.stride}): {e}"
            ) from None
        type_ids, attention = o.return_token_type_ids, o.return_attention_mask
        if type_ids is None:
            type_ids = "token_type_ids" in self.model_input_names
        if attention is None:
            attention = "attention_mask" in self.model_input_names
        fields = [
            ("input_ids", "ids", True),
            ("token_type_ids", "type_ids", type_ids),
            ("attention_mask", "attention_mask", attention),
            ("special_tokens_mask", "special_tokens_mask", o.return_special_tokens_mask),
            ("offset_mapping", "offsets", o.return_offsets_mapping),
        ]
        fields = [(key, attr) for key, attr, wanted in fields if wanted]
        rows, sample_map = [], []
        for index, encoding in enumerate(encodings):
            group = [encoding] + (encoding.overflowing if o.return_overflowing_tokens else [])
            rows += group
            sample_map += [index] * len(group)
        data: dict[str, Any] = {key: [getattr(e, attr) for e in rows] for key, attr in fields}
        if o.return_length:
            data["length"] = [len(e.ids) for e in rows]
        if o.return_overflowing_tokens:
            data["overflow_to_sample_mapping"] = sample_map
        if single and o.return_tensors is None and not o.return_overflowing_tokens:
            data = {k: (v[0] if v and isinstance(v[0], list) else v) for k, v in data.items()}
            return BatchEncoding(data, rows)
        return BatchEncoding(data, rows, tensor_type=o.return_tensors)

    # ----------------------------------------------------------------- training
    def train_new_from_iterator(
        self,
        text_iterator: Any,
        vocab_size: int,
        length: int | None = None,
        new_special_tokens: list[str | AddedToken] | None = None,
        special_tokens_map: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> RobertaTokenizerFast:
        """A new tokenizer of this class with the same pipeline (pre-tokenizer, post-processor, special tokens)
        and a byte-level BPE vocabulary of up to `vocab_size` learnt from `text_iterator` (strings or batches
        of strings; `length` is its size, for the progress bar). `special_tokens_map` renames special tokens
        (old -> new), `new_special_tokens` adds some; `kwargs` go to `tokenizers.trainers.BpeTrainer`
        (`min_frequency`, `show_progress`, ...)."""
        backend = train_backend(
            self._tokenizer, text_iterator, vocab_size, length, new_special_tokens, special_tokens_map, kwargs
        )
        init = retrained_init_kwargs(self, new_special_tokens, special_tokens_map)
        return type(self)(tokenizer_object=backend, **init)

    # ----------------------------------------------------------------- decoding
    def _decode(self, ids: list[int], skip_special_tokens: bool, **kwargs: Any) -> str:
        return self._tokenizer.decode(ids, skip_special_tokens=skip_special_tokens)

    # ----------------------------------------------------------------- saving
    def _vocabulary(self) -> tuple[dict[str, int], dict[tuple[str, str], int]]:
        model = json.loads(self._tokenizer.to_str())["model"]
        merges = [tuple(m.split(" ", 1)) if isinstance(m, str) else tuple(m) for m in model["merges"]]
        return model["vocab"], {pair: rank for rank, pair in enumerate(merges)}

    def _save_extra(self, directory: str) -> list[str]:
        state = json.loads(self._tokenizer.to_str())
        state["truncation"] = None
        state["padding"] = None
        path = os.path.join(directory, "tokenizer.json")
        atomic_write_text(path, json.dumps(state, indent=2, ensure_ascii=False) + "\n")
        return [path]
