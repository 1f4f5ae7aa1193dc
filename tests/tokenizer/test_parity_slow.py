"""RobertaTokenizer vs transformers.RobertaTokenizer on the same files."""

from __future__ import annotations

import pytest


def test_documentation_examples(slow):
    assert slow("Hello world")["input_ids"] == [0, 31414, 232, 2]
    assert slow(" Hello world")["input_ids"] == [0, 20920, 232, 2]
    assert slow.encode("Hello world", add_special_tokens=False) == [31414, 232]


def test_corpus_tokens_ids_and_masks(slow, ref_slow, corpus, assert_same):
    for text in corpus:
        assert slow.tokenize(text) == ref_slow.tokenize(text), text
        assert_same(slow(text, return_special_tokens_mask=True), ref_slow(text, return_special_tokens_mask=True))


def test_corpus_batch_and_pairs(slow, ref_slow, corpus, assert_same):
    firsts, seconds = corpus[:120], corpus[120:240]
    assert_same(slow(firsts), ref_slow(firsts))
    assert_same(
        slow(firsts, seconds, return_special_tokens_mask=True, return_length=True),
        ref_slow(firsts, seconds, return_special_tokens_mask=True, return_length=True),
    )
    for a, b in zip(firsts[:40], seconds):
        assert_same(slow(a, b), ref_slow(a, b))


@pytest.mark.parametrize("add_prefix_space", [False, True])
def test_add_prefix_space_call_kwarg(slow, ref_slow, corpus, add_prefix_space):
    for text in corpus[:80]:
        assert slow.encode(text, add_prefix_space=add_prefix_space) == ref_slow.encode(
            text, add_prefix_space=add_prefix_space
        )


def test_pre_split_words(slow, ref_slow, corpus, assert_same):
    words = [t.split(" ") for t in corpus[5:60]]
    for w in words:
        assert_same(slow(w, is_split_into_words=True), ref_slow(w, is_split_into_words=True))
    assert_same(
        slow(words, is_split_into_words=True, padding=True), ref_slow(words, is_split_into_words=True, padding=True)
    )
    assert slow(["Hello", "world"], is_split_into_words=True)["input_ids"] == [0, 20920, 232, 2]


@pytest.mark.parametrize("strategy", [True, "longest_first", "only_first", "only_second", False, "do_not_truncate"])
@pytest.mark.parametrize("max_length", [5, 9, 20])
def test_truncation_strategies(slow, ref_slow, corpus, strategy, max_length, assert_same):
    a, b = corpus[10:40], corpus[40:70]
    for pair in (None, b):
        overflow = strategy in ("only_first", "only_second") or (strategy in (True, "longest_first") and pair is None)
        kw = dict(truncation=strategy, max_length=max_length, stride=2, return_overflowing_tokens=overflow)
        if pair is None and strategy == "only_second":
            continue
        assert_same(slow(a, pair, **kw), ref_slow(a, pair, **kw))
        assert_same(
            slow(a[3], None if pair is None else pair[3], **kw), ref_slow(a[3], None if pair is None else pair[3], **kw)
        )


@pytest.mark.parametrize("side", ["left", "right"])
def test_truncation_side(slow, ref_slow, corpus, side, assert_same):
    slow.truncation_side = ref_slow.truncation_side = side
    try:
        assert_same(
            slow(corpus[10:30], corpus[30:50], truncation="longest_first", max_length=11),
            ref_slow(corpus[10:30], corpus[30:50], truncation="longest_first", max_length=11),
        )
    finally:
        slow.truncation_side = ref_slow.truncation_side = "right"


@pytest.mark.parametrize("padding", [True, "longest", "max_length", False, "do_not_pad"])
@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("multiple", [None, 8])
def test_padding(slow, ref_slow, corpus, padding, side, multiple, assert_same):
    kw = dict(
        padding=padding,
        max_length=24,
        truncation=True,
        pad_to_multiple_of=multiple,
        padding_side=side,
        return_special_tokens_mask=True,
        return_length=True,
    )
    assert_same(slow(corpus[5:25], **kw), ref_slow(corpus[5:25], **kw))
    assert_same(slow(corpus[7], **kw), ref_slow(corpus[7], **kw))


@pytest.mark.parametrize("tensors", ["pt", "np"])
def test_return_tensors(slow, ref_slow, corpus, tensors, assert_same):
    kw = dict(padding=True, return_tensors=tensors, return_token_type_ids=True)
    assert_same(slow(corpus[5:15], **kw), ref_slow(corpus[5:15], **kw))
    assert_same(slow(corpus[5], return_tensors=tensors), ref_slow(corpus[5], return_tensors=tensors))


def test_model_max_length_default_truncation(slow, ref_slow, assert_same):
    long_text = "word " * 700
    assert slow.model_max_length == 512
    assert_same(slow(long_text, truncation=True), ref_slow(long_text, truncation=True))
    assert len(slow(long_text, truncation=True)["input_ids"]) == 512


