"""Weights both ways: the reference's Flax files, PyTorch checkpoints, our saves, and the PyTorch classes."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import jax
import msgpack
import numpy as np
import pytest
import torch
import transformers

import roberta
from flax_testing import max_diff, mixed_batch, tree_max_diff
from roberta.checkpoint.msgpack_file import read_msgpack
from roberta_testing import TINY, make_reference


def test_reference_flax_files_load_in_ours_and_ours_in_the_reference(reference_checkpoints, tmp_path):
    ref = transformers.FlaxRobertaForMaskedLM.from_pretrained(reference_checkpoints["RobertaForMaskedLM"], from_pt=True)
    ref.save_pretrained(tmp_path / "ref-msgpack")
    ref.save_pretrained(tmp_path / "ref-safe", safe_serialization=True)
    for directory in ("ref-msgpack", "ref-safe"):
        ours = roberta.FlaxRobertaForMaskedLM.from_pretrained(tmp_path / directory)
        assert tree_max_diff(ours.params, ref.params) == 0.0, directory

    ours.save_pretrained(tmp_path / "ours-msgpack")
    ours.save_pretrained(tmp_path / "ours-safe", safe_serialization=True)
    assert sorted(p.name for p in (tmp_path / "ours-msgpack").iterdir()) == ["config.json", "flax_model.msgpack"]
    for directory in ("ours-msgpack", "ours-safe"):
        back = transformers.FlaxRobertaForMaskedLM.from_pretrained(tmp_path / directory)
        assert tree_max_diff(back.params, ours.params) == 0.0, directory
    assert transformers.AutoConfig.from_pretrained(tmp_path / "ours-msgpack").architectures == ["RobertaForMaskedLM"]


def test_pytorch_to_flax_to_pytorch(tmp_path):
    """A model moves PyTorch -> Flax -> PyTorch through msgpack and Flax-tagged safetensors."""
    torch.manual_seed(0)
    config = roberta.RobertaConfig(
        **TINY, is_decoder=True, add_cross_attention=True, position_embedding_type="relative_key"
    )
    start = roberta.RobertaForCausalLM(config).eval()
    start.save_pretrained(tmp_path / "pt")
    flax_model = roberta.FlaxRobertaForCausalLM.from_pretrained(tmp_path / "pt")
    flax_model.save_pretrained(tmp_path / "msgpack")
    flax_model.save_pretrained(tmp_path / "safe", safe_serialization=True)
    before = start.state_dict()
    for directory, kwargs in (("msgpack", {"from_flax": True}), ("safe", {})):
        back = roberta.RobertaForCausalLM.from_pretrained(tmp_path / directory, **kwargs)
        after = back.state_dict()
        assert after.keys() == before.keys()
        assert max((after[k] - before[k]).abs().max().item() for k in before) <= 1e-5, directory


def test_pytorch_bin_needs_from_pt_and_loads_with_it(tmp_path):
    make_reference("RobertaForTokenClassification", tmp_path)
    torch_model = roberta.RobertaForTokenClassification.from_pretrained(tmp_path)
    torch_model.save_pretrained(tmp_path, safe_serialization=False)  # pytorch_model.bin only
    assert not (tmp_path / "model.safetensors").exists()
    with pytest.raises(FileNotFoundError, match="from_pt=True"):
        roberta.FlaxRobertaForTokenClassification.from_pretrained(tmp_path)
    ours = roberta.FlaxRobertaForTokenClassification.from_pretrained(tmp_path, from_pt=True)
    ids, mask = mixed_batch(t=12)
    with torch.no_grad():
        want = torch_model(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask)).logits.numpy()
    assert max_diff(ours(ids, mask).logits, want, mask) <= 1e-5


def test_do_init_false_with_a_pytorch_checkpoint(reference_checkpoints):
    """The reference refuses _do_init=False for PyTorch weights; ours returns (model, params)."""
    path = reference_checkpoints["RobertaForMaskedLM"]
    model, params = roberta.FlaxRobertaForMaskedLM.from_pretrained(path, _do_init=False)
    with pytest.raises(ValueError, match="_do_init=False"):
        _ = model.params
    loaded = roberta.FlaxRobertaForMaskedLM.from_pretrained(path)
    assert tree_max_diff(params, loaded.params) == 0.0
    # a base checkpoint for a head: the head's parameters are left out, and init_weights fills them
    head, partial = roberta.FlaxRobertaForSequenceClassification.from_pretrained(
        reference_checkpoints["RobertaModel"], _do_init=False
    )
    assert "classifier" not in partial and "pooler" not in partial["roberta"]
    full = head.init_weights(head.key, head.input_shape, partial)
    assert "classifier" in full
    assert tree_max_diff(full["roberta"], partial["roberta"]) == 0.0


def test_base_and_head_checkpoints_cross_load(reference_checkpoints):
    mlm = roberta.FlaxRobertaForMaskedLM.from_pretrained(reference_checkpoints["RobertaForMaskedLM"])
    base = roberta.FlaxRobertaModel.from_pretrained(
        reference_checkpoints["RobertaForMaskedLM"], add_pooling_layer=False
    )
    assert "lm_head" not in base.params and "roberta" not in base.params
    assert tree_max_diff(base.params, mlm.params["roberta"]) == 0.0


def test_mismatched_sizes(reference_checkpoints):
    path = reference_checkpoints["RobertaForSequenceClassification"]
    with pytest.raises(ValueError, match="ignore_mismatched_sizes"):
        roberta.FlaxRobertaForSequenceClassification.from_pretrained(path, num_labels=5)
    model = roberta.FlaxRobertaForSequenceClassification.from_pretrained(
        path, num_labels=5, ignore_mismatched_sizes=True
    )
    assert model.params["classifier"]["out_proj"]["kernel"].shape == (32, 5)


def test_unreadable_weights_name_the_file(tmp_path):
    roberta.RobertaConfig(**TINY).save_pretrained(tmp_path)
    (tmp_path / "flax_model.msgpack").write_bytes(b"version https://git-lfs.github.com/spec/v1\noid sha256:0\n")
    with pytest.raises(ValueError, match="git-lfs pointer"):
        roberta.FlaxRobertaModel.from_pretrained(tmp_path)
    (tmp_path / "flax_model.msgpack").write_bytes(b"\xc1\xc1 not msgpack")
    with pytest.raises(ValueError, match="flax_model.msgpack cannot be read"):
        roberta.FlaxRobertaModel.from_pretrained(tmp_path)
    (tmp_path / "flax_model.msgpack").unlink()
    with pytest.raises(FileNotFoundError, match="holds no model weights"):
        roberta.FlaxRobertaModel.from_pretrained(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"holds no model weights \(flax_model.msgpack"):
        roberta.RobertaModel.from_pretrained(tmp_path, from_flax=True)


def test_each_framework_reads_the_other_without_importing_it(tmp_path):
    """`import roberta` pulls in neither JAX nor torch; Flax reads PyTorch safetensors without torch; PyTorch
    reads flax_model.msgpack without JAX."""
    torch.manual_seed(0)
    roberta.RobertaForMaskedLM(roberta.RobertaConfig(**TINY)).save_pretrained(tmp_path / "pt")
    flax_model = roberta.FlaxRobertaForMaskedLM.from_pretrained(tmp_path / "pt")
    flax_model.save_pretrained(tmp_path / "flax")
    flax_side = f"""
        import sys, roberta
        assert "jax" not in sys.modules and "torch" not in sys.modules
        roberta.FlaxRobertaForMaskedLM.from_pretrained({str(tmp_path / "pt")!r})
        assert "torch" not in sys.modules
    """
    torch_side = f"""
        import sys, roberta
        roberta.RobertaForMaskedLM.from_pretrained({str(tmp_path / "flax")!r}, from_flax=True)
        assert "jax" not in sys.modules and "flax" not in sys.modules
    """
    for code in (flax_side, torch_side):
        subprocess.run([sys.executable, "-c", textwrap.dedent(code)], check=True)
    assert np.asarray(jax.tree_util.tree_leaves(flax_model.params)[0]).dtype == np.float32


def _array_record(shape, dtype: str, data: bytes) -> msgpack.ExtType:
    """One leaf as flax.serialization writes it: ext type 1 holding (shape, dtype name, C-order bytes)."""
    return msgpack.ExtType(1, msgpack.packb((shape, dtype, data), use_bin_type=True))


def test_crafted_msgpack_files_are_an_error_naming_the_file(tmp_path):
    roberta.RobertaConfig(**TINY).save_pretrained(tmp_path)
    path = tmp_path / "flax_model.msgpack"
    ok = _array_record((2,), "float32", bytes(8))
    cases = {
        "nest deeper than 64 levels": b"\x81\xa1a" * 500 + b"\x80",  # {"a": {"a": ...}}, 500 deep
        "Too nested": b"\x81\xa1a" * 5000 + b"\x80",  # past msgpack's own limit
        "chunked array record without its 'shape'": {"w": {"__msgpack_chunked_array__": True, "chunks": {"0": ok}}},
        "entries skip '0'": {"w": {"__msgpack_chunked_array__": True, "shape": {"0": 2}, "chunks": {"1": ok}}},
        "w is a int, not an array": {"w": 3},
        "the key 7 at 7 is not a string": {7: ok},
        "shape b'ab' is not a list of sizes": {"w": _array_record("ab", "float32", bytes(8))},
        "dtype 'object' is not a number type": {"w": _array_record((1,), "object", bytes(8))},
        "does not have the bytes to fill it": {"w": _array_record((3,), "float32", bytes(8))},
        "is not \\(shape, dtype, bytes\\)": {"w": msgpack.ExtType(1, msgpack.packb(5))},
    }
    for message, content in cases.items():
        path.write_bytes(content if isinstance(content, bytes) else msgpack.packb(content, use_bin_type=True))
        with pytest.raises(
            ValueError, match=rf"flax_model.msgpack cannot be read as Flax msgpack weights: .*{message}"
        ):
            read_msgpack(str(path))
    with pytest.raises(ValueError, match="flax_model.msgpack cannot be read"):  # the same through the classes
        roberta.RobertaModel.from_pretrained(tmp_path, from_flax=True)
    with pytest.raises(ValueError, match="flax_model.msgpack cannot be read"):
        roberta.FlaxRobertaModel.from_pretrained(tmp_path)
    chunked = {"__msgpack_chunked_array__": True, "shape": {"0": 2, "1": 2}, "chunks": {"0": ok, "1": ok}}
    path.write_bytes(msgpack.packb({"w": chunked, "b": {"c": ok}}, use_bin_type=True))
    assert read_msgpack(str(path))["w"].shape == (2, 2) and read_msgpack(str(path))["b"]["c"].tolist() == [0, 0]
