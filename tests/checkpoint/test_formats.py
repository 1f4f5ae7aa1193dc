"""The checkpoint package's readers, detector and names: every framework goes through the same ones.

Malformed files are errors naming the file, whichever framework probes them (never "no weights found"); shard
indexes may not point outside the folder; the legacy names are resolved the same way everywhere; a `.bin` is
read as tensors only; the package itself imports no framework.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import roberta
from roberta.checkpoint import CorruptCheckpointError, locate, names, reading_order
from roberta.checkpoint.bin_file import read_bin
from roberta.checkpoint.safetensors_file import read_safetensors, write_safetensors
from roberta_testing import TINY

SRC = Path(__file__).resolve().parents[2] / "src"
FRAMEWORKS = ["RobertaModel", "TFRobertaModel", "FlaxRobertaModel"]


def _load(cls_name: str, path, **kwargs):
    extra = {"from_pt": True} if cls_name != "RobertaModel" else {}
    return getattr(roberta, cls_name).from_pretrained(path, **extra, **kwargs)


def test_importing_the_package_imports_no_framework():
    code = (
        "import sys, roberta.checkpoint, roberta.checkpoint.commit, roberta.checkpoint.bin_file;"
        "print(sorted({'torch', 'tensorflow', 'jax', 'flax'} & set(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", code], env={"PYTHONPATH": str(SRC)}, capture_output=True, text=True)
    assert done.stdout.strip() == "[]", done.stderr[-2000:]


@pytest.mark.parametrize("cls_name", FRAMEWORKS)
def test_an_index_pointing_outside_the_folder_is_refused(tmp_path, cls_name):
    roberta.RobertaModel(roberta.RobertaConfig(**TINY)).save_pretrained(tmp_path / "ckpt", max_shard_size="20KB")
    index_path = tmp_path / "ckpt" / "model.safetensors.index.json"
    for target in ("../outside.safetensors", str(tmp_path / "abs.safetensors"), "sub/x.safetensors"):
        index = json.loads(index_path.read_text())
        index["weight_map"][next(iter(index["weight_map"]))] = target
        index_path.write_text(json.dumps(index))
        with pytest.raises(CorruptCheckpointError, match="not a file in the checkpoint folder"):
            _load(cls_name, tmp_path / "ckpt")


@pytest.mark.parametrize("cls_name", FRAMEWORKS)
def test_problems_found_while_probing_surface_naming_the_file(tmp_path, cls_name):
    """A corrupt file, a missing shard, a shape mismatch: each framework says so, naming what is wrong."""
    roberta.RobertaModel(roberta.RobertaConfig(**TINY)).save_pretrained(tmp_path / "one")
    weights = tmp_path / "one" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])  # a truncated download
    with pytest.raises(CorruptCheckpointError, match=r"one/model.safetensors is corrupt or truncated"):
        _load(cls_name, tmp_path / "one")

    roberta.RobertaModel(roberta.RobertaConfig(**TINY)).save_pretrained(tmp_path / "sharded", max_shard_size="20KB")
    shard = sorted((tmp_path / "sharded").glob("model-*.safetensors"))[-1]
    shard.unlink()
    with pytest.raises(FileNotFoundError, match=rf"names the shard {shard.name}, which is missing"):
        _load(cls_name, tmp_path / "sharded")

    roberta.RobertaModel(roberta.RobertaConfig(**{**TINY, "vocab_size": 98})).save_pretrained(tmp_path / "other")
    config = json.loads((tmp_path / "other" / "config.json").read_text())
    (tmp_path / "other" / "config.json").write_text(json.dumps({**config, "vocab_size": 99}))
    with pytest.raises(ValueError, match=r"(?s)size mismatch for .*word_embeddings.*ignore_mismatched_sizes=True"):
        _load(cls_name, tmp_path / "other")


def test_the_pytorch_classes_say_which_flag_reads_other_frameworks_files(tmp_path):
    roberta.RobertaConfig(**TINY).save_pretrained(tmp_path)
    (tmp_path / "tf_model.h5").write_bytes(b"not read without from_tf")
    with pytest.raises(FileNotFoundError, match="holds no model weights .*; it holds tf_model.h5"):
        roberta.RobertaModel.from_pretrained(tmp_path)
    with pytest.raises(CorruptCheckpointError, match="tf_model.h5 could not be read as an HDF5 weights file"):
        roberta.RobertaModel.from_pretrained(tmp_path, from_tf=True)
    (tmp_path / "tf_model.h5").unlink()
    roberta.RobertaModel(roberta.RobertaConfig(**TINY)).save_pretrained(tmp_path)  # PyTorch weights only
    with pytest.raises(FileNotFoundError, match="from_tf=True asks for TF weights.*model.safetensors with pt"):
        roberta.RobertaModel.from_pretrained(tmp_path, from_tf=True)


def test_each_framework_reads_in_the_reference_order():
    assert reading_order("pt") == (
        "model.safetensors",
        "model.safetensors.index.json",
        "pytorch_model.bin",
        "pytorch_model.bin.index.json",
    )
    assert reading_order("pt", use_safetensors=False) == ("pytorch_model.bin", "pytorch_model.bin.index.json")
    assert reading_order("tf")[:3] == ("tf_model.h5", "tf_model.h5.index.json", "model.safetensors")
    assert reading_order("tf", source="pt")[-2:] == ("tf_model.h5", "tf_model.h5.index.json")
    assert reading_order("flax")[:3] == ("flax_model.msgpack", "flax_model.msgpack.index.json", "model.safetensors")


def test_one_table_names_every_framework_and_resolves_legacy_names_once():
    pt = {
        "roberta.encoder.layer.1.attention.self.query.weight": np.arange(6.0).reshape(2, 3),
        "roberta.embeddings.word_embeddings.weight": np.ones((4, 3)),
        "roberta.embeddings.position_embeddings.weight": np.ones((5, 3)),
        "roberta.embeddings.LayerNorm.weight": np.ones(3),
        "lm_head.layer_norm.bias": np.zeros(3),
    }
    tf, _ = names.convert(dict(pt), "pt", "tf")
    flax, _ = names.convert(dict(pt), "pt", "flax")
    assert set(tf) == {
        "roberta/encoder/layer_._1/attention/self/query/kernel",
        "roberta/embeddings/word_embeddings/weight",
        "roberta/embeddings/position_embeddings/embeddings",
        "roberta/embeddings/LayerNorm/gamma",
        "lm_head/layer_norm/beta",
    }
    assert set(flax) == {
        "roberta/encoder/layer/1/attention/self/query/kernel",
        "roberta/embeddings/word_embeddings/embedding",
        "roberta/embeddings/position_embeddings/embedding",
        "roberta/embeddings/LayerNorm/scale",
        "lm_head/layer_norm/bias",
    }
    kernel = "roberta/encoder/layer_._1/attention/self/query/kernel"
    assert np.array_equal(tf[kernel], pt["roberta.encoder.layer.1.attention.self.query.weight"].T)
    for naming, state in (("tf", tf), ("flax", flax)):  # and back, exactly
        back, _ = names.convert(dict(state), naming, "pt")
        assert back.keys() == pt.keys() and all(np.array_equal(back[k], v) for k, v in pt.items())

    legacy = {
        "lm_head.decoder.bias": np.ones(4),  # alone: it is the LM head's bias
        "roberta.embeddings.LayerNorm.gamma": np.ones(3),
        "roberta.embeddings.position_ids": np.arange(5),
    }
    expected = {
        "pt": {"lm_head.bias", "roberta.embeddings.LayerNorm.weight"},
        "tf": {"lm_head/bias", "roberta/embeddings/LayerNorm/gamma"},
        "flax": {"lm_head/bias", "roberta/embeddings/LayerNorm/scale"},
    }
    for naming, keys in expected.items():
        state, ignored = names.convert(dict(legacy), "pt", naming)
        assert set(state) == keys and ignored == ["roberta.embeddings.position_ids"], (naming, state, ignored)
    both, ignored = names.canonical({"lm_head.decoder.bias": np.ones(4), "lm_head.bias": np.ones(4)})
    assert list(both) == ["lm_head.bias"] and ignored == ["lm_head.decoder.bias"]  # one parameter, two names


def test_a_bin_file_is_read_as_tensors_only(tmp_path):
    torch.save({"w": torch.arange(6.0).reshape(2, 3), "b": torch.ones(2, dtype=torch.bfloat16)}, tmp_path / "ok.bin")
    arrays = read_bin(str(tmp_path / "ok.bin"))
    assert arrays["w"].tolist() == [[0, 1, 2], [3, 4, 5]] and arrays["b"].dtype.name == "bfloat16"
    torch.save({"w": torch.ones(1), "config": argparse.Namespace(lr=1)}, tmp_path / "namespace.bin")
    with pytest.raises(CorruptCheckpointError, match="namespace.bin: refused to load argparse.Namespace"):
        read_bin(str(tmp_path / "namespace.bin"))
    torch.save([torch.ones(1)], tmp_path / "list.bin")
    with pytest.raises(CorruptCheckpointError, match="list.bin: refused to load|list.bin does not hold a state dict"):
        read_bin(str(tmp_path / "list.bin"))


def test_the_safetensors_writer_and_reader_round_trip_numpy(tmp_path):
    import ml_dtypes

    arrays = {
        "f": np.arange(6, dtype=np.float32).reshape(2, 3),
        "h": np.ones(3, np.float16),
        "b": np.array([1.5, -2], dtype=ml_dtypes.bfloat16),
        "i": np.array([], dtype=np.int64),
    }
    write_safetensors(arrays, str(tmp_path / "x.safetensors"), {"format": "pt"})
    back = read_safetensors(str(tmp_path / "x.safetensors"))
    assert all(back[k].dtype == v.dtype and np.array_equal(back[k], v) for k, v in arrays.items())
    from safetensors.numpy import load_file  # the reference's reader agrees

    assert np.array_equal(load_file(str(tmp_path / "x.safetensors"))["f"], arrays["f"])


def test_locate_reports_the_naming_of_tagged_safetensors(tmp_path):
    write_safetensors({"roberta/pooler/dense/bias:0": np.ones(2, np.float32)}, str(tmp_path / "model.safetensors"),
                      {"format": "tf"})  # fmt: skip
    found = locate(str(tmp_path), reading_order("pt"))
    assert found.naming == "tf" and found.files == [str(tmp_path / "model.safetensors")] and found.save_id is None


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
    _header_file(tmp_path / "w.safetensors", header, b"\0" * 16)
    with pytest.raises(CorruptCheckpointError, match=message):
        read_safetensors(str(tmp_path / "w.safetensors"))


def test_deeply_nested_safetensors_header_is_a_named_error(tmp_path):
    raw = b"[" * 100_000 + b"]" * 100_000
    (tmp_path / "w.safetensors").write_bytes(len(raw).to_bytes(8, "little") + raw)
    with pytest.raises(CorruptCheckpointError, match="corrupt safetensors header"):
        read_safetensors(str(tmp_path / "w.safetensors"))
