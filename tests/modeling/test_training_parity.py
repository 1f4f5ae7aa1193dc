"""Training steps equal the reference's: same losses over many optimizer steps on padded, masked batches."""

from __future__ import annotations

import pytest
import torch
import transformers

import roberta
from roberta_testing import TINY

CONFIG = {**TINY, "hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0}


@pytest.mark.parametrize("name", ["RobertaForMaskedLM", "RobertaForSequenceClassification"])
def test_thirty_adamw_steps_follow_the_reference(name):
    torch.manual_seed(0)
    ref = getattr(transformers, name)(transformers.RobertaConfig(**CONFIG, num_labels=3))
    ours = getattr(roberta, name)(roberta.RobertaConfig(**CONFIG, num_labels=3))
    ours.load_state_dict(ref.state_dict())
    ref_opt = torch.optim.AdamW(ref.parameters(), lr=1e-2)
    our_opt = torch.optim.AdamW(ours.parameters(), lr=1e-2, fused=True)  # fused: the recipe's and Trainer's
    g = torch.Generator().manual_seed(1)
    for step in range(30):
        ids = torch.randint(3, 99, (4, 16), generator=g)
        mask = torch.ones_like(ids)
        mask[1, 10:] = 0
        mask[3, 5:] = 0
        if name == "RobertaForMaskedLM":
            labels = torch.where(torch.rand(ids.shape, generator=g) < 0.3, ids, -100)
            extra = {"sparse_logits": step % 2 == 0}  # the opt-in sparse head gives the same loss
        else:
            labels, extra = torch.randint(0, 3, (4,), generator=g), {}
        want = ref(input_ids=ids, attention_mask=mask, labels=labels).loss
        got = ours(input_ids=ids, attention_mask=mask, labels=labels, **extra).loss
        assert abs(want.item() - got.item()) < 1e-4, step
        for loss, opt in ((want, ref_opt), (got, our_opt)):
            loss.backward()
            opt.step()
            opt.zero_grad()
    assert torch.allclose(
        ours.roberta.encoder.layer[1].attention.self.query.weight,
        ref.roberta.encoder.layer[1].attention.self.query.weight,
        atol=1e-4,
    )
