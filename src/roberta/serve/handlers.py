"""The route handlers: what each inference route computes, on a request-pool thread, for one parsed request
(`request_types.py`): tokenize, queue the inputs and wait for their batches (`work.Work`), post-process.
Post-processing is the pipelines' own (`postprocess`, `mean_pool`), and `POST /` runs the pipeline itself
with its model step routed through the batcher (`Pipeline.with_model_runner`).
"""

from __future__ import annotations

import base64
import time
from typing import Any

import numpy as np
import torch

from ..pipelines.embedding_vectors import Embedder, truncate_and_normalize
from ..pipelines.feature_extraction import quantize_results
from ..pipelines.quantize import check_truncate_dim
from ..pipelines.rerank import score
from ..pipelines.windows import CLASSIFY_AGGREGATES, EMBED_AGGREGATES, InputTooLong, Window, parse_window
from . import limits
from .backend import HIDDEN, TASK, ModelBackend
from .errors import ServeError
from .request_types import (
    DecodeRequest,
    EmbedAllRequest,
    EmbedRequest,
    OpenAIEmbeddingRequest,
    PipelineRequest,
    PredictRequest,
    RerankRequest,
    TokenizeRequest,
)
from .work import Work


def _window(backend: ModelBackend, value: dict[str, Any] | None, aggregates: tuple[str, ...]) -> Window | None:
    """A request's `window`, bounded by the model's input limit (422 naming what is wrong)."""
    try:
        return parse_window(value, max_length=backend.max_input_tokens, aggregates=aggregates)
    except (TypeError, ValueError) as e:
        raise ServeError("invalid_request", f"field 'window': {e}") from None


def _truncate(work: Work, asked: bool | None, window: Window | None) -> bool:
    if window is not None and asked:
        raise ServeError("invalid_request", '"truncate": true and "window" exclude each other')
    return work.truncate(asked)


def _grouped(work: Work, backend: ModelBackend, kind: str, groups: list[list[dict[str, Any]]]) -> list[list[Any]]:
    """Run every feature of every input together; the outputs grouped back by input."""
    outputs = work.run(backend, kind, [f for group in groups for f in group])
    out, at = [], 0
    for group in groups:
        out.append(outputs[at : at + len(group)])
        at += len(group)
    return out


def _embedded(
    work: Work,
    backend: ModelBackend,
    groups: list[list[dict[str, Any]]],
    window: Window | None,
    *,
    normalize: bool,
    truncate_dim: int | None = None,
) -> list[torch.Tensor]:
    """Each input's vectors ((dim,), or (spans, dim) late-chunked). A sentence-transformers folder's modules
    make the vector (a Normalize module that ends them is the `normalize` step); other models pool their last
    hidden state by --pooling (mean, or <s>); then the first `truncate_dim` dimensions, L2-normalised if asked."""
    try:
        truncate_dim = check_truncate_dim(truncate_dim, backend.embedding_size)
    except ValueError as e:
        raise ServeError("invalid_request", str(e)) from None
    embedder = Embedder(backend.sentence, backend.pooling)
    vectors = []
    for features, outputs in zip(groups, _grouped(work, backend, HIDDEN, groups)):
        v = embedder.embed(features, outputs, window, final_normalize=normalize)
        v = truncate_and_normalize(v, truncate_dim, normalize)
        vectors.append(v if window is not None and window.aggregate == "late" else v[0])
    return vectors


def embed(work: Work, backend: ModelBackend, req: EmbedRequest) -> Any:
    """`/embed`: one pooled vector per input (a list of span vectors per input with a "late" window), at
    `precision` (int8 / uint8 ranges from the request's own vectors, as `encode` computes them)."""
    window = _window(backend, req.window, EMBED_AGGREGATES)
    truncate = _truncate(work, req.truncate, window)
    prompt = backend.request_prompt(req.prompt_name, req.prompt)
    side = req.truncation_direction
    groups = [
        backend.embedding_input(t, truncate=truncate, side=side, window=window, prompt=prompt) for t in req.inputs
    ]
    vectors = _embedded(work, backend, groups, window, normalize=req.normalize, truncate_dim=req.truncate_dim)
    if req.precision != "float32":
        vectors = quantize_results(vectors, req.precision, None, None)
    return [v.numpy() for v in vectors]


