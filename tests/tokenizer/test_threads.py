"""One fast tokenizer shared by threads that use different truncation and padding settings."""

from __future__ import annotations

import threading

import roberta

TEXTS = [("word " * n).strip() + f" and {n}" for n in range(1, 60)]
SETTINGS = [
    {},
    {"truncation": True, "max_length": 8},
    {"truncation": True, "max_length": 16, "padding": "max_length"},
    {"padding": True},
    {"truncation": "only_second", "max_length": 24},
]


def _encode(tok, settings, i):
    if settings.get("truncation") == "only_second":
        return tok(TEXTS[i % 5], TEXTS[i % len(TEXTS)], **settings)["input_ids"]
    return tok(TEXTS[i % len(TEXTS)] if "padding" not in settings else TEXTS[: 1 + i % 7], **settings)["input_ids"]


def test_eight_threads_alternating_settings_match_single_threaded_results(roberta_base_dir):
    tok = roberta.RobertaTokenizerFast.from_pretrained(roberta_base_dir)
    expected = {(k, i): _encode(tok, s, i) for k, s in enumerate(SETTINGS) for i in range(40)}
    errors, mismatches = [], []

    def worker(seed):
        try:
            for round_ in range(60):
                k = (seed + round_) % len(SETTINGS)
                i = (seed * 7 + round_) % 40
                if _encode(tok, SETTINGS[k], i) != expected[(k, i)]:
                    mismatches.append((k, i))
        except Exception as e:  # "Already borrowed" from the Rust side, before
            errors.append(repr(e))

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and mismatches == []


def test_added_tokens_reach_every_configured_backend(roberta_base_dir):
    tok = roberta.RobertaTokenizerFast.from_pretrained(roberta_base_dir)
    tok("warm up", truncation=True, max_length=8)
    tok.add_tokens(["<newtok>"])
    ids = tok("a <newtok> b", truncation=True, max_length=8)["input_ids"]
    assert tok.convert_tokens_to_ids("<newtok>") in ids
