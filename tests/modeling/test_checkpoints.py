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


def test_shard_index_pointing_outside_the_folder_is_refused(tmp_path):
    ours = roberta.RobertaModel(roberta.RobertaConfig(**TINY))
    ours.save_pretrained(tmp_path / "ckpt", max_shard_size="20KB")
    index_path = tmp_path / "ckpt" / "model.safetensors.index.json"
    for target in ("../outside.safetensors", str(tmp_path / "abs.safetensors"), "sub/x.safetensors"):
        index = json.loads(index_path.read_text())
        first = next(iter(index["weight_map"]))
        index["weight_map"][first] = target
        index_path.write_text(json.dumps(index))
        with pytest.raises(CorruptCheckpointError, match="not a file in the checkpoint folder"):
            roberta.RobertaModel.from_pretrained(tmp_path / "ckpt")


def _header_file(path, header: dict, data: bytes = b"") -> None:
    raw = json.dumps(header).encode()
    path.write_bytes(len(raw).to_bytes(8, "little") + raw + data)


@pytest.mark.parametrize(
    "header,message",
    [
        ({"w": {"dtype": "F32", "shape": [-1, 2], "data_offsets": [0, 8]}}, "invalid shape"),
        ({"w": {"dtype": "C64", "shape": [1], "data_offsets": [0, 8]}}, "dtype 'C64', which is not supported"),
        (
            {
                "a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]},
            },
            "overlap",
        ),
        ({"w": {"dtype": "F32", "shape": [True], "data_offsets": [0, 4]}}, "invalid shape"),
        ({"w": {"dtype": "F32", "shape": [1]}}, "malformed header entry"),
        ({"__metadata__": {"format": 1}}, "__metadata__"),
    ],
)
def test_malformed_safetensors_headers_get_named_errors(tmp_path, header, message):
    from roberta.modeling.checkpoint_files import read_safetensors

    _header_file(tmp_path / "w.safetensors", header, b"\0" * 16)
    with pytest.raises(CorruptCheckpointError, match=message):
        read_safetensors(str(tmp_path / "w.safetensors"))


def test_deeply_nested_safetensors_header_is_a_named_error(tmp_path):
    from roberta.modeling.checkpoint_files import read_safetensors

    raw = b"[" * 100_000 + b"]" * 100_000
    (tmp_path / "w.safetensors").write_bytes(len(raw).to_bytes(8, "little") + raw)
    with pytest.raises(CorruptCheckpointError, match="corrupt safetensors header"):
        read_safetensors(str(tmp_path / "w.safetensors"))


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
    assert torch.equal(
        ours.roberta.encoder.layer[1].intermediate.dense.weight, ref.encoder.layer[1].intermediate.dense.weight
    )


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
    assert json.loads((tmp_path / "config.json").read_text())["dtype"] == "float16"  # the key transformers 4.56 writes
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
