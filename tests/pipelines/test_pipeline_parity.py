"""Our pipelines against the reference `transformers.pipeline` on the same random-weight checkpoints."""

from __future__ import annotations

import pytest
import torch
from pipeline_helpers import assert_same

FILL_INPUTS = ["Paris is the <mask> of France.", "The <mask> sat on the <mask>.", "<mask>"]
LONG_CONTEXT = (
    "My name is Wolfgang and I live in Berlin. The weather there is cold in winter but pleasant in "
    "summer, and the museums are open late on Thursdays. "
) * 12
NER_TEXT = "My name is Wolfgang Amadeus and I live in Berlin, Germany. Unbelievably, it's snowing!"


# --------------------------------------------------------------------------- fill-mask
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"top_k": 3},
        {"top_k": 1},
        {"targets": [" city", "Ġcapital", "Ġdog"]},
        {"targets": "capital", "top_k": 10},
        {"targets": ["Ġcapital", "xyzzyqq"], "top_k": 2},
    ],
)
def test_fill_mask(checkpoints, our_pipeline, ref_pipeline, kwargs):
    ours = our_pipeline("fill-mask", checkpoints["fill-mask"])
    ref = ref_pipeline("fill-mask", checkpoints["fill-mask"])
    for text in FILL_INPUTS:
        assert_same(ours(text, **kwargs), ref(text, **kwargs))
    assert_same(ours(FILL_INPUTS, **kwargs), ref(FILL_INPUTS, **kwargs))
    assert_same(ours(FILL_INPUTS[:1], **kwargs), ref(FILL_INPUTS[:1], **kwargs))  # a list of one is unwrapped


def test_fill_mask_shapes(checkpoints, our_pipeline):
    pipe = our_pipeline("fill-mask", checkpoints["fill-mask"])
    one = pipe("Hello <mask>!", top_k=4)
    assert len(one) == 4 and all(set(p) == {"score", "token", "token_str", "sequence"} for p in one)
    assert not one[0]["sequence"].startswith("<s>")
    assert one[0]["sequence"] == "Hello" + one[0]["token_str"] + "!"
    assert [p["score"] for p in one] == sorted((p["score"] for p in one), reverse=True)
    two = pipe("<mask> and <mask>", top_k=2)
    assert len(two) == 2 and all(len(row) == 2 for row in two)


def test_fill_mask_errors(checkpoints, our_pipeline):
    pipe = our_pipeline("fill-mask", checkpoints["fill-mask"])
    with pytest.raises(ValueError, match="No mask_token"):
        pipe("no mask here")
    with pytest.raises(ValueError, match="top_k"):
        pipe("a <mask>", top_k=0)
    with pytest.raises(TypeError):
        pipe(123)
    with pytest.raises(TypeError, match="unexpected"):
        pipe("a <mask>", topk=3)


# --------------------------------------------------------------------------- text-classification
CLS_INPUTS = ["I love this movie", {"text": "Is it good?", "text_pair": "Yes, very."}, "Terrible. Just awful."]


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"top_k": None},
        {"top_k": 2},
        {"top_k": 1},
        {"function_to_apply": "sigmoid"},
        {"function_to_apply": "none", "top_k": None},
        {"function_to_apply": "SOFTMAX", "top_k": 3},
        {"return_all_scores": True},
        {"return_all_scores": False},
    ],
)
def test_text_classification(checkpoints, our_pipeline, ref_pipeline, kwargs):
    ours = our_pipeline("text-classification", checkpoints["text-classification"])
    ref = ref_pipeline("text-classification", checkpoints["text-classification"])
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for item in CLS_INPUTS:
            assert_same(ours(item, **kwargs), ref(item, **kwargs))
        assert_same(ours(CLS_INPUTS, **kwargs), ref(CLS_INPUTS, **kwargs))


def test_text_classification_single_label_uses_sigmoid(checkpoints, our_pipeline, ref_pipeline):
    ours = our_pipeline("sentiment-analysis", checkpoints["text-classification-1"])
    ref = ref_pipeline("sentiment-analysis", checkpoints["text-classification-1"])
    result = ours("fine", top_k=None)
    assert_same(result, ref("fine", top_k=None))
    logit = ours("fine", top_k=None, function_to_apply="none")[0]["score"]
    assert result[0]["score"] == pytest.approx(1 / (1 + torch.exp(torch.tensor(-logit)).item()), abs=1e-6)


def test_text_classification_errors(checkpoints, our_pipeline):
    pipe = our_pipeline("text-classification", checkpoints["text-classification"])
    with pytest.raises(ValueError, match="function_to_apply"):
        pipe("x", function_to_apply="relu")
    with pytest.raises(ValueError, match="text pairs"):
        pipe([["a", "b"]])
    with pytest.raises(ValueError, match="text_pair"):
        pipe({"txt": "a"})


# --------------------------------------------------------------------------- token-classification
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"aggregation_strategy": "none"},
        {"aggregation_strategy": "simple"},
        {"aggregation_strategy": "first"},
        {"aggregation_strategy": "average"},
        {"aggregation_strategy": "max"},
        {"ignore_labels": []},
        {"aggregation_strategy": "simple", "ignore_labels": ["B-LOC", "I-LOC"]},
        {"aggregation_strategy": "average", "ignore_labels": []},
    ],
)
def test_token_classification(checkpoints, our_pipeline, ref_pipeline, kwargs):
    ours = our_pipeline("ner", checkpoints["token-classification"])
    ref = ref_pipeline("ner", checkpoints["token-classification"])
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        texts = [NER_TEXT, "Hi", "Angela Merkel visited Washington D.C. yesterday."]
        for text in texts:
            assert_same(ours(text, **kwargs), ref(text, **kwargs))
        assert_same(ours(texts, **kwargs), ref(texts, **kwargs))


