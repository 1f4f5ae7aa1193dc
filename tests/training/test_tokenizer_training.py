"""`roberta train-tokenizer`: byte-level BPE loadable by our tokenizers and the reference's."""

from __future__ import annotations

import json

import pytest
import transformers

import roberta


def test_special_tokens_and_layout(tokenizer_dir):
    vocab = json.loads((tokenizer_dir / "vocab.json").read_text(encoding="utf-8"))
    assert [vocab[t] for t in ("<s>", "<pad>", "</s>", "<unk>")] == [0, 1, 2, 3]
    assert vocab["<mask>"] == len(vocab) - 1 == max(vocab.values())
    assert len(vocab) <= 300
    assert (tokenizer_dir / "merges.txt").read_text(encoding="utf-8").startswith("#version")
    assert (tokenizer_dir / "tokenizer.json").is_file()


@pytest.mark.parametrize(
    "cls",
    [
        roberta.RobertaTokenizer,
        roberta.RobertaTokenizerFast,
        transformers.RobertaTokenizer,
        transformers.RobertaTokenizerFast,
    ],
)
def test_loads_everywhere_with_same_ids(tokenizer_dir, cls):
    text = "alice likes <mask> cat . zebra été"
    ref = transformers.RobertaTokenizerFast.from_pretrained(tokenizer_dir)
    tok = cls.from_pretrained(tokenizer_dir)
    ids = tok(text)["input_ids"]
    assert ids == ref(text)["input_ids"]
    assert ids[0] == 0 and ids[-1] == 2 and tok.mask_token_id in ids and 3 not in ids  # bytes: never <unk>
    assert tok.decode(ids, skip_special_tokens=True) == "alice likes cat . zebra été"
    assert len(tok) == len(ref)


def test_vocab_size_too_small(tmp_path, corpus):
    from roberta.cli import main

    assert main(["train-tokenizer", str(corpus), "-o", str(tmp_path), "--vocab-size", "100"]) == 2
