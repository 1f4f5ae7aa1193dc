"""sentence-embedding options against `SentenceTransformer.encode` (truncate_dim, normalize, prompts,
precision, token embeddings), and windows for long documents in sentence-embedding and text-classification:
a document that fits in one window gives exactly the unwindowed answer; a long one gives the aggregate of its
windows, each run on its own through the transformers model (windows cut by the reference tokenizer's
`stride` overflow)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import transformers
from pipelines.pipeline_helpers import ST_TEXTS as TEXTS
from pipelines.pipeline_helpers import assert_vectors, save_st_folder
from sentence_transformers.util.quantization import quantize_embeddings

from roberta import pipeline
from roberta_testing import save_pipeline_checkpoint

PROMPTS = {"query": "query: "}
LONG = "The quick brown fox jumps over the lazy dog, again and again. " * 6  # about 90 tokens
WINDOW = {"length": 24, "stride": 6}


@pytest.fixture(scope="module")
def st_folder(tmp_path_factory, roberta_base_dir):
    root = tmp_path_factory.mktemp("st-options")
    trunk = save_pipeline_checkpoint(root, "base", "RobertaModel", 11, roberta_base_dir)
    st = save_st_folder(root / "st", trunk, dense=((16, torch.nn.Tanh()),), normalize=True, prompts=PROMPTS)
    mean = save_st_folder(root / "mean", trunk, normalize=True)
    return {"st": (root / "st", st), "mean": (root / "mean", mean)}


@pytest.fixture(scope="module")
def pipes(st_folder):
    return {name: pipeline("sentence-embedding", model=str(path)) for name, (path, _) in st_folder.items()}


@pytest.mark.parametrize(
    "options",
    [
        {"truncate_dim": 8, "normalize_embeddings": True},
        {"truncate_dim": 4, "prompt_name": "query"},
        {"prompt": "passage: ", "normalize_embeddings": False},
    ],
)
def test_float_options_match_encode(st_folder, pipes, options):
    ours = {("normalize" if k == "normalize_embeddings" else k): v for k, v in options.items()}
    assert_vectors(pipes["st"](TEXTS, **ours), st_folder["st"][1].encode(TEXTS, **options), str(options))


@pytest.mark.parametrize("precision", ["int8", "uint8", "binary", "ubinary"])
def test_precision_matches_encode(st_folder, pipes, precision):
    """The codes are quantize_embeddings' of the same floats, exactly (a float a rounding away from a bucket
    edge may fall in the next bucket from encode's own floats, so those are compared within ST_TOL first)."""
    floats = np.array(pipes["st"](TEXTS), dtype=np.float32)
    assert_vectors(floats, st_folder["st"][1].encode(TEXTS), "float32")
    ref = quantize_embeddings(floats, precision)
    ours = pipes["st"](TEXTS, precision=precision, return_tensors=True)
    assert [t.dtype for t in ours] == [torch.from_numpy(ref).dtype] * len(TEXTS)
    assert np.array_equal(torch.stack(ours).numpy(), ref)
    if precision.endswith("binary"):  # signs: the same as encode's own
        assert np.array_equal(ref, st_folder["st"][1].encode(TEXTS, precision=precision))
    else:  # ranges given: quantize_embeddings' codes with them, whatever else is in the call
        ranges = np.stack([floats.min(0), floats.max(0)]) - 0.5
        one = pipes["st"](TEXTS[0], precision=precision, quantization_ranges=ranges)
        assert one == quantize_embeddings(floats[:1], precision, ranges=ranges)[0].tolist()
        assert one == pipes["st"](TEXTS, precision=precision, quantization_ranges=ranges)[0]


def test_token_embeddings_match_encode(st_folder, pipes):
    ref = st_folder["st"][1].encode(TEXTS, output_value="token_embeddings")
    for ours, theirs in zip(pipes["st"](TEXTS, output_value="token_embeddings"), ref):
        assert_vectors(ours, theirs, "token embeddings")
    with pytest.raises(ValueError, match="not token_embeddings"):
        pipes["st"]("a", output_value="token_embeddings", truncate_dim=4)


def test_bad_options_are_refused(pipes):
    pipe = pipes["st"]
    for options, message in [
        ({"truncate_dim": 17}, "truncate_dim must be an int from 1 to the embedding size 16"),
        ({"precision": "int4"}, "precision must be one of"),
        ({"window": (24, 22)}, r"window stride \(22\) must be under the 22 document tokens"),
        ({"window": (600, 0)}, "window length must be between 3 and the model's 512"),
        ({"window": {"length": 24, "aggregate": "max"}}, "window aggregate must be one of"),
        ({"window": (24, 2), "truncation": True}, "exclude each other"),
    ]:
        with pytest.raises(ValueError, match=message):
            pipe("a", **options)
    with pytest.raises(ValueError, match="more than the model's 512"):
        pipe("word " * 600, truncation=False)


