"""Every Flax class against our PyTorch classes and the reference's Flax classes on the same weights."""

from __future__ import annotations

import shutil

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch
import transformers

import roberta
from flax_testing import max_diff, mixed_batch, to_torch
from roberta import registry
from roberta_testing import HEAD_ROWS, HEADS, TOL, assert_close, make_reference


def _inputs(head: str):
    ids, mask = mixed_batch()
    types = ids % 2
    if HEAD_ROWS[head].choices:  # (1, choices, T)
        return ids[None], mask[None], types[None]
    return ids, mask, types


@pytest.mark.parametrize("head", HEADS)
def test_head_matches_pytorch_and_reference_flax(reference_checkpoints, head):
    path = reference_checkpoints[head]
    ours = getattr(roberta, "Flax" + head).from_pretrained(path)
    auto = getattr(roberta, registry.auto_name(HEAD_ROWS[head], registry.framework("flax")))  # FlaxAutoModel...
    assert type(auto.from_pretrained(path)) is type(ours)
    torch_model = getattr(roberta, head).from_pretrained(path)
    # The reference's class on our parameter tree (its own loading is tested in test_weights.py).
    ref = getattr(transformers, "Flax" + head)(transformers.AutoConfig.from_pretrained(path), _do_init=False)
    assert jax.tree_util.tree_structure(ours.params) == jax.tree_util.tree_structure(ref.params_shape_tree)

    ids, mask, types = _inputs(head)
    with torch.no_grad():
        want = torch_model(
            input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask),
            token_type_ids=torch.from_numpy(types), output_hidden_states=True,
        )  # fmt: skip
    got = ours(ids, mask, types, output_hidden_states=True)  # concrete inputs: bucketed, jitted per chunk

    @jax.jit
    def traced(params):  # ours inside a user's jax.jit, and the reference's class, on the same parameters
        options = dict(params=params, output_hidden_states=True)
        return ours(ids, mask, types, **options), ref(ids, mask, types, **options)

    ours_jit, ref_out = traced(ours.params)
    rows = mask.reshape(-1, mask.shape[-1])
    assert set(got.keys()) == set(ref_out.keys())
    for key in got.keys():
        for name, other in (("ours under jax.jit", ours_jit[key]), ("reference Flax", ref_out[key])):
            assert_close(to_torch(got[key]), to_torch(other), torch.from_numpy(rows), f"{head}/{key} vs {name}")
        assert_close(to_torch(got[key]), want[key], torch.from_numpy(rows), f"{head}/{key} vs PyTorch")


@pytest.mark.parametrize("position", ["relative_key", "relative_key_query"])
def test_relative_positions_match_pytorch(tmp_path, position):
    """The reference's Flax classes ignore position_embedding_type; ours follow the PyTorch model."""
    make_reference("RobertaForMaskedLM", tmp_path, position_embedding_type=position)
    ours = roberta.FlaxRobertaForMaskedLM.from_pretrained(tmp_path)
    torch_model = roberta.RobertaForMaskedLM.from_pretrained(tmp_path)
    assert "distance_embedding" in ours.params["roberta"]["encoder"]["layer"]["1"]["attention"]["self"]
    ids, mask = mixed_batch((24, 12, 5))  # two chunks: the full-width row and the two short ones
    with torch.no_grad():
        want = torch_model(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask)).logits
    assert max_diff(ours(ids, mask).logits, want.numpy(), mask) <= TOL


def test_attentions_head_mask_and_tuples(reference_checkpoints):
    path = reference_checkpoints["RobertaForMaskedLM"]
    ours = roberta.FlaxRobertaForMaskedLM.from_pretrained(path)
    torch_model = roberta.RobertaForMaskedLM.from_pretrained(path, attn_implementation="eager")
    ids, mask = mixed_batch(t=12)
    head_mask = np.array([[0.0, 1.0, 1.0, 0.5]], dtype=np.float32)
    with torch.no_grad():
        want = torch_model(
            input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask),
            head_mask=torch.from_numpy(head_mask), output_attentions=True,
        )  # fmt: skip
    got = ours(ids, mask, head_mask=head_mask, output_attentions=True, return_dict=False)
    assert isinstance(got, tuple) and len(got) == 2  # (logits, attentions), as the reference's tuples
    assert got[1][0].shape == (4, 4, 12, 12) and float(jnp.abs(got[1][0][:, 0]).max()) == 0.0
    assert_close(to_torch(got[1]), want.attentions, None, "attentions")
    assert max_diff(got[0], want.logits.numpy(), mask) <= TOL


def test_bfloat16_compute_keeps_float32_parameters(reference_checkpoints):
    path = reference_checkpoints["RobertaForSequenceClassification"]
    full = roberta.FlaxRobertaForSequenceClassification.from_pretrained(path)
    half = roberta.FlaxRobertaForSequenceClassification.from_pretrained(path, dtype=jnp.bfloat16)
    assert {x.dtype for x in jax.tree_util.tree_leaves(half.params)} == {jnp.dtype(jnp.float32)}
    ids, mask = mixed_batch(t=12)
    low = half(ids, mask).logits
    assert low.dtype == jnp.bfloat16
    assert max_diff(low, full(ids, mask).logits) < 5e-2


def test_documentation_example_runs_as_written(tmp_path, roberta_base_dir):
    """The reference documentation's Flax multiple-choice example, with `roberta` imports (return_tensors="jax")."""
    make_reference("RobertaForMultipleChoice", tmp_path, vocab_size=50265, num_hidden_layers=1)
    for name in ("vocab.json", "merges.txt", "tokenizer.json", "tokenizer_config.json"):
        shutil.copy(roberta_base_dir / name, tmp_path / name)
    tokenizer = roberta.AutoTokenizer.from_pretrained(tmp_path)
    model = roberta.FlaxRobertaForMultipleChoice.from_pretrained(tmp_path)
    prompt = "In Italy, pizza served in formal settings, such as at a restaurant, is presented unsliced."
    choice0 = "It is eaten with a fork and a knife."
    choice1 = "It is eaten while held in the hand."
    encoding = tokenizer([prompt, prompt], [choice0, choice1], return_tensors="jax", padding=True)
    outputs = model(**{k: v[None, :] for k, v in encoding.items()})
    logits = outputs.logits

    torch_model = roberta.RobertaForMultipleChoice.from_pretrained(tmp_path)
    encoding = tokenizer([prompt, prompt], [choice0, choice1], return_tensors="pt", padding=True)
    with torch.no_grad():
        want = torch_model(**{k: v.unsqueeze(0) for k, v in encoding.items()}).logits
    assert isinstance(logits, jax.Array) and logits.shape == (1, 2)
    assert max_diff(logits, want.numpy()) <= TOL
