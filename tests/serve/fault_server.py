"""`roberta serve` with two faults injected into every model's forward pass, for the load and fault tests:
each forward sleeps ROBERTA_TEST_SLOW_SECONDS (so queues build up), and raises when its input holds the token
ROBERTA_TEST_POISON_TOKEN (a model that fails on one input). Run as a script with `roberta serve`'s flags."""

from __future__ import annotations

import os
import sys
import time

from roberta import cli
from roberta.serve.backend import ModelBackend

SLOW = float(os.environ.get("ROBERTA_TEST_SLOW_SECONDS", "0"))
POISON = os.environ.get("ROBERTA_TEST_POISON_TOKEN", "Ġpoison")


def faulty(init):
    def wrapped(self, **kwargs):
        init(self, **kwargs)
        poison_id = self.tokenizer.convert_tokens_to_ids(POISON)

        def hook(module, args, kwargs):
            ids = kwargs.get("input_ids", args[0] if args else None)
            time.sleep(SLOW)
            if ids is not None and bool((ids == poison_id).any()):
                raise RuntimeError("this input poisons the model")

        self.hidden_pipe.model.register_forward_pre_hook(hook, with_kwargs=True)

    return wrapped


if __name__ == "__main__":
    ModelBackend.__init__ = faulty(ModelBackend.__init__)
    sys.exit(cli.main(["serve", *sys.argv[1:]]))
