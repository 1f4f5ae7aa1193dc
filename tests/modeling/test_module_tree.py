"""The PyTorch classes carry the reference's module tree: names, parameters, module types, loading both ways."""

from __future__ import annotations

import pytest
import torch
import transformers
from torch import nn

import roberta
from roberta_testing import HEADS, TINY

OPTIONS = {
    "encoder": {},
    "decoder-cross": {"is_decoder": True, "add_cross_attention": True},
    "relative_key": {"position_embedding_type": "relative_key"},
    "relative_key_query": {"position_embedding_type": "relative_key_query"},
}


def _pair(name: str, **options):
    torch.manual_seed(0)
    ref = getattr(transformers, name)(transformers.RobertaConfig(**TINY, **options))
    ours = getattr(roberta, name)(roberta.RobertaConfig(**TINY, **options))
    return ref, ours


@pytest.mark.parametrize("options", OPTIONS.values(), ids=OPTIONS.keys())
@pytest.mark.parametrize("name", HEADS)
def test_state_dict_and_parameters_equal_the_reference(name, options):
    ref, ours = _pair(name, **options)
    assert list(ours.state_dict()) == list(ref.state_dict())
    assert [(n, p.shape) for n, p in ours.named_parameters()] == [(n, p.shape) for n, p in ref.named_parameters()]
    ref_modules = dict(ref.named_modules())
    for module_name, module in ours.named_modules():
        assert module_name in ref_modules, module_name
        if isinstance(ref_modules[module_name], (nn.Linear, nn.LayerNorm, nn.Embedding, nn.Dropout)):
            assert type(module) is type(ref_modules[module_name]), module_name  # plain torch modules
    assert set(ref_modules) == set(dict(ours.named_modules()))
    # the same weights load both ways, strictly, and give the same numbers
    ours.load_state_dict(ref.state_dict())
    ref.load_state_dict(ours.state_dict())


def test_base_model_without_pooler_and_loading_across_prefixes():
    ref = transformers.RobertaModel(transformers.RobertaConfig(**TINY), add_pooling_layer=False)
    ours = roberta.RobertaModel(roberta.RobertaConfig(**TINY), add_pooling_layer=False)
    assert list(ours.state_dict()) == list(ref.state_dict())


def test_scripts_written_for_the_reference_run_unchanged():
    model = roberta.RobertaForSequenceClassification(roberta.RobertaConfig(**{**TINY, "num_hidden_layers": 4}))
    for layer in model.roberta.encoder.layer[:2]:  # "freeze the first layers"
        for p in layer.parameters():
            p.requires_grad = False
    frozen = {n for n, p in model.named_parameters() if not p.requires_grad}
    assert frozen and all(n.startswith(("roberta.encoder.layer.0.", "roberta.encoder.layer.1.")) for n in frozen)
    no_decay = ["bias", "LayerNorm.weight"]  # the usual weight-decay split
    decayed = [n for n, _ in model.named_parameters() if not any(nd in n for nd in no_decay)]
    assert not any("LayerNorm" in n for n in decayed)
    assert model.roberta.embeddings.LayerNorm.weight.shape == (TINY["hidden_size"],)
    assert isinstance(model.roberta.encoder.layer[0].attention.self.query, nn.Linear)


def test_lm_head_bias_is_one_parameter_under_two_names():
    model = roberta.RobertaForMaskedLM(roberta.RobertaConfig(**TINY))
    assert model.lm_head.decoder.bias is model.lm_head.bias
    assert model.lm_head.decoder.weight is model.roberta.embeddings.word_embeddings.weight
    model.resize_token_embeddings(TINY["vocab_size"] + 5)
    assert model.lm_head.decoder.bias is model.lm_head.bias and model.lm_head.bias.shape == (104,)


def test_a_replaced_module_is_called_as_it_is():
    """A module swapped in under the reference's name (as peft, quantizers and users do) is really called."""
    model = roberta.RobertaModel(roberta.RobertaConfig(**TINY)).eval()
    ids = torch.randint(3, 99, (2, 7))
    with torch.no_grad():
        before = model(input_ids=ids).last_hidden_state
    calls = []

    class Spy(nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, x):
            calls.append(x.shape)
            return self.inner(x) * 0.0

    model.encoder.layer[1].attention.self.value = Spy(model.encoder.layer[1].attention.self.value)
    with torch.no_grad():
        after = model(input_ids=ids).last_hidden_state
    assert calls and not torch.allclose(before, after)


@pytest.mark.parametrize("where", ["pre", "post"])
def test_hooks_on_linears_see_every_call(where):
    model = roberta.RobertaModel(roberta.RobertaConfig(**TINY)).eval()
    seen = []
    query = model.encoder.layer[0].attention.self.query
    if where == "pre":
        query.register_forward_pre_hook(lambda m, args: seen.append(args[0].shape))
    else:
        query.register_forward_hook(lambda m, args, out: seen.append(out.shape))
    with torch.no_grad():
        model(input_ids=torch.randint(3, 99, (2, 5)))
    assert len(seen) == 1