def embed_all(work: Work, backend: ModelBackend, req: EmbedAllRequest) -> list[np.ndarray]:
    """`/embed_all`: every token's last hidden state, per input."""
    truncate = work.truncate(req.truncate)
    features = [{"input_ids": backend.encode(t, truncate=truncate, side=req.truncation_direction)} for t in req.inputs]
    return [o["features"].numpy() for o in work.run(backend, HIDDEN, features)]


def predict(work: Work, backend: ModelBackend, req: PredictRequest) -> list:
    """`/predict`: every label with its score, best first (softmax / sigmoid as the pipeline picks; raw
    logits with raw_scores)."""
    backend.require("text-classification", "/predict")
    window = _window(backend, req.window, CLASSIFY_AGGREGATES)
    truncate = _truncate(work, req.truncate, window)
    side = req.truncation_direction
    if window is not None and any(b is not None for _, b in req.inputs.pairs):
        raise ServeError("invalid_request", '"window" reads single texts in windows; a text pair is not windowed')
    groups = [
        [{"input_ids": backend.encode(a, b, truncate=truncate, side=side)}]
        if window is None
        else backend.windows(a, truncate=truncate, window=window)
        for a, b in req.inputs.pairs
    ]
    function = "none" if req.raw_scores else None
    results = [
        backend.task_pipe.postprocess(None, f, o, top_k=None, legacy=False, function_to_apply=function, window=window)
        for f, o in zip(groups, _grouped(work, backend, TASK, groups))
    ]
    return results[0] if req.inputs.single else results


def rerank(work: Work, backend: ModelBackend, req: RerankRequest) -> list[dict[str, Any]]:
    """`/rerank`: each text scored with the query by a one-label classifier, best first, as
    `CrossEncoder.rank` scores it: the cross-encoder folder's activation (default sigmoid) of the logit."""
    backend.require("text-classification", "/rerank")
    if backend.config.num_labels != 1:
        raise ServeError(
            "unsupported",
            f"/rerank needs a re-ranker (a classifier with one label); model {backend.name!r} has "
            f"{backend.config.num_labels} labels",
        )
    truncate = work.truncate(req.truncate)
    side = req.truncation_direction
    # as a batch of one, as CrossEncoder tokenizes (a single call reads an empty text as no pair)
    features = [{"input_ids": backend.encode([req.query], [t], truncate=truncate, side=side)} for t in req.texts]
    outputs = work.run(backend, TASK, features)
    activation = "Identity" if req.raw_scores else backend.cross_encoder.activation
    ranks = []
    for index, (o, text) in enumerate(zip(outputs, req.texts)):
        value = float(score(o["logits"], activation)[0])
        ranks.append({"index": index, "score": value, **({"text": text} if req.return_text else {})})
    return sorted(ranks, key=lambda r: -r["score"])


def tokenize(work: Work, backend: ModelBackend, req: TokenizeRequest) -> list[list[dict[str, Any]]]:
    """`/tokenize`: each token's id, text, whether it is special, and its character span in the input."""
    out = []
    cut = {"truncation": True, "max_length": backend.max_input_tokens} if work.truncate(None) else {}
    for text in req.inputs:
        work.check()
        enc = backend.tokenizer(
            text,
            add_special_tokens=req.add_special_tokens,
            return_offsets_mapping=True,
            return_special_tokens_mask=True,
            **cut,
        )
        work.count(backend, [len(enc["input_ids"])])  # the limits of every other route (413)
        tokens = []
        for token_id, special, (start, stop) in zip(
            enc["input_ids"], enc["special_tokens_mask"], enc["offset_mapping"]
        ):
            if special:  # TEI gives special tokens their token string and no span
                token_text, start, stop = backend.tokenizer.convert_ids_to_tokens(token_id), None, None
            else:
                token_text = text[start:stop]
            tokens.append({"id": token_id, "text": token_text, "special": bool(special), "start": start, "stop": stop})
        out.append(tokens)
    work.tokenized_at = time.monotonic()
    return out


