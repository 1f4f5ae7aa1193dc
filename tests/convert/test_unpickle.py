"""The restricted unpickler: what fairseq checkpoints hold is read, anything that would run code is refused
before it runs."""

from __future__ import annotations

import argparse
import builtins
import collections
import io
import os
import pickle
import struct
import sys
import tarfile
import zipfile

import numpy as np
import pytest
import torch
from fairseq_testing import make_state, save

from roberta.convert.unpickle import Record, UnsafeCheckpointError, load_checkpoint, to_plain
from roberta.convert.unpickle_names import record_class


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
        "builtins.bytearray is only read on bytes": (bytearray, (10**8,)),  # 100 MB of zeros from a few bytes
        "builtins.bytes is only read on bytes": (bytes, (10**8,)),
    }
    for message, reduce in cases.items():
        torch.save({"model": {}, "x": _CreatesAFile(reduce)}, tmp_path / "model.pt")
        with pytest.raises(UnsafeCheckpointError, match=message):
            load_checkpoint(tmp_path / "model.pt")


# ---------------------------------------------------------------------- crafted pickles and archives
def _text(value: str) -> bytes:
    data = value.encode()
    return pickle.BINUNICODE + struct.pack("<I", len(data)) + data


def _global(module: str, name: str) -> bytes:
    return pickle.GLOBAL + f"{module}\n{name}\n".encode()


def _checkpoint_pickle(value: bytes) -> bytes:
    """Protocol-2 opcodes of {"model": {}, "x": <what `value` pushes>}."""
    head = pickle.PROTO + b"\x02" + pickle.EMPTY_DICT + _text("model") + pickle.EMPTY_DICT + pickle.SETITEM
    return head + _text("x") + value + pickle.SETITEM + pickle.STOP


def _build(target: bytes, key: str, value: bytes, slots: bool = True) -> bytes:
    """`target`, then BUILD with the state {key: value}: as slot state ((None, {...})) or as a dict."""
    state = pickle.EMPTY_DICT + _text(key) + value + pickle.SETITEM
    return target + (pickle.NONE + state + pickle.TUPLE2 if slots else state) + pickle.BUILD


def _storage_id(*fields: bytes) -> bytes:
    return pickle.MARK + b"".join(fields) + pickle.TUPLE + pickle.BINPERSID


def _int(n: int) -> bytes:
    return pickle.LONG1 + bytes([len(n.to_bytes(8, "little", signed=True))]) + n.to_bytes(8, "little", signed=True)


