"""The restricted unpickler: what fairseq checkpoints hold is read, anything that would run code is refused
before it runs."""

from __future__ import annotations

import argparse
import builtins
import os
import sys

import numpy as np
import pytest
import torch
from fairseq_testing import make_state, save

from roberta.convert.unpickle import Record, UnsafeCheckpointError, load_checkpoint, to_plain


class _CreatesAFile:
    """Unpickling this would run `reduce[0](*reduce[1])`."""

    def __init__(self, reduce):
        self.reduce = reduce

    def __reduce__(self):
        return self.reduce


def _payloads(target):
    return {
        "os.system": (os.system, (f"touch {target}",)),
        "builtins.open": (builtins.open, (str(target), "w")),
        "builtins.exec": (builtins.exec, (f"open({str(target)!r}, 'w').close()",)),
        "getattr": (getattr, ("text", "upper")),  # the first step of most gadget chains
    }


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "pre-1.6"])
@pytest.mark.parametrize("payload", ["os.system", "builtins.open", "builtins.exec", "getattr"])
def test_a_pickle_that_would_run_code_is_refused_without_running_it(tmp_path, legacy, payload):
    target = tmp_path / "created-by-the-pickle"
    ckpt = {
        "model": {"w": torch.zeros(2)},
        "args": argparse.Namespace(x=1),
        "evil": _CreatesAFile(_payloads(target)[payload]),
    }
    torch.save(ckpt, tmp_path / "model.pt", _use_new_zipfile_serialization=not legacy)
    with pytest.raises(UnsafeCheckpointError, match=r"refused to load (posix|io|builtins)\.\w+: .*nothing was run"):
        load_checkpoint(tmp_path / "model.pt")
    assert not target.exists()


def test_what_fairseq_stores_is_read_as_data(tmp_path, monkeypatch):
    state = make_state(20, dtype=torch.float16)
    extra = {
        "extra_state": {
            "val_loss": np.float64(2.5),
            "best": np.float32(1.25),
            "steps": np.int64(7),
            "history": np.arange(3, dtype=np.float32),
        }
    }
    with monkeypatch.context() as m:
        save(tmp_path / "model.pt", state, style="omegaconf", legacy=True, extra=extra, monkeypatch=m)
    ckpt = load_checkpoint(tmp_path / "model.pt")
    assert not {"omegaconf", "fairseq"} & set(sys.modules)  # read without importing them
    assert ckpt["model"].keys() == state.keys() and state["encoder.lm_head.bias"].dtype == torch.float16
    assert all(torch.equal(ckpt["model"][k], v) and ckpt["model"][k].dtype == v.dtype for k, v in state.items())
    lm, emb = ckpt["model"]["encoder.lm_head.weight"], ckpt["model"]["encoder.sentence_encoder.embed_tokens.weight"]
    assert lm.data_ptr() == emb.data_ptr()  # tied tensors stay one tensor
    e = ckpt["extra_state"]
    assert (e["val_loss"], e["best"], e["steps"]) == (2.5, 1.25, 7) and type(e["val_loss"]) is float
    assert e["history"].tolist() == [0.0, 1.0, 2.0]
    # the DictConfig comes back as records (omegaconf is not imported), and as plain data through to_plain
    assert isinstance(ckpt["cfg"], Record) and ckpt["cfg"].name == "omegaconf.dictconfig.DictConfig"
    plain = to_plain(ckpt["cfg"])
    assert plain["common"] == {"ddp_backend": "c10d"}  # a fairseq enum member becomes its value
    assert plain["model"]["encoder_attention_heads"] == 4 and plain["task"] == {"_name": "masked_lm"}


def test_not_a_checkpoint(tmp_path):
    (tmp_path / "junk.pt").write_bytes(b"\x00not a pickle at all")
    with pytest.raises(ValueError, match="could not be read as a PyTorch checkpoint"):
        load_checkpoint(tmp_path / "junk.pt")
    with pytest.raises(FileNotFoundError, match="checkpoint file not found"):
        load_checkpoint(tmp_path / "missing.pt")


def test_admitted_names_only_in_their_harmless_uses(tmp_path):
    cases = {
        "builtins.type is only read as type\\(None\\)": (type, (1,)),  # type(x) would reach classes
        "_codecs.encode is only read with latin1": (__import__("_codecs").encode, ("x", "rot13")),
        "numpy dtype 'O' is not a number type": (np.dtype, ("O",)),
    }
    for message, reduce in cases.items():
        torch.save({"model": {}, "x": _CreatesAFile(reduce)}, tmp_path / "model.pt")
        with pytest.raises(UnsafeCheckpointError, match=message):
            load_checkpoint(tmp_path / "model.pt")
