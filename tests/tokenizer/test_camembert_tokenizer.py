"""CamemBERT's special-token layout (`<s>NOTUSED`=0 `<pad>`=1 `</s>NOTUSED`=2 `<unk>`=3 `<unk>NOTUSED`=4,
every piece but `<unk>` its SentencePiece id + 4, `<mask>` last; the NOTUSED tokens additional specials), its
vocab_size (the SentencePiece model's size, as the reference counts) and its saved files, against the
reference, slow and fast."""

from __future__ import annotations

import json

import pytest

from spm_helpers import FAMILIES, MODEL_TYPES

CAMEMBERT = FAMILIES["camembert"]
NOT_USED = ["<s>NOTUSED", "</s>NOTUSED", "<unk>NOTUSED"]


@pytest.fixture(params=MODEL_TYPES)
def checkpoint(request, spm_checkpoints):
    return spm_checkpoints["camembert", request.param]


@pytest.mark.parametrize("kind", ["slow", "fast"])
def test_camembert_layout(checkpoint, kind):
    import sentencepiece

    size = sentencepiece.SentencePieceProcessor(model_file=str(checkpoint.model)).get_piece_size()
    tok = (CAMEMBERT.slow if kind == "slow" else CAMEMBERT.fast).from_pretrained(checkpoint.slow_dir)
    ref = (CAMEMBERT.ref_slow if kind == "slow" else CAMEMBERT.ref_fast).from_pretrained(checkpoint.slow_dir)
    assert tok.convert_tokens_to_ids(NOT_USED) == [0, 2, 4] == ref.convert_tokens_to_ids(NOT_USED)
    assert [tok.pad_token_id, tok.unk_token_id, tok.cls_token_id, tok.sep_token_id] == [1, 3, 5, 6]
    assert tok.mask_token_id == size + 4 == ref.mask_token_id == len(tok) - 1
    assert tok.vocab_size == ref.vocab_size == (size if kind == "slow" else size + 5)
    assert tok.additional_special_tokens == NOT_USED == ref.additional_special_tokens
    assert set(NOT_USED) <= set(tok.all_special_tokens)


def test_slow_save_keeps_mask_in_added_tokens_json(checkpoint, tmp_path):
    CAMEMBERT.slow.from_pretrained(checkpoint.slow_dir).save_pretrained(tmp_path / "ours")
    CAMEMBERT.ref_slow.from_pretrained(checkpoint.slow_dir).save_pretrained(tmp_path / "ref")
    ours = json.loads((tmp_path / "ours" / "added_tokens.json").read_text())
    assert ours == json.loads((tmp_path / "ref" / "added_tokens.json").read_text())
    assert list(ours) == ["<mask>"]


def test_decoding_keeps_special_tokens_apart(checkpoint):
    ours, ref = (
        CAMEMBERT.slow.from_pretrained(checkpoint.slow_dir),
        CAMEMBERT.ref_slow.from_pretrained(checkpoint.slow_dir),
    )
    for text in ("<s>Bonjour</s> le <mask><mask> monde", "<unk>NOTUSED x <s>NOTUSED", "Élève <pad> été"):
        tokens = ref.tokenize(text)
        assert ours.tokenize(text) == tokens
        assert ours.convert_tokens_to_string(tokens) == ref.convert_tokens_to_string(tokens)
        ids = ref(text)["input_ids"]
        for skip in (False, True):
            assert ours.decode(ids, skip_special_tokens=skip) == ref.decode(ids, skip_special_tokens=skip)


def test_other_additional_special_tokens(checkpoint, tmp_path):
    for ours_cls, ref_cls in ((CAMEMBERT.slow, CAMEMBERT.ref_slow), (CAMEMBERT.fast, CAMEMBERT.ref_fast)):
        kwargs = {"additional_special_tokens": ["<extra>"]}
        ours = ours_cls.from_pretrained(checkpoint.slow_dir, **kwargs)
        ref = ref_cls.from_pretrained(checkpoint.slow_dir, **kwargs)
        assert ours.additional_special_tokens == ref.additional_special_tokens
        assert ours("a <extra> b")["input_ids"] == ref("a <extra> b")["input_ids"]
