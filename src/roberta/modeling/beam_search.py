"""Beam search for `generate()` (`GenerationMixin`), with the reference's rules (transformers 4.56.2).

Per prompt, `num_beams` running beams and the `num_beams` best finished hypotheses are kept. Each step scores
every continuation of every running beam (its summed log-probabilities), keeps the best `max(2, 1 + n_eos) *
num_beams` (or draws them, with `do_sample`), continues with the best `num_beams` that did not end, and offers the
first `num_beams` that ended (an eos token, or `max_length`) to the finished set with the score
`sum_logprobs / new_tokens ** length_penalty`. A prompt is done when its finished set cannot improve
(`early_stopping`: True: as soon as it is full; False: the best running beam, at its current length, cannot beat
the worst finished one; "never": the same at the most favourable length).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

NEG = -1.0e9  # the score of a slot that must not be chosen (the reference's)


def draw(probs: torch.Tensor, n: int, generator: torch.Generator | None) -> torch.Tensor:
    """`torch.multinomial` (without replacement), on the CPU when the generator lives there."""
    if generator is not None and generator.device != probs.device:
        return torch.multinomial(probs.cpu(), n, generator=generator).to(probs.device)
    return torch.multinomial(probs, n, generator=generator)


def _gather(t: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """Pick beams: t (batch, beams, ...) at index (batch, k) -> (batch, k, ...)."""
    while index.dim() < t.dim():
        index = index.unsqueeze(-1)
    return torch.take_along_dim(t, index, dim=1)


def _may_improve(improvable, running_scores, finished_scores, is_finished, cur, gc, prompt_len, max_length):
    """Per prompt (batch, 1): can a running beam still beat the worst finished hypothesis?"""
    penalty = gc.length_penalty
    if gc.early_stopping == "never" and penalty > 0.0:
        best_length = max_length - prompt_len  # a positive penalty favours the longest possible
    else:
        best_length = cur - prompt_len
    best_running = running_scores[:, :1] / (best_length**penalty)
    worst_finished = torch.where(is_finished, finished_scores.min(dim=1, keepdim=True).values, NEG)
    return improvable & (best_running > worst_finished).any(dim=-1, keepdim=True)


def beam_search(ids, *, steps, gc, prompt_len, max_length, eos, pad, process, generator):
    """`ids` (batch * num_beams, prompt) holds each prompt num_beams times. Returns the best
    `num_return_sequences` hypotheses per prompt, (batch * num_return_sequences, length), and
    `{"sequences_scores", "beam_indices"}`."""
    beams, vocab, device = gc.num_beams, steps.model.config.vocab_size, ids.device
    batch = ids.shape[0] // beams
    n_eos = 0 if eos is None else eos.numel()
    width = max(2, 1 + n_eos) * beams  # candidates kept a step: enough to go on when the best ones all end
    first = torch.arange(width, device=device) < beams  # only these may enter the finished set
    fill = -1 if eos is None else int(pad if pad else eos[0])  # the reference's fill value

    running = torch.full((batch, beams, max_length), fill, dtype=torch.long, device=device)
    running[:, :, :prompt_len] = ids.view(batch, beams, prompt_len)
    finished = running.clone()
    running_scores = torch.zeros((batch, beams), device=device)
    running_scores[:, 1:] = NEG  # the beams start equal: continue the first only
    finished_scores = torch.full((batch, beams), NEG, device=device)
    is_finished = torch.zeros((batch, beams), dtype=torch.bool, device=device)
    improvable = torch.ones((batch, 1), dtype=torch.bool, device=device)
    # the flat beam (batch offset included) each new token came from; -1: no token there
    running_from = torch.full((batch, beams, max_length - prompt_len), -1, dtype=torch.int32, device=device)
    finished_from = running_from.clone()
    offset = torch.arange(batch, device=device)[:, None] * beams
    cur = prompt_len
    while True:
        flat = running[:, :, :cur].reshape(batch * beams, cur)
        logits = steps.logits(flat)  # (batch * beams, vocab)
        log_probs = process(flat, F.log_softmax(logits, dim=-1), logits)
        total = (log_probs.view(batch, beams, vocab) + running_scores[:, :, None]).view(batch, beams * vocab)
        if gc.do_sample:
            choice = draw(F.softmax(total, dim=-1), width, generator)
            top = torch.gather(total, 1, choice)
        else:
            top, choice = torch.topk(total, k=width)
        source = choice // vocab  # (batch, width): the beam each candidate continues
        candidates = _gather(running, source)
        candidates[:, :, cur] = choice % vocab
        candidates_from = _gather(running_from, source)
        candidates_from[:, :, cur - prompt_len] = (source + offset).to(torch.int32)
        ended = torch.full_like(top, cur + 1 >= max_length, dtype=torch.bool)  # the length limit ends them all
        if eos is not None:
            ended |= torch.isin(candidates[:, :, cur], eos)

        # the best candidates that did not end run on
        alive = top + ended.to(torch.float32) * NEG
        pick = torch.topk(alive, k=beams)[1]
        running, running_scores, running_from = (
            _gather(candidates, pick),
            _gather(alive, pick),
            _gather(candidates_from, pick),
        )

        # the first `beams` candidates that ended compete with the finished hypotheses
        just_ended = ended & first[None, :]
        scores = top / ((cur + 1 - prompt_len) ** gc.length_penalty)
        scores += (is_finished.all(dim=-1, keepdim=True) & (gc.early_stopping is True)).to(torch.float32) * NEG
        scores += (~improvable).to(torch.float32) * NEG
        scores += (~just_ended) * NEG
        pick = torch.topk(torch.cat([finished_scores, scores], dim=1), k=beams)[1]
        finished = _gather(torch.cat([finished, candidates], dim=1), pick)
        finished_scores = _gather(torch.cat([finished_scores, scores], dim=1), pick)
        finished_from = _gather(torch.cat([finished_from, candidates_from], dim=1), pick)
        is_finished = _gather(torch.cat([is_finished, just_ended], dim=1), pick)

        steps.reorder(running_from[..., cur - prompt_len].reshape(-1))  # the cache follows the running beams
        cur += 1
        improvable = _may_improve(
            improvable, running_scores, finished_scores, is_finished, cur, gc, prompt_len, max_length
        )
        full = bool(is_finished.all()) and gc.early_stopping is True
        if not bool(improvable.any()) or full or bool(ended.all()):
            break

    n = gc.num_return_sequences
    sequences = finished[:, :n].reshape(batch * n, max_length)
    beam_indices = finished_from[:, :n].reshape(batch * n, -1)
    generated = int((beam_indices + 1).bool().sum(dim=1).max())  # the longest returned hypothesis
    extra = {"sequences_scores": finished_scores[:, :n].reshape(-1), "beam_indices": beam_indices[:, :generated]}
    return sequences[:, : prompt_len + generated], extra
