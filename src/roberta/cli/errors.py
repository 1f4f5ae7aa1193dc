"""The one error type of the command line, and the one place where library errors become it."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


class CommandError(Exception):
    """A user-facing error: printed as one line on stderr, no traceback, exit status 2 (bad input or usage)."""

    exit_code = 2


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Turn the library's bad-input errors (ValueError, TypeError, missing files, a hung peer under torchrun)
    into a `CommandError`: one line naming what was wrong."""
    from ..training.distributed import DistributedTimeout

    try:
        yield
    except (ValueError, TypeError, OSError, DistributedTimeout) as e:
        text = str(e).strip()
        raise CommandError(text.splitlines()[0] if text else type(e).__name__) from e
