"""The byte-level BPE core: byte table, merges and file validation."""

from __future__ import annotations

import json

import pytest

from roberta.tokenizer import RobertaTokenizer, RobertaTokenizerFast
from roberta.tokenizer.bpe import (
    BytePairEncoder,
    bytes_to_symbols,
    bytes_to_unicode,
    load_merges,
    load_vocab,
    parse_merges,
    symbols_to_bytes,
)


def test_byte_table_is_a_bijection_of_printable_chars():
    table = bytes_to_unicode()
    assert sorted(table) == list(range(256))
    assert len(set(table.values())) == 256
    assert table[ord(" ")] == "Ġ" and table[ord("A")] == "A"
    assert all(c.isprintable() and not c.isspace() for c in table.values())


def test_symbols_roundtrip_utf8():
    text = " héllo 日本 👨‍👩‍👧\t\n"
    assert symbols_to_bytes(bytes_to_symbols(text)).decode("utf-8") == text
    assert bytes_to_symbols(" Hello") == "ĠHello"


def test_merges_apply_lowest_rank_first():
    ranks = parse_merges(["#version: 0.2", "a b", "b c", "ab c"])
    bpe = BytePairEncoder(ranks)
    assert bpe.merge("abc") == ["abc"]
    assert bpe.merge("bcab") == ["bc", "ab"]
    assert bpe.merge("xyz") == ["x", "y", "z"]


def test_ranks_are_not_ids(roberta_dir, ref_slow):
    ranks = load_merges(roberta_dir / "merges.txt")
    vocab = load_vocab(roberta_dir / "vocab.json")
    assert ranks[("Ġ", "t")] == 0 and vocab["Ġt"] != 0
    assert ranks == ref_slow.bpe_ranks


def test_cache_is_bounded_and_consistent(roberta_dir):
    bpe = BytePairEncoder(load_merges(roberta_dir / "merges.txt"), cache_size=3)
    text = "one two three four five six one two"
    first = bpe.tokenize(text)
    assert len(bpe._cache) <= 3
    assert bpe.tokenize(text) == first


def test_merge_result_outside_vocab_does_not_crash(tmp_path, roberta_dir):
    vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3, "a": 4, "b": 5, "<mask>": 6}
    (tmp_path / "vocab.json").write_text(json.dumps(vocab))
    (tmp_path / "merges.txt").write_text("#version: 0.2\na b\n")
    tok = RobertaTokenizer.from_pretrained(tmp_path)
    assert tok.tokenize("ab") == ["ab"]
    assert tok("ab")["input_ids"] == [0, 3, 2]  # "ab" is not in the vocab -> <unk>


@pytest.mark.parametrize("cls", [RobertaTokenizer, RobertaTokenizerFast])
def test_missing_files_are_named(tmp_path, roberta_dir, cls):
    (tmp_path / "merges.txt").write_text((roberta_dir / "merges.txt").read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(OSError, match="vocab.json"):
        cls.from_pretrained(tmp_path)
    with pytest.raises(FileNotFoundError, match="nope.json"):
        cls(vocab_file=str(tmp_path / "nope.json"), merges_file=str(tmp_path / "merges.txt"))


def test_missing_merges_is_named(tmp_path, roberta_dir):
    (tmp_path / "vocab.json").write_text("{}")
    with pytest.raises(OSError, match="merges.txt"):
        RobertaTokenizer.from_pretrained(tmp_path)


@pytest.mark.parametrize("cls", [RobertaTokenizer, RobertaTokenizerFast])
def test_malformed_vocab_json(tmp_path, cls):
    (tmp_path / "vocab.json").write_text("{not json")
    (tmp_path / "merges.txt").write_text("#version: 0.2\n")
    with pytest.raises(ValueError, match="vocab.json.*not valid JSON"):
        cls(vocab_file=str(tmp_path / "vocab.json"), merges_file=str(tmp_path / "merges.txt"))
    (tmp_path / "vocab.json").write_text("[1, 2]")
    with pytest.raises(ValueError, match="vocab.json.*object"):
        cls(vocab_file=str(tmp_path / "vocab.json"), merges_file=str(tmp_path / "merges.txt"))
    (tmp_path / "vocab.json").write_text('{"a": "x"}')
    with pytest.raises(ValueError, match="'a'"):
        cls(vocab_file=str(tmp_path / "vocab.json"), merges_file=str(tmp_path / "merges.txt"))


def test_malformed_merges_line(tmp_path, roberta_dir):
    (tmp_path / "vocab.json").write_text((roberta_dir / "vocab.json").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "merges.txt").write_text("#version: 0.2\na b\nonlyone\n")
    with pytest.raises(ValueError, match=r"merges.txt, line 3.*two tokens"):
        RobertaTokenizer.from_pretrained(tmp_path)
    (tmp_path / "merges.txt").write_text("#version: 0.2\na b c\n")
    with pytest.raises(ValueError, match="line 2"):
        RobertaTokenizerFast(vocab_file=str(tmp_path / "vocab.json"), merges_file=str(tmp_path / "merges.txt"))
