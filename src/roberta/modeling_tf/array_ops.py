"""TensorFlow's `ArrayOps` (`model_facts/ops.py`): the operations the shared model facts compute with."""

from __future__ import annotations

from ._keras import tf


class TFOps:
    @staticmethod
    def gelu(x: tf.Tensor) -> tf.Tensor:
        return tf.nn.gelu(x, approximate=False)

    @staticmethod
    def gelu_tanh(x: tf.Tensor) -> tf.Tensor:
        return tf.nn.gelu(x, approximate=True)

    relu = staticmethod(tf.nn.relu)
    silu = staticmethod(tf.nn.silu)
    tanh = staticmethod(tf.math.tanh)
    sigmoid = staticmethod(tf.math.sigmoid)

    @staticmethod
    def as_int(x: tf.Tensor) -> tf.Tensor:
        return tf.cast(x, tf.int32)

    @staticmethod
    def cumsum(x: tf.Tensor) -> tf.Tensor:
        return tf.cumsum(x, axis=-1)

    @staticmethod
    def kth_largest(x: tf.Tensor, k: int) -> tf.Tensor:
        return tf.math.top_k(x, k=min(max(k, 1), x.shape[-1])).values[..., -1:]

    @staticmethod
    def sort(x: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        order = tf.argsort(x, axis=-1, direction="ASCENDING")
        return tf.gather(x, order, batch_dims=1), order

    @staticmethod
    def unsort(values: tf.Tensor, order: tf.Tensor) -> tf.Tensor:
        return tf.gather(values, tf.argsort(order, axis=-1), batch_dims=1)

    @staticmethod
    def softmax(x: tf.Tensor) -> tf.Tensor:
        return tf.nn.softmax(x, axis=-1)

    @staticmethod
    def index(x: tf.Tensor) -> tf.Tensor:
        return tf.range(tf.shape(x)[-1])

    @staticmethod
    def drop(x: tf.Tensor, cond: tf.Tensor) -> tf.Tensor:
        return tf.where(cond, tf.fill(tf.shape(x), tf.constant(float("-inf"), x.dtype)), x)

    @staticmethod
    def where(cond, x: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
        return tf.where(cond, x, y)
