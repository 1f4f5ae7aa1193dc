"""The one module that imports Keras: `tf_keras` (Keras 2) itself, and TensorFlow.

`import tf_keras` leaves `TF_USE_LEGACY_KERAS` alone, so `tf.keras` in the rest of the process stays what the
user chose (Keras 3 unless they set that variable). The reference sets `TF_USE_LEGACY_KERAS=1` for the whole
process when its TF classes are imported; this package never does.
"""

from __future__ import annotations

import tensorflow as tf
import tf_keras as keras
from tensorflow.python.ops import control_flow_util

__all__ = ["in_xla", "keras", "tf"]


def in_xla() -> bool:
    """Whether the code is being traced for XLA (`jit_compile=True`), where shapes must not depend on values.

    TensorFlow has no public way to ask; Keras asks the same private helper."""
    return not tf.executing_eagerly() and control_flow_util.GraphOrParentsInXlaContext(tf.compat.v1.get_default_graph())
