"""TensorFlow RoBERTa (`TFRoberta*`, Keras 2 models from `tf_keras`).

This package has no exports of its own: the public classes are reached through `roberta` (for example
`from roberta import TFRobertaForMaskedLM`), so that importing roberta pulls no TensorFlow in. Their weight
files are `roberta.checkpoint`'s (NumPy and h5py only), which the PyTorch classes read too.
"""
