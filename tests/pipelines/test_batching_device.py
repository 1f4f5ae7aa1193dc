"""Batching (length-sorted, order-preserving), device / dtype parsing, model loading errors."""

from __future__ import annotations

import pytest
import torch
from pipeline_helpers import assert_same

import roberta
from roberta.devices import parse_device, parse_dtype
from roberta.pipelines import default_model_dir, pipeline

TEXTS = [
    "a <mask>.",
    "This is a much longer sentence, and its <mask> is somewhere in the middle of it.",
    "<mask> b",
    "Short <mask> again with a few more words than before",
]


@pytest.mark.parametrize("batch_size", [1, 2, 3, 16])
def test_batched_equals_unbatched_in_input_order(checkpoints, batch_size):
    pipe = pipeline("fill-mask", model=str(checkpoints["fill-mask"]), batch_size=batch_size)
    assert_same(pipe(TEXTS, top_k=3), [pipe(t, top_k=3) for t in TEXTS])


def test_batches_are_length_sorted(checkpoints, monkeypatch):
    pipe = pipeline("feature-extraction", model=str(checkpoints["feature-extraction"]), batch_size=2)
    widths = []
    original = pipe._forward

    def spy(input_ids, attention_mask):
        widths.append(input_ids.shape)
        return original(input_ids, attention_mask)

    monkeypatch.setattr(pipe, "_forward", spy)
    texts = ["x", "a b c d e f g h i j k l", "y z", "a b c d e f g h i j k"]
    out = pipe(texts)
    assert [len(o[0]) for o in out] == [len(pipe.tokenizer(t)["input_ids"]) for t in texts]
    # longest two together, shortest two together: only one pad token in the first batch
    assert [tuple(w) for w in widths] == [(2, 14), (2, 4)]


@pytest.mark.parametrize("task", ["feature-extraction", "text-classification", "question-answering"])
def test_batch_size_given_per_call(checkpoints, monkeypatch, task):
    """`pipe(inputs, batch_size=n)`, as the reference accepts it: this call runs n at a time, the pipeline keeps
    its own size, and the results are those of unbatched calls."""
    pipe = pipeline(task, model=str(checkpoints[task]), batch_size=1)
    rows = []
    original = pipe._forward

    def spy(input_ids, attention_mask):
        rows.append(input_ids.shape[0])
        return original(input_ids, attention_mask)

    monkeypatch.setattr(pipe, "_forward", spy)
    if task == "question-answering":
        run = lambda **kw: pipe(question=["Who?", "Where?", "When?"], context=["Anna.", "Paris.", "Noon."], **kw)  # noqa: E731
    else:
        run = lambda **kw: pipe(["a b", "c d e f", "g", "h i j"], **kw)  # noqa: E731
    alone = run()
    assert rows and set(rows) == {1}
    rows.clear()
    assert_same(run(batch_size=4), alone)
    assert max(rows) > 1
    rows.clear()
    run()
    assert set(rows) == {1}  # the pipeline's own batch size is unchanged
    with pytest.raises(ValueError, match="batch_size must be an int >= 1"):
        run(batch_size=0)


def test_text_generation_batch_size_per_call(checkpoints):
    pipe = pipeline("text-generation", model=str(checkpoints["text-generation"]), batch_size=1)
    prompts = ["the cat", "a dog", "one two"]
    greedy = dict(max_new_tokens=3, do_sample=False)
    assert pipe(prompts, batch_size=3, **greedy) == pipe(prompts, **greedy)


@pytest.mark.parametrize("task", ["text-classification", "ner", "question-answering"])
def test_batched_tasks_match_unbatched(checkpoints, task):
    key = {"ner": "token-classification"}.get(task, task)
    pipe1 = pipeline(task, model=str(checkpoints[key]), batch_size=1)
    pipe4 = pipeline(task, model=str(checkpoints[key]), batch_size=4)
    if task == "question-answering":
        q = ["Who?", "Where is the city of lights and what is it famous for?", "When?"]
        c = ["Anna lives in Paris. " * 30, "Paris.", "Yesterday at noon, we left."]
        assert_same(
            pipe4(question=q, context=c, max_seq_len=48, doc_stride=8),
            pipe1(question=q, context=c, max_seq_len=48, doc_stride=8),
        )
    else:
        texts = ["short", "a considerably longer input text for the batching test", "mid length text"]
        assert_same(pipe4(texts), pipe1(texts))