def _crafted(path, data_pkl: bytes | None = None, compression: int = zipfile.ZIP_STORED, extra=None):
    """A torch zip checkpoint of {"model": {"w": arange(4)}} whose data.pkl is replaced by `data_pkl`, plus
    `extra` records {name: bytes} under archive/data/; `extra` is written with `compression` when given, else
    all records are."""
    buf = io.BytesIO()
    torch.save({"model": {"w": torch.arange(4.0)}}, buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as src, zipfile.ZipFile(path, "w", compression) as out:
        prefix = src.namelist()[0].split("/")[0]
        for info in src.infolist():
            data = data_pkl if data_pkl is not None and info.filename.endswith("/data.pkl") else src.read(info)
            out.writestr(info.filename, data, compress_type=zipfile.ZIP_STORED if extra else compression)
        for name, data in (extra or {}).items():
            out.writestr(f"{prefix}/data/{name}", data, compress_type=compression)
    return path


_SHARED = {"argparse.Namespace": argparse.Namespace, "torch.UntypedStorage": torch.UntypedStorage,
           "collections.OrderedDict": collections.OrderedDict,
           "torch._utils._rebuild_tensor_v2": torch._utils._rebuild_tensor_v2}  # fmt: skip


@pytest.fixture
def process_state_kept():
    """Puts back whatever a checkpoint changed on the shared objects, so that a failing test does not break the
    tests after it; the test itself checks that nothing changed."""
    before = {name: dict(vars(obj)) for name, obj in _SHARED.items()}
    yield
    for name, obj in _SHARED.items():
        for key in set(vars(obj)) - set(before[name]):
            delattr(obj, key)
        for key, value in before[name].items():
            if vars(obj).get(key) is not value:
                setattr(obj, key, value)


def _process_works() -> None:
    """What a poisoned process got wrong: Namespaces can be made, torch.save output reads back."""
    assert argparse.Namespace(a=1).a == 1
    buf = io.BytesIO()
    torch.save({"t": torch.arange(5.0)}, buf)
    buf.seek(0)
    assert torch.equal(torch.load(buf, weights_only=True)["t"], torch.arange(5.0))


@pytest.mark.parametrize(
    "target, slots",
    [
        ("argparse.Namespace", True),
        ("torch.UntypedStorage", True),
        ("collections.OrderedDict", True),
        ("torch._utils._rebuild_tensor_v2", True),
        ("torch._utils._rebuild_tensor_v2", False),  # a function's __dict__ takes a dict state
        ("fairseq.models.roberta.Config", True),  # a record class, shared by every later load
    ],
)
def test_build_on_anything_shared_is_refused(tmp_path, process_state_kept, target, slots):
    module, name = target.rsplit(".", 1)
    path = _crafted(
        tmp_path / "model.pt", _checkpoint_pickle(_build(_global(module, name), "poisoned", b"\x88", slots))
    )
    with pytest.raises(
        UnsafeCheckpointError, match=rf"{path}: refused the BUILD opcode on the (class|function|\S+ stand-in)\b"
    ):
        load_checkpoint(path)
    shared = _SHARED.get(target) or record_class(module, name)
    assert not hasattr(shared, "poisoned")


@pytest.mark.parametrize(
    "target, attribute, value",
    [
        (("argparse", "Namespace"), "__init__", pickle.NONE),  # Namespace(a=1) would raise
        (("torch", "UntypedStorage"), "nbytes", _global("builtins", "int")),  # torch.save would write 0 bytes
    ],
    ids=["Namespace.__init__", "UntypedStorage.nbytes"],
)
def test_a_checkpoint_cannot_break_the_process(tmp_path, process_state_kept, target, attribute, value):
    path = _crafted(tmp_path / "model.pt", _checkpoint_pickle(_build(_global(*target), attribute, value)))
    with pytest.raises(UnsafeCheckpointError, match="BUILD"):
        load_checkpoint(path)
    _process_works()


def test_build_sets_only_the_state_its_own_objects_pickle(tmp_path, process_state_kept):
    namespace = _global("argparse", "Namespace") + pickle.EMPTY_TUPLE + pickle.NEWOBJ
    cases = {
        "only attributes \\(a dict of plain names, no slot state\\)": _build(namespace, "a", b"\x88"),
        "only attributes": _build(namespace, "__class__", _global("collections", "OrderedDict"), slots=False),
        "not a number type's": _global("numpy", "dtype") + _text("f8") + b"\x89\x88\x87R" + pickle.EMPTY_TUPLE + b"b",
    }
    for message, value in cases.items():
        path = _crafted(tmp_path / "model.pt", _checkpoint_pickle(value))
        with pytest.raises(UnsafeCheckpointError, match=message):
            load_checkpoint(path)
    # what pickle writes for these is read as before
    good = {"ns": argparse.Namespace(a=1, b=[2]), "od": collections.OrderedDict(k=torch.ones(2)), "v": np.float64(3)}
    good["od"]._metadata = {"": {"version": 1}}
    good["big-endian"] = np.arange(3, dtype=">i4")
    torch.save(good, tmp_path / "good.pt")
    back = load_checkpoint(tmp_path / "good.pt")
    assert vars(back["ns"]) == {"a": 1, "b": [2]} and back["od"]._metadata == {"": {"version": 1}}
    assert back["big-endian"].tolist() == [0, 1, 2]
    assert back["big-endian"].dtype == pickle.loads(pickle.dumps(good["big-endian"], protocol=2)).dtype
    assert np.dtype("i4").byteorder == "=" and np.arange(2, dtype="i4").tobytes() == b"\0\0\0\0\1\0\0\0"
    _process_works()


@pytest.mark.parametrize(
    "pid",
    [
        _storage_id(_text("module"), _global("collections", "OrderedDict"), pickle.NONE, pickle.NONE),
        _int(7) + pickle.BINPERSID,  # the tar format's persistent ids
        _storage_id(_text("storage"), _global("collections", "OrderedDict"), _text("0"), _text("cpu"), _int(4)),
        _storage_id(_text("storage"), _global("torch", "FloatStorage"), _int(0), _text("cpu"), _int(4)),
    ],
    ids=["module", "int", "not-a-storage-type", "key-not-text"],
)
def test_a_persistent_id_that_is_not_a_storage_reference(tmp_path, pid):
    path = _crafted(tmp_path / "model.pt", _checkpoint_pickle(pid))
    with pytest.raises(UnsafeCheckpointError, match=rf"{path}: the persistent id .* is not a storage reference"):
        load_checkpoint(path)


def test_a_storage_may_not_claim_more_than_the_file_holds(tmp_path):
    pid = _storage_id(_text("storage"), _global("torch", "UntypedStorage"), _text("0"), _text("cpu"), _int(10**12))
    path = _crafted(tmp_path / "model.pt", _checkpoint_pickle(pid))
    with pytest.raises(UnsafeCheckpointError, match=r"storage 0 claims 1000000000000 bytes, more than the whole"):
        load_checkpoint(path)


def test_compressed_records_are_refused_before_they_inflate(tmp_path):
    path = _crafted(tmp_path / "model.pt", compression=zipfile.ZIP_DEFLATED)
    with pytest.raises(UnsafeCheckpointError, match=r"model.pt: the record archive/data.pkl is compressed"):
        load_checkpoint(path)
    # the bomb: a storage of 16 MB of zeros stored in a few KB, declared at its inflated size
    numel = 16 * 2**20
    pid = _storage_id(_text("storage"), _global("torch", "UntypedStorage"), _text("1"), _text("cpu"), _int(numel))
    value = _global("torch._utils", "_rebuild_tensor_v2") + pickle.MARK + pid + _int(0)
    value += pickle.MARK + _int(numel) + pickle.TUPLE + pickle.MARK + _int(1) + pickle.TUPLE + pickle.NEWFALSE
    value += _global("collections", "OrderedDict") + pickle.EMPTY_TUPLE + pickle.REDUCE + pickle.TUPLE + pickle.REDUCE
    bomb = _crafted(tmp_path / "bomb.pt", _checkpoint_pickle(value), zipfile.ZIP_DEFLATED, {"1": bytes(numel)})
    assert bomb.stat().st_size < 100_000
    with pytest.raises(UnsafeCheckpointError, match=rf"data/1 is compressed \(\d+ bytes that inflate to {numel}\)"):
        load_checkpoint(bomb)
    stored = _crafted(tmp_path / "stored.pt", _checkpoint_pickle(value), extra={"1": bytes(numel)})
    assert load_checkpoint(stored)["x"].shape == (numel,)  # the same checkpoint, stored as torch stores it


def test_the_tar_format_of_torch_before_0_4_is_refused(tmp_path):
    with tarfile.open(tmp_path / "model.pt", "w") as tar:
        for name in ("storages", "tensors", "pickle"):
            info = tarfile.TarInfo(name)
            info.size = 1
            tar.addfile(info, io.BytesIO(b"\x80"))
    with pytest.raises(UnsafeCheckpointError, match="tar format of torch < 0.4"):
        load_checkpoint(tmp_path / "model.pt")


def test_configs_nested_past_the_limit_are_an_error_not_a_recursion_error(tmp_path):
    deep = pickle.EMPTY_LIST * 5000 + pickle.APPEND * 4999  # [[[...]]], 5000 deep
    looped = pickle.EMPTY_LIST + pickle.BINPUT + b"\0" + pickle.BINGET + b"\0" + pickle.APPEND  # l = [l]
    for value, message in ((deep, "nests deeper than 100 levels"), (looped, "or in a cycle")):
        path = _crafted(tmp_path / "model.pt", _checkpoint_pickle(value))
        with pytest.raises(UnsafeCheckpointError, match=message):
            to_plain(load_checkpoint(path)["x"])


def test_malformed_pickles_are_a_value_error_naming_the_file(tmp_path):
    cases = [pickle.PROTO + b"\x02" + pickle.POP + pickle.STOP, pickle.PROTO + b"\x02" + b"\xf0" + pickle.STOP]
    for data in cases:
        path = _crafted(tmp_path / "model.pt", data)
        with pytest.raises(ValueError, match=rf"{path} could not be read as a PyTorch checkpoint"):
            load_checkpoint(path)
