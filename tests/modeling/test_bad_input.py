"""Bad inputs to the model get clear errors that name what was wrong."""

from __future__ import annotations

import pytest
import torch

import roberta
from roberta_testing import TINY


@pytest.fixture(scope="module")
def model():
    return roberta.RobertaForMaskedLM(roberta.RobertaConfig(**TINY)).eval()


def test_sequence_longer_than_position_table(model):
    ids = torch.randint(3, 99, (1, 70))
    with pytest.raises(ValueError, match=r"max_position_embeddings=64.*at most 62 tokens"):
        model(input_ids=ids)
    model(input_ids=ids[:, :62])  # the longest that fits


def test_token_type_ids_beyond_type_vocab(model):
    ids = torch.randint(3, 99, (1, 5))
    with pytest.raises(ValueError, match=r"token_type_ids holds 2.*type_vocab_size=2"):
        model(input_ids=ids, token_type_ids=torch.full_like(ids, 2))


def test_input_ids_out_of_vocabulary(model):
    with pytest.raises(ValueError, match=r"input_ids holds 99.*vocab_size=99"):
        model(input_ids=torch.tensor([[0, 99, 2]]))


def test_wrong_dtypes(model):
    with pytest.raises(TypeError, match=r"input_ids must hold integers.*float32"):
        model(input_ids=torch.ones(1, 4))
    with pytest.raises(TypeError, match=r"inputs_embeds has dtype torch.float64"):
        model(inputs_embeds=torch.ones(1, 4, 32, dtype=torch.float64))
    with pytest.raises(TypeError, match="torch.Tensor"):
        model(input_ids=[[0, 5, 2]])


def test_ids_and_embeds_together_or_neither(model):
    with pytest.raises(ValueError, match="exactly one"):
        model()
    with pytest.raises(ValueError, match="exactly one"):
        model(input_ids=torch.tensor([[0, 2]]), inputs_embeds=torch.ones(1, 2, 32))


def test_bad_mask_shapes(model):
    ids = torch.randint(3, 99, (2, 5))
    with pytest.raises(ValueError, match=r"attention_mask must be shaped \(batch=2, 5\)"):
        model(input_ids=ids, attention_mask=torch.ones(2, 6))
    with pytest.raises(ValueError, match="head_mask"):
        model(input_ids=ids, head_mask=torch.ones(3, 4))


def test_unbatched_input_is_explained(model):
    with pytest.raises(ValueError, match=r"must be batched"):
        model(input_ids=torch.tensor([0, 5, 2]))


def test_cross_attention_without_layers():
    decoder = roberta.RobertaForCausalLM(roberta.RobertaConfig(**TINY, is_decoder=True)).eval()
    with pytest.raises(ValueError, match="add_cross_attention=True"):
        decoder(input_ids=torch.tensor([[0, 5]]), encoder_hidden_states=torch.ones(1, 3, 32))


def test_config_of_wrong_type():
    with pytest.raises(TypeError, match="RobertaConfig"):
        roberta.RobertaModel({"hidden_size": 32})
