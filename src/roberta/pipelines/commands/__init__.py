"""The inference sub-commands of the `roberta` CLI: `roberta run` and `roberta fill-mask`."""
