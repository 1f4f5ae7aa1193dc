"""Training recipes for RoBERTa: tokenizer training, masked-LM pretraining and fine-tuning of every head.

Modules (each one concern; nothing runs at import):
  readers       text / CSV / JSON Lines / SQuAD readers with file:line errors
  tokenizer_trainer  byte-level BPE vocabulary training
  shards        memory-mapped packed token shards
  data          FULL-SENTENCES packing and dynamic-masking collator
  optim         AdamW parameter groups and linear warmup/decay schedule
  distributed   torch.distributed set-up helpers
  checkpoint    atomic training checkpoints (model, optimizer, RNG, data position; JSON + safetensors)
  logs          JSON-lines metrics, PNG plot
  loop          the shared training loop
  runs          output-folder rules: fresh, --overwrite, --resume, --force
  interrupt     Ctrl-C / SIGTERM: finish the step, checkpoint, exit
  pretraining   `pretrain(...)`: masked-LM pretraining
  finetuning    `finetune(task, ...)`: the task registry and the fine-tuning recipe
  finetune_*    one module per fine-tuning task (readers, features, metrics)
  metrics       accuracy, F1, Pearson, entity-level F1, SQuAD EM/F1
  bench         `train_steps`: N optimizer steps on one batch, for benchmarks
"""

from .finetuning import finetune
from .pretraining import pretrain

__all__ = ["finetune", "pretrain"]
