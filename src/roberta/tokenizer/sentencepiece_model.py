"""Reading a SentencePiece model file (`sentencepiece.bpe.model`) without protobuf or sentencepiece.

The file is a serialized `ModelProto` message (sentencepiece_model.proto). Building a `tokenizers` backend
from it (see `spm_convert`) needs only a few of its fields: the pieces (string, score, type), the trainer's
model type, unknown piece and byte fallback, and the normalizer's precompiled character map. This module
reads those from the protobuf wire format and skips everything else.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass

# SentencePiece.Type values
NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE = 1, 2, 3, 4, 5, 6
# TrainerSpec.ModelType values
UNIGRAM, BPE, WORD, CHAR = 1, 2, 3, 4
_MODEL_TYPE_NAMES = {UNIGRAM: "unigram", BPE: "bpe", WORD: "word", CHAR: "char"}


class SentencePieceModelError(ValueError):
    """A file that is not a SentencePiece model (or a truncated one)."""


@dataclass(frozen=True)
class Piece:
    """One vocabulary entry: its text, its score (log probability for unigram, rank for BPE) and type."""

    piece: str
    score: float = 0.0
    type: int = NORMAL


@dataclass(frozen=True)
class SentencePieceModel:
    """The fields of a `ModelProto` that converting it to a `tokenizers` backend needs."""

    pieces: tuple[Piece, ...]
    model_type: int = UNIGRAM
    unk_id: int = 0
    unk_piece: str = "<unk>"
    byte_fallback: bool = False
    precompiled_charsmap: bytes = b""

    @property
    def model_type_name(self) -> str:
        return _MODEL_TYPE_NAMES.get(self.model_type, str(self.model_type))


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data):
            raise SentencePieceModelError("truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise SentencePieceModelError("varint longer than 10 bytes")


def _fields(data: bytes) -> Iterator[tuple[int, int | bytes]]:
    """(field number, value) of each field of one message: varints and fixed32/64 as ints (fixed32 as its
    4 raw bytes, for floats), length-delimited fields as bytes."""
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 1:
            value, pos = data[pos : pos + 8], pos + 8
        elif wire == 2:
            length, pos = _varint(data, pos)
            value, pos = data[pos : pos + length], pos + length
        elif wire == 5:
            value, pos = data[pos : pos + 4], pos + 4
        else:
            raise SentencePieceModelError(f"unsupported protobuf wire type {wire} (field {number})")
        if pos > len(data):
            raise SentencePieceModelError(f"field {number} runs past the end of its message")
        yield number, value


def _piece(data: bytes) -> Piece:
    text, score, kind = "", 0.0, NORMAL
    for number, value in _fields(data):
        if number == 1:
            text = bytes(value).decode("utf-8")
        elif number == 2 and isinstance(value, bytes) and len(value) == 4:
            score = struct.unpack("<f", value)[0]
        elif number == 3:
            kind = int(value)
    return Piece(text, score, kind)


def _signed(value: int) -> int:
    """An int32 field as protobuf encodes negatives (two's complement in 64 bits)."""
    return value - (1 << 64) if value >= 1 << 63 else value


def parse_model(data: bytes) -> SentencePieceModel:
    """The `SentencePieceModel` of a serialized `ModelProto`."""
    pieces: list[Piece] = []
    trainer: dict[str, object] = {}
    charsmap = b""
    try:
        for number, value in _fields(data):
            if number == 1:
                pieces.append(_piece(value))
            elif number == 2:
                for sub, item in _fields(value):
                    if sub == 3:
                        trainer["model_type"] = int(item)
                    elif sub == 35:
                        trainer["byte_fallback"] = bool(item)
                    elif sub == 40:
                        trainer["unk_id"] = _signed(int(item))
                    elif sub == 45:
                        trainer["unk_piece"] = bytes(item).decode("utf-8")
            elif number == 3:
                for sub, item in _fields(value):
                    if sub == 2:
                        charsmap = bytes(item)
    except (UnicodeDecodeError, TypeError) as e:
        raise SentencePieceModelError(f"not a SentencePiece model: {e}") from None
    if not pieces:
        raise SentencePieceModelError("not a SentencePiece model: it holds no pieces")
    return SentencePieceModel(pieces=tuple(pieces), precompiled_charsmap=charsmap, **trainer)


def read_model(path: str | os.PathLike) -> SentencePieceModel:
    """Read a SentencePiece model file; a `SentencePieceModelError` naming the file if it is not one."""
    with open(path, "rb") as f:
        data = f.read()
    try:
        return parse_model(data)
    except SentencePieceModelError as e:
        raise SentencePieceModelError(f"{os.fspath(path)}: {e}") from None
