"""A save is atomic across files, in every framework: a kill at any file operation leaves exactly the old save
or the new one.

Kills are real: the save runs in a forked child that calls os._exit (no cleanup handlers run) at its k-th file
operation; the parent then loads the folder and compares it with both saves, for every k until a save completes.
The TF and Flax children get NumPy arrays (no TensorFlow or JAX work after the fork), and the parent reads the
folder as those classes would, through `roberta.checkpoint`.
"""

from __future__ import annotations

import errno
import json
import os
import shutil

import pytest
import torch
from checkpoint_helpers import loaded, loaded_as

import roberta
from roberta.checkpoint import CorruptCheckpointError, commit, committed, reading_order, safetensors_file
from roberta.modeling import checkpoint_files
from roberta_testing import TINY, failing_writes, killed_at

USER_FILES = ("model_int8.safetensors", "model-distilled.bin", "models_backup.bin", "notes.index.json")


def _model(seed: int, task: str) -> roberta.RobertaForMaskedLM:
    torch.manual_seed(seed)
    return roberta.RobertaForMaskedLM(roberta.RobertaConfig(**TINY, finetuning_task=task)).eval()


def _state(model) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in model.state_dict().items()}


def _save(model, directory, layout: str) -> None:
    shard = "20KB" if "sharded" in layout else "5GB"
    model.save_pretrained(directory, max_shard_size=shard, safe_serialization=not layout.startswith("bin"))


def _loaded_as(directory, saves: dict[str, tuple[dict, dict]]) -> str:
    model = roberta.RobertaForMaskedLM.from_pretrained(directory)
    state = model.state_dict()
    for name, (expected, config) in saves.items():
        if all(torch.equal(state[k], v) for k, v in expected.items()):
            assert model.config.finetuning_task == config["finetuning_task"], f"weights of {name}, another config"
            return name
    raise AssertionError("the folder loaded as a mix of the two saves")


LAYOUTS = [
    ("single", "single"),
    ("sharded", "sharded"),
    ("single", "sharded"),
    ("sharded", "single"),
    ("single", "bin-sharded"),
    ("bin", "single"),
]


@pytest.mark.parametrize("old_layout,new_layout", LAYOUTS)
def test_a_kill_at_any_file_operation_leaves_the_old_or_the_new_save(tmp_path, old_layout, new_layout):
    old, new = _model(1, "old"), _model(2, "new")
    saves = {"old": (_state(old), {"finetuning_task": "old"}), "new": (_state(new), {"finetuning_task": "new"})}
    seen = set()
    for k in range(1, 200):
        directory = tmp_path / f"k{k}"
        _save(old, directory, old_layout)
        for name in USER_FILES:
            (directory / name).write_text(f"user file {name}")
        killed = killed_at(k, lambda d=directory: _save(new, d, new_layout))
        seen.add(_loaded_as(directory, saves))
        for name in USER_FILES:  # a save removes only what saves wrote
            assert (directory / name).read_text() == f"user file {name}"
        if not killed:
            break
        # the next save finishes the job and clears what the killed one left behind
        _save(new, directory, new_layout)
        assert _loaded_as(directory, saves) == "new"
        leftovers = [p.name for p in directory.iterdir() if p.name.startswith(".")]
        assert leftovers == [], leftovers
        shutil.rmtree(directory)
    else:
        raise AssertionError("the save never completed")
    assert k > 5 and seen == {"old", "new"}, (k, seen)  # kills landed both before and after the commit


def test_completed_saves_leave_only_their_files(tmp_path):
    model = _model(1, "x")
    _save(model, tmp_path, "sharded")
    first = set(os.listdir(tmp_path))
    _save(model, tmp_path, "sharded")  # same shard names taken: the new save picks others, removes the old
    second = set(os.listdir(tmp_path))
    assert len(first) == len(second) and first != second
    _save(model, tmp_path, "single")
    assert sorted(os.listdir(tmp_path)) == ["config.json", "model.safetensors"]


