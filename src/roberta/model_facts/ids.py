"""Token and token-type ids index tables: each must lie in [0, table size)."""

from __future__ import annotations


def check_id_range(name: str, top: int, bottom: int, limit: int, limit_name: str) -> None:
    """A ValueError naming an id of `name` outside [0, limit), given its largest and smallest ids, and the config
    field (`limit_name`) that sets the limit; the same message in every framework."""
    if top >= limit or bottom < 0:
        bad = top if top >= limit else bottom
        raise ValueError(f"{name} holds {bad}, outside [0, {limit}) set by {limit_name}={limit}")
