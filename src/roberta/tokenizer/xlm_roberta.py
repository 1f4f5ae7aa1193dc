"""XLM-RoBERTa's tokenizers (bge-m3, multilingual-e5, bge-reranker, ...): SentencePiece with fairseq's ids.

`<s>`=0, `<pad>`=1, `</s>`=2, `<unk>`=3, then the SentencePiece pieces (SentencePiece id + 1), and `<mask>`
last. `XLMRobertaTokenizer` segments with the `sentencepiece` package (the `sentencepiece` extra);
`XLMRobertaTokenizerFast` reads tokenizer.json, or builds it from sentencepiece.bpe.model.
"""

from __future__ import annotations

from .spm_convert import XLM_ROBERTA_LAYOUT
from .spm_fast import SentencePieceTokenizerFast
from .spm_slow import SentencePieceTokenizer


class XLMRobertaTokenizer(SentencePieceTokenizer):
    """XLM-RoBERTa's tokenizer in Python (HF `XLMRobertaTokenizer` compatible): SentencePiece segments the
    text between added tokens; `<s> A </s>` and `<s> A </s></s> B </s>` around sequences."""

    layout = XLM_ROBERTA_LAYOUT
    saved_class_name = "XLMRobertaTokenizer"


class XLMRobertaTokenizerFast(SentencePieceTokenizerFast):
    """XLM-RoBERTa's tokenizer on `tokenizers` (HF `XLMRobertaTokenizerFast` compatible), with offsets."""

    layout = XLM_ROBERTA_LAYOUT
    saved_class_name = "XLMRobertaTokenizer"  # the reference records the slow class for both
    mask_normalized = True  # the reference's XLMRobertaTokenizerFast (not its CamembertTokenizerFast)


__all__ = ["XLMRobertaTokenizer", "XLMRobertaTokenizerFast"]
