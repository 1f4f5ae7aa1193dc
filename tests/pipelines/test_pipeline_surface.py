"""pipeline(...)'s loading options, iterator inputs and save_pretrained, against transformers 4.56.2."""

from __future__ import annotations

import itertools
import shutil
import warnings

import numpy as np
import pytest
import torch
import transformers
from pipeline_helpers import assert_same

import roberta
from roberta.pipelines import pipeline
from roberta.pipelines.pt_utils import KeyDataset, KeyPairDataset

transformers.logging.set_verbosity_error()

TEXTS = ["I loved this film.", "Terrible, never again.", "It was fine, I guess, but the ending was long.", "Short."]
MASKED = ["Paris is the <mask> of France.", "The <mask> sat on the mat.", "Hello <mask>!"]
RENAMED = {"id2label": {0: "x", 1: "y", 2: "z"}, "label2id": {"x": 0, "y": 1, "z": 2}}


def ref_pipe(task, path, **kwargs):
    return transformers.pipeline(task, model=str(path), **kwargs)


@pytest.fixture(scope="module")
def classifiers(checkpoints):
    """(ours, reference) text-classification pipelines of the same checkpoint."""
    path = checkpoints["text-classification"]
    return pipeline("text-classification", model=path), ref_pipe("text-classification", path, device=-1)


# ---------------------------------------------------------------------- loading options
def test_model_kwargs_reach_from_pretrained(checkpoints):
    path = checkpoints["text-classification"]
    given = {**RENAMED, "attn_implementation": "eager"}
    ours = pipeline("text-classification", model=path, model_kwargs=given)
    ref = ref_pipe("text-classification", path, model_kwargs=dict(given))
    assert_same(ours(TEXTS, top_k=None), ref(TEXTS, top_k=None))
    assert ours.model.config.id2label[0] == "x"
    assert ours.model.config._attn_implementation == ref.model.config._attn_implementation == "eager"
    assert given == {**RENAMED, "attn_implementation": "eager"}  # the caller's dict is left as it was
    half = {"dtype": torch.float16}
    assert pipeline("text-classification", model=path, model_kwargs=half).dtype == torch.float16
    assert ref_pipe("text-classification", path, model_kwargs=half).model.dtype == torch.float16


def test_device_map_places_the_model_as_the_reference(checkpoints, classifiers):
    path = checkpoints["text-classification"]
    ours = pipeline("text-classification", model=path, device_map="cpu")
    ref = ref_pipe("text-classification", path, device_map="cpu")
    assert ours.device == ref.device == torch.device("cpu")
    assert_same(ours(TEXTS), ref(TEXTS))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"device": "cpu", "device_map": "cpu"},
        {"device_map": "cpu", "model_kwargs": {"device_map": "cpu"}},
        {"dtype": "float16", "model_kwargs": {"dtype": "float32"}},
    ],
)
def test_conflicting_options_are_errors_in_both(checkpoints, kwargs):
    path = checkpoints["text-classification"]
    with pytest.raises(ValueError, match="device= or device_map=|cannot use both"):
        pipeline("text-classification", model=path, **kwargs)
    with pytest.raises(ValueError):
        ref_pipe("text-classification", path, **kwargs)


@pytest.mark.parametrize(
    "kwargs,error,match",
    [
        ({"model_kwargs": [("num_labels", 3)]}, TypeError, "model_kwargs must be a dict"),
        ({"use_fast": "yes"}, TypeError, "use_fast must be True or False"),
        ({"revision": 3}, TypeError, "revision must be a str"),
        ({"config": 42}, TypeError, "config must be a RobertaConfig"),
        ({"model_kwargs": {"output_loading_info": True}}, ValueError, "returns? a tuple"),
        ({"model_kwargs": {"gguf_file": "m.gguf"}}, ValueError, "gguf_file= is not supported"),
        ({"model_kwargs": {"subfolder": "missing"}}, FileNotFoundError, "has no subfolder 'missing'"),
        ({"model_kwargs": {"config": None}}, ValueError, "pipeline\\(config=...\\)"),
        ({"framework": "onnx", "model_kwargs": {"num_labels": 3}}, ValueError, "are for PyTorch models"),
    ],
)
def test_bad_loading_options_are_named(checkpoints, kwargs, error, match):
    with pytest.raises(error, match=match):
        pipeline("text-classification", model=checkpoints["text-classification"], **kwargs)


