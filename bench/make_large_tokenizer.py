#!/usr/bin/env python3
"""Writes a synthetic tokenizer.json with Gemma 3's vocabulary size (262,144 tokens; one merge
per token beyond the alphabet, about 258,000; byte fallback; Gemma's normalizer, pre-tokenizer
and decoder layout), for measuring load time without the real file.

Run: python3 bench/make_large_tokenizer.py OUT.json   (seeded: the same file every time)
"""
import json
import random
import sys

VOCAB_SIZE = 262144
MAX_TOKEN_CHARS = 16


def main():
    rng = random.Random(3)
    alphabet = ["\u2581"] + [chr(c) for c in range(0x21, 0x7F)] + [chr(c) for c in range(0xC0, 0x250)]
    alphabet += [chr(c) for c in range(0x4E00, 0x4E00 + 3000)] + [chr(c) for c in range(0x3040, 0x30FF)]
    tokens = ["<pad>", "<eos>", "<bos>", "<unk>"] + ["<0x%02X>" % b for b in range(256)] + alphabet
    vocab = {t: i for i, t in enumerate(tokens)}
    merges = []
    while len(tokens) < VOCAB_SIZE:
        left = tokens[rng.randrange(260, len(tokens))]
        right = tokens[rng.randrange(260, len(tokens))]
        merged = left + right
        if len(merged) > MAX_TOKEN_CHARS or merged in vocab:
            continue
        vocab[merged] = len(tokens)
        tokens.append(merged)
        merges.append([left, right])
    added = [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False,
              "special": True} for i, t in enumerate(tokens[:4])]
    doc = {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
        "normalizer": {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"},
        "pre_tokenizer": {"type": "Split", "pattern": {"String": " "}, "behavior": "MergedWithPrevious", "invert": False},
        "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<bos>", "type_id": 0}},
                                                                     {"Sequence": {"id": "A", "type_id": 0}}],
                           "pair": [], "special_tokens": {"<bos>": {"id": "<bos>", "ids": [2], "tokens": ["<bos>"]}}},
        "decoder": {"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
                                                      {"type": "ByteFallback"}, {"type": "Fuse"}]},
        "model": {"type": "BPE", "dropout": None, "unk_token": "<unk>", "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": True, "byte_fallback": True, "ignore_merges": False,
                  "vocab": vocab, "merges": merges},
    }
    with open(sys.argv[1], "w", encoding="utf-8") as out:
        json.dump(doc, out, ensure_ascii=False, indent=2)


if __name__ == "__main__":
    main()
