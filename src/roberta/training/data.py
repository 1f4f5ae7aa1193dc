"""FULL-SENTENCES packing and the dynamic-masking collators.

Packing fills each input with whole, contiguous sentences up to `max_seq_length` tokens, crossing document
boundaries with a `</s>` separator; every input is `<s> ... </s>`. Masking happens at batch time, from a
random generator seeded by `(seed, stream position)`, so every time a sequence is seen it gets a fresh mask,
and the mask does not depend on the batch size, the number of processes or a resume.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import numpy as np
import torch

from ..batching import pad_batch


class Packer:
    """Streams sentences in, packed sequences out (FULL-SENTENCES).

    `add(tokens, new_document)` takes one sentence's ids (no special tokens); finished sequences are
    yielded by `add` and by `flush`. A sentence longer than the budget is split into budget-sized pieces.
    """

    def __init__(self, max_seq_length: int, bos_id: int, eos_id: int) -> None:
        if max_seq_length < 3:
            raise ValueError(f"max_seq_length must be at least 3, got {max_seq_length}")
        self.budget = max_seq_length - 2
        self.bos, self.eos = bos_id, eos_id
        self.current: list[int] = []

    def _emit(self) -> list[int]:
        seq = [self.bos, *self.current, self.eos]
        self.current = []
        return seq

    def add(self, tokens: Sequence[int], new_document: bool) -> Iterator[list[int]]:
        """Add one sentence; yield any sequence it completes."""
        tokens = list(tokens)
        if not tokens:
            return
        pieces = [tokens[i : i + self.budget] for i in range(0, len(tokens), self.budget)]
        for n, piece in enumerate(pieces):
            sep = 1 if (new_document and n == 0 and self.current) else 0
            if len(self.current) + sep + len(piece) > self.budget:
                yield self._emit()
                sep = 0
            if sep:
                self.current.append(self.eos)
            self.current.extend(piece)

    def flush(self) -> Iterator[list[int]]:
        """Yield the last, partly filled sequence, if any."""
        if self.current:
            yield self._emit()


def pack_documents(
    documents: Iterable[Sequence[Sequence[int]]], max_seq_length: int, bos_id: int, eos_id: int
) -> Iterator[list[int]]:
    """Pack tokenized documents (lists of sentences of ids) into sequences; see `Packer`."""
    packer = Packer(max_seq_length, bos_id, eos_id)
    for doc in documents:
        for i, sentence in enumerate(doc):
            yield from packer.add(sentence, new_document=i == 0)
    yield from packer.flush()


def sample_rng(seed: int, position: int) -> np.random.Generator:
    """The random generator for one sample at one position of the training stream."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([int(seed), int(position)])))


def mask_tokens(
    ids: np.ndarray,
    rng: np.random.Generator,
    *,
    mask_id: int,
    special_ids: Sequence[int],
    vocab_size: int,
    probability: float = 0.15,
) -> tuple[np.ndarray, np.ndarray]:
    """RoBERTa's masking of one sequence: returns `(inputs, labels)`.

    Each non-special token is chosen with `probability`; a chosen token becomes `<mask>` 80% of the time,
    a random non-special token 10%, and stays itself 10%. `labels` is -100 where not chosen.
    """
    ids = np.asarray(ids, dtype=np.int64)
    special = np.isin(ids, np.asarray(special_ids, dtype=np.int64))
    chosen = (rng.random(ids.shape) < probability) & ~special
    action = rng.random(ids.shape)
    labels = np.where(chosen, ids, -100)
    inputs = ids.copy()
    inputs[chosen & (action < 0.8)] = mask_id
    replace = chosen & (action >= 0.8) & (action < 0.9)
    if replace.any():
        pool = np.setdiff1d(np.arange(vocab_size, dtype=np.int64), np.asarray(special_ids, dtype=np.int64))
        inputs[replace] = pool[rng.integers(0, len(pool), int(replace.sum()))]
    return inputs, labels


class MaskingCollator:
    """Builds a masked-LM batch from sequences and their stream positions (dynamic masking)."""

    def __init__(
        self,
        *,
        mask_id: int,
        pad_id: int,
        special_ids: Sequence[int],
        vocab_size: int,
        seed: int,
        probability: float = 0.15,
    ) -> None:
        self.mask_id, self.pad_id, self.seed = mask_id, pad_id, seed
        self.special_ids, self.vocab_size, self.probability = list(special_ids), vocab_size, probability

    def __call__(self, sequences: Sequence[np.ndarray], positions: Sequence[int]) -> dict[str, torch.Tensor]:
        inputs, labels = [], []
        for seq, pos in zip(sequences, positions):
            x, y = mask_tokens(
                seq,
                sample_rng(self.seed, pos),
                mask_id=self.mask_id,
                special_ids=self.special_ids,
                vocab_size=self.vocab_size,
                probability=self.probability,
            )
            inputs.append(x)
            labels.append(y)
        return pad_batch(inputs, self.pad_id, labels)


def causal_collate(sequences: Sequence[np.ndarray], pad_id: int) -> dict[str, torch.Tensor]:
    """A causal-LM batch: labels are the inputs (the model shifts them), -100 on padding."""
    return pad_batch(
        [np.asarray(s, dtype=np.int64) for s in sequences], pad_id, [np.asarray(s, dtype=np.int64) for s in sequences]
    )