def test_token_classification_offsets(checkpoints, our_pipeline):
    pipe = our_pipeline("ner", checkpoints["token-classification"])
    for entity in pipe(NER_TEXT, aggregation_strategy="simple", ignore_labels=[]):
        assert NER_TEXT[entity["start"] : entity["end"]] == entity["word"].strip()
    labels = {e["entity"] for e in pipe(NER_TEXT, ignore_labels=[])}
    assert len(labels) >= 2, "the random checkpoint should predict several labels, else grouping is untested"
    with pytest.raises(ValueError, match="aggregation_strategy"):
        pipe("x", aggregation_strategy="longest")


# --------------------------------------------------------------------------- question-answering
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"top_k": 3},
        {"max_answer_len": 2},
        {"handle_impossible_answer": True},
        {"max_seq_len": 64, "doc_stride": 16, "top_k": 4},
        {"max_seq_len": 48, "doc_stride": 8, "handle_impossible_answer": True, "top_k": 2},
        {"align_to_words": False, "top_k": 2},
        {"max_question_len": 4},
    ],
)
def test_question_answering(checkpoints, our_pipeline, ref_pipeline, kwargs):
    ours = our_pipeline("question-answering", checkpoints["question-answering"])
    ref = ref_pipeline("question-answering", checkpoints["question-answering"])
    question = "Where do I live?"
    assert_same(
        ours(question=question, context=LONG_CONTEXT, **kwargs), ref(question=question, context=LONG_CONTEXT, **kwargs)
    )
    short = "Wolfgang lives in Berlin."
    assert_same(
        ours(question=[question, "Who?"], context=[short, LONG_CONTEXT], **kwargs),
        ref(question=[question, "Who?"], context=[short, LONG_CONTEXT], **kwargs),
    )
    assert_same(
        ours({"question": question, "context": short}, **kwargs),
        ref({"question": question, "context": short}, **kwargs),
    )


def test_question_answering_long_context_is_chunked(checkpoints, our_pipeline):
    pipe = our_pipeline("question-answering", checkpoints["question-answering"])
    features = pipe.preprocess({"question": "Where?", "context": LONG_CONTEXT}, max_seq_len=64, doc_stride=16)
    assert len(features) > 5 and all(len(f["input_ids"]) <= 64 for f in features)
    answer = pipe(question="Where?", context=LONG_CONTEXT, max_seq_len=64, doc_stride=16)
    assert LONG_CONTEXT[answer["start"] : answer["end"]] == answer["answer"]
    with pytest.raises(ValueError, match="doc_stride"):
        pipe(question="Where?", context="here", max_seq_len=32, doc_stride=40)
    with pytest.raises(ValueError, match="empty"):
        pipe(question="", context="here")
    with pytest.raises(ValueError, match="top_k"):
        pipe(question="Where?", context="here", top_k=0)


def test_question_answering_refuses_a_window_the_tokenizer_cannot_make(checkpoints, our_pipeline, ref_pipeline, capfd):
    """A stride not under the context tokens of a window makes the tokenizers library panic (a Rust backtrace
    on stderr, then pyo3's PanicException); the pipeline refuses it first with a ValueError."""
    pipe = our_pipeline("question-answering", checkpoints["question-answering"])
    question = "Where do I live?"
    room = 64 - len(pipe.tokenizer(question, add_special_tokens=False)["input_ids"]) - 4  # <s> q </s></s> c </s>
    with pytest.raises(ValueError, match=rf"`doc_stride` \({room}\) must be under the {room} context tokens"):
        pipe(question=question, context=LONG_CONTEXT, max_seq_len=64, doc_stride=room)
    with pytest.raises(ValueError, match="no room for the context"):
        pipe(question=question, context=LONG_CONTEXT, max_seq_len=8, doc_stride=0)
    assert "panicked" not in capfd.readouterr().err
    # a context that fits one window is never cut, so any stride up to max_seq_len is taken, as the reference's
    short = "Wolfgang lives in Berlin."
    ref = ref_pipeline("question-answering", checkpoints["question-answering"])
    assert_same(
        pipe(question=question, context=short, max_seq_len=64, doc_stride=60),
        ref(question=question, context=short, max_seq_len=64, doc_stride=60),
    )


# --------------------------------------------------------------------------- feature-extraction
def test_feature_extraction(checkpoints, our_pipeline, ref_pipeline):
    ours = our_pipeline("feature-extraction", checkpoints["feature-extraction"])
    ref = ref_pipeline("feature-extraction", checkpoints["feature-extraction"])
    texts = ["hello world", "a much longer sentence with more tokens in it"]
    assert_same(ours(texts[0]), ref(texts[0]))
    assert_same(ours(texts), ref(texts))
    tensor = ours(texts[0], return_tensors=True)
    assert isinstance(tensor, torch.Tensor) and tensor.shape == ref(texts[0], return_tensors=True).shape
    cut = ours(texts[1], truncation=True, tokenize_kwargs={"max_length": 5})
    assert len(cut[0]) == 5