def test_pad_method(slow, ref_slow, corpus, assert_same):
    enc = [slow(t) for t in corpus[5:12]]
    ref = [ref_slow(t) for t in corpus[5:12]]
    for kw in (
        dict(),
        dict(padding="max_length", max_length=60, padding_side="left"),
        dict(pad_to_multiple_of=16, return_tensors="pt"),
    ):
        assert_same(slow.pad(enc, **kw), ref_slow.pad(ref, **kw))


@pytest.mark.parametrize("skip", [False, True])
def test_decode(slow, ref_slow, corpus, skip):
    batch = [ref_slow.encode(t, t[::-1]) for t in corpus[:100]]
    assert slow.batch_decode(batch, skip_special_tokens=skip) == ref_slow.batch_decode(batch, skip_special_tokens=skip)
    for ids in batch[:20]:
        assert slow.decode(ids, skip_special_tokens=skip, clean_up_tokenization_spaces=True) == ref_slow.decode(
            ids, skip_special_tokens=skip, clean_up_tokenization_spaces=True
        )
    invalid_utf8 = [0, 6800, 2]  # a lone continuation byte decodes with errors="replace"
    assert slow.decode(invalid_utf8) == ref_slow.decode(invalid_utf8)


def test_token_id_conversions_and_vocab(slow, ref_slow):
    tokens = ref_slow.tokenize("Hello world <mask> émoji 👍")
    assert slow.convert_tokens_to_ids(tokens) == ref_slow.convert_tokens_to_ids(tokens)
    assert slow.convert_tokens_to_ids("not-a-token-at-all") == 3
    ids = ref_slow.encode("Hello world <mask>")
    assert slow.convert_ids_to_tokens(ids) == ref_slow.convert_ids_to_tokens(ids)
    assert slow.convert_ids_to_tokens(ids, skip_special_tokens=True) == ref_slow.convert_ids_to_tokens(
        ids, skip_special_tokens=True
    )
    assert slow.convert_tokens_to_string(tokens) == ref_slow.convert_tokens_to_string(tokens)
    assert slow.get_vocab() == ref_slow.get_vocab()
    assert len(slow) == len(ref_slow) and slow.vocab_size == ref_slow.vocab_size


def test_special_tokens_surface(slow, ref_slow):
    assert slow.all_special_tokens == ref_slow.all_special_tokens
    assert slow.all_special_ids == ref_slow.all_special_ids
    assert slow.special_tokens_map == ref_slow.special_tokens_map
    for name in ("bos", "eos", "sep", "cls", "unk", "pad", "mask"):
        assert getattr(slow, f"{name}_token") == getattr(ref_slow, f"{name}_token")
        assert getattr(slow, f"{name}_token_id") == getattr(ref_slow, f"{name}_token_id")
    a, b = [5, 6, 7], [8, 9]
    for method in (
        "build_inputs_with_special_tokens",
        "get_special_tokens_mask",
        "create_token_type_ids_from_sequences",
    ):
        assert getattr(slow, method)(a) == getattr(ref_slow, method)(a)
        assert getattr(slow, method)(a, b) == getattr(ref_slow, method)(a, b)
    built = slow.build_inputs_with_special_tokens(a, b)
    assert slow.get_special_tokens_mask(built, already_has_special_tokens=True) == ref_slow.get_special_tokens_mask(
        built, already_has_special_tokens=True
    )


def test_added_tokens(roberta_dir, ref_slow):
    import transformers

    from roberta.tokenizer import RobertaTokenizer

    ours = RobertaTokenizer.from_pretrained(roberta_dir)
    ref = transformers.RobertaTokenizer.from_pretrained(roberta_dir)
    assert ours.add_tokens(["foo_bar", "Hello"]) == ref.add_tokens(["foo_bar", "Hello"])
    text = "a foo_bar Hello xfoo_bar <mask>"
    assert ours.tokenize(text) == ref.tokenize(text)
    assert ours.encode(text) == ref.encode(text)
    assert ours.decode(ours.encode(text)) == ref.decode(ref.encode(text))
    assert len(ours) == len(ref)


def test_bad_input_errors(slow):
    with pytest.raises(ValueError, match="text"):
        slow(123)
    with pytest.raises(ValueError, match="padding"):
        slow("x", padding="sideways")
    with pytest.raises(ValueError, match="truncation"):
        slow("x", truncation="middle", max_length=3)
    with pytest.raises(ValueError, match="different lengths|padding"):
        slow(["a", "a b c"], return_tensors="pt")
    with pytest.raises(ValueError, match="multiple"):
        slow("x", padding=True, truncation=True, max_length=10, pad_to_multiple_of=8)
    with pytest.raises(NotImplementedError, match="Fast"):
        slow("x", return_offsets_mapping=True)
    with pytest.raises(ValueError, match="word_ids"):
        slow("x").word_ids()
    with pytest.raises(ValueError, match="text_pair"):
        slow(["a", "b"], ["c"])
    with pytest.raises(TypeError, match="text_pair"):
        slow(["a", "b"], "c")


def test_padding_without_pad_token_is_an_error(roberta_dir):
    from roberta.tokenizer import RobertaTokenizer

    tok = RobertaTokenizer.from_pretrained(roberta_dir, pad_token=None)
    with pytest.raises(ValueError, match="padding token"):
        tok(["a", "b c"], padding=True)
