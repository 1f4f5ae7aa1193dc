"""The shared model facts (`roberta.model_facts`): each against the reference where it has the fact, and run on
two array libraries (PyTorch's ops and a NumPy implementation of `ArrayOps` written here), so one definition
serves every framework. The TF and Flax classes' use of them is covered by their parity tests."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch
import transformers
from transformers.activations import ACT2FN
from transformers.generation.logits_process import TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper
from transformers.models.roberta.modeling_roberta import create_position_ids_from_input_ids

import roberta
from roberta import model_facts
from roberta.modeling.array_ops import TorchOps
from roberta.modeling.layers import Activation
from roberta_testing import tiny_config


class NumpyOps:
    """`ArrayOps` on NumPy arrays: the facts need nothing from a deep-learning framework."""

    @staticmethod
    def sigmoid(x):
        return 1 / (1 + np.exp(-x))

    relu = staticmethod(lambda x: np.maximum(x, 0))
    tanh = staticmethod(np.tanh)

    @staticmethod
    def as_int(x):
        return x.astype(np.int32)

    @staticmethod
    def cumsum(x):
        return np.cumsum(x, axis=-1, dtype=x.dtype)

    @staticmethod
    def kth_largest(x, k):
        return -np.sort(-x, axis=-1)[..., min(max(k, 1), x.shape[-1]) - 1, None]

    @staticmethod
    def sort(x):
        order = np.argsort(x, axis=-1)
        return np.take_along_axis(x, order, axis=-1), order

    @staticmethod
    def unsort(values, order):
        out = np.empty_like(values)
        np.put_along_axis(out, order, values, axis=-1)
        return out

    @staticmethod
    def softmax(x):
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)

    @staticmethod
    def index(x):
        return np.arange(x.shape[-1])

    @staticmethod
    def drop(x, cond):
        return np.where(cond, -np.inf, x)

    @staticmethod
    def where(cond, x, y):
        return np.where(cond, x, y)


def test_importing_the_facts_imports_no_framework():
    code = "import sys, roberta.model_facts; print(sorted({'torch', 'tensorflow', 'jax'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ---------------------------------------------------------------------- activations
@pytest.mark.parametrize("name", model_facts.ACTIVATION_NAMES)
def test_every_activation_matches_the_reference(name):
    x = torch.linspace(-6, 6, 241)
    ours = model_facts.activation(name, TorchOps)(x)
    # gelu_new / gelu_fast: the reference writes the tanh formula out; ours is torch's fused kernel of it
    assert torch.allclose(ours, ACT2FN[name](x), atol=1e-6), name


def test_activations_pickle_and_composites_run_on_any_ops():
    import pickle

    fn = pickle.loads(pickle.dumps(Activation("quick_gelu"))).fn
    x = np.linspace(-3, 3, 13)
    assert np.allclose(model_facts.activation("quick_gelu", NumpyOps)(x), fn(torch.from_numpy(x)).numpy())


def test_an_unknown_activation_is_one_message_everywhere():
    with pytest.raises(ValueError) as facts:
        model_facts.activation("mish", TorchOps)
    with pytest.raises(ValueError) as module:
        Activation("mish")
    with pytest.raises(ValueError) as config:
        roberta.RobertaConfig(hidden_act="mish")
    assert str(facts.value) == str(module.value) == str(config.value)
    assert all(name in str(facts.value) for name in model_facts.ACTIVATION_NAMES)


# ---------------------------------------------------------------------- positions
@pytest.mark.parametrize("past", [0, 3])
def test_position_ids_match_the_reference_on_torch_and_numpy(past):
    ids = torch.tensor([[0, 5, 6, 2, 1, 1], [1, 1, 0, 7, 8, 2]])
    want = create_position_ids_from_input_ids(ids, 1, past)
    ours = model_facts.position_ids_from_input_ids(TorchOps, ids, 1, past)
    assert torch.equal(ours.long(), want)
    assert np.array_equal(model_facts.position_ids_from_input_ids(NumpyOps, ids.numpy(), 1, past), want.numpy())


def test_positions_from_a_mask_count_from_padding_idx_or_from_zero():
    mask = np.array([[0, 0, 1, 1, 1], [1, 1, 1, 1, 1]])
    assert model_facts.positions_from_mask(NumpyOps, mask, 1).tolist() == [[1, 1, 2, 3, 4], [2, 3, 4, 5, 6]]
    # the reference generate's: cumsum - 1, padding at 1
    want = np.where(mask == 0, 1, np.cumsum(mask, -1) - 1)
    assert np.array_equal(model_facts.positions_from_mask(NumpyOps, mask, 1, from_zero=True), want)


@pytest.mark.parametrize(
    "fields, usable",
    [
        (dict(max_position_embeddings=64, pad_token_id=1), 62),
        (dict(max_position_embeddings=64, pad_token_id=5), 58),
        (dict(max_position_embeddings=64, pad_token_id=1, position_embedding_type="relative_key"), 64),
    ],
)
def test_usable_positions_is_one_rule(fields, usable):
    config = roberta.RobertaConfig(**fields)
    assert config.usable_positions == model_facts.config_positions(config) == usable
    assert model_facts.config_positions(config, from_zero=True) == 64
    model_facts.check_generation_length(config, 10, usable)
    with pytest.raises(ValueError, match=f"max_length={usable + 1} .* exceeds the {usable} positions"):
        model_facts.check_generation_length(config, 10, usable + 1)


def test_a_position_past_the_table_names_the_usable_length():
    message = model_facts.position_table_message(64, 1, "position id 70")
    assert message.startswith("position id 70 is outside the position table of size max_position_embeddings=64")
    assert "at most 62 tokens per sequence" in message and "max_length=62" in message


# ---------------------------------------------------------------------- ids
def test_an_id_outside_its_table_names_the_config_field():
    model_facts.check_id_range("input_ids", 98, 0, 99, "vocab_size")
    with pytest.raises(ValueError) as raised:
        roberta.RobertaModel(roberta.RobertaConfig(**tiny_config().to_dict()))(input_ids=torch.tensor([[0, 120, 2]]))
    assert str(raised.value) == "input_ids holds 120, outside [0, 99) set by vocab_size=99"
    with pytest.raises(ValueError, match=r"token_type_ids holds -1, outside \[0, 2\) set by type_vocab_size=2"):
        model_facts.check_id_range("token_type_ids", 1, -1, 2, "type_vocab_size")


# ---------------------------------------------------------------------- head mask
def test_head_masks_broadcast_per_layer_and_bad_shapes_name_both_forms():
    one = model_facts.per_layer_head_masks(np.array([1.0, 0.0, 0.5]), 2, 3)
    assert [m.shape for m in one] == [(1, 3, 1, 1)] * 2 and one[0].ravel().tolist() == [1.0, 0.0, 0.5]
    per_layer = model_facts.per_layer_head_masks(np.arange(6.0).reshape(2, 3), 2, 3)
    assert [m.ravel().tolist() for m in per_layer] == [[0, 1, 2], [3, 4, 5]]
    assert model_facts.per_layer_head_masks(None, 2, 3) == [None, None]
    for bad in [np.ones(4), np.ones((3, 3)), np.ones((2, 1)), np.ones((2, 3, 1))]:
        with pytest.raises(
            ValueError, match=r"head_mask must be shaped \[num_heads=3\] or \[num_layers=2, num_heads\]"
        ):
            model_facts.per_layer_head_masks(bad, 2, 3)


# ---------------------------------------------------------------------- problem_type
@pytest.mark.parametrize(
    "num_labels, labels",
    [
        (1, torch.tensor([0.5, -1.0])),
        (3, torch.tensor([0, 2])),
        (3, torch.tensor([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]])),
    ],
)
def test_problem_type_is_inferred_as_the_reference(tmp_path, num_labels, labels):
    ref = transformers.RobertaForSequenceClassification(tiny_config(num_labels=num_labels)).eval()
    ref.save_pretrained(tmp_path)
    ours = roberta.RobertaForSequenceClassification.from_pretrained(tmp_path)
    ids = torch.randint(3, 99, (2, 7))
    with torch.no_grad():
        a, b = ref(input_ids=ids, labels=labels), ours(input_ids=ids, labels=labels)
    assert ours.config.problem_type == ref.config.problem_type
    assert ours.config.problem_type == model_facts.infer_problem_type(num_labels, labels.dtype != torch.float32)
    assert torch.allclose(a.loss, b.loss, atol=1e-5)


# ---------------------------------------------------------------------- sampling
def _reference_filter(scores, temperature, top_k, top_p, keep):
    ids = torch.zeros(scores.shape[0], 1, dtype=torch.long)
    if temperature != 1.0:
        scores = TemperatureLogitsWarper(temperature)(ids, scores)
    if top_k:
        scores = TopKLogitsWarper(top_k, min_tokens_to_keep=keep)(ids, scores)
    if top_p < 1.0:
        scores = TopPLogitsWarper(top_p, min_tokens_to_keep=keep)(ids, scores)
    return scores


@pytest.mark.parametrize(
    "temperature, top_k, top_p, keep",
    [(1.0, 0, 1.0, 1), (0.7, 0, 1.0, 1), (1.0, 5, 1.0, 1), (1.0, 0, 0.8, 1), (1.3, 7, 0.6, 1), (1.0, 2, 0.05, 4)],
)
def test_sampling_filters_match_the_reference_warpers(temperature, top_k, top_p, keep):
    scores = torch.randn(4, 50, generator=torch.Generator().manual_seed(top_k + keep))
    want = _reference_filter(scores.clone(), temperature, top_k, top_p, keep)
    ours = model_facts.filter_logits(TorchOps, scores, temperature, top_k, top_p, keep)
    assert torch.equal(torch.isinf(ours), torch.isinf(want))
    assert torch.allclose(ours[~torch.isinf(ours)], want[~torch.isinf(want)])
    on_numpy = model_facts.filter_logits(NumpyOps, scores.double().numpy(), temperature, top_k, top_p, keep)
    assert np.array_equal(np.isinf(on_numpy), torch.isinf(want).numpy())


def test_traced_options_choose_with_where():
    """Options that are arrays (as inside jax.jit) take the `where` path: the same result as Python options."""
    scores = np.random.default_rng(0).normal(size=(3, 20))
    for top_k, top_p in [(0, 1.0), (4, 1.0), (0, 0.5), (6, 0.3)]:
        python = model_facts.filter_logits(NumpyOps, scores, 0.9, top_k, top_p)
        traced = model_facts.filter_logits(NumpyOps, scores, np.float64(0.9), np.int32(top_k), np.float64(top_p))
        assert np.array_equal(python, traced), (top_k, top_p)
