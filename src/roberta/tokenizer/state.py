"""What a tokenizer carries through pickling and copying: its state less caches and locks, and `init_kwargs`.

A pickled tokenizer must not change once the tokenizer has been used: `datasets` fingerprints a `.map`
function by hashing its pickle (the tokenizer it closes over included), and a lazily filled cache would give a
new fingerprint, so a second `.map` would miss its cache. Locks cannot be pickled at all (DataLoader workers
started with "spawn" receive the tokenizer pickled). So each tokenizer names its transient attributes, which
pickles leave out and unpickling rebuilds empty.
"""

from __future__ import annotations

import copy
from typing import Any


class TokenizerStateMixin:
    """Pickle/copy support and `init_kwargs` for the tokenizers."""

    # attributes rebuilt on demand (caches, locks), left out of pickles and copies; see `_reset_transient`
    _transient: tuple[str, ...] = ()
    # constructor arguments the reference keeps out of `init_kwargs`: the vocabulary files and objects (its
    # constructors take the files positionally and pop the rest before recording)
    _not_init_kwargs = frozenset(
        {"vocab_file", "merges_file", "tokenizer_file", "tokenizer_object", "added_tokens_decoder", "from_slow"}
    )
    init_kwargs: dict[str, Any]

    def _remember_init_kwargs(self, kwargs: dict[str, Any]) -> None:
        """Keep a deep copy of the constructor's arguments as `init_kwargs` (as the reference does; its
        `train_new_from_iterator` builds the new tokenizer from them), less the vocabulary files and objects."""
        self.init_kwargs = copy.deepcopy({k: v for k, v in kwargs.items() if k not in self._not_init_kwargs})

    def _reset_transient(self) -> None:
        """Set the `_transient` attributes to their empty state (after unpickling)."""

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k not in self._transient}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._reset_transient()
