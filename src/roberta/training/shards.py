"""Memory-mapped token shards: the corpus is tokenized and packed once, streamed to disk, read lazily.

Layout of a shard directory: `shard-NNNNN.bin` (flat token ids, uint16 when the vocabulary fits, else int32),
`shard-NNNNN.idx.npy` (int64 offsets, one more than the sequences) and `meta.json`, written last: a directory
without `meta.json` is incomplete and is rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from .._io import atomic_path, atomic_write_text, read_json
from ..progress import Progress, on_terminal
from .data import Packer
from .errors import DataError
from .readers import iter_documents

META = "meta.json"
FORMAT = 1
PROGRESS_BYTES = 1 << 20  # a smaller corpus is tokenized without a progress display


def _fingerprint(
    files: Sequence[str | os.PathLike], tokenizer: Any, max_seq_length: int, document_per_file: bool
) -> str:
    h = hashlib.sha256()
    for f in files:
        st = os.stat(f)
        h.update(f"{os.path.abspath(f)}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    vocab = json.dumps(sorted(tokenizer.get_vocab().items())).encode()
    h.update(hashlib.sha256(vocab).digest())
    h.update(f"{max_seq_length}|{document_per_file}|{FORMAT}".encode())
    return h.hexdigest()


class _ShardWriter:
    def __init__(self, directory: str, dtype: np.dtype, shard_tokens: int) -> None:
        self.directory, self.dtype, self.shard_tokens = directory, dtype, shard_tokens
        self.shards: list[dict[str, Any]] = []
        self._file = None
        self._offsets: list[int] = []

    def _open(self) -> None:
        name = f"shard-{len(self.shards):05d}"
        self._name, self._offsets = name, [0]
        self._file = open(os.path.join(self.directory, name + ".bin.tmp"), "wb")

    def _close(self) -> None:
        if self._file is None:
            return
        self._file.close()
        os.replace(
            os.path.join(self.directory, self._name + ".bin.tmp"), os.path.join(self.directory, self._name + ".bin")
        )
        with atomic_path(os.path.join(self.directory, self._name + ".idx.npy")) as tmp:
            with open(tmp, "wb") as f:
                np.save(f, np.asarray(self._offsets, dtype=np.int64))
        self.shards.append(
            {"name": self._name, "num_sequences": len(self._offsets) - 1, "num_tokens": self._offsets[-1]}
        )
        self._file = None

    def write(self, seq: Sequence[int]) -> None:
        if self._file is None:
            self._open()
        self._file.write(np.asarray(seq, dtype=self.dtype).tobytes())
        self._offsets.append(self._offsets[-1] + len(seq))
        if self._offsets[-1] >= self.shard_tokens:
            self._close()

    def finish(self) -> list[dict[str, Any]]:
        self._close()
        return self.shards


def tokenized_documents(
    files: Sequence[str],
    tokenizer: Any,
    document_per_file: bool = False,
    batch: int = 256,
    on_bytes: Callable[[int], None] | None = None,
) -> Iterator[list[list[int]]]:
    """Each document of `files` as a list of token-id sentences (no special tokens), tokenized in batches.

    `on_bytes(n)` is told, batch by batch, about how many bytes of text were tokenized (for a progress bar)."""
    docs: list[list[str]] = []

    def encode(docs: list[list[str]]) -> Iterator[list[list[int]]]:
        flat = [s for d in docs for s in d]
        ids = tokenizer(flat, add_special_tokens=False)["input_ids"]
        if on_bytes is not None:
            on_bytes(sum(len(s.encode("utf-8")) + 1 for s in flat))
        at = 0
        for d in docs:
            yield ids[at : at + len(d)]
            at += len(d)

    for doc in iter_documents(files, document_per_file):
        docs.append(doc)
        if sum(map(len, docs)) >= batch:
            yield from encode(docs)
            docs = []
    if docs:
        yield from encode(docs)


def build_shards(
    files: Sequence[str | os.PathLike],
    tokenizer: Any,
    directory: str | os.PathLike,
    *,
    max_seq_length: int = 512,
    document_per_file: bool = False,
    shard_tokens: int = 1 << 24,
    log: Any | None = None,
    progress: bool = True,
) -> str:
    """Tokenize and pack `files` into shards under `directory`, unless an identical build is already there.

    Memory use is bounded by one tokenization batch, whatever the corpus size. With `progress`, a bar over the
    corpus's bytes on a terminal, else (or without `progress`) a `log` line at every tenth, for a corpus of at
    least PROGRESS_BYTES. Returns `directory`.
    """
    files = [os.fspath(f) for f in files]
    if not files:
        raise ValueError("no training files given")
    for f in files:
        if not os.path.isfile(f):
            raise DataError(f, "file not found")
    directory = os.fspath(directory)
    key = _fingerprint(files, tokenizer, max_seq_length, document_per_file)
    meta_path = os.path.join(directory, META)
    if os.path.isfile(meta_path):
        if read_json(meta_path).get("fingerprint") == key:
            return directory
    os.makedirs(directory, exist_ok=True)
    if os.path.exists(meta_path):
        os.remove(meta_path)
    vocab_size = len(tokenizer)
    dtype = np.dtype(np.uint16 if vocab_size <= np.iinfo(np.uint16).max + 1 else np.int32)
    writer = _ShardWriter(directory, dtype, shard_tokens)
    packer = Packer(max_seq_length, tokenizer.bos_token_id, tokenizer.eos_token_id)
    on_bytes = _progress(files, directory, log, progress)
    for doc in tokenized_documents(files, tokenizer, document_per_file, on_bytes=on_bytes):
        for i, sentence in enumerate(doc):
            for seq in packer.add(sentence, new_document=i == 0):
                writer.write(seq)
    for seq in packer.flush():
        writer.write(seq)
    on_bytes(None)
    shards = writer.finish()
    if not shards:
        raise DataError(files[0], "empty corpus: no tokens")
    meta = {
        "format": FORMAT,
        "fingerprint": key,
        "dtype": dtype.name,
        "max_seq_length": max_seq_length,
        "vocab_size": vocab_size,
        "num_sequences": sum(s["num_sequences"] for s in shards),
        "shards": shards,
        "files": files,
    }
    atomic_write_text(meta_path, json.dumps(meta, indent=1))
    if log:
        log(f"tokenized {len(files)} file(s) into {meta['num_sequences']} sequences in {directory}")
    return directory


def _progress(files: Sequence[str], directory: str, log: Any | None, enabled: bool) -> Callable[[int | None], None]:
    """`update(n_bytes)` (None: done) while `files` are tokenized: a bar on a terminal (when `enabled`), else a
    `log` line at each tenth of the text; nothing for a corpus under PROGRESS_BYTES, which takes a moment. The
    byte counts are an estimate, so it ends at 100%."""
    total = max(1, sum(os.path.getsize(f) for f in files))
    shown = total >= PROGRESS_BYTES
    bar = Progress(total, enabled=shown and enabled and on_terminal(), desc="tokenize")
    log = None if bar.enabled or not shown else log
    if log is not None:
        log(f"tokenizing {len(files)} file(s), {total / 1e6:.1f} MB, into {directory}")
    logged = [0]

    def update(n: int | None) -> None:
        step = total - bar.n if n is None else min(n, total - bar.n)
        if step > 0:
            bar.update(step)
        if n is None:
            bar.close()
        elif log is not None and bar.n * 10 // total > logged[0] and bar.n < total:
            logged[0] = bar.n * 10 // total
            log(f"tokenized {logged[0] * 10}% of the text")

    return update


class ShardedSequences:
    """Read-only, memory-mapped view of a shard directory: `len()` and `[i] -> np.ndarray` of ids."""

    def __init__(self, directory: str | os.PathLike) -> None:
        meta_path = os.path.join(directory, META)
        if not os.path.isfile(meta_path):
            raise DataError(directory, "not a complete shard directory (meta.json missing)")
        self.meta = read_json(meta_path)
        self._tokens, self._offsets = [], []
        for s in self.meta["shards"]:
            base = os.path.join(directory, s["name"])
            self._tokens.append(np.memmap(base + ".bin", dtype=self.meta["dtype"], mode="r"))
            self._offsets.append(np.load(base + ".idx.npy", mmap_mode="r"))
        self._starts = np.cumsum([0] + [s["num_sequences"] for s in self.meta["shards"]])

    def __len__(self) -> int:
        return int(self._starts[-1])

    def __getitem__(self, index: int) -> np.ndarray:
        if not 0 <= index < len(self):
            raise IndexError(index)
        shard = int(np.searchsorted(self._starts, index, side="right") - 1)
        local = index - int(self._starts[shard])
        off = self._offsets[shard]
        return np.asarray(self._tokens[shard][int(off[local]) : int(off[local + 1])], dtype=np.int64)
