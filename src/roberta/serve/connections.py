"""Guards on connections, under uvicorn's HTTP protocol, so that clients that never finish a request
(slowloris) cannot hold the server's sockets or file descriptors.

* A connection must complete a request's headers within --header-timeout seconds of opening, or of its last
  answer; else it is closed. (uvicorn's keep-alive timeout ends only idle connections after an answer, and
  any byte received stops it, so a client sending one header byte at a time would otherwise stay forever.)
* At most --max-connections are open. Past the cap, a new connection displaces the open connection that has
  waited longest without a request in progress; when every connection has one, the new one is answered 503
  and closed. So idle sockets never lock out a real request, and the process never runs out of descriptors
  (the default cap is derived from the open-file limit).

A request in progress (its headers arrived, its answer is not complete) is never touched here: its body and
its answer are bounded by --request-timeout.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import orjson

logger = logging.getLogger(__name__)

_BUSY = orjson.dumps(
    {"error": "the server holds as many connections as it takes (--max-connections)", "error_type": "overloaded"}
)
BUSY_RESPONSE = (
    b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\n"
    b"connection: close\r\ncontent-length: %d\r\n\r\n%s" % (len(_BUSY), _BUSY)
)


def _open(connections: Any) -> int:
    """Connections not already closing (a closed one leaves the set on the next turn of the event loop)."""
    return sum(not c.transport.is_closing() for c in connections)


def guarded_protocol(base: type[asyncio.Protocol], header_timeout: float, max_connections: int) -> type:
    """A subclass of uvicorn's HTTP protocol class `base` (h11 or httptools) with the guards of the module
    docstring. It relies on what both share: `connections` (the server's open connections), `cycle` (the
    current request, with `response_complete`), `transport` and `on_response_complete`."""

    class GuardedProtocol(base):  # type: ignore[valid-type, misc]
        _timer: asyncio.TimerHandle | None = None
        _waiting_since = 0.0

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._arm()
            if len(self.connections) > max_connections and _open(self.connections) > max_connections:
                self._make_room()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._arm()  # the next request's headers are due within header_timeout too

        def connection_lost(self, exc: Exception | None) -> None:
            if self._timer is not None:
                self._timer.cancel()
            super().connection_lost(exc)

        def waiting(self) -> bool:
            """No request in progress: none begun yet, or the last one answered."""
            return self.cycle is None or self.cycle.response_complete

        def _arm(self) -> None:
            if self._timer is not None:
                self._timer.cancel()
            self._waiting_since = time.monotonic()
            self._timer = asyncio.get_running_loop().call_later(header_timeout, self._header_timeout)

        def _header_timeout(self) -> None:
            self._timer = None
            if self.waiting() and not self.transport.is_closing():
                logger.debug("closing a connection that sent no complete request in %s s", header_timeout)
                self.transport.close()

        def _make_room(self) -> None:
            idle = [c for c in self.connections if c is not self and c.waiting() and not c.transport.is_closing()]
            if idle:
                min(idle, key=lambda c: c._waiting_since).transport.close()
            else:
                logger.warning("refused a connection: %d are open, each with a request in progress", max_connections)
                self.transport.write(BUSY_RESPONSE)
                self.transport.close()

    GuardedProtocol.__name__ = GuardedProtocol.__qualname__ = f"Guarded{base.__name__}"
    return GuardedProtocol
