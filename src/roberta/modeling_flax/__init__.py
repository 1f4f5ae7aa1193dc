"""Flax RoBERTa: linen modules behind the reference's `FlaxRoberta*` wrapper classes, sharing the checkpoint
layout with the PyTorch classes.

Importing the package imports nothing: `roberta` exports the classes lazily (from `classes.py`, `base.py`
and `auto.py`), and `weights.py` (Flax weights for the PyTorch classes) needs NumPy only.

    spec.py        the config unpacked once (ModelSpec)
    layers.py      linen blocks: embeddings, attention (+ cache), feed-forward, layer stack, pooler
    masks.py       attention masks -> keep masks
    model.py       the trunk (RobertaModule)
    heads.py       task heads (HeadModule, one function per task in HEADS)
    base.py        FlaxRobertaPreTrainedModel: params, the call, init_cache, dtype casts
    classes.py     the seven public classes
    bucketing.py   length bucketing of padded batches into a few static shapes
    names.py       Flax parameter paths <-> the reference's PyTorch names on disk
    weights.py     finding and reading weight files (NumPy only)
    msgpack_format.py   reading flax_model.msgpack without JAX
    pretrained.py  from_pretrained / save_pretrained
    generation.py  greedy and sampled decoding
    auto.py        FlaxAutoModel*
    runner.py      the pipelines' runner
    training.py    jitted optax training steps (masked LM, sequence classification)
"""
