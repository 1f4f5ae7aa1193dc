"""`roberta serve`: an HTTP inference server with dynamic, unpadded batching.

The four concerns live apart, one file each, so each is tested on its own:

* `routes.py` – the HTTP side (starlette): routes, API key, body limits, timing headers, health, metrics;
* `validation.py` – request bodies parsed into typed requests, or one error naming what was wrong;
* `batcher.py` – the queue: admission by queued tokens, token-budget batches, deadlines, fault isolation,
  draining (no HTTP, no model: it runs any `prepare` / `run` pair of callables);
* `backend.py` – the model: pipelines loaded once, padded batches run on the library's unpadded path.

`tasks.py` does what each route asks (tokenize, queue, post-process); `app.py` assembles the ASGI app and
the gate every request passes; `server.py` runs it under uvicorn and drains on SIGTERM; `settings.py` holds the
flags (parsed by `roberta.cli.serve`), `errors.py` the one error shape, `metrics.py` the Prometheus series and
`openapi.py` the `/docs` description. Nothing here is imported by `import roberta`.
"""
