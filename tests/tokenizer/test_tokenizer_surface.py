"""The BatchEncoding alignment methods and the tokenizer attributes users' scripts call, against the reference."""

from __future__ import annotations

import inspect
import json
import logging

import pytest
import transformers
from tokenizers import AddedToken, Tokenizer, models

from roberta.tokenizer import RobertaTokenizer, RobertaTokenizerFast

TEXTS = ["Hello world, this is naïve café 日本語.", "  two  spaces", "Paris is the <mask> of France.", "x"]
PAIRS = ["A second sequence 👍 here", "b", "The capital.", "it's done"]
WORDS = [["Pre", "split", "wörds"], ["more", "words", "here", "!"]]


def _outcome(fn, *args):
    """What a call returns, or what it raises: a TypeError (what the reference raises for a missing word; ours
    is a subclass) or the exception's type name."""
    try:
        return fn(*args)
    except Exception as e:  # the comparison is of the exception types
        return ("raises", "TypeError" if isinstance(e, TypeError) else type(e).__name__)


def _alignment(enc, batch_index, n_tokens, n_words, n_chars, sequences):
    """Every alignment query on row `batch_index` over all token, word and character indices (and one past)."""
    out = {
        "tokens": enc.tokens(batch_index),
        "word_ids": enc.word_ids(batch_index),
        "sequence_ids": enc.sequence_ids(batch_index),
    }
    for t in range(n_tokens + 1):
        out["token_to_sequence", t] = enc.token_to_sequence(batch_index, t)
        out["token_to_word", t] = enc.token_to_word(batch_index, t)
        out["token_to_chars", t] = enc.token_to_chars(batch_index, t)
    for s in sequences:
        for w in range(n_words + 1):
            out["word_to_tokens", w, s] = enc.word_to_tokens(batch_index, w, sequence_index=s)
            out["word_to_chars", w, s] = _outcome(enc.word_to_chars, batch_index, w, s)
        for c in range(n_chars + 1):
            out["char_to_token", c, s] = enc.char_to_token(batch_index, c, sequence_index=s)
            out["char_to_word", c, s] = enc.char_to_word(batch_index, c, sequence_index=s)
    return out


def _assert_alignment_matches(ours, ref, lengths, sequences=(0,)):
    assert ours.is_fast and ref.is_fast
    assert ours.n_sequences == ref.n_sequences
    assert len(ours.encodings) == len(ref.encodings)
    for i, n_chars in enumerate(lengths):
        n_tokens = len(ref.tokens(i))
        n_words = max([w for w in ref.word_ids(i) if w is not None], default=0) + 1
        a = _alignment(ours, i, n_tokens, n_words, n_chars, sequences)
        b = _alignment(ref, i, n_tokens, n_words, n_chars, sequences)
        assert a == b
        for key, value in a.items():  # the named tuples themselves, not only equal tuples
            if value is not None and key[0] in ("token_to_chars", "word_to_tokens", "word_to_chars"):
                if not (isinstance(value, tuple) and value and value[0] == "raises"):
                    assert type(value).__name__ == type(b[key]).__name__
                    assert value._fields == ("start", "end")


def test_alignment_single_and_batch(fast, ref_fast):
    ours, ref = fast(TEXTS), ref_fast(TEXTS)
    _assert_alignment_matches(ours, ref, [len(t) for t in TEXTS])
    one, ref_one = fast(TEXTS[0]), ref_fast(TEXTS[0])  # the one-index call form reads row 0
    for t in range(len(ref_one.tokens()) + 1):
        assert one.token_to_word(t) == ref_one.token_to_word(t)
        assert one.token_to_sequence(t) == ref_one.token_to_sequence(t)
        assert one.token_to_chars(t) == ref_one.token_to_chars(t)
    for w in range(8):
        assert one.word_to_tokens(w) == ref_one.word_to_tokens(w)
        assert _outcome(one.word_to_chars, w) == _outcome(ref_one.word_to_chars, w)
    for c in range(len(TEXTS[0]) + 1):
        assert one.char_to_word(c) == ref_one.char_to_word(c)
        assert one.char_to_token(c) == ref_one.char_to_token(c)