def test_a_shard_from_another_save_is_refused(tmp_path):
    _save(_model(1, "a"), tmp_path / "a", "sharded")
    _save(_model(2, "b"), tmp_path / "b", "sharded")
    shard = sorted(p.name for p in (tmp_path / "a").iterdir() if "-of-" in p.name)[0]
    other = sorted(p.name for p in (tmp_path / "b").iterdir() if "-of-" in p.name)[0]
    shutil.copy(tmp_path / "b" / other, tmp_path / "a" / shard)
    with pytest.raises(CorruptCheckpointError, match="mix of two saves"):
        roberta.RobertaForMaskedLM.from_pretrained(tmp_path / "a")


def test_a_config_edited_after_the_save_is_honoured(tmp_path):
    _save(_model(1, "a"), tmp_path, "single")
    data = json.loads((tmp_path / "config.json").read_text())
    data["finetuning_task"] = "edited by hand"
    (tmp_path / "config.json").write_text(json.dumps(data))
    assert roberta.RobertaConfig.from_pretrained(tmp_path).finetuning_task == "edited by hand"
    assert roberta.RobertaForMaskedLM.from_pretrained(tmp_path).config.finetuning_task == "edited by hand"


def test_the_config_saved_with_the_weights_stands_in_for_a_stale_config_json(tmp_path):
    _save(_model(1, "old"), tmp_path, "single")
    stale = (tmp_path / "config.json").read_bytes()
    _save(_model(2, "new"), tmp_path, "single")
    (tmp_path / "config.json").write_bytes(stale)  # as a kill between the commit and config.json's move leaves it
    assert committed(str(tmp_path), reading_order("pt")).config["finetuning_task"] == "new"
    assert roberta.AutoConfig.from_pretrained(tmp_path).finetuning_task == "new"
    (tmp_path / "config.json").unlink()
    assert roberta.RobertaForMaskedLM.from_pretrained(tmp_path).config.finetuning_task == "new"


def test_reference_checkpoints_and_reference_saves_over_ours(tmp_path):
    import transformers

    ours = _model(1, "ours")
    _save(ours, tmp_path, "sharded")
    ref = transformers.RobertaForMaskedLM.from_pretrained(tmp_path)  # the reference reads our layout
    ref.config.finetuning_task = "reference"
    ref.save_pretrained(tmp_path)  # ...and writes its own over it
    loaded = roberta.RobertaForMaskedLM.from_pretrained(tmp_path)
    assert loaded.config.finetuning_task == "reference"
    assert all(torch.equal(loaded.state_dict()[k], v) for k, v in ours.state_dict().items())


@pytest.mark.parametrize("layout", ["single", "bin", "sharded"])
@pytest.mark.parametrize("error, failing", [(errno.EFBIG, "model"), (errno.ENOSPC, "config.json")])
def test_a_failed_write_names_the_file_and_keeps_the_old_save(tmp_path, monkeypatch, layout, error, failing):
    old, new = _model(1, "old"), _model(2, "new")
    saves = {"old": (_state(old), {"finetuning_task": "old"}), "new": (_state(new), {"finetuning_task": "new"})}
    _save(old, tmp_path, "single")
    with monkeypatch.context() as m:
        for module in (checkpoint_files, safetensors_file, commit):  # every writer of a PyTorch save
            failing_writes(m, module, error, only="" if failing == "model" else failing)
        with pytest.raises(OSError) as info:
            _save(new, tmp_path, layout)
    e = info.value
    assert e.errno == error and os.strerror(error) in str(e) and "the earlier save" in str(e)
    assert os.path.dirname(e.filename) == str(tmp_path) and failing in os.path.basename(e.filename)
    assert _loaded_as(tmp_path, saves) == "old"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


# ---------------------------------------------------------------------- TF and Flax
def _tf_models():
    import tensorflow as tf

    models = {}
    for seed, task in ((1, "old"), (2, "new")):
        tf.random.set_seed(seed)
        model = roberta.TFRobertaForMaskedLM(roberta.RobertaConfig(**TINY, finetuning_task=task))
        arrays = model.named_arrays()
        model.named_arrays = lambda arrays=arrays: arrays  # the forked child does no TensorFlow work
        models[task] = model
    return models


