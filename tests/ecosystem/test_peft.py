"""peft LoRA on our models, as every RoBERTa guide writes it, and adapters moving to and from the reference."""

from __future__ import annotations

import peft
import pytest
import torch
import transformers

import roberta
from roberta_testing import TINY

TARGETS = [["query", "value"], None]  # the guides' list, and peft's own default for model_type roberta


def _inputs():
    g = torch.Generator().manual_seed(3)
    ids = torch.randint(3, 99, (4, 12), generator=g)
    mask = torch.ones_like(ids)
    mask[1, 8:] = 0
    mask[3, 5:] = 0
    return ids, mask, torch.tensor([0, 1, 2, 1])


def _lora(targets):
    extra = {} if targets is None else {"target_modules": targets}
    return peft.LoraConfig(task_type="SEQ_CLS", r=4, lora_alpha=8, lora_dropout=0.0, **extra)


def _train(model, steps: int = 5):
    ids, mask, labels = _inputs()
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=5e-2)
    model.train()
    losses = []
    for _ in range(steps):
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        opt.step()
        opt.zero_grad()
        losses.append(loss.item())
    return model.eval(), losses


def _logits(model):
    ids, mask, _ = _inputs()
    with torch.no_grad():
        return model(input_ids=ids, attention_mask=mask).logits


@pytest.fixture
def base_dir(tmp_path):
    torch.manual_seed(0)
    ref = transformers.RobertaForSequenceClassification(transformers.RobertaConfig(**TINY, num_labels=3))
    ref.save_pretrained(tmp_path / "base")
    return tmp_path / "base"


@pytest.mark.parametrize("targets", TARGETS, ids=["query-value", "peft-default"])
def test_lora_trains_merges_and_moves_to_the_reference(base_dir, tmp_path, targets):
    model = peft.get_peft_model(roberta.RobertaForSequenceClassification.from_pretrained(base_dir), _lora(targets))
    assert set(model.peft_config["default"].target_modules) == {"query", "value"}
    lora_layers = [n for n, _ in model.named_modules() if n.endswith("attention.self.query.lora_A.default")]
    assert len(lora_layers) == TINY["num_hidden_layers"]
    model, losses = _train(model)
    assert losses[-1] < losses[0]
    ours = _logits(model)
    model.save_pretrained(tmp_path / "adapter")

    ref = peft.PeftModel.from_pretrained(
        transformers.RobertaForSequenceClassification.from_pretrained(base_dir), tmp_path / "adapter"
    ).eval()
    assert torch.allclose(_logits(ref), ours, atol=1e-5)

    merged = model.merge_and_unload()
    assert type(merged.roberta.encoder.layer[0].attention.self.query) is torch.nn.Linear
    assert torch.allclose(_logits(merged), ours, atol=1e-5)


def test_an_adapter_trained_on_the_reference_loads_into_ours(base_dir, tmp_path):
    torch.manual_seed(1)
    ref = peft.get_peft_model(transformers.RobertaForSequenceClassification.from_pretrained(base_dir), _lora(None))
    ref, _ = _train(ref)
    ref.save_pretrained(tmp_path / "ref-adapter")
    ours = peft.PeftModel.from_pretrained(
        roberta.RobertaForSequenceClassification.from_pretrained(base_dir), tmp_path / "ref-adapter"
    ).eval()
    assert torch.allclose(_logits(ours), _logits(ref), atol=1e-5)
    # the merged model saves as an ordinary checkpoint that the reference reads with the adapter folded in
    ours.merge_and_unload().save_pretrained(tmp_path / "merged")
    back = transformers.RobertaForSequenceClassification.from_pretrained(tmp_path / "merged").eval()
    assert torch.allclose(_logits(back), _logits(ref), atol=1e-5)


def test_lora_with_gradient_checkpointing_and_frozen_embeddings(base_dir):
    model = roberta.RobertaForSequenceClassification.from_pretrained(base_dir)
    model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": True})
    model = peft.get_peft_model(model, _lora(None))
    lora_b = [p for n, p in model.named_parameters() if "lora_B" in n]
    assert lora_b and all(not p.any() for p in lora_b)  # LoRA's B starts at zero
    _, losses = _train(model, steps=3)
    assert all(torch.isfinite(torch.tensor(losses)))
    # reentrant checkpoints pass gradients into the layers only when the embeddings' output requires them
    # (peft asks for it through enable_input_require_grads)
    assert all(p.any() for p in lora_b)
