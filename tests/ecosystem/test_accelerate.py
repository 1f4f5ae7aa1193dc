"""accelerate as users run it: prepare, gradient accumulation, bf16 mixed precision, empty-weight loading."""

from __future__ import annotations

import accelerate
import torch
from accelerate import Accelerator, init_empty_weights, load_checkpoint_and_dispatch

import roberta
from roberta_testing import TINY


def _batches(n: int = 4):
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(3, 99, (n * 2, 12), generator=g)
    return torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(ids, torch.randint(0, 3, (n * 2,), generator=g)), batch_size=2
    )


def test_prepare_accumulates_gradients_and_steps(tmp_path):
    model = roberta.RobertaForSequenceClassification(roberta.RobertaConfig(**TINY, num_labels=3))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    accelerator = Accelerator(cpu=True, gradient_accumulation_steps=2)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    model, optimizer, loader = accelerator.prepare(model, optimizer, _batches())
    steps = 0
    for ids, labels in loader:
        with accelerator.accumulate(model):
            loss = model(input_ids=ids, labels=labels).loss
            accelerator.backward(loss)
            optimizer.step()
            optimizer.zero_grad()
            steps += int(accelerator.sync_gradients)
    assert steps == 2  # 4 micro-batches, 2 per optimizer step
    after = accelerator.unwrap_model(model).state_dict()
    assert list(after) == list(before)
    assert not torch.equal(after["classifier.out_proj.weight"], before["classifier.out_proj.weight"])


def test_bf16_mixed_precision_returns_fp32_outputs():
    model = roberta.RobertaForMaskedLM(roberta.RobertaConfig(**TINY))
    accelerator = Accelerator(cpu=True, mixed_precision="bf16")
    model = accelerator.prepare(model)
    ids = torch.randint(3, 99, (2, 10))
    out = model(input_ids=ids, labels=ids)
    assert isinstance(out, dict) and out.logits.dtype == torch.float32  # accelerate converts mappings back
    accelerator.backward(out.loss)
    assert accelerator.unwrap_model(model).lm_head.dense.weight.grad is not None


def test_empty_weights_and_dispatch_with_device_map_auto(tmp_path):
    config = roberta.RobertaConfig(**TINY)
    full = roberta.RobertaForMaskedLM(config).eval()
    full.save_pretrained(tmp_path)
    with init_empty_weights():
        empty = roberta.RobertaForMaskedLM(config)
    empty.tie_weights()  # as accelerate's docs say: init_empty_weights re-creates every parameter it sees
    assert empty.lm_head.dense.weight.is_meta
    model = load_checkpoint_and_dispatch(
        empty, checkpoint=str(tmp_path), device_map="auto", no_split_module_classes=empty._no_split_modules
    ).eval()
    assert model.hf_device_map and not any(p.is_meta for p in model.parameters())
    assert model.lm_head.decoder.weight is model.roberta.embeddings.word_embeddings.weight  # still tied
    ids = torch.randint(3, 99, (2, 9))
    with torch.no_grad():
        assert torch.allclose(model(input_ids=ids).logits, full(input_ids=ids).logits, atol=1e-6)
    loaded = roberta.RobertaForMaskedLM.from_pretrained(tmp_path, device_map="auto")
    assert loaded.hf_device_map == {"": "cpu"}


def test_a_device_map_splits_between_layers_and_offloaded_layers_give_the_same_numbers(tmp_path):
    """A memory budget for 2 of 4 layers: the map cuts between RobertaLayers (never inside one), and the
    layers offloaded to disk, moved in by accelerate's hooks at each call, give the numbers of the whole model."""
    config = roberta.RobertaConfig(**{**TINY, "num_hidden_layers": 4})
    full = roberta.RobertaModel(config).eval()
    full.save_pretrained(tmp_path / "ckpt")
    with init_empty_weights():
        empty = roberta.RobertaModel(config)
    size = accelerate.utils.compute_module_sizes(empty)[""]
    device_map = accelerate.infer_auto_device_map(
        empty, max_memory={"cpu": int(size * 0.8), "disk": size * 4}, no_split_module_classes=empty._no_split_modules
    )
    assert set(device_map.values()) == {"cpu", "disk"}
    assert all(name.count(".") <= 2 for name in device_map)  # whole layers ("encoder.layer.3") at the finest
    model = load_checkpoint_and_dispatch(
        empty, checkpoint=str(tmp_path / "ckpt"), device_map=device_map, offload_folder=str(tmp_path / "offload")
    ).eval()
    ids = torch.randint(3, 99, (2, 9))
    mask = torch.ones_like(ids)
    mask[1, 5:] = 0
    with torch.no_grad():
        got = model(input_ids=ids, attention_mask=mask).last_hidden_state
        want = full(input_ids=ids, attention_mask=mask).last_hidden_state
    real = mask.bool()
    assert torch.allclose(got[real], want[real], atol=1e-5)
