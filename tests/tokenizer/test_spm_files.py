"""Files of the XLM-RoBERTa / CamemBERT tokenizers: the backend converted from sentencepiece.bpe.model is the
reference's, saves are the reference's and load in it, tokenizer.json alone suffices for the fast classes,
pickling, and the errors for missing packages, missing files and files that are not SentencePiece models."""

from __future__ import annotations

import json
import pickle
import shutil
import sys

import pytest
from tokenizers import Tokenizer

from roberta.tokenizer.sentencepiece_model import CONTROL, UNKNOWN, SentencePieceModelError, read_model
from spm_helpers import FAMILIES, MODEL_TYPES, STRINGS, train_model

CASES = [(f, m) for f in FAMILIES for m in MODEL_TYPES]
IDS = ["-".join(c) for c in CASES]


@pytest.fixture(params=CASES, ids=IDS)
def case(request, spm_checkpoints):
    family, model_type = request.param
    return FAMILIES[family], spm_checkpoints[family, model_type]


def _json_files(directory) -> dict:
    return {
        p.name: json.loads(p.read_text(encoding="utf-8")) for p in sorted(directory.iterdir()) if p.suffix == ".json"
    }


def test_model_reader_agrees_with_sentencepiece(spm_checkpoints):
    import sentencepiece

    for model_type in MODEL_TYPES:
        path = spm_checkpoints["camembert", model_type].model
        processor = sentencepiece.SentencePieceProcessor(model_file=str(path))
        model = read_model(path)
        assert model.model_type_name == model_type
        assert len(model.pieces) == processor.get_piece_size()
        for index, piece in enumerate(model.pieces):
            assert piece.piece == processor.id_to_piece(index)
            assert piece.score == processor.get_score(index)
            assert (piece.type == CONTROL) == processor.is_control(index)
            assert (piece.type == UNKNOWN) == processor.is_unknown(index)
        assert model.unk_piece == "<unk>" and model.precompiled_charsmap  # the default nmt_nfkc normalizer


def test_converted_backend_is_the_references(case):
    family, checkpoint = case
    ours = family.fast.from_pretrained(checkpoint.slow_dir)  # no tokenizer.json there: converted
    ref = family.ref_fast.from_pretrained(checkpoint.slow_dir)
    assert json.loads(ours.backend_tokenizer.to_str()) == json.loads(ref.backend_tokenizer.to_str())
    saved = json.loads((checkpoint.fast_dir / "tokenizer.json").read_text(encoding="utf-8"))
    assert (
        json.loads(family.fast(vocab_file=str(checkpoint.model)).backend_tokenizer.to_str())["model"] == saved["model"]
    )


@pytest.mark.parametrize("kind", ["slow", "fast"])
def test_saves_are_the_references_and_load_in_it(case, kind, tmp_path):
    family, checkpoint = case
    ours_cls, ref_cls = (family.slow, family.ref_slow) if kind == "slow" else (family.fast, family.ref_fast)
    ours, ref = ours_cls.from_pretrained(checkpoint.slow_dir), ref_cls.from_pretrained(checkpoint.slow_dir)
    ours.save_pretrained(tmp_path / "ours")
    ref.save_pretrained(tmp_path / "ref")
    assert sorted(p.name for p in (tmp_path / "ours").iterdir()) == sorted(p.name for p in (tmp_path / "ref").iterdir())
    assert _json_files(tmp_path / "ours") == _json_files(tmp_path / "ref")
    model_bytes = (tmp_path / "ref" / "sentencepiece.bpe.model").read_bytes()
    assert (tmp_path / "ours" / "sentencepiece.bpe.model").read_bytes() == model_bytes
    for loader in (family.ref_slow, family.ref_fast, ours_cls):
        back = loader.from_pretrained(tmp_path / "ours")
        for text in STRINGS:
            assert back(text, "a pair")["input_ids"] == ref(text, "a pair")["input_ids"], (loader, text)
    assert (
        type(ours).__name__.removesuffix("Fast")
        == _json_files(tmp_path / "ours")["tokenizer_config.json"]["tokenizer_class"]
    )


