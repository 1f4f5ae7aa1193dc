"""RobertaTokenizerFast vs transformers.RobertaTokenizerFast on the same files."""

from __future__ import annotations

import pytest
import transformers

from roberta.tokenizer import RobertaTokenizerFast


def test_documentation_examples(fast):
    assert fast("Hello world")["input_ids"] == [0, 31414, 232, 2]
    assert fast(" Hello world")["input_ids"] == [0, 20920, 232, 2]


def test_corpus_ids_offsets_masks(fast, ref_fast, corpus, assert_same):
    kw = dict(return_offsets_mapping=True, return_special_tokens_mask=True, return_length=True)
    assert_same(fast(corpus, **kw), ref_fast(corpus, **kw))
    for text in corpus[:100]:
        ours, ref = fast(text, **kw), ref_fast(text, **kw)
        assert_same(ours, ref)
        assert ours.tokens() == ref.tokens() and ours.word_ids() == ref.word_ids()
        assert fast.tokenize(text) == ref_fast.tokenize(text)


def test_pairs_and_sequence_ids(fast, ref_fast, corpus, assert_same):
    a, b = corpus[:100], corpus[100:200]
    ours, ref = fast(a, b, return_offsets_mapping=True), ref_fast(a, b, return_offsets_mapping=True)
    assert_same(ours, ref)
    for i in range(0, 100, 7):
        assert ours.sequence_ids(i) == ref.sequence_ids(i)
        assert ours.word_ids(i) == ref.word_ids(i)
    assert ours.char_to_token(3, 0) == ref.char_to_token(3, 0)


def test_empty_text_pair_is_ignored_like_reference(fast, ref_fast, assert_same):
    assert_same(fast("hello", ""), ref_fast("hello", ""))


@pytest.mark.parametrize("strategy", [True, "longest_first", "only_first", "only_second", False])
@pytest.mark.parametrize("max_length", [9, 20])
@pytest.mark.parametrize("stride", [0, 3])
def test_truncation_and_overflow(fast, ref_fast, corpus, strategy, max_length, stride, assert_same):
    text = [t for t in corpus[10:60] if len(ref_fast.tokenize(t)) > 12][:10]
    pair = [t for t in corpus[60:120] if len(ref_fast.tokenize(t)) > 12][:10]
    for p in (None, pair):
        if p is None and strategy == "only_second":
            continue
        kw = dict(
            truncation=strategy,
            max_length=max_length,
            stride=stride,
            return_overflowing_tokens=True,
            return_offsets_mapping=True,
        )
        try:
            ref = ref_fast(text, p, **kw)
        except BaseException as e:  # the reference fails (or panics) on impossible settings; we raise ValueError
            assert "too short" in str(e) or "stride" in str(e)
            with pytest.raises(ValueError, match="too short|stride"):
                fast(text, p, **kw)
            continue
        assert_same(fast(text, p, **kw), ref)


@pytest.mark.parametrize("padding", [True, "max_length", False])
@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("multiple", [None, 8])
def test_padding(fast, ref_fast, corpus, padding, side, multiple, assert_same):
    kw = dict(
        padding=padding,
        max_length=32,
        truncation=True,
        pad_to_multiple_of=multiple,
        padding_side=side,
        return_special_tokens_mask=True,
        return_length=True,
        return_token_type_ids=True,
    )
    assert_same(fast(corpus[5:25], **kw), ref_fast(corpus[5:25], **kw))
    assert_same(fast(corpus[7], **kw), ref_fast(corpus[7], **kw))


def test_padding_side_attribute(fast, ref_fast, corpus, assert_same):
    fast.padding_side = ref_fast.padding_side = "left"
    try:
        assert_same(fast(corpus[5:15], padding=True), ref_fast(corpus[5:15], padding=True))
    finally:
        fast.padding_side = ref_fast.padding_side = "right"


@pytest.mark.parametrize("tensors", ["pt", "np"])
def test_return_tensors(fast, ref_fast, corpus, tensors, assert_same):
    kw = dict(padding=True, return_tensors=tensors, return_offsets_mapping=True)
    assert_same(fast(corpus[5:15], **kw), ref_fast(corpus[5:15], **kw))
    assert_same(fast(corpus[5], return_tensors=tensors), ref_fast(corpus[5], return_tensors=tensors))
    if tensors == "pt":
        moved = fast(corpus[5:7], padding=True, return_tensors="pt").to("cpu")
        assert moved.input_ids.device.type == "cpu"


