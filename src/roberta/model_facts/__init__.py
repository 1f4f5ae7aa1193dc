"""Model facts written once, used by the PyTorch, TensorFlow and Flax classes alike.

What a RoBERTa model *is* does not depend on the framework that runs it: which activations `hidden_act` names,
how many tokens a sequence may hold, how positions are counted from the input ids, the shapes a head mask may
take, how `problem_type` is inferred, how sampling filters logits, and which inputs the trunk takes. Each fact
lives here once. Facts that compute on arrays are written against a small set of array operations (`ops.py`)
that each framework passes in (`modeling/array_ops.py`, `modeling_tf/array_ops.py`,
`modeling_flax/array_ops.py`), so this package imports no framework.
"""

from __future__ import annotations

from .activations import ACTIVATION_NAMES, activation, check_activation
from .classification import PROBLEM_TYPES, classifier_dropout, infer_problem_type, resolve_problem_type
from .head_mask import per_layer_head_masks
from .ids import check_id_range
from .ops import ArrayOps
from .positions import (
    check_generation_length,
    config_positions,
    first_position,
    position_ids_from_input_ids,
    position_table_message,
    positions_from_mask,
    usable_positions,
)
from .sampling import filter_logits
from .trunk import TrunkInputs

__all__ = [
    "ACTIVATION_NAMES",
    "PROBLEM_TYPES",
    "ArrayOps",
    "TrunkInputs",
    "activation",
    "check_activation",
    "check_generation_length",
    "check_id_range",
    "classifier_dropout",
    "config_positions",
    "filter_logits",
    "first_position",
    "infer_problem_type",
    "per_layer_head_masks",
    "position_ids_from_input_ids",
    "position_table_message",
    "positions_from_mask",
    "resolve_problem_type",
    "usable_positions",
]
