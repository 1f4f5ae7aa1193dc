"""The fairseq id layout of SentencePiece checkpoints (XLM-RoBERTa, CamemBERT) and the `tokenizers` backend
built from a `sentencepiece.bpe.model`, as the reference converts one when no tokenizer.json is at hand.

fairseq put its own special tokens in front of the SentencePiece vocabulary and `<mask>` after it, so a
model's id is the SentencePiece id shifted by an offset. XLM-R: `<s> <pad> </s> <unk>` are ids 0-3 and take
the place of SentencePiece's `<unk> <s> </s>` (offset 1); CamemBERT: `<s>NOTUSED <pad> </s>NOTUSED <unk>
<unk>NOTUSED` are ids 0-4 and only SentencePiece's `<unk>` is dropped (offset 4, so `<s>` is 5 and `</s>` 6).
"""

from __future__ import annotations

from dataclasses import dataclass

from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

from .sentencepiece_model import BPE, CONTROL, UNIGRAM, USER_DEFINED, SentencePieceModel

SPIECE_UNDERLINE = "▁"  # SentencePiece's word-start marker (U+2581), what a space becomes


@dataclass(frozen=True)
class FairseqLayout:
    """Where a fairseq model's ids come from: `head` (token, score) pairs take ids 0..len(head)-1, the
    SentencePiece pieces from id `skipped` on follow them, and `<mask>` closes the vocabulary."""

    head: tuple[tuple[str, float], ...]
    skipped: int
    unk_token: str = "<unk>"
    mask_token: str = "<mask>"

    @property
    def offset(self) -> int:
        """Model id minus SentencePiece id, for the pieces kept."""
        return len(self.head) - self.skipped

    def vocabulary(self, pieces: list[tuple[str, float]]) -> list[tuple[str, float]]:
        """The model's (token, score) list, by id, from the SentencePiece model's (piece, score) list."""
        return [*self.head, *pieces[self.skipped :], (self.mask_token, 0.0)]

    def token_ids(self, pieces: list[str]) -> dict[str, int]:
        """Token -> model id as the reference's slow tokenizers look tokens up: a head token by its place,
        a piece by its SentencePiece id plus the offset (SentencePiece's own unknown piece, id 0, excepted:
        it maps to `<unk>`), `<mask>` after the last piece."""
        ids = {piece: index + self.offset for index, piece in enumerate(pieces) if index != 0}
        ids.update({token: index for index, (token, _) in enumerate(self.head)})
        ids[self.mask_token] = len(pieces) + self.offset
        return ids


XLM_ROBERTA_LAYOUT = FairseqLayout(head=(("<s>", 0.0), ("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)), skipped=3)
CAMEMBERT_LAYOUT = FairseqLayout(
    # <unk>NOTUSED is scored -100 so that the unigram model never picks it over <unk>
    head=(("<s>NOTUSED", 0.0), ("<pad>", 0.0), ("</s>NOTUSED", 0.0), ("<unk>", 0.0), ("<unk>NOTUSED", -100.0)),
    skipped=1,
)


def bpe_merges(piece_ids: dict[str, int], scored: list[tuple[str, float]]) -> list[tuple[str, str]]:
    """The merges a BPE backend needs to rebuild SentencePiece's BPE segmentation, in the reference's order:
    every split of a vocabulary entry into two pieces of the SentencePiece model (`piece_ids`), ranked by
    the entry's score (highest first), then by the longer left piece, then the longer right one; splits of
    one entry with equal keys keep the order of their pieces' SentencePiece ids."""
    found: list[tuple[float, str, str]] = []
    for merged, score in dict(scored).items():
        splits = [
            (merged[:cut], merged[cut:])
            for cut in range(1, len(merged))
            if merged[:cut] in piece_ids and merged[cut:] in piece_ids
        ]
        splits.sort(key=lambda lr: (piece_ids[lr[0]], piece_ids[lr[1]]))
        found += [(score, left, right) for left, right in splits]
    found.sort(key=lambda m: (m[0], len(m[1]), len(m[2])), reverse=True)  # stable: ties keep their order
    return [(left, right) for _, left, right in found]


def _model(spm: SentencePieceModel, vocabulary: list[tuple[str, float]], unk_id: int) -> models.Model:
    if spm.model_type == UNIGRAM:
        return models.Unigram(vocabulary, unk_id=unk_id, byte_fallback=False)
    if spm.model_type == BPE:
        piece_ids = {p.piece: index for index, p in enumerate(spm.pieces)}
        token_ids: dict[str, int] = {}
        for index, (token, _) in enumerate(vocabulary):
            token_ids[token] = index  # a token listed twice keeps its last id, as a dict built in order does
        return models.BPE(
            token_ids,
            bpe_merges(piece_ids, vocabulary),
            unk_token=spm.unk_piece,
            fuse_unk=True,
            byte_fallback=False,
            dropout=None,
        )
    raise ValueError(
        f"a {spm.model_type_name!r} SentencePiece model cannot be converted to a fast tokenizer "
        "(only 'unigram' and 'bpe' models can)"
    )


def build_backend(spm: SentencePieceModel, layout: FairseqLayout, cls_token: str, sep_token: str) -> Tokenizer:
    """The `tokenizers` pipeline of a fairseq SentencePiece checkpoint: its unigram or BPE model over
    `layout`'s vocabulary, SentencePiece's normalization (its precompiled character map, trailing spaces
    dropped, space runs folded into one `▁`), `▁` before every word, and `<s> A </s>` / `<s> A </s></s> B
    </s>` around the sequences."""
    vocabulary = layout.vocabulary([(p.piece, p.score) for p in spm.pieces])
    ids: dict[str, int] = {}
    for index, (token, _) in enumerate(vocabulary):
        ids.setdefault(token, index)
    missing = [t for t in (cls_token, sep_token, layout.unk_token) if t not in ids]
    if missing:
        raise ValueError(f"special tokens {missing} are not in the SentencePiece model's vocabulary")
    backend = Tokenizer(_model(spm, vocabulary, ids[layout.unk_token]))
    # SentencePiece's control pieces are special added tokens, its user-defined ones plain added tokens
    backend.add_tokens(
        [
            AddedToken(p.piece, normalized=False, special=p.type == CONTROL)
            for p in spm.pieces
            if p.type in (CONTROL, USER_DEFINED)
        ]
    )
    steps = [normalizers.Strip(left=False, right=True), normalizers.Replace(Regex(" {2,}"), SPIECE_UNDERLINE)]
    if spm.precompiled_charsmap:
        steps.insert(0, normalizers.Precompiled(spm.precompiled_charsmap))
    backend.normalizer = normalizers.Sequence(steps)
    backend.pre_tokenizer = pre_tokenizers.Metaspace(replacement=SPIECE_UNDERLINE, prepend_scheme="always")
    backend.decoder = decoders.Metaspace(replacement=SPIECE_UNDERLINE, prepend_scheme="always")
    backend.post_processor = processors.TemplateProcessing(
        single=f"{cls_token} $A {sep_token}",
        pair=f"{cls_token} $A {sep_token} {sep_token} $B {sep_token}",
        special_tokens=[(cls_token, ids[cls_token]), (sep_token, ids[sep_token])],
    )
    return backend
