"""RoBERTa tokenizers: `RobertaTokenizer` (pure Python) and `RobertaTokenizerFast` (Rust `tokenizers`)."""

from .encoding import BatchEncoding
from .fast import RobertaTokenizerFast
from .slow import RobertaTokenizer

__all__ = ["BatchEncoding", "RobertaTokenizer", "RobertaTokenizerFast"]
