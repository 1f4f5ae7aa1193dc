"""from_pretrained / save_pretrained on the reference's on-disk layout, both directions, and bad files."""

from __future__ import annotations

import os

import pytest
import torch
import transformers

import roberta
from roberta.checkpoint import CorruptCheckpointError
from roberta_testing import TINY, assert_close, batch, make_reference


def same_outputs(ref, ours, head="logits"):
    ids, mask = batch("right")
    with torch.no_grad():
        a = ref(input_ids=ids, attention_mask=mask)
        b = ours(input_ids=ids, attention_mask=mask)
    key = "last_hidden_state" if head == "logits" and "logits" not in a.keys() else head
    assert_close(a[key], b[key], mask, key)


@pytest.mark.parametrize(
    "head",
    [
        "RobertaForMaskedLM",
        "RobertaForCausalLM",
        "RobertaForSequenceClassification",
        "RobertaForMultipleChoice",
        "RobertaForTokenClassification",
        "RobertaForQuestionAnswering",
        "RobertaModel",
    ],
)
def test_ours_loads_in_reference(tmp_path, head):
    config = roberta.RobertaConfig(**TINY, is_decoder=head == "RobertaForCausalLM")
    ours = getattr(roberta, head)(config).eval()
    ours.save_pretrained(tmp_path)
    ref, info = getattr(transformers, head).from_pretrained(tmp_path, output_loading_info=True)
    assert info["missing_keys"] == [] and info["unexpected_keys"] == []
    if head == "RobertaForMultipleChoice":
        ids = torch.randint(3, 99, (2, 3, 7))
        with torch.no_grad():
            assert_close(ref(input_ids=ids).logits, ours(input_ids=ids).logits)
    else:
        same_outputs(ref.eval(), ours, head="start_logits" if "Question" in head else "logits")


def test_reference_loads_in_ours_with_no_missing_keys(tmp_path):
    ref = make_reference("RobertaForMaskedLM", tmp_path)
    ours, info = roberta.RobertaForMaskedLM.from_pretrained(tmp_path, output_loading_info=True)
    assert info["missing_keys"] == [] and info["unexpected_keys"] == [] and info["mismatched_keys"] == []
    assert ours.lm_head.decoder.weight is ours.roberta.embeddings.word_embeddings.weight  # tied
    assert not ours.training
    same_outputs(ref, ours)


