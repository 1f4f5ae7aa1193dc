"""Token <-> id conversion and adding tokens, over the backend's vocabulary (slow.py, fast.py)."""

from __future__ import annotations

from typing import Any

from tokenizers import AddedToken

from .special_tokens import TokenLike


class VocabularyMixin:
    """Conversion and `add_tokens`; subclasses provide the vocabulary half (`_lookup`, `_token_of`,
    `_add_to_vocabulary`, `_vocabulary`)."""

    _special_tokens: dict[str, TokenLike | None]
    added_tokens_decoder: dict[int, AddedToken]
    all_special_ids: list[int]

    # ----------------------------------------------------------------- the backend's half
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

    # ----------------------------------------------------------------- conversion
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

    def add_tokens(self, new_tokens: TokenLike | list[TokenLike], special_tokens: bool = False) -> int:
        """Add tokens that are never split; returns how many new ids were created."""
        if not isinstance(new_tokens, (list, tuple)):
            new_tokens = [new_tokens]
        for t in new_tokens:
            if not isinstance(t, (str, AddedToken)):
                raise TypeError(f"tokens must be str or AddedToken, got {type(t).__name__}")
        return self._add_to_vocabulary(list(new_tokens), special_tokens)
