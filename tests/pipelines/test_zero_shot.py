"""zero-shot-classification against transformers 4.56.2's pipeline, on tiny random NLI heads (3 labels) with the
real roberta-base tokenizer; and `roberta run --task zero-shot-classification`."""

from __future__ import annotations

import json
import logging
import subprocess
import sys

import pytest
import transformers
from pipeline_helpers import assert_same

from roberta.pipelines import pipeline
from roberta_testing import save_pipeline_checkpoint

transformers.logging.set_verbosity_error()

TEXTS = ["I have a problem with my iphone that needs to be resolved asap!", "The match ended two all.", "Quiet."]
LABELS = ["urgent", "not urgent", "phone", "sports", "weather"]
# roberta-large-mnli's order, and one with entailment first (the reference then takes the last class as
# contradiction), and one with no entailment label at all
ORDERS = {
    "mnli": {0: "CONTRADICTION", 1: "NEUTRAL", 2: "ENTAILMENT"},
    "entailment-first": {0: "ENTAILMENT", 1: "NEUTRAL", 2: "CONTRADICTION"},
    "no-entailment": {0: "A", 1: "B", 2: "C"},
}


@pytest.fixture(scope="module")
def nli(tmp_path_factory, roberta_base_dir):
    """{order: (our pipeline, reference pipeline, checkpoint folder)}."""
    root = tmp_path_factory.mktemp("nli")
    out = {}
    for seed, (name, id2label) in enumerate(ORDERS.items()):
        path = save_pipeline_checkpoint(
            root, name, "RobertaForSequenceClassification", 30 + seed, roberta_base_dir, id2label=id2label
        )
        out[name] = (
            pipeline("zero-shot-classification", model=path),
            transformers.pipeline("zero-shot-classification", model=str(path), device=-1),
            path,
        )
    return out


CALLS = [
    ((TEXTS[0],), {"candidate_labels": LABELS}),
    ((TEXTS[0], LABELS), {}),  # labels as the second positional argument
    ((TEXTS,), {"candidate_labels": "urgent, phone,, sports "}),  # a comma-separated string
    ((TEXTS,), {"candidate_labels": LABELS, "multi_label": True}),
    ((TEXTS[1],), {"candidate_labels": ["sports"]}),  # one label: scored on its own, as multi_label
    ((TEXTS[1:],), {"candidate_labels": LABELS[:3], "hypothesis_template": "This text is about {}."}),
    ((TEXTS,), {"candidate_labels": LABELS, "batch_size": 3}),
    ((TEXTS[:1],), {"candidate_labels": LABELS, "multi_class": True}),  # the deprecated name
]


@pytest.mark.parametrize("order", list(ORDERS))
@pytest.mark.parametrize("args,kwargs", CALLS)
def test_matches_the_reference(nli, order, args, kwargs):
    ours, ref, _ = nli[order]
    assert_same(ours(*args, **kwargs), ref(*args, **kwargs))


def test_entailment_is_found_from_label2id_as_the_reference(nli):
    for order in ORDERS:
        ours, ref, _ = nli[order]
        assert ours.entailment_id == ref.entailment_id
    assert [nli[o][0].entailment_id for o in ORDERS] == [2, 0, -1]


def test_no_entailment_label_warns_and_uses_the_last_class(nli, caplog):
    path = nli["no-entailment"][2]
    with caplog.at_level(logging.WARNING, logger="roberta.pipelines"):
        pipeline("zero-shot-classification", model=path)
    assert "Failed to determine 'entailment' label id" in caplog.text


def test_long_texts_are_refused_or_cut_when_asked_never_the_hypothesis(nli):
    """The reference always cuts the text; we cut it when asked (truncation=True), else name the lengths."""
    ours, ref, _ = nli["mnli"]
    long_text = "The committee met again to discuss the budget. " * 120  # far over 512 tokens
    assert_same(ours(long_text, LABELS[:2], truncation=True), ref(long_text, LABELS[:2]))
    n = len(ours.tokenizer(long_text, "This example is urgent.")["input_ids"])
    with pytest.raises(ValueError, match=rf"holds {n} tokens, more than the model's 512: pass truncation=True"):
        ours(long_text, LABELS[:2])
    assert_same(ours(TEXTS, LABELS, truncation=False), ref(TEXTS, LABELS))  # what fits is never cut