def test_use_fast_false_loads_the_slow_tokenizer(checkpoints, classifiers):
    path = checkpoints["text-classification"]
    ours = pipeline("text-classification", model=path, use_fast=False)
    ref = ref_pipe("text-classification", path, use_fast=False)
    assert type(ours.tokenizer).__name__ == type(ref.tokenizer).__name__ == "RobertaTokenizer"
    assert_same(ours(TEXTS), ref(TEXTS))
    assert type(classifiers[0].tokenizer).__name__ == "RobertaTokenizerFast"
    explicit = pipeline("text-classification", model=path, tokenizer=str(path), use_fast=False)
    assert type(explicit.tokenizer).__name__ == "RobertaTokenizer"


def _cache_with(root, repo: str, refs: dict[str, object]) -> None:
    """A huggingface_hub cache holding `repo`: each ref's snapshot is a copy of a checkpoint folder."""
    base = root / f"models--{repo.replace('/', '--')}"
    (base / "refs").mkdir(parents=True)
    for n, (ref, folder) in enumerate(refs.items()):
        commit = f"{n + 1}" * 40
        (base / "refs" / ref).write_text(commit)
        shutil.copytree(folder, base / "snapshots" / commit)


def test_revision_and_subfolder_pick_what_is_loaded(checkpoints, tmp_path):
    first, second = checkpoints["text-classification"], checkpoints["text-classification-1"]
    _cache_with(tmp_path / "cache", "org/tiny", {"main": first, "v2": second})
    hub = {"cache_dir": str(tmp_path / "cache")}
    for revision, folder in ((None, first), ("main", first), ("v2", second)):
        ours = pipeline("text-classification", model="org/tiny", revision=revision, model_kwargs=dict(hub))
        # the reference on that snapshot's folder (its hub code would try the network first)
        assert_same(ours(TEXTS, top_k=None), ref_pipe("text-classification", folder)(TEXTS, top_k=None))
    outer = tmp_path / "outer"
    shutil.copytree(second, outer / "sub")
    ours = pipeline("text-classification", model=outer, model_kwargs={"subfolder": "sub"})
    ref = ref_pipe("text-classification", outer, model_kwargs={"subfolder": "sub"})
    assert_same(ours(TEXTS, top_k=None), ref(TEXTS, top_k=None))


def test_config_does_not_change_the_loaded_model_as_in_the_reference(checkpoints, classifiers):
    path, other = checkpoints["text-classification"], checkpoints["text-classification-1"]
    with pytest.warns(UserWarning, match="config= differs from the model's own config.json"):
        ours = pipeline("text-classification", model=path, config=other)
    ref = ref_pipe("text-classification", path, config=str(other))
    assert_same(ours(TEXTS, top_k=None), ref(TEXTS, top_k=None))
    assert_same(ours(TEXTS, top_k=None), classifiers[1](TEXTS, top_k=None))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the model's own config: nothing to warn about
        pipeline("text-classification", model=path, config=roberta.RobertaConfig.from_pretrained(path))


def test_a_model_instance_needs_a_tokenizer_even_with_a_config_folder(checkpoints):
    path = checkpoints["text-classification"]
    built = roberta.RobertaForSequenceClassification(roberta.RobertaConfig.from_pretrained(path))
    with pytest.raises(ValueError, match="pass tokenizer="):
        pipeline("text-classification", model=built, config=str(path))
    # a loaded model remembers its folder (model.name_or_path), where the tokenizer is found (beyond the reference)
    loaded = roberta.RobertaForSequenceClassification.from_pretrained(path)
    assert pipeline("text-classification", model=loaded, config=str(path)).tokenizer is not None
    model = loaded
    ref_model = transformers.RobertaForSequenceClassification.from_pretrained(path)
    with pytest.raises(Exception, match="Impossible to guess which tokenizer"):
        transformers.pipeline("text-classification", model=ref_model, config=str(path), device=-1)
    ours = pipeline("text-classification", model=model, tokenizer=str(path), config=str(path))
    ref = transformers.pipeline("text-classification", model=ref_model, tokenizer=str(path), device=-1)
    assert_same(ours(TEXTS), ref(TEXTS))
    with pytest.warns(UserWarning, match="instance given is used as it is"):
        pipeline("text-classification", model=model, tokenizer=str(path), model_kwargs={"num_labels": 5})


# ---------------------------------------------------------------------- iterator inputs
def _counting(items, pulled):
    for item in items:
        pulled.append(item)
        yield item


@pytest.mark.parametrize("batch_size", [1, 3])
def test_a_generator_gives_a_lazy_iterator(classifiers, batch_size):
    ours, ref = classifiers
    pulled: list = []
    results = ours(_counting(TEXTS, pulled), batch_size=batch_size)
    assert not isinstance(results, list) and pulled == []  # nothing is read before a result is asked for
    first = next(results)
    assert len(pulled) == min(batch_size, len(TEXTS))  # one batch read, not the whole generator
    assert_same([first, *results], list(ref((t for t in TEXTS), batch_size=batch_size)))