def test_alignment_pairs_use_sequence_index(fast, ref_fast):
    ours, ref = fast(TEXTS, PAIRS, padding=True), ref_fast(TEXTS, PAIRS, padding=True)
    assert ours.n_sequences == ref.n_sequences == 2
    _assert_alignment_matches(ours, ref, [max(len(a), len(b)) for a, b in zip(TEXTS, PAIRS)], sequences=(0, 1))


def test_alignment_with_truncation_and_overflow(fast, ref_fast):
    kw = dict(truncation=True, max_length=12, stride=1, return_overflowing_tokens=True)
    ours, ref = fast(TEXTS, PAIRS, **kw), ref_fast(TEXTS, PAIRS, **kw)
    assert ours["overflow_to_sample_mapping"] == ref["overflow_to_sample_mapping"]
    assert len(ref.encodings) > len(TEXTS)  # some rows overflowed
    lengths = [max(len(TEXTS[i]), len(PAIRS[i])) for i in ref["overflow_to_sample_mapping"]]
    _assert_alignment_matches(ours, ref, lengths, sequences=(0, 1))


def test_alignment_of_pre_split_words(roberta_dir):
    ours = RobertaTokenizerFast.from_pretrained(roberta_dir, add_prefix_space=True)
    ref = transformers.RobertaTokenizerFast.from_pretrained(roberta_dir, add_prefix_space=True)
    a, b = ours(WORDS, is_split_into_words=True), ref(WORDS, is_split_into_words=True)
    _assert_alignment_matches(a, b, [max(len(w) for w in words) for words in WORDS])
    assert [a.word_to_tokens(1, w) for w in range(4)] == [b.word_to_tokens(1, w) for w in range(4)]


def test_negative_indices_count_from_the_end(fast, ref_fast):
    # The reference means to (it adds a length it does not have, and raises AttributeError); we do.
    ours, ref = fast(TEXTS), ref_fast(TEXTS)
    last = len(ref.tokens(1)) - 1
    assert ours.token_to_word(1, -2) == ref.token_to_word(1, last - 1)
    assert ours.token_to_chars(1, -2) == ref.token_to_chars(1, last - 1)
    assert ours.token_to_sequence(-1, -1) == ref.token_to_sequence(3, len(ref.tokens(3)) - 1)
    assert ours.word_ids(-1) == ref.word_ids(-1) and ours.tokens(-1) == ref.tokens(-1)
    for method in (ours.word_to_tokens, ours.word_to_chars, ours.char_to_token, ours.char_to_word):
        with pytest.raises(OverflowError):  # words and characters have no end to count from
            method(0, -1)


def test_word_to_chars_of_a_missing_word_raises_like_the_reference(fast, ref_fast):
    with pytest.raises(TypeError):
        ref_fast("two words").word_to_chars(5)
    with pytest.raises(TypeError, match="no word 5"):
        fast("two words").word_to_chars(5)


def test_words_is_a_deprecated_alias(fast, ref_fast):
    with pytest.warns(FutureWarning, match="word_ids"):
        ours = fast(TEXTS).words(2)
    with pytest.warns(FutureWarning):
        ref = ref_fast(TEXTS).words(2)
    assert ours == ref


ALIGNMENT_METHODS = [
    ("tokens", ()),
    ("word_ids", ()),
    ("words", ()),
    ("sequence_ids", ()),
    ("token_to_sequence", (1,)),
    ("token_to_word", (1,)),
    ("word_to_tokens", (0,)),
    ("word_to_chars", (0,)),
    ("token_to_chars", (1,)),
    ("char_to_token", (0,)),
    ("char_to_word", (0,)),
]


