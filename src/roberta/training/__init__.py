"""Training recipes for RoBERTa: tokenizer training, masked-LM pretraining and fine-tuning of every head.

Modules (each one concern; nothing runs at import):
  readers       text / CSV / JSON Lines / SQuAD readers with file:line errors
  tokenizer_trainer  byte-level BPE vocabulary training
  shards        memory-mapped packed token shards
  data          FULL-SENTENCES packing and dynamic-masking collator
  optim         AdamW parameter groups and linear warmup/decay schedule
  distributed   torch.distributed set-up helpers
  checkpoint    atomic training checkpoints (model, optimizer, scheduler, RNG, data position)
  logs          JSON-lines metrics, progress bar, PNG plot
  loop          the shared training loop
  pretrain      masked-LM pretraining
  finetune_*    one module per fine-tuning task
  metrics       accuracy, F1, Pearson, entity-level F1, SQuAD EM/F1
  bench         `train_steps`: N optimizer steps on one batch, for benchmarks
"""
