"""Bad inputs to the Flax classes fail with errors that say what is wrong."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import roberta
from roberta.modeling_flax.base import FlaxRobertaPreTrainedModel
from roberta_testing import TINY


@pytest.fixture(scope="module")
def model(reference_checkpoints):
    return roberta.FlaxRobertaForMaskedLM.from_pretrained(reference_checkpoints["RobertaForMaskedLM"])


def test_train_needs_a_dropout_rng(model):
    with pytest.raises(ValueError, match="needs dropout_rng"):
        model(np.ones((1, 4), np.int32), train=True)


@pytest.mark.parametrize(
    "kwargs,error,match",
    [
        ({"input_ids": np.full((1, 4), 99)}, ValueError, r"input_ids holds 99, outside \[0, 99\)"),
        ({"input_ids": np.ones((1, 4), np.float32)}, TypeError, "must hold integers"),
        ({"input_ids": np.ones((4,), np.int32)}, ValueError, r"shaped \(batch, seq\)"),
        ({"input_ids": np.ones((1, 63), np.int32)}, ValueError, "at most 62 tokens"),
        ({"token_type_ids": np.full((1, 4), 2)}, ValueError, "type_vocab_size=2"),
        ({"token_type_ids": np.zeros((1, 5), np.int32)}, ValueError, "must have the shape of input_ids"),
        ({"attention_mask": np.ones((2, 4), np.int32)}, ValueError, "does not fit input_ids"),
        ({"head_mask": np.ones((3, 4), np.float32)}, ValueError, "head_mask must be shaped"),
        ({"encoder_hidden_states": np.ones((1, 3, 32), np.float32)}, ValueError, "no cross-attention"),
    ],
)
def test_bad_call_arguments(model, kwargs, error, match):
    kwargs = {"input_ids": np.ones((1, 4), np.int32), **kwargs}
    with pytest.raises(error, match=match):
        model(**kwargs)


def test_bad_construction_and_parameters(model):
    config = roberta.RobertaConfig(**TINY)
    with pytest.raises(TypeError, match="base class"):
        FlaxRobertaPreTrainedModel(config)
    with pytest.raises(TypeError, match="must be a RobertaConfig"):
        roberta.FlaxRobertaModel({"hidden_size": 32})
    with pytest.raises(TypeError, match="floating dtype"):
        roberta.FlaxRobertaModel(config, dtype=jnp.int32, _do_init=False)
    with pytest.raises(ValueError, match="lack 1 required parameters"):
        params = jax.tree_util.tree_map(lambda x: x, model.params)
        del params["lm_head"]["bias"]
        model.params = params
    with pytest.raises(TypeError, match="from_pretrained"):
        roberta.FlaxAutoModel(config)
    with pytest.raises(TypeError, match="must be a RobertaConfig"):
        roberta.FlaxAutoModelForMaskedLM.from_config(object())


def test_auto_classes_pick_the_task_class(reference_checkpoints):
    loaded = roberta.FlaxAutoModelForQuestionAnswering.from_pretrained(
        reference_checkpoints["RobertaForQuestionAnswering"]
    )
    assert type(loaded) is roberta.FlaxRobertaForQuestionAnswering
    built = roberta.FlaxAutoModelForTokenClassification.from_config(roberta.RobertaConfig(**TINY), _do_init=False)
    assert type(built) is roberta.FlaxRobertaForTokenClassification
    assert {n for n in roberta.__all__ if n.startswith("Flax")} >= {
        "FlaxRobertaModel", "FlaxRobertaPreTrainedModel", "FlaxAutoModelForCausalLM", "FlaxRobertaForMultipleChoice"
    }  # fmt: skip