def _flax_models():
    from roberta.modeling_flax.pretrained import jax_to_numpy

    models = {}
    for seed, task in ((1, "old"), (2, "new")):
        model = roberta.FlaxRobertaForMaskedLM(roberta.RobertaConfig(**TINY, finetuning_task=task), seed=seed)
        models[task] = (model, jax_to_numpy(model.params))  # the forked child gets NumPy arrays: no JAX work
    return models


def _framework_save(framework: str, models, task: str, directory, layout: str) -> None:
    options = {"max_shard_size": "20KB" if "sharded" in layout else "5GB", "safe_serialization": "safe" in layout}
    if framework == "tf":
        models[task].save_pretrained(directory, **options)
    else:
        model, params = models[task]
        model.save_pretrained(directory, params=params, **options)


FRAMEWORK_LAYOUTS = [
    ("tf", "single", "sharded"),
    ("tf", "sharded", "single"),
    ("tf", "single", "safe-sharded"),
    ("tf", "safe", "single"),
    ("flax", "single", "sharded"),
    ("flax", "sharded", "single"),
    ("flax", "safe", "sharded"),
]


@pytest.mark.filterwarnings("ignore:os.fork:RuntimeWarning")  # the forked child does no JAX work
@pytest.mark.parametrize("framework,old_layout,new_layout", FRAMEWORK_LAYOUTS)
def test_tf_and_flax_saves_killed_at_any_file_operation(tmp_path, framework, old_layout, new_layout):
    models = _tf_models() if framework == "tf" else _flax_models()
    saves = {}
    for task, layout in (("old", old_layout), ("new", new_layout)):
        _framework_save(framework, models, task, tmp_path / f"clean-{task}", layout)
        saves[task] = (loaded(tmp_path / f"clean-{task}", framework)[0], task)
    seen = set()
    for k in range(1, 200):
        directory = tmp_path / f"k{k}"
        _framework_save(framework, models, "old", directory, old_layout)
        (directory / "notes.txt").write_text("a user's file")
        killed = killed_at(k, lambda d=directory: _framework_save(framework, models, "new", d, new_layout))
        seen.add(loaded_as(directory, framework, saves))
        assert (directory / "notes.txt").read_text() == "a user's file"
        if not killed:
            break
        _framework_save(framework, models, "new", directory, new_layout)  # the next save cleans up
        assert loaded_as(directory, framework, saves) == "new"
        assert [p.name for p in directory.iterdir() if p.name.startswith(".")] == []
        shutil.rmtree(directory)
    else:
        raise AssertionError("the save never completed")
    assert k > 5 and seen == {"old", "new"}, (k, seen)
    leftovers = sorted(p.name for p in directory.iterdir())
    _framework_save(framework, models, "new", tmp_path / "fresh", new_layout)
    assert leftovers == sorted([p.name for p in (tmp_path / "fresh").iterdir()] + ["notes.txt"])


@pytest.mark.parametrize("framework,layout", [("tf", "safe"), ("flax", "single"), ("flax", "sharded")])
def test_a_failed_tf_or_flax_write_names_the_file_and_keeps_the_old_save(tmp_path, monkeypatch, framework, layout):
    from roberta.checkpoint import msgpack_file

    models = _tf_models() if framework == "tf" else _flax_models()
    _framework_save(framework, models, "old", tmp_path / "clean", "single")
    saves = {"old": (loaded(tmp_path / "clean", framework)[0], "old")}
    _framework_save(framework, models, "old", tmp_path / "ckpt", "single")
    with monkeypatch.context() as m:
        for module in (safetensors_file, msgpack_file):
            failing_writes(m, module, errno.ENOSPC)
        with pytest.raises(OSError, match="No space left on device while saving") as info:
            _framework_save(framework, models, "new", tmp_path / "ckpt", layout)
    assert info.value.errno == errno.ENOSPC and os.path.dirname(info.value.filename) == str(tmp_path / "ckpt")
    assert "the earlier save" in str(info.value) and os.path.basename(info.value.filename).endswith(
        (".safetensors", ".msgpack")
    )
    assert loaded_as(tmp_path / "ckpt", framework, saves) == "old"
    assert [p.name for p in (tmp_path / "ckpt").iterdir() if p.name.startswith(".")] == []