@pytest.mark.parametrize("method,args", ALIGNMENT_METHODS)
def test_slow_tokenizer_encodings_raise_like_the_reference(slow, ref_slow, method, args):
    for enc in (ref_slow(TEXTS), ref_slow(TEXTS[0])):
        assert not enc.is_fast and enc.encodings is None
        with pytest.raises(ValueError):
            getattr(enc, method)(*args)
    for enc in (slow(TEXTS), slow(TEXTS[0])):
        assert not enc.is_fast and enc.encodings is None and enc.n_sequences is None
        with pytest.raises(ValueError, match=rf"{method}\(\) is not available .* use RobertaTokenizerFast"):
            getattr(enc, method)(*args)


# ------------------------------------------------------------------ tokenizer attributes


def _plain(value):
    if isinstance(value, AddedToken):
        return ("AddedToken", value.content, value.lstrip, value.rstrip, value.normalized, value.single_word)
    return value


@pytest.mark.parametrize("kind", ["slow", "fast"])
def test_init_kwargs_added_vocab_and_lengths(roberta_dir, kind):
    ours_cls, ref_cls = {"slow": (RobertaTokenizer, transformers.RobertaTokenizer)}.get(
        kind, (RobertaTokenizerFast, transformers.RobertaTokenizerFast)
    )
    kw = dict(additional_special_tokens=["<x>", "<y>"], padding_side="left")
    ours, ref = ours_cls.from_pretrained(roberta_dir, **kw), ref_cls.from_pretrained(roberta_dir, **kw)
    assert {k: _plain(v) for k, v in ours.init_kwargs.items()} == {k: _plain(v) for k, v in ref.init_kwargs.items()}
    assert ours.name_or_path == ref.name_or_path == str(roberta_dir)
    assert ours.get_added_vocab() == ref.get_added_vocab()
    assert list(ours.get_added_vocab()) == list(ref.get_added_vocab())  # by id
    assert ours.additional_special_tokens == ref.additional_special_tokens
    text = "a <x> b<y>c"
    assert ours(text)["input_ids"] == ref(text)["input_ids"]
    assert ours.decode(ours(text)["input_ids"], skip_special_tokens=True) == ref.decode(
        ref(text)["input_ids"], skip_special_tokens=True
    )
    for name in ("max_len_single_sentence", "max_len_sentences_pair"):
        assert getattr(ours, name) == getattr(ref, name)
    ours.model_max_length = ref.model_max_length = 128
    assert (ours.max_len_single_sentence, ours.max_len_sentences_pair) == (126, 124)
    assert (ref.max_len_single_sentence, ref.max_len_sentences_pair) == (126, 124)
    files = dict(vocab_file=str(roberta_dir / "vocab.json"), merges_file=str(roberta_dir / "merges.txt"))
    assert ours_cls(**files).name_or_path == ""


@pytest.mark.parametrize("kind", ["slow", "fast"])
def test_length_setters_as_the_reference(slow, fast, ref_slow, ref_fast, kind, caplog):
    ours, ref = (slow, ref_slow) if kind == "slow" else (fast, ref_fast)
    for tok in (ours, ref):
        for name in ("max_len_single_sentence", "max_len_sentences_pair"):
            with pytest.raises(ValueError, match="deprecated"):
                setattr(tok, name, getattr(tok, name) + 1)
    with caplog.at_level(logging.WARNING, logger="roberta.tokenizer.special_tokens"):
        ours.max_len_single_sentence = ours.max_len_single_sentence  # the value it has: a warning only
    assert "deprecated" in caplog.text
    assert ours.max_len_single_sentence == ref.max_len_single_sentence


@pytest.mark.parametrize("kind", ["slow", "fast"])
def test_additional_special_tokens_survive_save_and_load(tmp_path, roberta_dir, kind):
    ours_cls, ref_cls = {"slow": (RobertaTokenizer, transformers.RobertaTokenizer)}.get(
        kind, (RobertaTokenizerFast, transformers.RobertaTokenizerFast)
    )
    ours_cls.from_pretrained(roberta_dir, additional_special_tokens=["<x>"]).save_pretrained(tmp_path / "ours")
    ref_cls.from_pretrained(roberta_dir, additional_special_tokens=["<x>"]).save_pretrained(tmp_path / "ref")
    for folder in ("ours", "ref"):
        for cls in (ours_cls, ref_cls):
            tok = cls.from_pretrained(tmp_path / folder)
            assert tok.additional_special_tokens == ["<x>"], (folder, cls)
            assert tok("a<x>b")["input_ids"][2] == 50265