def decode(work: Work, backend: ModelBackend, req: DecodeRequest) -> list[str]:
    """`/decode`: the text of each list of ids."""
    size = len(backend.tokenizer)
    work.count(backend, [len(row) for row in req.ids])
    for row in req.ids:
        if row and max(row) >= size:
            raise ServeError("invalid_request", f"token id {max(row)} is outside the vocabulary (size {size})")
    texts = [backend.tokenizer.decode(row, skip_special_tokens=req.skip_special_tokens) for row in req.ids]
    work.tokenized_at = time.monotonic()
    return texts


def openai_embeddings(work: Work, backend: ModelBackend, req: OpenAIEmbeddingRequest) -> dict[str, Any]:
    """`/v1/embeddings`: OpenAI's answer shape; vectors L2-normalised (after keeping the first `dimensions`),
    as float lists or base64 float32. Token ids are used as given (no prompt is put before them; `truncate`
    keeps their first --max-input-tokens). An input over the limit without `truncate` or `window` is 413."""
    window = _window(backend, req.window, EMBED_AGGREGATES[:1])
    size = backend.embedding_size
    if req.dimensions is not None and req.dimensions > size:
        raise ServeError("invalid_request", f"model {backend.name!r} gives {size} dimensions, not {req.dimensions}")
    truncate = _truncate(work, req.truncate, window)
    groups = []
    for item in req.input:
        if isinstance(item, str):
            groups.append(backend.embedding_input(item, truncate=truncate, window=window))
        elif max(item) >= backend.config.vocab_size:
            raise ServeError(
                "invalid_request", f"token id {max(item)} is outside the vocabulary ({backend.config.vocab_size})"
            )
        else:  # ids as given (never windowed: they may lack <s> and </s>); cut to the first N only when asked
            groups.append([{"input_ids": list(item)[: backend.max_input_tokens] if truncate else list(item)}])
    vectors = torch.stack(_embedded(work, backend, groups, window, normalize=True, truncate_dim=req.dimensions)).numpy()
    if req.encoding_format == "base64":
        data = [base64.b64encode(v.astype("<f4").tobytes()).decode("ascii") for v in vectors]
    else:
        data = list(vectors)
    return {
        "object": "list",
        "data": [{"object": "embedding", "index": i, "embedding": e} for i, e in enumerate(data)],
        "model": backend.name,
        "usage": {"prompt_tokens": work.tokens, "total_tokens": work.tokens},
    }


def pipeline_call(work: Work, backend: ModelBackend, req: PipelineRequest) -> Any:
    """`POST /`: exactly what `pipeline(task)(inputs, **parameters)` returns, its forward passes batched with
    every other request's. Its parameters are bounded first (`limits.py`), and post-processing stops between
    inputs once the deadline passed or the client left."""
    limits.check_parameters(backend.task, req.parameters, backend.max_input_tokens)
    mask_id = backend.tokenizer.mask_token_id if backend.task == "fill-mask" else None

    def run_model(features: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if mask_id is not None:  # answers to build: masks x top_k, refused before any compute
            limits.fill_mask_predictions(req.parameters, sum(f["input_ids"].count(mask_id) for f in features))
        return work.run(backend, TASK, features)

    pipe = backend.task_pipe.with_model_runner(
        lambda features: run_model(list(features)), max_length=backend.max_input_tokens
    )
    postprocess = pipe.postprocess

    def checked_postprocess(*args: Any, **kwargs: Any) -> Any:
        work.check()
        return postprocess(*args, **kwargs)

    pipe.postprocess = checked_postprocess  # type: ignore[method-assign]
    try:
        return pipe(req.inputs, **req.parameters)
    except ServeError:
        raise
    except InputTooLong as e:  # as every other route answers an input over the limit
        raise ServeError("validation", f"{backend.task}: {e}") from None
    except (TypeError, ValueError, KeyError) as e:
        message = e.args[0] if isinstance(e, KeyError) and e.args else str(e)
        raise ServeError("invalid_request", f"{backend.task}: {message}") from None
