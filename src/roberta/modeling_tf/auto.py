"""`TFAutoModel*`: the TF class of a task, loaded from a checkpoint (`from_pretrained`) or built from a config
(`from_config`), one per head of the registry, on the same Auto base as the PyTorch and Flax Auto classes."""

from __future__ import annotations

from .._auto_base import auto_classes

_CLASSES = auto_classes("tf")
globals().update(_CLASSES)
__all__ = sorted(_CLASSES)