def test_device_parsing():
    assert parse_device(None) == torch.device("cpu")
    assert parse_device(-1) == torch.device("cpu")
    assert parse_device("cpu") == torch.device("cpu")
    assert parse_device("-1") == torch.device("cpu")
    with pytest.raises(ValueError, match="not a device|not supported"):
        parse_device("gpu-please")
    with pytest.raises(TypeError):
        parse_device(1.5)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the no-GPU error")
@pytest.mark.parametrize("device", ["cuda", "cuda:1", 0, 3])
def test_gpu_without_gpu_is_a_clear_error(checkpoints, device):
    with pytest.raises(ValueError, match="torch sees none"):
        pipeline("fill-mask", model=str(checkpoints["fill-mask"]), device=device)


def test_dtype(checkpoints):
    assert parse_dtype("float16") is torch.float16
    assert parse_dtype("torch.bfloat16") is torch.bfloat16
    assert parse_dtype(torch.float32) is torch.float32
    assert parse_dtype("auto") is None
    with pytest.raises(ValueError, match="dtype"):
        parse_dtype("int8")
    pipe = pipeline("fill-mask", model=str(checkpoints["fill-mask"]), dtype="bfloat16")
    assert pipe.dtype is torch.bfloat16
    ref = pipeline("fill-mask", model=str(checkpoints["fill-mask"]))
    a, b = pipe("Hello <mask>.", top_k=1)[0], ref("Hello <mask>.", top_k=1)[0]
    assert isinstance(a["score"], float) and abs(a["score"] - b["score"]) < 0.05


def test_model_instance_and_errors(checkpoints, tmp_path):
    path = checkpoints["text-classification"]
    model = roberta.RobertaForSequenceClassification.from_pretrained(str(path))
    tok = roberta.RobertaTokenizerFast.from_pretrained(str(path))
    from_instance = pipeline("text-classification", model=model, tokenizer=tok)
    assert_same(from_instance("nice", top_k=None), pipeline("text-classification", model=str(path))("nice", top_k=None))
    with pytest.raises(TypeError, match="RobertaForSequenceClassification"):
        pipeline("text-classification", model=roberta.RobertaModel.from_pretrained(str(path)), tokenizer=tok)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        pipeline("fill-mask", model=str(tmp_path / "nope"))
    with pytest.raises(ValueError, match="Unknown task"):
        pipeline("translation", model=str(path))
    with pytest.raises(ValueError, match="batch_size"):
        pipeline("fill-mask", model=str(checkpoints["fill-mask"]), batch_size=0)
    with pytest.raises(ValueError, match="top_k"):
        pipeline("fill-mask", model=str(checkpoints["fill-mask"]), top_k=-1)


def test_default_model_dir(monkeypatch, tmp_path):
    expected = __import__("pathlib").Path(roberta.__file__).parent / "data" / "default-model"
    if expected.is_dir():
        assert default_model_dir() == expected
    else:
        with pytest.raises(FileNotFoundError, match="default-model"):
            default_model_dir()
        with pytest.raises(FileNotFoundError, match="bundled default model"):
            pipeline("fill-mask")


def test_from_pretrained_and_pipeline_read_dtypes_alike(checkpoints):
    """One dtype parser: the names a pipeline takes ("fp16", "bf16", ...) work in from_pretrained too."""
    for name, dtype in (("fp16", torch.float16), ("bf16", torch.bfloat16), ("torch.float32", torch.float32)):
        assert roberta.RobertaForMaskedLM.from_pretrained(checkpoints["fill-mask"], dtype=name).dtype is dtype
    with pytest.raises(ValueError, match="not understood"):
        roberta.RobertaForMaskedLM.from_pretrained(checkpoints["fill-mask"], dtype="int8")
