"""Flax RoBERTa: linen modules behind the reference's `FlaxRoberta*` wrapper classes, sharing the checkpoint
layout with the PyTorch classes.

Importing the package imports nothing: `roberta` exports the classes lazily (from `classes.py`, `base.py`
and `auto.py`). Their weight files are `roberta.checkpoint`'s (NumPy only), which the PyTorch classes read too.

    spec.py        the config unpacked once (ModelSpec)
    layers.py      linen blocks: embeddings, attention (+ cache), feed-forward, layer stack, pooler
    masks.py       attention masks -> keep masks
    model.py       the trunk (RobertaModule)
    heads.py       task heads (HeadModule, one function per task in HEADS)
    base.py        FlaxRobertaPreTrainedModel: params, the call, init_cache, dtype casts
    classes.py     the seven public classes
    bucketing.py   length bucketing of padded batches into a few static shapes
    pretrained.py  from_pretrained / save_pretrained (on roberta.checkpoint)
    generation.py  greedy and sampled decoding
    auto.py        FlaxAutoModel*
    runner.py      the pipelines' runner
    training.py    jitted optax training steps (masked LM, sequence classification)
"""
