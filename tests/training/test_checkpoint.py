"""Training checkpoints: atomic under kills at any file operation, and nothing in them is ever unpickled."""

from __future__ import annotations

import os
import pickle

import numpy as np
import pytest
import torch
from train_helpers import pretrain_args

import roberta
from roberta.cli import main as cli
from roberta.training.checkpoint import (
    LEGACY_STATE,
    STATE_JSON,
    capture_rng,
    checkpoints_dir,
    latest_checkpoint,
    load_state,
    save_checkpoint,
)
from roberta_testing import TINY, killed_at


def _state(step: int, model) -> dict:
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.98))
    model(input_ids=torch.tensor([[0, 5, 6, 2]]), labels=torch.tensor([[-100, 5, 6, -100]])).loss.backward()
    opt.step()
    return {"optimizer": opt.state_dict(), "step": step, "samples_seen": 8 * step, "rng": [capture_rng()]}


def test_the_state_round_trips_exactly_through_json_and_safetensors(tmp_path):
    model = roberta.RobertaForMaskedLM(roberta.RobertaConfig(**TINY))
    state = _state(3, model)
    path = save_checkpoint(tmp_path, 3, model, state)
    assert sorted(p for p in os.listdir(path) if p.startswith("training_state")) == [
        "training_state.json",
        "training_state.safetensors",
    ]
    back = load_state(path)
    assert back["step"] == 3 and back["samples_seen"] == 24
    assert back["optimizer"]["param_groups"][0]["betas"] == (0.9, 0.98)  # tuples stay tuples
    for key, value in state["optimizer"]["state"].items():  # int keys stay ints
        for name, t in value.items():
            assert torch.equal(back["optimizer"]["state"][key][name], t)
    rng, saved = back["rng"][0], state["rng"][0]
    assert rng["python"] == saved["python"] and torch.equal(rng["torch"], saved["torch"])
    assert rng["numpy"][0] == saved["numpy"][0] and np.array_equal(rng["numpy"][1], saved["numpy"][1])
    assert rng["numpy"][1].dtype == saved["numpy"][1].dtype


def test_a_kill_at_any_file_operation_leaves_a_complete_checkpoint(tmp_path):
    torch.manual_seed(0)
    model = roberta.RobertaForMaskedLM(roberta.RobertaConfig(**TINY))
    first = _state(1, model)
    for k in range(1, 300):
        out = tmp_path / f"k{k}"
        save_checkpoint(out, 1, model, first, keep=1)
        killed = killed_at(k, lambda o=out: save_checkpoint(o, 2, model, _state(2, model), keep=1))
        latest = latest_checkpoint(out)
        step = load_state(latest)["step"]
        assert latest.endswith(f"step-{step:08d}") and step in (1, 2)
        roberta.RobertaForMaskedLM.from_pretrained(latest)  # the model beside it loads too
        if not killed:
            break
        save_checkpoint(out, 3, model, _state(3, model), keep=1)  # the next one clears the leftovers
        assert sorted(os.listdir(checkpoints_dir(out))) == ["latest", "step-00000003"]
    else:
        raise AssertionError("the checkpoint never completed")
    assert k > 5


def test_a_pickled_training_state_is_never_unpickled(tmp_path, corpus, tokenizer_dir):
    out = tmp_path / "run"
    assert cli(pretrain_args(corpus, tokenizer_dir, out, "--max-steps", "4", "--stop-at-step", "2")) == 0
    latest = latest_checkpoint(out)
    assert not any(p.endswith(".pt") for p in os.listdir(latest))  # no pickle is written either
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    os.remove(os.path.join(latest, STATE_JSON))
    with open(os.path.join(latest, LEGACY_STATE), "wb") as f:
        pickle.dump({"step": Payload()}, f)
    with pytest.raises(ValueError, match="a pickle"):
        load_state(latest)
    assert cli(pretrain_args(corpus, tokenizer_dir, out, "--max-steps", "4", "--resume")) != 0
    assert not marker.exists()
