"""A route of the table in `routes.py`: a starlette `Route` that also carries what the rest of the server reads
off it, so that each fact about a route is written once, in its row."""

from __future__ import annotations

from collections.abc import Callable

from starlette.routing import Route


class ServedRoute(Route):
    """One method on one path. `needs_key`: the route answers only with the API key (when one is set), is
    refused while draining and counts as an open request; the others (health, metrics, docs) are answered to
    anyone at any time. `request_type`: the dataclass its JSON body parses into (`request_types.py`; None: no
    body). `summary`: its one line in the OpenAPI description."""

    def __init__(
        self,
        path: str,
        endpoint: Callable,
        *,
        method: str,
        summary: str,
        needs_key: bool = True,
        request_type: type | None = None,
    ) -> None:
        super().__init__(path, endpoint, methods=[method], name=f"{method} {path}")
        self.method, self.summary, self.needs_key, self.request_type = method, summary, needs_key, request_type
