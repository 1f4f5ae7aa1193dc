"""Packing, dynamic masking and memory-mapped shards."""

from __future__ import annotations

import numpy as np

from roberta import RobertaTokenizerFast
from roberta.training.data import MaskingCollator, mask_tokens, pack_documents, sample_rng
from roberta.training.shards import ShardedSequences, build_shards

BOS, PAD, EOS, MASK = 0, 1, 2, 9


def test_packing_fills_across_documents_with_separator():
    docs = [[[10, 11], [12]], [[20, 21, 22]], [[30] * 7], [[40]]]
    seqs = list(pack_documents(docs, max_seq_length=10, bos_id=BOS, eos_id=EOS))
    assert seqs[0] == [0, 10, 11, 12, 2, 20, 21, 22, 2]  # doc 1 + </s> + doc 2 (doc 3 would overflow)
    assert seqs[1:] == [[0] + [30] * 7 + [2], [0, 40, 2]]  # doc 4 + separator would not fit
    assert all(len(s) <= 10 and s[0] == BOS and s[-1] == EOS for s in seqs)


def test_packing_whole_sentences_and_long_sentence_split():
    docs = [[[5] * 3, [6] * 3, [7] * 3]]  # 3 sentences of 3 in budget 6 -> two sentences, then one
    seqs = list(pack_documents(docs, max_seq_length=8, bos_id=BOS, eos_id=EOS))
    assert seqs == [[0, 5, 5, 5, 6, 6, 6, 2], [0, 7, 7, 7, 2]]
    long = list(pack_documents([[[8] * 13]], max_seq_length=7, bos_id=BOS, eos_id=EOS))
    assert [len(s) for s in long] == [7, 7, 5] and sum(s.count(8) for s in long) == 13


def test_masking_statistics_and_specials():
    vocab, special = 50, [BOS, PAD, EOS, MASK]
    seq = np.array([BOS] + list(range(10, 50)) * 5 + [EOS, EOS] + list(range(10, 50)) * 5 + [EOS])
    chosen = masked = randomised = kept = total = 0
    for pos in range(400):
        inputs, labels = mask_tokens(seq, sample_rng(3, pos), mask_id=MASK, special_ids=special, vocab_size=vocab)
        sel = labels != -100
        assert not np.isin(seq[sel], special).any()  # never a special token chosen
        assert (inputs[np.isin(seq, special)] == seq[np.isin(seq, special)]).all()
        assert (labels[sel] == seq[sel]).all()
        chosen += sel.sum()
        total += (~np.isin(seq, special)).sum()
        masked += (inputs[sel] == MASK).sum()
        changed = sel & (inputs != MASK) & (inputs != seq)
        randomised += changed.sum()
        assert not np.isin(inputs[changed], special).any()
        kept += (sel & (inputs == seq)).sum()
    assert abs(chosen / total - 0.15) < 0.005
    assert abs(masked / chosen - 0.8) < 0.01
    assert abs(randomised / chosen - 0.1) < 0.01  # a random token can equal the original 1/46 of the time
    assert abs(kept / chosen - 0.1) < 0.012


def test_masks_are_fresh_per_position_and_reproducible():
    coll = MaskingCollator(mask_id=MASK, pad_id=PAD, special_ids=[0, 1, 2, 9], vocab_size=50, seed=7)
    seq = np.arange(10, 50)
    a, b, a2 = coll([seq], [0]), coll([seq], [1]), coll([seq], [0])
    assert not np.array_equal(a["labels"], b["labels"])
    assert np.array_equal(a["input_ids"], a2["input_ids"])
    padded = coll([seq, seq[:5]], [0, 1])
    assert padded["input_ids"].shape == (2, 40) and padded["attention_mask"][1].sum() == 5
    assert (padded["labels"][1, 5:] == -100).all() and (padded["input_ids"][1, 5:] == PAD).all()


def test_shards_roundtrip_memmap(tmp_path, tokenizer_dir):
    tok = RobertaTokenizerFast.from_pretrained(tokenizer_dir)
    text = tmp_path / "c.txt"
    text.write_text("alice likes the cat .\nbob sees a bird .\n\ncarol helps the dog .\n", encoding="utf-8")
    d = build_shards([text], tok, tmp_path / "shards", max_seq_length=64, shard_tokens=8)
    seqs = ShardedSequences(d)
    assert seqs.meta["dtype"] == "uint16"
    assert isinstance(seqs._tokens[0], np.memmap)
    (only,) = [seqs[i] for i in range(len(seqs))]
    ids = [
        tok(s, add_special_tokens=False)["input_ids"]
        for s in ["alice likes the cat .", "bob sees a bird .", "carol helps the dog ."]
    ]
    assert only.tolist() == [0, *ids[0], *ids[1], 2, *ids[2], 2]
    mtime = (tmp_path / "shards" / "meta.json").stat().st_mtime_ns
    build_shards([text], tok, tmp_path / "shards", max_seq_length=64)  # unchanged input: reused, not rebuilt
    assert (tmp_path / "shards" / "meta.json").stat().st_mtime_ns == mtime
    build_shards([text], tok, tmp_path / "shards", max_seq_length=12, shard_tokens=8)
    small = ShardedSequences(tmp_path / "shards")
    assert len(small) > 1 and len(small.meta["shards"]) > 1
    assert all(len(small[i]) <= 12 for i in range(len(small)))
