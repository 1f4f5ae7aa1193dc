"""torch.export, torch.jit.trace and torch.compile on every head, matching eager."""

from __future__ import annotations

import warnings

import pytest
import torch

import roberta
from roberta_testing import HEADS, TINY

IMPLEMENTATIONS = ["sdpa", "eager"]


def _model(name: str, impl: str, **extra):
    options = {"is_decoder": True, "use_cache": False} if name == "RobertaForCausalLM" else {}
    torch.manual_seed(0)
    return getattr(roberta, name)(roberta.RobertaConfig(**TINY, attn_implementation=impl, **options, **extra)).eval()


def _inputs(name: str) -> dict:
    g = torch.Generator().manual_seed(1)
    ids = torch.randint(3, 99, (2, 9), generator=g)
    mask = torch.ones_like(ids)
    mask[1, 6:] = 0
    if name == "RobertaForMultipleChoice":
        return {"input_ids": ids[None].repeat(2, 1, 1), "attention_mask": mask[None].repeat(2, 1, 1)}
    return {"input_ids": ids, "attention_mask": mask}


def _first(out) -> torch.Tensor:
    return out[0] if isinstance(out, (tuple, list)) else next(iter(out.values()))


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
@pytest.mark.parametrize("name", HEADS)
def test_torch_export_matches_eager(name, impl):
    model, inputs = _model(name, impl), _inputs(name)
    with torch.no_grad():
        want = model(**inputs)
        program = torch.export.export(model, (), inputs)
        got = program.module()(**inputs)
    assert type(got) is type(want)  # the named output comes back whole (a pytree node)
    assert torch.allclose(_first(got), _first(want), atol=1e-5)


@pytest.mark.parametrize("how", ["torchscript", "return_dict"])
@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
@pytest.mark.parametrize("name", HEADS)
def test_jit_trace_matches_eager(name, impl, how):
    extra = {"torchscript": True} if how == "torchscript" else {"return_dict": False}
    model, inputs = _model(name, impl, **extra), _inputs(name)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        want = model(**inputs)
        traced = torch.jit.trace(model, example_kwarg_inputs=inputs)
        got = traced(**inputs)
    assert isinstance(want, tuple)
    assert torch.allclose(got[0], want[0], atol=1e-5)


@pytest.mark.parametrize("name", ["RobertaForMaskedLM", "RobertaForSequenceClassification"])
def test_compile_fullgraph_on_the_sdpa_path(name):
    model, inputs = _model(name, "sdpa"), _inputs(name)
    compiled = torch.compile(model, fullgraph=True, dynamic=False)
    with torch.no_grad():
        assert torch.allclose(compiled(**inputs).logits, model(**inputs).logits, atol=1e-5)


@pytest.mark.parametrize("impl", ["unpadded", "sdpa"])
def test_default_path_compiles_without_graph_breaks(impl):
    """The packed layout's shapes depend on the mask's values: under tracing the pass is padded, so dynamo sees
    one graph (docs/performance.md)."""
    model, inputs = _model("RobertaForMaskedLM", impl), _inputs("RobertaForMaskedLM")
    torch._dynamo.reset()
    with torch.no_grad():
        explained = torch._dynamo.explain(model)(**inputs)
    assert explained.graph_break_count == 0 and explained.graph_count == 1


def test_value_checks_run_in_eager_and_skip_under_tracing():
    model = _model("RobertaModel", "sdpa")
    bad = torch.tensor([[0, 5, TINY["vocab_size"] + 3, 2]])
    with pytest.raises(ValueError, match="outside"):
        model(input_ids=bad)
    good = torch.tensor([[0, 5, 7, 2]])
    program = torch.export.export(model, (), {"input_ids": good})  # no data-dependent check in the graph
    with torch.no_grad():
        assert torch.allclose(program.module()(input_ids=good)[0], model(input_ids=good)[0], atol=1e-5)
