"""Checkpoints of other formats in: `convert_fairseq` turns an original fairseq RoBERTa `model.pt` + `dict.txt`
into a checkpoint directory in the reference's layout (see docs/conversion.md).

- `unpickle.py`: reads a pickled checkpoint without running any code from it or changing anything outside it;
  `unpickle_names.py`: what each name it admits resolves to, and the state a pickle may set.
- `fairseq_dict.py`: checks fairseq's `dict.txt` against a tokenizer's vocabulary and orders the rows.
- `fairseq_names.py`: fairseq's tensor names and stored config -> a `RobertaConfig` and our tensors.
- `fairseq.py`: the conversion, written atomically; `command.py`: `roberta convert fairseq ...`.
"""

from .fairseq import ConversionResult, convert_fairseq

__all__ = ["ConversionResult", "convert_fairseq"]
