"""The NumPy weight readers of the TF and Flax classes refuse shard indexes that point outside the folder,
as the PyTorch loader does (they share `checkpoint_dir.read_index`)."""

from __future__ import annotations

import json

import pytest

import roberta
from roberta.checkpoint_dir import CorruptCheckpointError
from roberta_testing import TINY


@pytest.mark.parametrize("cls_name", ["TFRobertaModel", "FlaxRobertaModel"])
def test_an_index_pointing_outside_the_folder_is_refused(tmp_path, cls_name):
    roberta.RobertaModel(roberta.RobertaConfig(**TINY)).save_pretrained(tmp_path / "ckpt", max_shard_size="20KB")
    index_path = tmp_path / "ckpt" / "model.safetensors.index.json"
    index = json.loads(index_path.read_text())
    index["weight_map"][next(iter(index["weight_map"]))] = "../outside.safetensors"
    index_path.write_text(json.dumps(index))
    with pytest.raises(CorruptCheckpointError, match="not a file in the checkpoint folder"):
        getattr(roberta, cls_name).from_pretrained(tmp_path / "ckpt", from_pt=True)
