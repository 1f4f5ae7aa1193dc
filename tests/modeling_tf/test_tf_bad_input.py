"""Bad input to the TF classes fails with an error that names the problem, eagerly and in a traced graph."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import roberta
from roberta_testing import TINY


@pytest.fixture(scope="module")
def model():
    return roberta.TFRobertaForMaskedLM(roberta.RobertaConfig(**TINY))


IDS = np.array([[0, 5, 6, 2], [0, 7, 2, 1]])


@pytest.mark.parametrize(
    "kwargs,error,match",
    [
        (
            dict(input_ids=np.array([[0, 5, 120]])),
            ValueError,
            r"input_ids holds 120, outside \[0, 99\) set by vocab_size",
        ),
        (dict(input_ids=np.array([[0, -1, 2]])), ValueError, r"input_ids holds -1"),
        (dict(input_ids=IDS.astype(np.float32)), TypeError, "input_ids must hold integers"),
        (dict(input_ids=IDS[0]), ValueError, r"input_ids must be shaped \(batch, seq\), got shape \(4,\)"),
        (dict(input_ids=IDS, token_type_ids=IDS), ValueError, "token_type_ids holds 7, outside .* type_vocab_size=2"),
        (
            dict(input_ids=IDS, attention_mask=np.ones((3, 4))),
            ValueError,
            "attention_mask has batch size 3, input has 2",
        ),
        (
            dict(input_ids=IDS, attention_mask=np.ones((2, 5))),
            ValueError,
            r"attention_mask must be shaped \(batch=2, 4\)",
        ),
        (dict(input_ids=IDS, inputs_embeds=np.ones((2, 4, 32), np.float32)), ValueError, "exactly one of input_ids"),
        (dict(input_ids=np.ones((1, 70), np.int64) * 5), ValueError, "at most 62 tokens per sequence.*truncat"),
        (dict(input_ids=IDS, head_mask=np.ones((3, 4))), ValueError, r"head_mask must be shaped \[num_heads=4\]"),
        (dict(input_ids={"input_ids": IDS, "labelz": IDS}), TypeError, "unexpected input 'labelz'"),
        (dict(inputs_embeds=np.ones((2, 4, 32), np.float64)), TypeError, "inputs_embeds has dtype float64"),
    ],
)
def test_bad_inputs_raise_clear_errors(model, kwargs, error, match):
    with pytest.raises(error, match=match):
        model(**kwargs)


def test_value_checks_run_in_traced_graphs(model):
    traced = tf.function(lambda ids: model(input_ids=ids).logits)
    traced(tf.constant(IDS))  # fine
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"input_ids must lie in \[0, 99\) set by vocab_size"):
        traced(tf.constant([[0, 5, 120, 2]]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="at most 62 tokens per sequence"):
        traced(tf.ones((1, 70), tf.int32) * 5)


def test_head_specific_errors(tmp_path):
    config = roberta.RobertaConfig(**TINY)
    with pytest.raises(TypeError, match="config must be a RobertaConfig"):
        roberta.TFRobertaModel(TINY)
    encoder = roberta.TFRobertaModel(config)
    with pytest.raises(ValueError, match="no cross-attention; build it with config.add_cross_attention=True"):
        encoder(IDS, encoder_hidden_states=np.ones((2, 3, 32), np.float32))
    with pytest.raises(ValueError, match=r"multiple-choice inputs must be shaped \(batch, num_choices, seq\)"):
        roberta.TFRobertaForMultipleChoice(config)(IDS)
    decoder = roberta.TFRobertaForCausalLM(roberta.RobertaConfig(**TINY, is_decoder=True))
    past = decoder(IDS, use_cache=True).past_key_values
    with pytest.raises(ValueError, match="past_key_values has 1 layers, the model has 2"):
        decoder(IDS[:, :1], past_key_values=past[:1])