def test_tokenizer_json_alone(case, tmp_path):
    family, checkpoint = case
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        shutil.copy(checkpoint.fast_dir / name, tmp_path / name)
    ours, ref = family.fast.from_pretrained(tmp_path), family.ref_fast.from_pretrained(tmp_path)
    assert not ours.can_save_slow_tokenizer and not ref.can_save_slow_tokenizer
    for text in STRINGS:
        assert ours(text)["input_ids"] == ref(text)["input_ids"]
    ours.save_pretrained(tmp_path / "ours")
    ref.save_pretrained(tmp_path / "ref")
    assert sorted(p.name for p in (tmp_path / "ours").iterdir()) == sorted(p.name for p in (tmp_path / "ref").iterdir())
    with pytest.raises(ValueError, match="no sentencepiece.bpe.model to save"):
        ours.save_vocabulary(tmp_path)
    with pytest.raises(FileNotFoundError, match="expected sentencepiece.bpe.model"):
        family.slow.from_pretrained(tmp_path)


def test_empty_directory_names_the_files(tmp_path):
    for family in FAMILIES.values():
        with pytest.raises(FileNotFoundError, match="expected sentencepiece.bpe.model or tokenizer.json"):
            family.fast.from_pretrained(tmp_path)
        with pytest.raises(ValueError, match="needs tokenizer_file"):
            family.fast()


@pytest.mark.parametrize("kind", ["slow", "fast"])
def test_pickle_round_trip(case, kind):
    family, checkpoint = case
    tok = (family.slow if kind == "slow" else family.fast).from_pretrained(checkpoint.fast_dir)
    tok.add_tokens(["brandnew"])
    data = pickle.dumps(tok)
    if kind == "slow":
        assert b"SentencePieceProcessor" not in data  # rebuilt from the model's bytes, not pickled
    back = pickle.loads(data)
    for text in STRINGS + ["a brandnew word"]:
        assert back(text)["input_ids"] == tok(text)["input_ids"]
        assert back.decode(tok(text)["input_ids"]) == tok.decode(tok(text)["input_ids"])
    assert pickle.dumps(back) == data


def test_slow_without_sentencepiece_says_what_to_install(spm_checkpoints, monkeypatch):
    checkpoint = spm_checkpoints["xlm-roberta", "unigram"]
    monkeypatch.setitem(sys.modules, "sentencepiece", None)  # `import sentencepiece` now fails
    for family in FAMILIES.values():
        with pytest.raises(ImportError, match=r"roberta\[sentencepiece\]"):
            family.slow(str(checkpoint.model))
        fast = family.fast(vocab_file=str(checkpoint.model))  # converting needs neither package
        assert fast("Hello world")["input_ids"][0] == fast.cls_token_id


def test_not_a_sentencepiece_model(tmp_path, spm_checkpoints):
    bad = tmp_path / "sentencepiece.bpe.model"
    bad.write_bytes(b"\xff\xff\xff\xff not a model")
    with pytest.raises(SentencePieceModelError, match="sentencepiece.bpe.model"):
        FAMILIES["xlm-roberta"].fast(vocab_file=str(bad))
    truncated = tmp_path / "truncated.model"
    truncated.write_bytes(spm_checkpoints["xlm-roberta", "bpe"].model.read_bytes()[:1001])
    with pytest.raises(SentencePieceModelError, match="truncated.model"):
        read_model(truncated)
    with pytest.raises(ValueError, match="is not a valid tokenizers JSON file"):
        (tmp_path / "tokenizer.json").write_text("{nope")
        FAMILIES["camembert"].fast(tokenizer_file=str(tmp_path / "tokenizer.json"))


def test_word_model_cannot_be_converted(tmp_path):
    model = train_model(tmp_path, "word", vocab_size=80)
    for family in FAMILIES.values():
        with pytest.raises(ValueError, match="'word' SentencePiece model cannot be converted"):
            family.fast(vocab_file=str(model))
        slow = family.slow(str(model))  # the slow tokenizer segments with SentencePiece itself
        assert slow.tokenize("Hello world") == family.ref_slow(str(model)).tokenize("Hello world")


def test_backend_is_a_tokenizers_tokenizer(spm_checkpoints):
    tok = FAMILIES["camembert"].fast.from_pretrained(spm_checkpoints["camembert", "bpe"].slow_dir)
    assert isinstance(tok.backend_tokenizer, Tokenizer)
    assert tok.backend_tokenizer.encode("Bonjour le monde").tokens == tok.tokenize(
        "Bonjour le monde", add_special_tokens=True
    )