@pytest.mark.parametrize("fmt", ["safetensors", "bin"])
def test_a_loaded_model_does_not_depend_on_its_files(tmp_path, fmt):
    """Overwriting the checkpoint in place (as `cp other/model.safetensors dir/` does) or truncating it after the
    load changes nothing in the running model and cannot crash it."""
    ours = roberta.RobertaForMaskedLM(roberta.RobertaConfig(**TINY)).eval()
    ours.save_pretrained(tmp_path, safe_serialization=fmt == "safetensors")
    loaded = roberta.RobertaForMaskedLM.from_pretrained(tmp_path)
    ids, mask = batch("right")
    with torch.no_grad():
        before = loaded(input_ids=ids, attention_mask=mask).logits
    path = next(p for p in tmp_path.iterdir() if p.suffix in (".safetensors", ".bin"))
    size = path.stat().st_size
    with open(path, "r+b") as f:  # same inode, new bytes
        f.seek(size // 4)
        f.write(b"\x7f" * (size // 2))
    with torch.no_grad():
        assert torch.equal(loaded(input_ids=ids, attention_mask=mask).logits, before)
    os.truncate(path, 16)
    with torch.no_grad():
        assert torch.equal(loaded(input_ids=ids, attention_mask=mask).logits, before)


def test_legacy_non_zip_bin_of_plain_tensors_loads(tmp_path):
    ref = make_reference("RobertaForMaskedLM", tmp_path)
    (tmp_path / "model.safetensors").unlink()
    torch.save(ref.state_dict(), tmp_path / "pytorch_model.bin", _use_new_zipfile_serialization=False)
    same_outputs(ref, roberta.RobertaForMaskedLM.from_pretrained(tmp_path))


@pytest.mark.parametrize("damage", ["truncate", "garbage_header", "empty"])
def test_corrupt_safetensors_is_a_clear_error(tmp_path, damage):
    make_reference("RobertaModel", tmp_path)
    path = tmp_path / "model.safetensors"
    raw = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(raw[: len(raw) // 2])
    elif damage == "garbage_header":
        path.write_bytes(raw[:8] + b"{not json" + raw[17:])
    else:
        path.write_bytes(b"")
    with pytest.raises(CorruptCheckpointError, match="model.safetensors"):
        roberta.RobertaModel.from_pretrained(tmp_path)


def test_missing_weights_and_missing_dir(tmp_path):
    roberta.RobertaConfig(**TINY).save_pretrained(tmp_path)
    with pytest.raises(FileNotFoundError, match="no model weights"):
        roberta.RobertaModel.from_pretrained(tmp_path)
    with pytest.raises(OSError, match="does not exist|never downloads"):
        roberta.RobertaModel.from_pretrained(tmp_path / "nope")


def test_hub_id_resolves_from_offline_cache(tmp_path, monkeypatch):
    """A hub id whose files sit in the huggingface_hub cache loads without a network; an uncached one fails."""
    repo = tmp_path / "hub" / "models--someone--tiny-roberta"
    snap = repo / "snapshots" / "abc123"
    make_reference("RobertaForMaskedLM", snap)
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text("abc123")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    ours = roberta.RobertaForMaskedLM.from_pretrained("someone/tiny-roberta", cache_dir=str(tmp_path / "hub"))
    assert ours.config.vocab_size == 99
    with pytest.raises(OSError, match="never downloads"):
        roberta.RobertaForMaskedLM.from_pretrained("someone/absent-model", cache_dir=str(tmp_path / "hub"))


def test_interrupted_save_keeps_the_old_checkpoint(tmp_path, monkeypatch):
    ours = roberta.RobertaForMaskedLM(roberta.RobertaConfig(**TINY))
    ours.save_pretrained(tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    import roberta.modeling.checkpoint_files as cf

    def boom(*a, **k):
        raise KeyboardInterrupt("killed mid-save")

    monkeypatch.setattr(cf, "write_safetensors", boom)
    with torch.no_grad():
        ours.lm_head.bias.fill_(3.0)
    with pytest.raises(KeyboardInterrupt):
        ours.save_pretrained(tmp_path)
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert after == before  # nothing half-written, no staging leftovers


def test_config_for_another_architecture_is_rejected(tmp_path):
    transformers.BertConfig(
        hidden_size=32, num_hidden_layers=1, num_attention_heads=4, intermediate_size=37
    ).save_pretrained(tmp_path)
    with pytest.raises(ValueError, match="model_type='bert'"):
        roberta.RobertaConfig.from_pretrained(tmp_path)
    with pytest.raises(ValueError, match="'bert'"):
        roberta.AutoModel.from_pretrained(tmp_path)


def test_resize_token_embeddings_matches_reference_shapes(tmp_path):
    make_reference("RobertaForMaskedLM", tmp_path)
    ref = transformers.RobertaForMaskedLM.from_pretrained(tmp_path)
    ours = roberta.RobertaForMaskedLM.from_pretrained(tmp_path)
    old = ours.get_input_embeddings().weight.detach().clone()
    ref.resize_token_embeddings(105)
    emb = ours.resize_token_embeddings(105)
    assert emb.weight.shape == ref.get_input_embeddings().weight.shape == (105, 32)
    assert torch.equal(emb.weight[:99], old)
    assert ours.config.vocab_size == 105 and ours.lm_head.bias.shape == (105,)
    assert ours.lm_head.decoder.weight is emb.weight
    assert torch.allclose(emb.weight[100], ref.get_input_embeddings().weight[100], atol=1e-3)
    ids = torch.tensor([[0, 5, 104, 2]])
    assert ours(input_ids=ids).logits.shape == (1, 4, 105)
    ours.resize_token_embeddings(101, pad_to_multiple_of=8)
    assert ours.config.vocab_size == 104