def _reference_windows(path, text, length, stride):
    """Each window's token ids (the reference tokenizer's overflow) and last hidden state (transformers)."""
    tok = transformers.AutoTokenizer.from_pretrained(str(path))
    enc = tok(text, truncation=True, max_length=length, stride=stride, return_overflowing_tokens=True)
    model = transformers.RobertaModel.from_pretrained(str(path), add_pooling_layer=False).eval()
    with torch.no_grad():
        states = [model(torch.tensor([ids])).last_hidden_state[0] for ids in enc["input_ids"]]
    return enc["input_ids"], states


def test_embedding_windows(st_folder, pipes):
    path, st = st_folder["mean"]
    pipe = pipes["mean"]
    for aggregate in ("mean", "late"):  # one window: exactly the unwindowed answer
        window = {**WINDOW, "length": 512, "aggregate": aggregate}
        short = pipe(TEXTS[1], window=window, return_tensors=True)
        assert torch.equal(short.reshape(-1), pipe(TEXTS[1], return_tensors=True))
    assert_vectors(pipe(TEXTS[1], window=(512, 8)), st.encode(TEXTS[1]))

    ids, states = _reference_windows(path, LONG, WINDOW["length"], WINDOW["stride"])
    assert len(ids) > 3
    weights = torch.tensor([[len(w)] for w in ids], dtype=torch.float32)
    mean = (torch.stack([s.mean(0) for s in states]) * weights).sum(0) / weights.sum()
    ours = pipe(LONG, window=WINDOW, return_tensors=True)
    assert_vectors(ours, torch.nn.functional.normalize(mean, dim=-1), "token-weighted mean")

    # late chunking: each document token from the window where it sits farthest from an edge, one span per window
    step = WINDOW["length"] - 2 - WINDOW["stride"]
    best: dict[int, tuple[int, torch.Tensor]] = {}
    for w, state in enumerate(states):
        n = len(ids[w]) - 2
        for at in range(n):
            margin = min(at, n - 1 - at)
            if w * step + at not in best or margin > best[w * step + at][0]:
                best[w * step + at] = (margin, state[1 + at])
    doc = torch.stack([states[0][0]] + [best[j][1] for j in sorted(best)] + [states[-1][-1]])
    bounds = [0] + [1 + w * step for w in range(1, len(ids))] + [len(doc)]
    spans = torch.stack([doc[a:b].mean(0) for a, b in zip(bounds, bounds[1:])])
    late = pipe(LONG, window={**WINDOW, "aggregate": "late"}, return_tensors=True)
    assert_vectors(late, torch.nn.functional.normalize(spans, dim=-1), "late chunking")


def test_classification_windows(checkpoints):
    path = checkpoints["text-classification"]
    pipe = pipeline("text-classification", model=str(path))
    short = "A short review."
    for aggregate in ("mean", "max", "first"):
        windowed = pipe(short, window={"length": 16, "stride": 4, "aggregate": aggregate}, top_k=None)
        assert windowed == pipe(short, top_k=None)
    ids, _ = _reference_windows(path, LONG, 16, 4)
    model = transformers.RobertaForSequenceClassification.from_pretrained(str(path)).eval()
    with torch.no_grad():
        logits = torch.stack([model(torch.tensor([w])).logits[0] for w in ids])
    combined = {"mean": logits.mean(0), "max": logits.max(0).values, "first": logits[0]}
    labels = model.config.id2label
    for aggregate, expected in combined.items():
        got = pipe(
            LONG, window={"length": 16, "stride": 4, "aggregate": aggregate}, function_to_apply="none", top_k=None
        )
        assert_vectors([r["score"] for r in sorted(got, key=lambda r: r["label"])], expected.numpy(), aggregate)
        assert [r["label"] for r in sorted(got, key=lambda r: r["label"])] == [labels[i] for i in range(3)]
    with pytest.raises(ValueError, match="a text pair is not windowed"):
        pipe({"text": "a", "text_pair": "b"}, window=(16, 4))


def test_token_classification_and_qa_take_the_window_option(checkpoints):
    ner = pipeline("token-classification", model=str(checkpoints["token-classification"]))
    assert ner("Ada met Bob in Paris.", window=(16, 4)) == ner("Ada met Bob in Paris.")  # fits: unwindowed
    assert len(ner(LONG, window=(16, 4), ignore_labels=[])) == len(ner(LONG, ignore_labels=[]))  # every token
    qa = pipeline("question-answering", model=str(checkpoints["question-answering"]))
    example = {"question": "Who jumps?", "context": LONG}
    assert qa(example, window=(32, 8)) == qa(example, max_seq_len=32, doc_stride=8)
    with pytest.raises(ValueError, match="window sets max_seq_len and doc_stride"):
        qa(example, window=(32, 8), doc_stride=4)
