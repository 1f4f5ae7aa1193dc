"""XLM-RoBERTa's special-token layout (fairseq's ids: `<s>`=0 `<pad>`=1 `</s>`=2 `<unk>`=3, every piece its
SentencePiece id + 1, `<mask>` last), as the reference lays it out, slow and fast."""

from __future__ import annotations

import json

import pytest

from roberta.tokenizer.spm_convert import XLM_ROBERTA_LAYOUT
from spm_helpers import FAMILIES, MODEL_TYPES

XLMR = FAMILIES["xlm-roberta"]


@pytest.fixture(params=MODEL_TYPES)
def checkpoint(request, spm_checkpoints):
    return spm_checkpoints["xlm-roberta", request.param]


@pytest.mark.parametrize("kind", ["slow", "fast"])
def test_fairseq_layout(checkpoint, kind):
    import sentencepiece

    processor = sentencepiece.SentencePieceProcessor(model_file=str(checkpoint.model))
    size = processor.get_piece_size()
    tok = (XLMR.slow if kind == "slow" else XLMR.fast).from_pretrained(checkpoint.slow_dir)
    ref = (XLMR.ref_slow if kind == "slow" else XLMR.ref_fast).from_pretrained(checkpoint.slow_dir)
    assert [tok.cls_token_id, tok.pad_token_id, tok.sep_token_id, tok.unk_token_id] == [0, 1, 2, 3]
    assert tok.mask_token_id == size + 1 == ref.mask_token_id == len(tok) - 1
    assert tok.vocab_size == ref.vocab_size == size + 2
    assert XLM_ROBERTA_LAYOUT.offset == 1
    for sp_id in range(3, size):  # every piece but SentencePiece's own <unk> <s> </s> keeps its place + 1
        piece = processor.id_to_piece(sp_id)
        assert tok.convert_tokens_to_ids(piece) == sp_id + 1 == ref.convert_tokens_to_ids(piece)
    ids = tok("Hello world", "Bonjour")["input_ids"]
    assert ids[0] == 0 and ids[-1] == 2 and ids.count(2) == 3 and ids == ref("Hello world", "Bonjour")["input_ids"]
    assert ids[ids.index(2) + 1] == 2  # </s></s> between the two sequences


def test_mask_absorbs_the_space_before_it(checkpoint):
    for ours_cls, ref_cls in ((XLMR.slow, XLMR.ref_slow), (XLMR.fast, XLMR.ref_fast)):
        ours, ref = ours_cls.from_pretrained(checkpoint.slow_dir), ref_cls.from_pretrained(checkpoint.slow_dir)
        for text in ("Paris is the <mask> of France.", "a   <mask>b", "<mask>"):
            ids = ours(text)["input_ids"]
            assert ids == ref(text)["input_ids"] and ours.mask_token_id in ids


def test_sp_model_kwargs_are_kept(checkpoint, tmp_path):
    kwargs = {"enable_sampling": True, "alpha": 0.1, "nbest_size": -1}
    tok = XLMR.slow(str(checkpoint.model), sp_model_kwargs=kwargs)
    assert tok.sp_model_kwargs == kwargs
    text = "Bonjour le monde, ceci est un petit texte en français."
    plain = XLMR.slow(str(checkpoint.model)).tokenize(text)
    assert any(tok.tokenize(text) != plain for _ in range(20))  # sampling segments differently at times
    tok.save_pretrained(tmp_path)
    assert json.loads((tmp_path / "tokenizer_config.json").read_text())["sp_model_kwargs"] == kwargs
    assert XLMR.ref_slow.from_pretrained(tmp_path).sp_model_kwargs == kwargs
    assert XLMR.slow.from_pretrained(tmp_path).sp_model_kwargs == kwargs
    assert XLMR.slow.from_pretrained(tmp_path, sp_model_kwargs={}).sp_model_kwargs == {}