def test_an_endless_generator_streams(classifiers):
    ours, ref = classifiers

    def endless():
        for i in itertools.count():
            yield f"text number {i} " * (i % 3 + 1)

    expected = list(itertools.islice(ref(endless(), batch_size=2), 5))
    assert_same(list(itertools.islice(ours(endless(), batch_size=2), 5)), expected)


def test_bad_options_fail_at_the_call_not_at_the_first_result(classifiers):
    with pytest.raises(ValueError, match="function_to_apply"):
        classifiers[0]((t for t in TEXTS), function_to_apply="cube")


def test_generators_of_other_tasks(checkpoints):
    fill = pipeline("fill-mask", model=checkpoints["fill-mask"])
    ref_fill = ref_pipe("fill-mask", checkpoints["fill-mask"])
    assert_same(list(fill((t for t in MASKED), top_k=2)), list(ref_fill((t for t in MASKED), top_k=2)))
    questions = [
        {"question": "Who wrote it?", "context": "The book was written by Ann in 1990 in Paris."},
        {"question": "Where?", "context": "It happened in Rome, long ago, on a sunny day."},
    ]
    qa = pipeline("question-answering", model=checkpoints["question-answering"])
    ref_qa = ref_pipe("question-answering", checkpoints["question-answering"])
    assert_same(list(qa(q for q in questions)), list(ref_qa(q for q in questions)))


def test_key_datasets_work_as_in_the_reference(classifiers):
    import datasets
    from transformers.pipelines.pt_utils import KeyDataset as RefKeyDataset
    from transformers.pipelines.pt_utils import KeyPairDataset as RefKeyPairDataset

    ours, ref = classifiers
    rows = datasets.Dataset.from_list([{"text": t, "other": t[::-1]} for t in TEXTS])
    expected = list(ref(RefKeyDataset(rows, "text"), batch_size=2))
    assert_same(list(ours(KeyDataset(rows, "text"), batch_size=2)), expected)
    assert_same(list(ours(RefKeyDataset(rows, "text"))), expected)  # the reference's own class works too
    pairs = list(ref(RefKeyPairDataset(rows, "text", "other")))
    assert_same(list(ours(KeyPairDataset(rows, "text", "other"))), pairs)


# ---------------------------------------------------------------------- save_pretrained
@pytest.mark.parametrize("task,inputs", [("text-classification", TEXTS), ("fill-mask", MASKED)])
def test_save_pretrained_reloads_in_both_libraries(checkpoints, tmp_path, task, inputs):
    ours, ref = pipeline(task, model=checkpoints[task]), ref_pipe(task, checkpoints[task])
    ours.save_pretrained(tmp_path / "ours")
    ref.save_pretrained(tmp_path / "ref")
    expected = ref(inputs)
    for folder in ("ours", "ref"):
        assert_same(pipeline(task, model=tmp_path / folder)(inputs), expected)
        assert_same(ref_pipe(task, tmp_path / folder)(inputs), expected)


def test_save_pretrained_writes_the_pipeline_s_own_model(checkpoints, tmp_path):
    path = checkpoints["text-classification"]
    pipeline("text-classification", model=path, model_kwargs=dict(RENAMED)).save_pretrained(tmp_path / "renamed")
    expected = ref_pipe("text-classification", path, model_kwargs=dict(RENAMED))(TEXTS, top_k=None)
    assert_same(ref_pipe("text-classification", tmp_path / "renamed")(TEXTS, top_k=None), expected)
    assert_same(pipeline("text-classification", model=tmp_path / "renamed")(TEXTS, top_k=None), expected)


def test_save_pretrained_errors(classifiers, tmp_path):
    ours = classifiers[0]
    (tmp_path / "file").write_text("")
    with pytest.raises(ValueError, match="is a file"):
        ours.save_pretrained(tmp_path / "file")
    with pytest.raises(ValueError, match="never uploads"):
        ours.save_pretrained(tmp_path / "hub", push_to_hub=True)
    from roberta.pipelines.backends import ArrayModel
    from roberta.pipelines.text_classification import TextClassificationPipeline

    class Runner:  # a model of another framework, as the ONNX / TF / Flax runners look to the pipelines
        config = ours.model.config
        model_class = "TFRobertaForSequenceClassification"

        def __call__(self, ids, mask):
            return {"logits": np.zeros((ids.shape[0], 3), np.float32)}

    foreign = TextClassificationPipeline(ArrayModel(Runner()), ours.tokenizer, device=torch.device("cpu"))
    with pytest.raises(TypeError, match="another framework"):
        foreign.save_pretrained(tmp_path / "foreign")
    assert not (tmp_path / "foreign").exists() and not (tmp_path / "hub").exists()
