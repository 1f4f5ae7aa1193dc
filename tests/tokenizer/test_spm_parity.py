"""XLM-RoBERTa and CamemBERT tokenizers against the reference's on locally trained SentencePiece models
(unigram and BPE): ids, tokens, offsets, special-token masks, pairs, truncation, padding and decoding, for
every way of loading them (slow from the model or its directory; fast from tokenizer.json, converted from
sentencepiece.bpe.model, or built from the bare model file)."""

from __future__ import annotations

import copy

import pytest

from spm_helpers import FAMILIES, MODEL_TYPES, PAIRS, STRINGS

LOADS = ("slow-dir", "slow-model", "fast-json", "fast-converted", "fast-model")
CASES = [(f, m, load) for f in FAMILIES for m in MODEL_TYPES for load in LOADS]


def _load(family, checkpoint, load):
    if load == "slow-dir":
        return family.slow.from_pretrained(checkpoint.slow_dir), family.ref_slow.from_pretrained(checkpoint.slow_dir)
    if load == "slow-model":
        return family.slow(str(checkpoint.model)), family.ref_slow(str(checkpoint.model))
    if load == "fast-json":
        return family.fast.from_pretrained(checkpoint.fast_dir), family.ref_fast.from_pretrained(checkpoint.fast_dir)
    if load == "fast-converted":
        return family.fast.from_pretrained(checkpoint.slow_dir), family.ref_fast.from_pretrained(checkpoint.slow_dir)
    return family.fast(vocab_file=str(checkpoint.model)), family.ref_fast(vocab_file=str(checkpoint.model))


@pytest.fixture(scope="module", params=CASES, ids=["-".join(c) for c in CASES])
def pair(request, spm_checkpoints):
    family, model_type, load = request.param
    ours, ref = _load(FAMILIES[family], spm_checkpoints[family, model_type], load)
    assert ours.is_fast == ref.is_fast
    return ours, ref


def _outcome(tok, *args, **kwargs):
    """What encoding returns, or that it raised (both libraries refuse the same calls; the reference's fast
    tokenizers raise the Rust side's bare Exception, or its panic, where ours raise a ValueError)."""
    try:
        return ("ok", dict(tok(*args, **kwargs)))
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # noqa: BLE001 - pyo3's PanicException is a BaseException
        return ("raises",)


def test_single_texts(pair, corpus, assert_same):
    ours, ref = pair
    options = dict(return_special_tokens_mask=True, return_length=True, return_offsets_mapping=ours.is_fast)
    for text in STRINGS + corpus:
        assert ours.tokenize(text) == ref.tokenize(text), text
        assert_same(ours(text, **options), ref(text, **options))
        assert ours(text, add_special_tokens=False)["input_ids"] == ref(text, add_special_tokens=False)["input_ids"]


def test_pairs_and_batches(pair, assert_same):
    ours, ref = pair
    for first, second in PAIRS:
        assert_same(
            ours(first, second, return_special_tokens_mask=True), ref(first, second, return_special_tokens_mask=True)
        )
    firsts, seconds = [p[0] for p in PAIRS], [p[1] for p in PAIRS]
    for side in ("right", "left"):
        kwargs = dict(padding=True, padding_side=side, return_tensors="np", return_token_type_ids=True)
        assert_same(ours(firsts, seconds, **kwargs), ref(firsts, seconds, **kwargs))
    assert_same(
        ours(STRINGS, padding="longest", pad_to_multiple_of=8), ref(STRINGS, padding="longest", pad_to_multiple_of=8)
    )
    words = ["Bonjour", "le", "monde", "东京", "<mask>", "x"]
    assert_same(ours(words, is_split_into_words=True), ref(words, is_split_into_words=True))


@pytest.mark.parametrize("strategy", ["longest_first", "only_first", "only_second"])
def test_truncation(pair, strategy):
    ours, ref = pair
    for first, second in PAIRS + [("Hello world! " * 6, None)]:
        for kwargs in (
            dict(max_length=12),
            dict(max_length=16, stride=3, return_overflowing_tokens=True),
            dict(max_length=16, padding="max_length"),
        ):
            args = (first,) if second is None else (first, second)
            got = _outcome(ours, *args, truncation=strategy, **kwargs)
            want = _outcome(ref, *args, truncation=strategy, **kwargs)
            assert got == want, (first, second, kwargs)
    ours.truncation_side = ref.truncation_side = "left"
    try:
        text = "the quick brown fox jumps over the lazy dog"
        assert (
            ours(text, truncation=True, max_length=7)["input_ids"]
            == ref(text, truncation=True, max_length=7)["input_ids"]
        )
    finally:
        ours.truncation_side = ref.truncation_side = "right"


