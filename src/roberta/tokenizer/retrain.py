"""`train_new_from_iterator`: a new BPE vocabulary for a fast tokenizer's pipeline, trained on new text.

The new backend keeps the old one's normalizer, pre-tokenizer, decoder and model settings; only the vocabulary
and merges are learnt anew. Special tokens keep their roles (renamed through `special_tokens_map` when given)
and take the first ids, and the post-processor is pointed at their new ids.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from tokenizers import AddedToken, Tokenizer, pre_tokenizers, trainers

from .special_tokens import SPECIAL_TOKEN_ATTRIBUTES

_ADDED_TOKEN_FLAGS = ("single_word", "lstrip", "rstrip", "normalized")


def _renamed(token: str, mapping: dict[str, str] | None) -> str:
    return mapping.get(token, token) if mapping else token


def _is_byte_level(pre_tokenizer: dict | None) -> bool:
    if pre_tokenizer is None:
        return False
    if pre_tokenizer["type"] == "Sequence":
        return any(p["type"] == "ByteLevel" for p in pre_tokenizer.get("pretokenizers", []))
    return pre_tokenizer["type"] == "ByteLevel"


def _id_of(backend: Tokenizer, token: str) -> int:
    index = backend.token_to_id(token)
    if index is None:
        raise ValueError(
            f"the post-processor uses the token {token!r}, which is not in the trained vocabulary; map it to one "
            "of the special tokens with special_tokens_map, or pass it in new_special_tokens"
        )
    return index


def _repoint_post_processor(post: dict, backend: Tokenizer, mapping: dict[str, str] | None) -> dict:
    """The post-processor's special tokens (renamed) with their ids in the trained `backend`."""
    for entry in post.get("special_tokens", {}).values():  # TemplateProcessing
        entry["tokens"] = [_renamed(t, mapping) for t in entry["tokens"]]
        entry["ids"] = [_id_of(backend, t) for t in entry["tokens"]]
    for role in ("cls", "sep"):  # RobertaProcessing / BertProcessing: [token, id]
        if role in post:
            token = _renamed(post[role][0], mapping)
            post[role] = [token, _id_of(backend, token)]
    return post


def train_backend(
    backend: Tokenizer,
    text_iterator: Iterable[Any],
    vocab_size: int,
    length: int | None,
    new_special_tokens: list[str | AddedToken] | None,
    special_tokens_map: dict[str, str] | None,
    trainer_kwargs: dict[str, Any],
) -> Tokenizer:
    """A copy of `backend` with a BPE vocabulary of up to `vocab_size` entries learnt from `text_iterator`
    (strings, or batches of strings); `trainer_kwargs` go to `tokenizers.trainers.BpeTrainer`."""
    state = json.loads(backend.to_str())
    added = state.pop("added_tokens")  # ids of the old vocabulary: rebuilt by the trainer
    post = state.pop("post_processor")
    model = state["model"]
    if model["type"] != "BPE":
        raise ValueError(
            f"train_new_from_iterator trains BPE models (RoBERTa's); this tokenizer's model is {model['type']}"
        )
    model["vocab"], model["merges"] = {}, []
    if model.get("unk_token") is not None:
        model["unk_token"] = _renamed(model["unk_token"], special_tokens_map)
    kwargs = dict(trainer_kwargs)
    for option in ("continuing_subword_prefix", "end_of_word_suffix"):
        if option not in kwargs and model.get(option) is not None:
            kwargs[option] = model[option]
    if _is_byte_level(state["pre_tokenizer"]):  # every byte is a symbol, even those the text lacks
        kwargs["initial_alphabet"] = pre_tokenizers.ByteLevel.alphabet()
    special = [
        AddedToken(_renamed(t["content"], special_tokens_map), **{f: t[f] for f in _ADDED_TOKEN_FLAGS})
        for t in added
        if t.get("special")
    ]
    special += list(new_special_tokens or [])
    trained = Tokenizer.from_str(json.dumps(state))
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=special, **kwargs)
    trained.train_from_iterator(text_iterator, trainer=trainer, length=length)
    if post is None:
        return trained
    state = json.loads(trained.to_str())
    state["post_processor"] = _repoint_post_processor(post, trained, special_tokens_map)
    return Tokenizer.from_str(json.dumps(state))


def retrained_init_kwargs(
    tok: Any, new_special_tokens: list[str | AddedToken] | None, special_tokens_map: dict[str, str] | None
) -> dict[str, Any]:
    """`tok.init_kwargs` with its special tokens renamed through `special_tokens_map` (AddedToken flags kept)
    and `new_special_tokens` added to the additional special tokens."""
    kwargs = dict(tok.init_kwargs)
    for role in SPECIAL_TOKEN_ATTRIBUTES:
        value = tok.special_tokens_map_extended.get(role)
        if value is None:
            continue
        content = _renamed(str(value), special_tokens_map)
        if isinstance(value, AddedToken):
            flags = {f: getattr(value, f) for f in _ADDED_TOKEN_FLAGS}
            kwargs[role] = AddedToken(content, special=True, **flags)
        else:
            kwargs[role] = content
    additional = list(tok.additional_special_tokens) + list(new_special_tokens or [])
    if additional:
        kwargs["additional_special_tokens"] = additional
    return kwargs
