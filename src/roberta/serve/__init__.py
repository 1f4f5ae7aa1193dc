"""`roberta serve`: an HTTP inference server with dynamic, unpadded batching.

Each fact has one place, and each file one concern:

* `routes.py` – the route table: each row a route's method, path, summary, request type and handler (or
  endpoint), and whether it needs the API key (`routing.ServedRoute`); the gate, the parser and the OpenAPI
  description all read it;
* `request_types.py` – each route's body declared once, as a dataclass of fields with shapes, defaults and
  docs; `schema.py` derives from it both the parser (a typed request, or one error naming the field) and the
  JSON Schema that `openapi.py` serves at `/docs`;
* `inference.py` – an inference route's flow: body read (size, deadline), parsed, run on the request pool,
  waited for (disconnect, deadline); `handlers.py` – what each route computes (tokenize, queue,
  post-process); `work.py` – one request's dealings with the batcher (tokens, deadline, stage timings);
* `endpoints.py` – the routes that never touch the queue (health, /info, metrics, docs, model list);
* `gate.py` – what every request passes first (Host, API key, draining, open-request cap, deadline, timing
  headers); `guards.py` – the Host and Content-Type checks;
* `batcher.py` – the queue: admission by queued tokens, token-budget batches, deadlines, fault isolation,
  draining (no HTTP, no model: it runs any `prepare` / `run` pair of callables);
* `backend.py` – the model: pipelines loaded once, padded batches run on the library's unpadded path.

`state.py` holds what the routes share, `app.py` assembles the ASGI app, `server.py` runs it under uvicorn
(with `connections.py`'s guards) and drains on SIGTERM; `settings.py` holds the flags (parsed by
`roberta.cli.serve`), `errors.py` the one error shape, `responses.py` the JSON answers, `limits.py` the bounds
on `POST /`'s parameters and `metrics.py` the Prometheus series. Nothing here is imported by `import roberta`,
and no module here imports one that imports it back (tests/serve/test_serve_imports.py).
"""
