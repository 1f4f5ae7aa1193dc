"""CamemBERT's tokenizers: SentencePiece with fairseq's ids and CamemBERT's extra special tokens.

`<s>NOTUSED`=0, `<pad>`=1, `</s>NOTUSED`=2, `<unk>`=3, `<unk>NOTUSED`=4, then the SentencePiece pieces but its
`<unk>` (SentencePiece id + 4: `<s>`=5, `</s>`=6), and `<mask>` last. The three NOTUSED tokens are additional
special tokens. `CamembertTokenizer` segments with the `sentencepiece` package (the `sentencepiece` extra);
`CamembertTokenizerFast` reads tokenizer.json, or builds it from sentencepiece.bpe.model.
"""

from __future__ import annotations

from .spm_convert import CAMEMBERT_LAYOUT
from .spm_fast import SentencePieceTokenizerFast
from .spm_slow import SentencePieceTokenizer

_NOT_USED = ("<s>NOTUSED", "</s>NOTUSED", "<unk>NOTUSED")


class CamembertTokenizer(SentencePieceTokenizer):
    """CamemBERT's tokenizer in Python (HF `CamembertTokenizer` compatible)."""

    layout = CAMEMBERT_LAYOUT
    saved_class_name = "CamembertTokenizer"
    default_additional_special_tokens = _NOT_USED

    @property
    def vocab_size(self) -> int:
        """The SentencePiece model's size, as the reference counts it (ids run 4 further, plus `<mask>`)."""
        return self.sp_model.get_piece_size()

    def convert_tokens_to_string(self, tokens: list[str]) -> str:
        """Decode pieces with SentencePiece, special tokens kept as they are (a space before a run of them)."""
        special = set(self.all_special_tokens)
        out, pending, after_special = "", [], False
        for token in tokens:
            if token in special:
                out += ("" if after_special else " ") + self.sp_model.decode(pending) + token
                pending, after_special = [], True
            else:
                pending.append(token)
                after_special = False
        return (out + self.sp_model.decode(pending)).strip()


class CamembertTokenizerFast(SentencePieceTokenizerFast):
    """CamemBERT's tokenizer on `tokenizers` (HF `CamembertTokenizerFast` compatible), with offsets."""

    layout = CAMEMBERT_LAYOUT
    saved_class_name = "CamembertTokenizer"  # the reference records the slow class for both
    default_additional_special_tokens = _NOT_USED


__all__ = ["CamembertTokenizer", "CamembertTokenizerFast"]