def test_options_given_to_pipeline_are_defaults(nli):
    ours, ref, path = nli["mnli"]
    preset = pipeline("zero-shot-classification", model=path, candidate_labels=LABELS, multi_label=True)
    assert_same(preset(TEXTS), ref(TEXTS, candidate_labels=LABELS, multi_label=True))
    assert_same(preset(TEXTS, candidate_labels=["phone"]), ref(TEXTS, candidate_labels=["phone"]))


def test_a_generator_gives_an_iterator(nli):
    ours, ref, _ = nli["mnli"]
    results = ours((t for t in TEXTS), candidate_labels=LABELS, batch_size=2)
    assert not isinstance(results, list)
    assert_same(list(results), list(ref((t for t in TEXTS), candidate_labels=LABELS, batch_size=2)))


@pytest.mark.parametrize(
    "args,kwargs",
    [
        ((TEXTS[0],), {"candidate_labels": []}),
        (("",), {"candidate_labels": LABELS}),
        ((TEXTS[0],), {"candidate_labels": LABELS, "hypothesis_template": "no slot here"}),
        ((TEXTS[0], LABELS, "extra"), {}),
        ((TEXTS[0], LABELS), {"candidate_labels": LABELS}),
    ],
)
def test_bad_calls_are_the_reference_s_errors(nli, args, kwargs):
    ours, ref, _ = nli["mnli"]
    with pytest.raises(ValueError) as expected:
        ref(*args, **kwargs)
    with pytest.raises(ValueError) as got:
        ours(*args, **kwargs)
    assert str(got.value) == str(expected.value)


def test_bad_calls_the_reference_fails_on_obscurely(nli):
    ours = nli["mnli"][0]
    with pytest.raises(ValueError, match="needs candidate_labels"):
        ours(TEXTS[0])  # the reference: "object of type 'NoneType' has no len()"
    with pytest.raises(TypeError, match="each sequence must be a str"):
        ours({"text": TEXTS[0]}, LABELS)
    with pytest.raises(TypeError, match="candidate_labels must be a str"):
        ours(TEXTS[0], candidate_labels={"a": 1})
    with pytest.raises(TypeError, match="multi_label must be True or False"):
        ours(TEXTS[0], LABELS, multi_label="yes")


# ---------------------------------------------------------------------- roberta run
def cli(*args, stdin: bytes = b""):
    proc = subprocess.run(
        [sys.executable, "-m", "roberta", *map(str, args)], input=stdin, capture_output=True, timeout=180
    )
    return proc.returncode, proc.stdout.decode(), proc.stderr.decode()


def test_run_zero_shot_json_lines(nli):
    _, ref, path = nli["mnli"]
    stdin = ("\n".join(TEXTS) + "\n").encode()
    rc, out, err = cli(
        "run", "--task", "zero-shot-classification", "--model", path, "--candidate-labels", "urgent,phone, sports",
        "-o", "multi_label=true", stdin=stdin,
    )  # fmt: skip
    assert rc == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert_same(rows, [ref(t, candidate_labels="urgent,phone, sports", multi_label=True) for t in TEXTS])


def test_run_zero_shot_needs_candidate_labels(nli):
    path = nli["mnli"][2]
    rc, out, err = cli("run", "--task", "zero-shot-classification", "--model", path, stdin=b"text\n")
    assert rc == 2 and out == "" and "needs --candidate-labels" in err and "Traceback" not in err
    rc, out, err = cli("run", "--task", "fill-mask", "--candidate-labels", "a,b", stdin=b"a <mask>\n")
    assert rc == 2 and "--candidate-labels applies only to --task zero-shot-classification" in err
    rc, out, err = cli("run", "--help")
    assert rc == 0 and "--candidate-labels" in out and "zero-shot-classification" in out