def test_decode(pair, corpus):
    ours, ref = pair
    for text in STRINGS + corpus[:80]:
        ids = ref(text)["input_ids"]
        for skip in (False, True):
            assert ours.decode(ids, skip_special_tokens=skip) == ref.decode(ids, skip_special_tokens=skip), text
        assert ours.decode(ids, clean_up_tokenization_spaces=True) == ref.decode(ids, clean_up_tokenization_spaces=True)
        tokens = ref.convert_ids_to_tokens(ids)
        assert ours.convert_ids_to_tokens(ids) == tokens
        assert ours.convert_tokens_to_string(tokens) == ref.convert_tokens_to_string(tokens)
    batch = ref(STRINGS[:6], padding=True)["input_ids"]
    assert ours.batch_decode(batch, skip_special_tokens=True) == ref.batch_decode(batch, skip_special_tokens=True)


def test_vocabulary_and_special_tokens(pair):
    ours, ref = pair
    assert (ours.vocab_size, len(ours)) == (ref.vocab_size, len(ref))
    assert ours.get_vocab() == ref.get_vocab()
    assert ours.special_tokens_map == ref.special_tokens_map
    assert ours.all_special_tokens == ref.all_special_tokens and ours.all_special_ids == ref.all_special_ids
    for role in ("bos", "eos", "unk", "sep", "pad", "cls", "mask"):
        assert getattr(ours, f"{role}_token_id") == getattr(ref, f"{role}_token_id"), role
    assert {i: repr(t) for i, t in ours.added_tokens_decoder.items()} == {
        i: repr(t) for i, t in ref.added_tokens_decoder.items()
    }
    ids = list(range(len(ref)))
    assert ours.convert_ids_to_tokens(ids) == ref.convert_ids_to_tokens(ids)
    tokens = [*ref.get_vocab(), "never-a-piece", "☃", "<mask>", "▁"]
    assert ours.convert_tokens_to_ids(tokens) == ref.convert_tokens_to_ids(tokens)
    for pair_ in (False, True):
        assert ours.num_special_tokens_to_add(pair_) == ref.num_special_tokens_to_add(pair_)
    a, b = [10, 11, 12], [20, 21]
    for second in (None, b):
        assert ours.build_inputs_with_special_tokens(a, second) == ref.build_inputs_with_special_tokens(a, second)
        built = ref.build_inputs_with_special_tokens(a, second)
        mask = ref.get_special_tokens_mask(built, already_has_special_tokens=True)
        assert ours.get_special_tokens_mask(built, already_has_special_tokens=True) == mask
        if not ref.is_fast:  # the reference's fast tokenizers refuse unbuilt ids here; ours give the same mask
            assert ours.get_special_tokens_mask(a, second) == ref.get_special_tokens_mask(a, second)
        assert ours.create_token_type_ids_from_sequences(a, second) == ref.create_token_type_ids_from_sequences(
            a, second
        )


def test_added_tokens(pair, assert_same):
    ours, ref = (copy.deepcopy(t) for t in pair)  # the module's pair stays as loaded
    assert ours.add_tokens(["brandnew", "Straße"]) == ref.add_tokens(["brandnew", "Straße"])
    assert ours.add_tokens(["brandnew"]) == ref.add_tokens(["brandnew"]) == 0
    assert ours.add_special_tokens({"additional_special_tokens": ["<extra>"]}) == ref.add_special_tokens(
        {"additional_special_tokens": ["<extra>"]}
    )
    assert ours.get_added_vocab() == ref.get_added_vocab()
    for text in ("a brandnew <extra> Straße x", "brandnew<mask><extra>"):
        assert_same(ours(text), ref(text))
        ids = ref(text)["input_ids"]
        for skip in (False, True):
            assert ours.decode(ids, skip_special_tokens=skip) == ref.decode(ids, skip_special_tokens=skip)
