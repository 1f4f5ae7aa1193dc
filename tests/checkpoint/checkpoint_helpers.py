"""Helpers for the checkpoint tests: what a folder loads as, read without any framework."""

from __future__ import annotations

import numpy as np

from roberta._io import read_json
from roberta.checkpoint import locate, read_arrays, reading_order


def loaded(directory, framework: str) -> tuple[dict[str, np.ndarray], dict]:
    """The arrays (on-disk names) and the config that `framework`'s classes would load from `directory`."""
    found = locate(str(directory), reading_order(framework))
    config = found.config if isinstance(found.config, dict) else read_json(found.config)
    return read_arrays(found), config


def loaded_as(directory, framework: str, saves: dict[str, tuple[dict[str, np.ndarray], str]]) -> str:
    """Which of `saves` ({name: (arrays, finetuning_task)}) the folder loads as; an error for a mix."""
    arrays, config = loaded(directory, framework)
    for name, (expected, task) in saves.items():
        if arrays.keys() == expected.keys() and all(np.array_equal(arrays[k], v) for k, v in expected.items()):
            assert config["finetuning_task"] == task, f"weights of {name}, config of another save"
            return name
    raise AssertionError("the folder loaded as a mix of two saves")
