"""One input's embedding from the last hidden states of its features (one feature, or one per window): the
one computation the sentence-embedding pipeline and `roberta serve`'s embedding routes share.

`Embedder(folder, pooling)` pools as a sentence-transformers folder says (`sentence_pooling.py`), or, for a
plain checkpoint, by `pooling` ("mean" over every token, or "cls": the first token's state). Windows combine
as `windows.py` describes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from .sentence_folder import SentenceFolder
from .sentence_pooling import after_pooling, l2_normalize, pooled, token_states
from .windows import Window, document_states, spans, weighted_mean

PLAIN_POOLINGS = ("mean", "cls")


@dataclass(frozen=True)
class Embedder:
    """How hidden states become embeddings: a sentence-transformers folder's modules, or (folder None) the
    plain `pooling`."""

    folder: SentenceFolder | None
    pooling: str = "mean"

    def pool(self, hidden: torch.Tensor, prompt_length: int = 0) -> torch.Tensor:
        """(width,) the pooled vector of (tokens, hidden) states, before any module after the Pooling."""
        if self.folder is not None:
            return pooled(hidden, self.folder, prompt_length)
        return hidden[0] if self.pooling == "cls" else hidden.sum(dim=0) / hidden.shape[0]  # as mean_pool

    def finish(self, vector: torch.Tensor, *, final_normalize: bool = True) -> torch.Tensor:
        """The modules after the Pooling on a pooled vector (none for a plain checkpoint)."""
        return vector if self.folder is None else after_pooling(vector, self.folder, final_normalize=final_normalize)

    def tokens(
        self, features: list[dict[str, Any]], outputs: list[dict[str, torch.Tensor]], window: Window | None
    ) -> torch.Tensor:
        """(tokens, width) the input's token embeddings (sentence-transformers' `token_embeddings`); a
        windowed input's from its one windowed pass (`windows.document_states`)."""
        hidden = _states(outputs, window)
        return hidden if self.folder is None else token_states(hidden, self.folder)

    def embed(
        self,
        features: list[dict[str, Any]],
        outputs: list[dict[str, torch.Tensor]],
        window: Window | None = None,
        *,
        final_normalize: bool = True,
    ) -> torch.Tensor:
        """(spans, dim) the input's vectors: one row, or with a "late" window one row per span. `features`
        carry each feature's `input_ids` and `prompt_length` (leading tokens the Pooling leaves out)."""
        prompt = features[0].get("prompt_length", 0)
        if window is not None and window.aggregate == "late" and len(outputs) > 1:
            doc = _states(outputs, window)
            cuts = spans(window, len(outputs), len(doc))
            vectors = [self.pool(doc[a:b], prompt if k == 0 else 0) for k, (a, b) in enumerate(cuts)]
        else:  # one feature, or the token-weighted mean of the windows' pooled vectors
            pools = [self.pool(o["features"], prompt if k == 0 else 0) for k, o in enumerate(outputs)]
            vectors = [weighted_mean(pools, [len(f["input_ids"]) for f in features])]
        return torch.stack([self.finish(v, final_normalize=final_normalize) for v in vectors])


def _states(outputs: list[dict[str, torch.Tensor]], window: Window | None) -> torch.Tensor:
    hidden = [o["features"] for o in outputs]
    return hidden[0] if window is None or len(hidden) == 1 else document_states(window, hidden)


def truncate_and_normalize(vectors: torch.Tensor, truncate_dim: int | None, normalize: bool) -> torch.Tensor:
    """`encode`'s order: the first `truncate_dim` dimensions kept (Matryoshka), then L2-normalised if asked."""
    if truncate_dim is not None:
        vectors = vectors[..., :truncate_dim]
    return l2_normalize(vectors) if normalize else vectors
