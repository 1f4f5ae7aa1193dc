"""TensorFlow RoBERTa (`TFRoberta*`, Keras 2 models from `tf_keras`).

This package has no exports of its own: the public classes are reached through `roberta` (for example
`from roberta import TFRobertaForMaskedLM`), so that its torch- and TensorFlow-free modules (`names`,
`checkpoints`, `to_pytorch`) can be imported by the PyTorch side without pulling TensorFlow in.
"""
