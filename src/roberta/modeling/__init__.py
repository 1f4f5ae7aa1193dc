"""PyTorch RoBERTa: the trunk, the task heads, attention backends and checkpoint I/O.

The model classes are this package's by name (`from roberta.modeling import RobertaForMaskedLM`): one per
head of the registry for every model family, and each family's PreTrainedModel (see `roberta.registry`).
"""

from .. import model_classes, registry
from .attention import ATTENTION_BACKENDS
from .cache import KVCache

__all__ = ["ATTENTION_BACKENDS", "KVCache", *model_classes.model_class_names(registry.PT)]
__getattr__ = model_classes.package_getattr(__name__)
