"""TensorFlow RoBERTa (`TFRoberta*`, Keras 2 models from `tf_keras`).

Importing the package imports no framework: its model classes (one per head of the registry for every model
family, and each family's PreTrainedModel) are imported on first use, by name (`from roberta.modeling_tf import
TFRobertaForMaskedLM`, or `from roberta import ...`), so that importing roberta pulls no TensorFlow in. Their
weight files are `roberta.checkpoint`'s (NumPy and h5py only), which the PyTorch classes read too.
"""

from .. import model_classes, registry

__all__ = model_classes.model_class_names(registry.framework("tf"))
__getattr__ = model_classes.package_getattr(__name__)