# ------------------------------------------------------------------ train_new_from_iterator

CORPUS = [
    "The quick brown fox jumps over the lazy dog.",
    "Tokenizers learn merges from frequent pairs of symbols.",
    "naïve café, 日本語 and emoji 👍 too",
    "Paris is the capital of France; Berlin is the capital of Germany.",
] * 25


def _batches():
    for i in range(0, len(CORPUS), 8):
        yield CORPUS[i : i + 8]


SAMPLES = ["The fox is quick.", "unseen wörds ✓", "Paris <mask> France", ""]


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"new_special_tokens": ["<new>"], "special_tokens_map": {"<s>": "<bos>", "</s>": "<eos>"}},
        {"min_frequency": 3, "length": len(CORPUS)},
    ],
)
def test_train_new_from_iterator_matches_the_reference(fast, ref_fast, options):
    ours = fast.train_new_from_iterator(_batches(), 300, show_progress=False, **options)
    ref = ref_fast.train_new_from_iterator(_batches(), 300, show_progress=False, **options)
    assert type(ours) is RobertaTokenizerFast
    assert ours.get_vocab() == ref.get_vocab() and len(ours) == len(ref) <= 300
    assert json.loads(ours.backend_tokenizer.to_str()) == json.loads(ref.backend_tokenizer.to_str())  # merges too
    assert ours.special_tokens_map == ref.special_tokens_map
    assert ours.all_special_ids == ref.all_special_ids
    kw = dict(padding=True, return_offsets_mapping=True, return_special_tokens_mask=True)
    a, b = ours(SAMPLES, SAMPLES[::-1], **kw), ref(SAMPLES, SAMPLES[::-1], **kw)
    assert dict(a) == dict(b)
    assert ours.batch_decode(a["input_ids"]) == ref.batch_decode(b["input_ids"])
    assert fast.get_vocab() == ref_fast.get_vocab()  # the original is left as it was
    assert fast.additional_special_tokens == []


def test_train_new_from_iterator_keeps_pipeline_and_round_trips(tmp_path, roberta_dir):
    tok = RobertaTokenizerFast.from_pretrained(roberta_dir, add_prefix_space=True)
    ref = transformers.RobertaTokenizerFast.from_pretrained(roberta_dir, add_prefix_space=True)
    new = tok.train_new_from_iterator(iter(CORPUS), 280, show_progress=False)
    ref_new = ref.train_new_from_iterator(iter(CORPUS), 280, show_progress=False)
    assert new.add_prefix_space and new("fox")["input_ids"] == new(" fox")["input_ids"]
    for text in ("a <mask>", "fox", "<s>x</s>"):
        a, b = new(text, return_offsets_mapping=True), ref_new(text, return_offsets_mapping=True)
        assert dict(a) == dict(b) and a.tokens() == b.tokens()
    new.save_pretrained(tmp_path)
    again = transformers.RobertaTokenizerFast.from_pretrained(tmp_path)
    assert again(SAMPLES)["input_ids"] == new(SAMPLES)["input_ids"]


def test_train_new_from_iterator_needs_a_bpe_model():
    backend = Tokenizer(models.WordLevel({"<s>": 0, "</s>": 1, "<unk>": 2}, unk_token="<unk>"))
    tok = RobertaTokenizerFast(tokenizer_object=backend)
    with pytest.raises(ValueError, match="BPE.*WordLevel"):
        tok.train_new_from_iterator(["some text"], 50)


# Our one deliberate departure from the reference's signatures: batch_encode_plus's split_special_tokens defaults
# to the tokenizer's setting (None), as __call__'s and encode_plus's do; the reference's fast batch_encode_plus
# resets it to False.
_SIGNATURE_DEPARTURES = {"__call__": set(), "encode_plus": set(), "batch_encode_plus": {"split_special_tokens"}}


