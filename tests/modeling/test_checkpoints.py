"""from_pretrained / save_pretrained on the reference's on-disk layout, both directions, and bad files."""

from __future__ import annotations

import json
import os

import pytest
import torch
import transformers
from safetensors.torch import load_file, save_file

import roberta
from roberta.modeling.checkpoint_files import CorruptCheckpointError
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


def test_weights_are_memory_mapped_not_copied(tmp_path):
    make_reference("RobertaModel", tmp_path)
    ours = roberta.RobertaModel.from_pretrained(tmp_path)
    w = ours.embeddings.word_embeddings.weight
    # A tensor built on the file's mapping does not own a fresh allocation: its storage is the mapping.
    assert not w.untyped_storage().resizable()


def test_fused_sources_give_their_pages_back_and_only_mapped_ones(tmp_path):
    from roberta.modeling.checkpoint_files import read_safetensors, release_pages

    big = {"a": torch.randn(64, 1024), "b": torch.randn(64, 1024)}  # 256 KiB each: whole pages to drop
    save_file(big, str(tmp_path / "w.safetensors"))
    mapped = read_safetensors(str(tmp_path / "w.safetensors"))
    fused = torch.cat([mapped["a"], mapped["b"]])
    release_pages(mapped["a"])
    # dropped pages of a private, unwritten mapping come back from the file: contents unchanged
    assert torch.equal(mapped["a"], big["a"]) and torch.equal(fused, torch.cat([big["a"], big["b"]]))
    in_memory = torch.randn(64, 1024)
    copy = in_memory.clone()
    release_pages(in_memory)  # not from a mapping: must be left alone (dropping it would zero it)
    assert torch.equal(in_memory, copy)


def test_base_checkpoint_into_head_and_head_into_base(tmp_path):
    base = make_reference("RobertaModel", tmp_path / "base")
    head, info = roberta.RobertaForSequenceClassification.from_pretrained(tmp_path / "base", output_loading_info=True)
    assert sorted(info["missing_keys"]) == [
        "classifier.dense.bias",
        "classifier.dense.weight",
        "classifier.out_proj.bias",
        "classifier.out_proj.weight",
    ]
    assert torch.equal(head.roberta.embeddings.word_embeddings.weight, base.embeddings.word_embeddings.weight)
    make_reference("RobertaForMaskedLM", tmp_path / "mlm")
    trunk, info = roberta.RobertaModel.from_pretrained(tmp_path / "mlm", output_loading_info=True)
    assert info["missing_keys"] == ["pooler.dense.weight", "pooler.dense.bias"]
    assert "lm_head.dense.weight" in info["unexpected_keys"]


def test_legacy_gamma_beta_names_and_bin_file(tmp_path):
    ref = make_reference("RobertaForMaskedLM", tmp_path / "ref")
    state = load_file(tmp_path / "ref" / "model.safetensors")
    legacy = {}
    for k, v in state.items():
        k = k.replace("LayerNorm.weight", "LayerNorm.gamma").replace("LayerNorm.bias", "LayerNorm.beta")
        legacy[k] = v
    legacy["lm_head.decoder.weight"] = state["roberta.embeddings.word_embeddings.weight"]
    legacy["roberta.embeddings.position_ids"] = torch.arange(64)[None]
    out = tmp_path / "legacy"
    out.mkdir()
    torch.save(legacy, out / "pytorch_model.bin")
    (out / "config.json").write_text((tmp_path / "ref" / "config.json").read_text())
    ours, info = roberta.RobertaForMaskedLM.from_pretrained(out, output_loading_info=True)
    assert info["missing_keys"] == [] and info["unexpected_keys"] == []
    same_outputs(ref, ours)


def test_unprefixed_legacy_checkpoint(tmp_path):
    ref = make_reference("RobertaModel", tmp_path / "ref")
    state = load_file(tmp_path / "ref" / "model.safetensors")
    out = tmp_path / "plain"
    out.mkdir()
    save_file({k: v for k, v in state.items()}, out / "model.safetensors", metadata={"format": "pt"})
    (out / "config.json").write_text((tmp_path / "ref" / "config.json").read_text())
    ours = roberta.RobertaForTokenClassification.from_pretrained(out)
    assert torch.equal(ours.roberta.layers[1].ffn.up.weight, ref.encoder.layer[1].intermediate.dense.weight)


