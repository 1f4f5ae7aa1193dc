"""Named outputs of the Flax classes, by the reference's names and fields.

They are dataclasses with `ModelOutput`'s attribute / key / index access, registered as JAX pytrees so a
jitted function can return them.
"""

from __future__ import annotations

import jax

from ..model_facts.outputs import FLAX_OUTPUTS, make_outputs
from ..model_output import ModelOutput

# The classes come from the shared field table, bound here as module attributes (pickle finds them here);
# each is a JAX pytree of its fields.
globals().update(
    make_outputs(__name__, ModelOutput, FLAX_OUTPUTS, prefix="Flax", finish=jax.tree_util.register_dataclass)
)
