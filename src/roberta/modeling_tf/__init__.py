"""TensorFlow RoBERTa (`TFRoberta*`, Keras 2 models from `tf_keras`).

Importing the package imports no framework: its model classes (one per head of the registry for every model
family, and each family's PreTrainedModel) are imported on first use, by name (`from roberta.modeling_tf import
TFRobertaForMaskedLM`, or `from roberta import ...`), so that its torch- and TensorFlow-free modules (`names`,
`checkpoints`, `to_pytorch`) can be imported by the PyTorch side without pulling TensorFlow in.
"""

from .. import model_classes, registry

__all__ = model_classes.model_class_names(registry.framework("tf"))
__getattr__ = model_classes.package_getattr(__name__)
