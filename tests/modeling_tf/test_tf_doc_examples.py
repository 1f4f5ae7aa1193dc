"""The reference documentation's TensorFlow examples, run as written with `roberta` and with `transformers`
imports on the same random-weight checkpoint: both must give the same results."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import tensorflow as tf
import transformers

import roberta
from roberta_testing import TINY

TOKENIZER_FILES = ("vocab.json", "merges.txt", "tokenizer.json", "tokenizer_config.json")


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory, roberta_base_dir):
    """Random-weight checkpoints saved by the reference's TF classes, with the real roberta-base tokenizer."""
    config = transformers.RobertaConfig(**{**TINY, "vocab_size": 50265, "max_position_embeddings": 130})
    paths = {}
    for head in ("TFRobertaForMaskedLM", "TFRobertaForSequenceClassification"):
        path = paths[head] = str(tmp_path_factory.mktemp(head))
        model = getattr(transformers, head)(config)
        model(model.dummy_inputs)
        model.save_pretrained(path)
        for name in TOKENIZER_FILES:
            shutil.copy(roberta_base_dir / name, f"{path}/{name}")
    return paths


def masked_lm(lib, ckpt):
    tokenizer = lib.AutoTokenizer.from_pretrained(ckpt)
    model = lib.TFRobertaForMaskedLM.from_pretrained(ckpt)
    inputs = tokenizer("The capital of France is <mask>.", return_tensors="tf")
    logits = model(**inputs).logits
    mask_token_index = tf.where((inputs.input_ids == tokenizer.mask_token_id)[0])
    selected_logits = tf.gather_nd(logits[0], indices=mask_token_index)
    predicted_token_id = tf.math.argmax(selected_logits, axis=-1)
    decoded = tokenizer.decode(predicted_token_id)
    labels = tokenizer("The capital of France is Paris.", return_tensors="tf")["input_ids"]
    labels = tf.where(inputs.input_ids == tokenizer.mask_token_id, labels, -100)
    outputs = model(**inputs, labels=labels)
    return {"decoded": decoded, "loss": round(float(outputs.loss[0]), 2), "logits": logits.numpy()}


def sequence_classification(lib, ckpt):
    tokenizer = lib.AutoTokenizer.from_pretrained(ckpt)
    model = lib.TFRobertaForSequenceClassification.from_pretrained(ckpt)
    inputs = tokenizer("Hello, my dog is cute", return_tensors="tf")
    logits = model(**inputs).logits
    predicted_class_id = int(tf.math.argmax(logits, axis=-1)[0])
    label = model.config.id2label[predicted_class_id]
    loss = model(**inputs, labels=tf.constant([1])).loss
    return {"label": label, "loss": round(float(loss[0]), 2), "logits": logits.numpy()}


@pytest.mark.parametrize(
    "example,head",
    [(masked_lm, "TFRobertaForMaskedLM"), (sequence_classification, "TFRobertaForSequenceClassification")],
)
def test_example_gives_the_reference_results(checkpoints, example, head):
    ours, theirs = example(roberta, checkpoints[head]), example(transformers, checkpoints[head])
    assert ours.keys() == theirs.keys()
    for key in ours:
        if isinstance(ours[key], np.ndarray):
            np.testing.assert_allclose(ours[key], theirs[key], atol=2e-4)
        else:
            assert ours[key] == theirs[key], key
