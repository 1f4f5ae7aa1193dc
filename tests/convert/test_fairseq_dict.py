"""dict.txt: fairseq's indices, and GPT-2 token ids recovered from merges.txt alone."""

from __future__ import annotations

import pytest

from roberta.convert.fairseq_dict import SPECIALS, gpt2_tokens, read_dict
from roberta.tokenizer.bpe import load_merges, load_vocab


def test_gpt2_ids_from_the_merges_place_every_roberta_base_token(roberta_base_dir):
    """roberta-base's vocab.json lists its tokens in dict.txt order, dict.txt names them by GPT-2 id: the ids
    derived from merges.txt must agree on every line."""
    vocab = load_vocab(roberta_base_dir / "vocab.json")
    by_id = {i: t for t, i in vocab.items()}
    tokens = gpt2_tokens(load_merges(roberta_base_dir / "merges.txt"))
    assert len(tokens) == 50257
    symbols = read_dict(roberta_base_dir / "dict.txt")
    assert symbols[:4] == list(SPECIALS) and len(symbols) == 50264
    for index, symbol in enumerate(symbols[4:], start=4):
        assert by_id[index] == (tokens[int(symbol)] if symbol.isdigit() else symbol), (index, symbol)


def test_bad_dictionary_files(tmp_path):
    (tmp_path / "a.txt").write_text("13 850\n262\n")
    with pytest.raises(ValueError, match=r"a.txt, line 2: expected '<symbol> <count>', got '262'"):
        read_dict(tmp_path / "a.txt")
    (tmp_path / "b.txt").write_text("13 850\n13 3\n")
    with pytest.raises(ValueError, match="line 2: symbol '13' appears twice"):
        read_dict(tmp_path / "b.txt")
    (tmp_path / "c.txt").write_text("13 850\n<mask> 0 #fairseq:overwrite\n")
    assert read_dict(tmp_path / "c.txt")[4:] == ["13", "<mask>"]


def test_a_dictionary_that_is_not_utf8_names_the_file_and_line(tmp_path):
    (tmp_path / "dict.txt").write_bytes(b"13 850\n\xff\xfe 3\n")
    with pytest.raises(ValueError, match=r"dict.txt, line 2: not valid UTF-8 \(byte 0xff at column 1\)"):
        read_dict(tmp_path / "dict.txt")
    (tmp_path / "dict.txt").write_bytes(b"\xef\xbb\xbf13 850\r\n262 7\r\n")  # a BOM and CRLF line ends are fine
    assert read_dict(tmp_path / "dict.txt")[4:] == ["13", "262"]
