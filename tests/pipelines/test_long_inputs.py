"""Inputs longer than the model reads, per task: never cut silently. Left alone, each is an error naming its
token count, the model's limit and the ways out (truncation=True, and window where the task takes one);
truncation=True cuts as the reference's truncation=True does; window reads it in windows. What fits is the
reference's answer, untouched (the reference does not truncate by default either: its model then fails)."""

from __future__ import annotations

import numpy as np
import pytest
from pipeline_helpers import assert_same

from roberta import RobertaTokenizer
from roberta.pipelines import pipeline
from roberta.pipelines.windows import InputTooLong

LONG = "word " * 600  # about 600 tokens, over the 512 the checkpoints read
SHORT = "a short text that fits"


def too_long(pipe, text, *, windows: bool):
    """The error `pipe(text)` raises: it names the token count, the limit and the ways out."""
    n = len(pipe.tokenizer(text)["input_ids"])
    with pytest.raises(InputTooLong, match=rf"holds {n} tokens, more than the model's 512: pass truncation=True") as e:
        pipe(text)
    assert ("window=(length, stride)" in str(e.value)) is windows
    assert (e.value.tokens, e.value.limit) == (n, 512)


def test_text_classification(checkpoints, our_pipeline, ref_pipeline):
    path = checkpoints["text-classification"]
    ours, ref = our_pipeline("text-classification", path), ref_pipeline("text-classification", path)
    too_long(ours, LONG, windows=True)
    with pytest.raises(InputTooLong, match="more than the model's 512: pass truncation=True to cut it$"):
        ours({"text": LONG, "text_pair": "b"})  # a pair is not windowed
    assert_same(ours(LONG, truncation=True), ref(LONG, truncation=True))
    assert_same(ours(LONG, truncation=True, max_length=40), ref(LONG, truncation=True, max_length=40))
    assert ours(LONG, window=(128, 16, "max"))[0]["label"] in {"NEG", "NEU", "POS"}
    assert_same(ours([SHORT, "b"]), ref([SHORT, "b"]))


def test_feature_extraction(checkpoints, our_pipeline, ref_pipeline):
    path = checkpoints["fill-mask"]
    ours, ref = our_pipeline("feature-extraction", path), ref_pipeline("feature-extraction", path)
    too_long(ours, LONG, windows=False)
    cut = ours(LONG, truncation=True)
    assert len(cut[0]) == 512
    np.testing.assert_allclose(cut, ref(LONG, truncation=True), atol=1e-4)
    np.testing.assert_allclose(ours(SHORT), ref(SHORT), atol=1e-4)


def test_sentence_embedding(checkpoints, our_pipeline):
    pipe = our_pipeline("sentence-embedding", checkpoints["fill-mask"])
    too_long(pipe, LONG, windows=True)
    cut = pipe(LONG, truncation=True, return_tensors=True)
    same = pipe(pipe.tokenizer.decode(pipe.tokenizer(LONG)["input_ids"][1:511]), return_tensors=True)
    np.testing.assert_allclose(cut, same, atol=1e-5)  # the first 512 tokens, as truncation cuts them
    assert len(pipe(LONG, window=(128, 16))) == len(cut)


def test_fill_mask(checkpoints, our_pipeline, ref_pipeline):
    path = checkpoints["fill-mask"]
    ours, ref = our_pipeline("fill-mask", path), ref_pipeline("fill-mask", path)
    text = "The <mask> ran. " + LONG
    too_long(ours, text, windows=False)
    want = ref(text, tokenizer_kwargs={"truncation": True})
    assert_same(ours(text, tokenizer_kwargs={"truncation": True}), want)
    assert_same(ours(text, truncation=True), want)
    with pytest.raises(ValueError, match="truncation parameter defined twice"):
        ours(text, truncation=True, tokenizer_kwargs={"truncation": True})
    with pytest.raises(ValueError, match="lies beyond the first 512 tokens"):
        ours(LONG + " The <mask> ends.", truncation=True)
    assert_same(ours("The <mask> ran."), ref("The <mask> ran."))


def test_token_classification(checkpoints, our_pipeline, ref_pipeline):
    path = checkpoints["token-classification"]
    ours, ref = our_pipeline("token-classification", path), ref_pipeline("token-classification", path)
    words = len(ours.tokenizer(LONG, add_special_tokens=False)["input_ids"])
    assert len(ours(LONG, ignore_labels=[])) == words  # a fast tokenizer windows by default: every token
    # truncation=True: the first window only, as the reference reads a long text without a stride
    assert_same(ours(LONG, truncation=True, ignore_labels=[]), ref(LONG, ignore_labels=[]))
    with pytest.raises(ValueError, match="exclude each other"):
        ours(LONG, truncation=True, window=(64, 8))
    slow = pipeline("token-classification", model=str(path), tokenizer=RobertaTokenizer.from_pretrained(path))
    too_long(slow, LONG, windows=False)
    assert len(slow(LONG, truncation=True, ignore_labels=[])) == 510
    slow_ref = ref_pipeline("token-classification", path, use_fast=False)
    assert_same(slow(LONG, truncation=True), slow_ref(LONG))  # the reference cuts by default
    assert_same(slow(SHORT), slow_ref(SHORT))
