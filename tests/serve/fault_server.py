"""`roberta serve` with faults injected into every model, for the load and fault tests: each forward sleeps
ROBERTA_TEST_SLOW_SECONDS (so queues build up); a forward whose input holds the token
ROBERTA_TEST_POISON_TOKEN raises (a model that fails on one input), one holding ROBERTA_TEST_HANG_TOKEN
sleeps a minute (a request that never ends by itself), and with ROBERTA_TEST_BUSY_FIRST_FORWARD_SECONDS the
first forward (the warm-up's) runs torch products that long; each input's pipeline post-processing sleeps
ROBERTA_TEST_SLOW_POSTPROCESS_SECONDS and logs "postprocessed" (so the tests can count the calls). Run as a
script with `roberta serve`'s flags."""

from __future__ import annotations

import logging
import os
import sys
import time

import torch

from roberta import cli
from roberta.serve.backend import ModelBackend

SLOW = float(os.environ.get("ROBERTA_TEST_SLOW_SECONDS", "0"))
SLOW_POSTPROCESS = float(os.environ.get("ROBERTA_TEST_SLOW_POSTPROCESS_SECONDS", "0"))
POISON = os.environ.get("ROBERTA_TEST_POISON_TOKEN", "Ġpoison")
HANG = os.environ.get("ROBERTA_TEST_HANG_TOKEN", "Ġhang")
HANG_SECONDS = 60.0
BUSY_FIRST = float(os.environ.get("ROBERTA_TEST_BUSY_FIRST_FORWARD_SECONDS", "0"))
logger = logging.getLogger("fault_server")


def faulty(init):
    def wrapped(self, **kwargs):
        init(self, **kwargs)
        poison_id, hang_id = self.tokenizer.convert_tokens_to_ids([POISON, HANG])
        first = [True]

        def hook(module, args, kwargs):
            ids = kwargs.get("input_ids", args[0] if args else None)
            time.sleep(SLOW)
            if first[0] and BUSY_FIRST:  # the warm-up's first forward: inside torch for BUSY_FIRST seconds
                first[0] = False
                end, a = time.monotonic() + BUSY_FIRST, torch.randn(256, 256)
                while time.monotonic() < end:
                    a = torch.tanh(a @ a)
            if ids is not None and bool((ids == poison_id).any()):
                raise RuntimeError("this input poisons the model")
            if ids is not None and bool((ids == hang_id).any()):
                time.sleep(HANG_SECONDS)

        self.hidden_pipe.model.register_forward_pre_hook(hook, with_kwargs=True)
        postprocess = self.task_pipe.postprocess

        def slow_postprocess(*args, **kwargs):
            time.sleep(SLOW_POSTPROCESS)
            logger.warning("postprocessed")
            return postprocess(*args, **kwargs)

        if SLOW_POSTPROCESS:
            self.task_pipe.postprocess = slow_postprocess

    return wrapped


if __name__ == "__main__":
    ModelBackend.__init__ = faulty(ModelBackend.__init__)
    sys.exit(cli.main(["serve", *sys.argv[1:]]))
