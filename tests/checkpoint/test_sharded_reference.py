"""TF and Flax saves shard as the reference's do, and each side loads the other's shards (tiny configs)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import transformers

import roberta
from roberta.checkpoint.names import flatten
from roberta_testing import TINY, tiny_config

TF_FILES = {
    False: ["tf_model-0000{}-of-00005.h5", "tf_model.h5.index.json"],
    True: ["model-0000{}-of-00005.safetensors", "model.safetensors.index.json"],
}


def _files(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _expected(names: list[str]) -> list[str]:
    shard, index = names
    return sorted(["config.json", index, *(shard.format(k) for k in range(1, 6))])


@pytest.mark.parametrize("safe", [False, True])
def test_tf_shards_load_both_ways(tmp_path, safe):
    import tensorflow as tf

    tf.random.set_seed(0)
    ours = roberta.TFRobertaForMaskedLM(roberta.RobertaConfig(**TINY))
    ours.save_pretrained(tmp_path / "ours", max_shard_size="20KB", safe_serialization=safe)
    ref, info = transformers.TFRobertaForMaskedLM.from_pretrained(tmp_path / "ours", output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"] and not info["mismatched_keys"], info
    ref.save_pretrained(tmp_path / "ref", max_shard_size="20KB", safe_serialization=safe)
    assert _files(tmp_path / "ours") == _files(tmp_path / "ref") == _expected(TF_FILES[safe])
    ours_index = json.loads((tmp_path / "ours" / TF_FILES[safe][1]).read_text())
    ref_index = json.loads((tmp_path / "ref" / TF_FILES[safe][1]).read_text())
    # the reference's variable names (Keras numbers the model's name, tf_roberta_for_masked_lm_1, per process)
    assert {k.split("/", 1)[1] for k in ours_index["weight_map"]} == {
        k.split("/", 1)[1] for k in ref_index["weight_map"]
    }
    assert next(iter(ours_index["weight_map"])).startswith("tf_roberta_for_masked_lm/")
    assert ours_index["metadata"]["total_size"] == ref_index["metadata"]["total_size"]
    back, info = roberta.TFRobertaForMaskedLM.from_pretrained(tmp_path / "ref", output_loading_info=True)
    assert info["missing_keys"] == info["unexpected_keys"] == [], info
    expected = ours.named_arrays()
    got = back.named_arrays()
    assert all(np.array_equal(got[k], v) for k, v in expected.items())
    reference = {w.name.split("/", 1)[1].removesuffix(":0"): w.numpy() for w in ref.weights}
    assert all(np.array_equal(reference[k], v) for k, v in expected.items() if k in reference)
    pt = roberta.RobertaForMaskedLM.from_pretrained(tmp_path / "ours", **({} if safe else {"from_tf": True}))
    kernel = pt.roberta.encoder.layer[0].attention.self.query.weight.detach().numpy()
    assert np.array_equal(kernel.T, expected["roberta/encoder/layer_._0/attention/self/query/kernel"])


def test_flax_shards_load_both_ways(tmp_path):
    ours = roberta.FlaxRobertaForMaskedLM(roberta.RobertaConfig(**TINY), seed=3)
    ours.save_pretrained(tmp_path / "ours", max_shard_size="20KB")
    ref = transformers.FlaxRobertaForMaskedLM(tiny_config(), seed=4)
    ref.save_pretrained(tmp_path / "ref", max_shard_size="20KB")
    expected = _expected(["flax_model-0000{}-of-00005.msgpack", "flax_model.msgpack.index.json"])
    assert _files(tmp_path / "ours") == _files(tmp_path / "ref") == expected
    ours_index = json.loads((tmp_path / "ours" / "flax_model.msgpack.index.json").read_text())
    ref_index = json.loads((tmp_path / "ref" / "flax_model.msgpack.index.json").read_text())
    assert ours_index["weight_map"].keys() == ref_index["weight_map"].keys()

    for saved, loader, source in (
        (ours, transformers.FlaxRobertaForMaskedLM, "ours"),
        (ref, roberta.FlaxRobertaForMaskedLM, "ref"),
    ):
        back = loader.from_pretrained(tmp_path / source)
        a, b = flatten(saved.params), flatten(back.params)
        assert a.keys() == b.keys(), source  # the save's record is no parameter of the reference's
        assert all(np.array_equal(np.asarray(a[k]), np.asarray(b[k])) for k in a), source
    # with safe_serialization=True, a sharded save is msgpack shards, as the reference writes it
    ours.save_pretrained(tmp_path / "ours-safe", max_shard_size="20KB", safe_serialization=True)
    assert _files(tmp_path / "ours-safe") == expected