@pytest.mark.parametrize("method", sorted(_SIGNATURE_DEPARTURES))
@pytest.mark.parametrize("kind", ["slow", "fast"])
def test_encode_signatures_are_the_reference(method, kind):
    ours_cls, ref_cls = {"slow": (RobertaTokenizer, transformers.RobertaTokenizer)}.get(
        kind, (RobertaTokenizerFast, transformers.RobertaTokenizerFast)
    )

    def parameters(cls):
        params = inspect.signature(getattr(cls, method)).parameters.values()
        return [(p.name, p.kind, p.default) for p in params]

    ours, ref = parameters(ours_cls), parameters(ref_cls)
    skip = _SIGNATURE_DEPARTURES[method]
    assert [p[:2] for p in ours] == [p[:2] for p in ref]  # names, order and kinds
    assert [p for p in ours if p[0] not in skip] == [p for p in ref if p[0] not in skip]  # and defaults
    assert all(default is None for name, _, default in ours if name in skip)


def test_encode_options_may_be_positional_as_in_the_reference(fast, ref_fast, slow, ref_slow):
    # add_special_tokens, padding, truncation, max_length, stride, is_split_into_words, pad_to_multiple_of
    args = (False, "max_length", True, 8, 0, False, 4)
    text = "a b c d e f g h i j"
    for ours, ref in ((fast, ref_fast), (slow, ref_slow)):
        assert ours.encode_plus(text, None, *args) == ref.encode_plus(text, None, *args)
        assert ours.batch_encode_plus([text, "c"], *args) == ref.batch_encode_plus([text, "c"], *args)
        assert ours(text, None, None, None, *args) == ref(text, None, None, None, *args)


def _plain(value):
    """An array's values as lists; lists as they are."""
    return value.tolist() if hasattr(value, "tolist") else value


@pytest.mark.parametrize(
    "call",
    [
        dict(text_target="a b"),
        dict(text="x", text_target=["a b", "c"]),
        dict(text=["x", "y z"], text_target=["a b", "c"], padding=True, return_tensors="np"),
        dict(text="x", text_pair="y", text_target="a", text_pair_target="b"),
        dict(text="x", text_pair_target="b"),
        dict(text=["x y", "z"], text_pair=["p", "q r"], text_target=["a", "b c d"], truncation=True, max_length=5),
    ],
)
def test_text_target_becomes_labels_as_in_the_reference(fast, ref_fast, slow, ref_slow, call):
    for ours, ref in ((fast, ref_fast), (slow, ref_slow)):
        a, b = ours(**call), ref(**call)
        assert sorted(a) == sorted(b)
        for key in b:
            assert type(a[key]) is type(b[key]), key
            assert _plain(a[key]) == _plain(b[key]), key


def test_text_or_text_target_is_required(fast, slow):
    for ours in (fast, slow):
        for call in (dict(), dict(text_pair="b"), dict(text_pair_target="b")):
            with pytest.raises(ValueError, match="either `text` or `text_target`"):
                ours(**call)
        with pytest.raises(ValueError, match="text_target must be a str"):
            ours("x", text_target=3)


def test_split_special_tokens_follows_the_tokenizer_unless_given(roberta_dir):
    text = ["a <mask> b"]
    for cls, ref_cls in (
        (RobertaTokenizerFast, transformers.RobertaTokenizerFast),
        (RobertaTokenizer, transformers.RobertaTokenizer),
    ):
        ours = cls.from_pretrained(roberta_dir, split_special_tokens=True)
        ref = ref_cls.from_pretrained(roberta_dir, split_special_tokens=True)
        assert ours.batch_encode_plus(text)["input_ids"] == ref(text)["input_ids"]
        for given in (True, False):
            expected = ref(text, split_special_tokens=given)["input_ids"]
            assert ours.batch_encode_plus(text, split_special_tokens=given)["input_ids"] == expected
            assert ours(text, split_special_tokens=given)["input_ids"] == expected
            assert ours.encode_plus(text[0], split_special_tokens=given)["input_ids"] == expected[0]
