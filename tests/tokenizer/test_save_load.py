"""save_pretrained -> from_pretrained round trips, across our classes and the reference's."""

from __future__ import annotations

import pytest
import transformers

from roberta.tokenizer import RobertaTokenizer, RobertaTokenizerFast

TEXTS = ["Hello world", " Paris is the <mask> of France.", "héllo 👨‍👩‍👧 foo_bar\tdone", ""]
OURS = {"slow": RobertaTokenizer, "fast": RobertaTokenizerFast}
REFS = {"slow": transformers.RobertaTokenizer, "fast": transformers.RobertaTokenizerFast}


@pytest.mark.parametrize("kind", ["slow", "fast"])
def test_round_trip(tmp_path, roberta_dir, kind, assert_same):
    tok = OURS[kind].from_pretrained(roberta_dir, padding_side="left")
    tok.add_tokens(["foo_bar"])
    files = tok.save_pretrained(tmp_path / "saved")
    names = {p.split("/")[-1] for p in files}
    assert {"vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json"} <= names
    assert ("tokenizer.json" in names) == (kind == "fast")
    assert not [p for p in (tmp_path / "saved").iterdir() if p.name.endswith(".tmp")]
    again = OURS[kind].from_pretrained(tmp_path / "saved")
    assert again.padding_side == "left" and again.model_max_length == 512
    assert_same(again(TEXTS, padding=True), tok(TEXTS, padding=True))
    assert again.get_vocab() == tok.get_vocab()


@pytest.mark.parametrize("kind", ["slow", "fast"])
def test_reference_loads_our_save(tmp_path, roberta_dir, kind, assert_same):
    tok = OURS[kind].from_pretrained(roberta_dir)
    tok.add_tokens(["foo_bar"])
    tok.save_pretrained(tmp_path)
    ref = REFS[kind].from_pretrained(tmp_path)
    assert_same(tok(TEXTS, padding=True), ref(TEXTS, padding=True))
    assert ref.model_max_length == 512


@pytest.mark.parametrize("kind", ["slow", "fast"])
def test_we_load_reference_save(tmp_path, roberta_dir, kind, assert_same):
    ref = REFS[kind].from_pretrained(roberta_dir, add_prefix_space=True)
    ref.add_tokens(["foo_bar"])
    ref.save_pretrained(tmp_path)
    ours = OURS[kind].from_pretrained(tmp_path)
    assert ours.add_prefix_space is True
    assert_same(ours(TEXTS, padding=True), ref(TEXTS, padding=True))


def test_slow_and_fast_saves_are_interchangeable(tmp_path, roberta_dir):
    RobertaTokenizer.from_pretrained(roberta_dir).save_pretrained(tmp_path / "slow")
    fast = RobertaTokenizerFast.from_pretrained(tmp_path / "slow")  # no tokenizer.json: built from vocab+merges
    assert fast(TEXTS)["input_ids"] == RobertaTokenizer.from_pretrained(roberta_dir)(TEXTS)["input_ids"]


def test_save_vocabulary_prefix(tmp_path, slow):
    vocab, merges = slow.save_vocabulary(str(tmp_path), filename_prefix="x")
    assert vocab.endswith("x-vocab.json") and merges.endswith("x-merges.txt")
    assert (tmp_path / "x-merges.txt").read_text(encoding="utf-8").startswith("#version: 0.2\nĠ t\n")
    with pytest.raises(ValueError, match="directory"):
        slow.save_vocabulary(str(tmp_path / "missing"))


def test_not_a_checkpoint(tmp_path):
    with pytest.raises(OSError):
        RobertaTokenizer.from_pretrained(tmp_path / "does-not-exist")


def test_both_tokenizers_write_the_same_vocabulary_files(tmp_path, roberta_dir):
    for name, cls in (("a", RobertaTokenizer), ("b", RobertaTokenizerFast)):
        (tmp_path / name).mkdir()
        cls.from_pretrained(roberta_dir).save_vocabulary(tmp_path / name)
    for name in ("vocab.json", "merges.txt"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_every_special_token_role_has_an_attribute_and_an_id():
    from roberta.tokenizer import special_tokens as st

    SPECIAL_TOKEN_ATTRIBUTES, SpecialToken, SpecialTokenId = (
        st.SPECIAL_TOKEN_ATTRIBUTES,
        st.SpecialToken,
        st.SpecialTokenId,
    )
    SpecialTokensMixin = st.SpecialTokensMixin

    for role in SPECIAL_TOKEN_ATTRIBUTES:
        assert isinstance(SpecialTokensMixin.__dict__[role], SpecialToken)
        assert SpecialTokensMixin.__dict__[role + "_id"].role == role
        assert isinstance(SpecialTokensMixin.__dict__[role + "_id"], SpecialTokenId)
