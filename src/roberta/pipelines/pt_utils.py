"""Dataset views that feed one column of a dataset to a pipeline, as the reference's `pipelines.pt_utils`.

`pipe(KeyDataset(dataset, "text"))` runs the pipeline over `dataset[i]["text"]` for every row and returns an
iterator of results (see `Pipeline.stream`). `dataset` is anything with `len()` and integer indexing whose
rows are dicts: a `datasets.Dataset`, a list of dicts, ...
"""

from __future__ import annotations

from typing import Any

from torch.utils.data import Dataset


class KeyDataset(Dataset):
    """Row `i` is `dataset[i][key]`."""

    def __init__(self, dataset: Any, key: str) -> None:
        self.dataset = dataset
        self.key = key

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, i: int) -> Any:
        return self.dataset[i][self.key]


class KeyPairDataset(Dataset):
    """Row `i` is `{"text": dataset[i][key1], "text_pair": dataset[i][key2]}`, a text-classification pair."""

    def __init__(self, dataset: Any, key1: str, key2: str) -> None:
        self.dataset = dataset
        self.key1 = key1
        self.key2 = key2

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, i: int) -> dict[str, Any]:
        row = self.dataset[i]
        return {"text": row[self.key1], "text_pair": row[self.key2]}
