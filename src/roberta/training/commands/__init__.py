"""Thin CLI wrappers: `roberta train-tokenizer`, `roberta pretrain`, `roberta finetune TASK`."""