def test_sharded_save_and_load_both_ways(tmp_path):
    ours = roberta.RobertaForMaskedLM(roberta.RobertaConfig(**TINY)).eval()
    ours.save_pretrained(tmp_path / "ours", max_shard_size="20KB")
    files = sorted(os.listdir(tmp_path / "ours"))
    assert "model.safetensors.index.json" in files and sum(f.endswith(".safetensors") for f in files) > 2
    ref = transformers.RobertaForMaskedLM.from_pretrained(tmp_path / "ours").eval()
    same_outputs(ref, ours)
    ref.save_pretrained(tmp_path / "ref", max_shard_size="20KB")
    back = roberta.RobertaForMaskedLM.from_pretrained(tmp_path / "ref")
    same_outputs(ref, back)
    # Saving again unsharded removes the stale shards.
    ours.save_pretrained(tmp_path / "ours")
    assert sorted(os.listdir(tmp_path / "ours")) == ["config.json", "model.safetensors"]


def test_bin_save_loads_in_reference(tmp_path):
    ours = roberta.RobertaForQuestionAnswering(roberta.RobertaConfig(**TINY)).eval()
    ours.save_pretrained(tmp_path, safe_serialization=False)
    assert (tmp_path / "pytorch_model.bin").exists()
    same_outputs(transformers.RobertaForQuestionAnswering.from_pretrained(tmp_path).eval(), ours, head="start_logits")


def test_size_mismatch_is_an_error_unless_ignored(tmp_path):
    make_reference("RobertaForSequenceClassification", tmp_path, num_labels=2)
    with pytest.raises(ValueError, match=r"classifier.out_proj.weight.*ignore_mismatched_sizes"):
        roberta.RobertaForSequenceClassification.from_pretrained(tmp_path, num_labels=5)
    ours, info = roberta.RobertaForSequenceClassification.from_pretrained(
        tmp_path, num_labels=5, ignore_mismatched_sizes=True, output_loading_info=True
    )
    assert ours.classifier.out_proj.weight.shape == (5, 32)
    assert {m[0] for m in info["mismatched_keys"]} == {"classifier.out_proj.weight", "classifier.out_proj.bias"}
    ref = transformers.RobertaForSequenceClassification.from_pretrained(
        tmp_path, num_labels=5, ignore_mismatched_sizes=True
    )
    assert ref.config.num_labels == ours.config.num_labels == 5


def test_keyword_arguments(tmp_path):
    make_reference("RobertaForSequenceClassification", tmp_path)
    ours = roberta.RobertaForSequenceClassification.from_pretrained(
        tmp_path,
        problem_type="multi_label_classification",
        dtype=torch.float16,
        attn_implementation="eager",
        device_map="auto",
    )
    assert ours.config.problem_type == "multi_label_classification"
    assert ours.dtype == torch.float16 and ours.config._attn_implementation == "eager"
    assert ours.device.type == ("cuda" if torch.cuda.is_available() else "cpu")
    assert roberta.RobertaModel.from_pretrained(tmp_path, torch_dtype="bfloat16").dtype == torch.bfloat16
    assert roberta.RobertaModel.from_pretrained(tmp_path, dtype="auto").dtype == torch.float32
    assert roberta.RobertaModel.from_pretrained(tmp_path, add_pooling_layer=False).pooler is None
    with pytest.raises(ValueError, match="unknown attn_implementation 'flash'.*eager"):
        roberta.RobertaModel.from_pretrained(tmp_path, attn_implementation="flash")
    with pytest.raises(ValueError, match="problem_type"):
        roberta.RobertaForSequenceClassification.from_pretrained(tmp_path, problem_type="ranking")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="GPU"):
            roberta.RobertaModel.from_pretrained(tmp_path, device_map="cuda")


def test_fp16_checkpoint_loads_as_float32_by_default(tmp_path):
    ours = roberta.RobertaForMaskedLM(roberta.RobertaConfig(**TINY)).half()
    ours.save_pretrained(tmp_path)
    assert json.loads((tmp_path / "config.json").read_text())["torch_dtype"] == "float16"
    assert roberta.RobertaForMaskedLM.from_pretrained(tmp_path).dtype == torch.float32
    assert roberta.RobertaForMaskedLM.from_pretrained(tmp_path, dtype="auto").dtype == torch.float16
    assert transformers.RobertaForMaskedLM.from_pretrained(tmp_path).dtype == torch.float32


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
    with pytest.raises(OSError, match="not a checkpoint directory|never downloads"):
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