def test_pre_split_words_need_prefix_space(fast, roberta_dir, corpus, assert_same):
    with pytest.raises(ValueError, match="add_prefix_space=True"):
        fast(["Hello", "world"], is_split_into_words=True)
    with pytest.raises(AssertionError):  # the reference raises an AssertionError here
        fast(["Hello", "world"], is_split_into_words=True)
    ours = RobertaTokenizerFast.from_pretrained(roberta_dir, add_prefix_space=True)
    ref = transformers.RobertaTokenizerFast.from_pretrained(roberta_dir, add_prefix_space=True)
    words = [t.split() or ["x"] for t in corpus[5:50]]
    kw = dict(is_split_into_words=True, return_offsets_mapping=True)
    assert_same(ours(words, **kw), ref(words, **kw))
    assert ours(words, **kw).word_ids(3) == ref(words, **kw).word_ids(3)
    assert_same(ours(words[0], **kw), ref(words[0], **kw))
    assert_same(ours(corpus[:50]), ref(corpus[:50]))


@pytest.mark.parametrize("add_prefix_space", [False, True])
@pytest.mark.parametrize("trim_offsets", [False, True])
@pytest.mark.parametrize("from_tokenizer_json", [False, True])
def test_prefix_space_and_trim_offsets(
    roberta_dir, corpus, add_prefix_space, trim_offsets, from_tokenizer_json, assert_same
):
    kw = dict(add_prefix_space=add_prefix_space, trim_offsets=trim_offsets)
    if from_tokenizer_json:
        ours = RobertaTokenizerFast.from_pretrained(roberta_dir, **kw)
        ref = transformers.RobertaTokenizerFast.from_pretrained(roberta_dir, **kw)
    else:
        files = dict(vocab_file=str(roberta_dir / "vocab.json"), merges_file=str(roberta_dir / "merges.txt"))
        ours = RobertaTokenizerFast(**files, **kw)
        ref = transformers.RobertaTokenizerFast(**files, **kw)
    assert_same(
        ours(corpus[:80], corpus[80:160], return_offsets_mapping=True),
        ref(corpus[:80], corpus[80:160], return_offsets_mapping=True),
    )


@pytest.mark.parametrize("skip", [False, True])
def test_decode(fast, ref_fast, corpus, skip):
    batch = [ref_fast.encode(t, t[::-1]) for t in corpus[:100]]
    assert fast.batch_decode(batch, skip_special_tokens=skip) == ref_fast.batch_decode(batch, skip_special_tokens=skip)
    assert fast.decode(batch[3], clean_up_tokenization_spaces=True) == ref_fast.decode(
        batch[3], clean_up_tokenization_spaces=True
    )


def test_vocab_and_special_tokens(fast, ref_fast):
    assert fast.get_vocab() == ref_fast.get_vocab()
    assert len(fast) == len(ref_fast) and fast.vocab_size == ref_fast.vocab_size
    assert fast.all_special_ids == ref_fast.all_special_ids
    assert fast.all_special_tokens == ref_fast.all_special_tokens
    assert fast.mask_token_id == 50264 and fast.pad_token_id == 1
    tokens = ref_fast.tokenize("Hello world 👍")
    assert fast.convert_tokens_to_ids(tokens) == ref_fast.convert_tokens_to_ids(tokens)
    assert fast.convert_tokens_to_string(tokens) == ref_fast.convert_tokens_to_string(tokens)
    assert fast.model_max_length == ref_fast.model_max_length == 512
    for method in ("build_inputs_with_special_tokens", "create_token_type_ids_from_sequences"):
        assert getattr(fast, method)([5, 6], [7]) == getattr(ref_fast, method)([5, 6], [7])
    # the reference's fast class refuses this call (AssertionError); ours answers like the slow one
    assert fast.get_special_tokens_mask([5, 6], [7]) == [1, 0, 0, 1, 1, 0, 1]


def test_added_tokens(roberta_dir, assert_same):
    ours = RobertaTokenizerFast.from_pretrained(roberta_dir)
    ref = transformers.RobertaTokenizerFast.from_pretrained(roberta_dir)
    assert ours.add_tokens(["foo_bar", "Hello"]) == ref.add_tokens(["foo_bar", "Hello"])
    assert ours.add_special_tokens({"additional_special_tokens": ["<sep2>"]}) == ref.add_special_tokens(
        {"additional_special_tokens": ["<sep2>"]}
    )
    text = ["a foo_bar Hello xfoo_bar <sep2> <mask>"]
    assert_same(ours(text), ref(text))
    assert ours.decode(ours(text)["input_ids"][0], skip_special_tokens=True) == ref.decode(
        ref(text)["input_ids"][0], skip_special_tokens=True
    )


def test_truncation_error_is_clear(fast):
    with pytest.raises(ValueError, match="too short"):
        fast(["a b c d e f g"], ["x"], truncation="only_second", max_length=5)
