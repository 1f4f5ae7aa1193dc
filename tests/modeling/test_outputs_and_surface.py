"""Outputs are mappings as the reference's are; the model methods scripts call exist and agree with it."""

from __future__ import annotations

import copy
import pickle

import pytest
import torch
import transformers

import roberta
from roberta.inference import prepack_linears, refresh_derived
from roberta.modeling.linear import can_prepack
from roberta.modeling.outputs import MaskedLMOutput
from roberta_testing import HEADS, TINY


def _pair(name="RobertaForMaskedLM", **options):
    torch.manual_seed(0)
    ref = getattr(transformers, name)(transformers.RobertaConfig(**{**TINY, **options})).eval()
    ours = getattr(roberta, name)(roberta.RobertaConfig(**{**TINY, **options})).eval()
    ours.load_state_dict(ref.state_dict())
    return ref, ours


def test_outputs_are_mappings_like_the_reference():
    ref, ours = _pair()
    ids = torch.randint(3, 99, (2, 6))
    with torch.no_grad():
        a = ref(input_ids=ids, labels=ids, output_hidden_states=True)
        b = ours(input_ids=ids, labels=ids, output_hidden_states=True)
    assert isinstance(b, dict) and isinstance(a, dict)
    assert list(b.keys()) == list(a.keys()) == ["loss", "logits", "hidden_states"]
    assert torch.allclose(b[1], a[1], atol=1e-5) and torch.allclose(b["logits"], b.logits)
    assert len(b.to_tuple()) == len(a.to_tuple())
    rebuilt = type(b)({k: v for k, v in b.items()})  # accelerate's recursively_apply rebuilds it like this
    assert list(rebuilt.keys()) == list(b.keys()) and rebuilt.logits is b.logits
    for copied in (copy.deepcopy(b), pickle.loads(pickle.dumps(b))):
        assert list(copied.keys()) == list(b.keys()) and torch.equal(copied.logits, b.logits)
    b.loss = None  # a field set to None keeps its key, as the reference's
    assert "loss" in b.keys()
    with pytest.raises(TypeError, match="keeps its fields"):
        b.pop("logits")
    with pytest.raises(TypeError, match="no field"):
        MaskedLMOutput({"logits": b.logits, "scores": b.logits})


def test_model_surface_agrees_with_the_reference(tmp_path):
    ref, ours = _pair()
    assert ours.main_input_name == ref.main_input_name == "input_ids"
    # whole layers stay on one device (the reference's RobertaModel says the same; its heads allow cuts
    # inside a layer)
    assert (
        ours._no_split_modules == transformers.RobertaModel._no_split_modules == ["RobertaEmbeddings", "RobertaLayer"]
    )
    for kw in ({}, {"only_trainable": True}, {"exclude_embeddings": True}):
        assert ours.num_parameters(**kw) == ref.num_parameters(**kw), kw
    assert ours.get_memory_footprint() <= ref.get_memory_footprint()  # the reference adds two id buffers
    assert ours.get_memory_footprint(return_buffers=False) == ref.get_memory_footprint(return_buffers=False)
    assert ours.name_or_path == ""
    ours.save_pretrained(tmp_path / "m")
    loaded = roberta.RobertaForMaskedLM.from_pretrained(tmp_path / "m")
    assert loaded.name_or_path == str(tmp_path / "m") == loaded.config._name_or_path


def test_subfolder_is_honoured_and_a_missing_one_named(tmp_path):
    _, ours = _pair()
    ours.save_pretrained(tmp_path / "repo" / "mlm")
    loaded = roberta.RobertaForMaskedLM.from_pretrained(tmp_path / "repo", subfolder="mlm")
    assert torch.equal(loaded.lm_head.dense.weight, ours.lm_head.dense.weight)
    with pytest.raises(FileNotFoundError, match="subfolder 'nope'"):
        roberta.RobertaForMaskedLM.from_pretrained(tmp_path / "repo", subfolder="nope")


