"""Named outputs of the TF classes, by the reference's class and field names.

They are dataclasses with `ModelOutput`'s attribute / key / index access (the PyTorch and Flax outputs share it)
that implement TensorFlow's nest protocol (`__tf_flatten__` / `__tf_unflatten__`), so `tf.function`, `tf.nest`
and Keras (`predict`, `fit`) can return and rebuild them.
"""

from __future__ import annotations

from ..model_facts.outputs import HEAD_OUTPUTS, make_outputs
from ..model_output import ModelOutput


class TFModelOutput(ModelOutput):
    """Flattens to the fields that are set (metadata: their names), so no None reaches Keras or tf.function."""

    def __tf_flatten__(self) -> tuple[tuple[str, ...], tuple]:
        items = self.items()
        return tuple(name for name, _ in items), tuple(value for _, value in items)

    @classmethod
    def __tf_unflatten__(cls, names: tuple[str, ...], components: tuple) -> TFModelOutput:
        return cls(**dict(zip(names, components)))


# The classes come from the shared field table, bound here as module attributes (pickle finds them here).
globals().update(make_outputs(__name__, TFModelOutput, HEAD_OUTPUTS, prefix="TF"))
