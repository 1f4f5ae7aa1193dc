"""`decode` and `batch_decode`: ids back to text, with the reference's optional clean-up of spaces."""

from __future__ import annotations

from typing import Any

from .padding import to_lists


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


class DecodingMixin:
    """The decoding methods; subclasses provide `_decode` (a flat list of ints -> text)."""

    clean_up_tokenization_spaces: bool

    def _decode(self, ids: list[int], skip_special_tokens: bool, **kwargs: Any) -> str:
        raise NotImplementedError

    def decode(
        self,
        token_ids: Any,
        skip_special_tokens: bool = False,
        clean_up_tokenization_spaces: bool | None = None,
        **kwargs: Any,
    ) -> str:
        """Turn ids back into text."""
        ids = to_lists(token_ids)
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
            for seq in to_lists(sequences)
        ]

    clean_up_tokenization = staticmethod(clean_up_tokenization)