def test_enable_input_require_grads_makes_embedding_outputs_need_gradients():
    _, ours = _pair("RobertaModel")
    ours.requires_grad_(False)
    seen = []
    ours.encoder.layer[0].attention.self.query.register_forward_pre_hook(lambda m, a: seen.append(a[0].requires_grad))
    ours(input_ids=torch.randint(3, 99, (1, 4)))
    ours.enable_input_require_grads()
    ours(input_ids=torch.randint(3, 99, (1, 4)))
    ours.disable_input_require_grads()
    ours(input_ids=torch.randint(3, 99, (1, 4)))
    assert seen == [False, True, False]


def test_gradient_checkpointing_kwargs_reach_torch(monkeypatch):
    _, ours = _pair("RobertaModel")
    got = []
    real = torch.utils.checkpoint.checkpoint
    monkeypatch.setattr(torch.utils.checkpoint, "checkpoint", lambda *a, **k: got.append(k) or real(*a, **k))
    ours.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False, "preserve_rng_state": 0})
    ours.train()(input_ids=torch.randint(3, 99, (1, 4))).last_hidden_state.sum().backward()
    assert got and all(k == {"use_reentrant": False, "preserve_rng_state": 0} for k in got)


def test_masked_lm_training_logits_have_the_reference_shape():
    ref, ours = _pair(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    ref.train(), ours.train()
    ids = torch.randint(3, 99, (2, 6))
    labels = torch.full_like(ids, -100)
    labels[:, 2] = ids[:, 2]
    a, b = ref(input_ids=ids, labels=labels), ours(input_ids=ids, labels=labels)
    assert b.logits.shape == a.logits.shape == (2, 6, TINY["vocab_size"])
    assert torch.allclose(a.loss, b.loss, atol=1e-5)


needs_onednn = pytest.mark.skipif(not can_prepack(), reason="PyTorch built without oneDNN")


@needs_onednn
@pytest.mark.parametrize("change", ["in-place", "load_state_dict", "sgd", "fused-adamw", "data-then-refresh"])
def test_prepacked_weights_follow_every_change(change):
    """The derived (prepacked) weights never serve stale numbers: each way of changing a parameter is seen."""
    _, model = _pair("RobertaModel")
    prepack_linears(model)
    ids = torch.randint(3, 99, (2, 7))
    with torch.no_grad():
        model(input_ids=ids)  # the packed copies exist and are used
    params = [p for n, p in model.named_parameters() if "attention.self.query.weight" in n]
    if change == "in-place":
        with torch.no_grad():
            params[0].mul_(2.0)
    elif change == "load_state_dict":
        state = {k: v * 1.5 if "query.weight" in k else v for k, v in model.state_dict().items()}
        model.load_state_dict(state)
    elif change in ("sgd", "fused-adamw"):
        opt = (
            torch.optim.SGD(params, lr=0.5)
            if change == "sgd"
            else torch.optim.AdamW(params, lr=0.5, fused=True)  # updates without bumping version counters
        )
        for p in params:
            p.grad = torch.ones_like(p)
        opt.step()
    else:
        params[0].data.mul_(3.0)  # bypasses version counters: the documented remedy is refresh_derived
        refresh_derived(model)
    with torch.no_grad():
        got = model(input_ids=ids).last_hidden_state
    fresh = roberta.RobertaModel(model.config).eval()
    fresh.load_state_dict(model.state_dict())
    with torch.no_grad():
        want = fresh(input_ids=ids).last_hidden_state
    assert torch.allclose(got, want, atol=1e-5)


@pytest.mark.parametrize("name", HEADS)
def test_forward_takes_the_reference_arguments_in_its_order(name):
    """Positional callers get what they pass: the reference's parameters come first, in order; ours only add
    options after them (`sparse_logits`, `num_items_in_batch`)."""
    import inspect

    ref = [p for p in inspect.signature(getattr(transformers, name).forward).parameters if p != "kwargs"]
    ours = [p for p in inspect.signature(getattr(roberta, name).forward).parameters if p != "kwargs"]
    assert ours[: len(ref)] == ref
