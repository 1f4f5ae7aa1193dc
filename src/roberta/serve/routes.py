"""The route table, the one place that says what the server answers: TEI's routes (`/embed`, `/embed_all`,
`/predict`, `/rerank`, `/tokenize`, `/decode`, `/info`, `/health`, `/metrics`), OpenAI's `/v1/embeddings` and
`/v1/models`, the Hugging Face Inference API's `POST /` (and `POST /models/{name}`), liveness and readiness
probes, and `/docs`. Each row gives a route's method and path, its summary, its request type and handler (an
inference route) or its endpoint, and whether it needs the API key; the gate, the parser and the OpenAPI
description all read the rows.
"""

from __future__ import annotations

from collections.abc import Callable

from . import endpoints, handlers
from . import request_types as rt
from .inference import Handler, inference
from .routing import ServedRoute


def _post(path: str, request_type: type, handler: Handler, summary: str) -> ServedRoute:
    endpoint = inference(path, request_type, handler)
    return ServedRoute(path, endpoint, method="POST", summary=summary, request_type=request_type)


def _get(path: str, endpoint: Callable, *, needs_key: bool = True) -> ServedRoute:
    summary = (endpoint.__doc__ or path).strip().splitlines()[0]
    return ServedRoute(path, endpoint, method="GET", summary=summary, needs_key=needs_key)


_HF = "Hugging Face Inference API"
ROUTES: list[ServedRoute] = [
    _post("/embed", rt.EmbedRequest, handlers.embed, "Pooled embeddings (TEI)."),
    _post("/embed_all", rt.EmbedAllRequest, handlers.embed_all, "Every token's last hidden state (TEI)."),
    _post("/predict", rt.PredictRequest, handlers.predict, "Sequence classification of texts or pairs (TEI)."),
    _post("/rerank", rt.RerankRequest, handlers.rerank, "Texts ranked against a query (TEI)."),
    _post("/tokenize", rt.TokenizeRequest, handlers.tokenize, "Tokens with ids and character spans (TEI)."),
    _post("/decode", rt.DecodeRequest, handlers.decode, "Token ids back to text (TEI)."),
    _post(
        "/v1/embeddings",
        rt.OpenAIEmbeddingRequest,
        handlers.openai_embeddings,
        "Embeddings in OpenAI's shape (float or base64).",
    ),
    _post("/", rt.PipelineRequest, handlers.pipeline_call, f"The pipeline's answer ({_HF})."),
    _post("/models/{name}", rt.PipelineRequest, handlers.pipeline_call, f"The named model's pipeline answer ({_HF})."),
    _get("/health", endpoints.ready, needs_key=False),
    _get("/health/live", endpoints.live, needs_key=False),
    _get("/health/ready", endpoints.ready, needs_key=False),
    _get("/info", endpoints.info),
    _get("/metrics", endpoints.metrics, needs_key=False),
    _get("/docs", endpoints.docs, needs_key=False),
    _get("/openapi.json", endpoints.docs, needs_key=False),
    _get("/v1/models", endpoints.models),
]
