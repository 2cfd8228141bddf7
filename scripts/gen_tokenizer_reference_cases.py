#!/usr/bin/env python3
"""Generates reference cases for the tokenizer's hand-written pieces, from independent engines:

  tests/models/data/pretokenizer_cases.json  the matches of the GPT-2, Llama 3 and Qwen2
      pre-tokenizer regexes, found by the `regex` module (byte offsets), on random strings
      built to hit every alternative (contractions in both cases, U+017F, line breaks, Unicode
      spaces, combining marks, non-decimal numbers, emoji);
  tests/models/data/nfc_cases.json  Python's unicodedata NFC of random strings mixing
      composable letters, combining marks, Hangul jamo and singletons.

Characters are limited to ones assigned in the Unicode version of unicodedata, which is the one
the generated tables (scripts/gen_unicode_tables.py) come from.
Run: python3 scripts/gen_tokenizer_reference_cases.py (needs the `regex` module).
"""
import json
import random
import unicodedata

import regex

PATTERNS = {
    "gpt2": r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""",
    "llama3": r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+""",
    "qwen2": r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+""",
}
SPLIT_ALPHABET = (list(" \t\n\r\x0b\x0c\x85\xa0\u2003\u3000'sStTrReEvVmMlLdD\u017f")
                  + list("abcXYZ0123456789!?.,;-_()\"")
                  + ["\u00e9", "\u00df", "\u4e00", "\u0663", "\u2162", "\u00bd", "\u0301", "\u200d",
                     "\U0001F600", "\u0904", "\u1680", "\u2028"])
NFC_POOLS = [(0x41, 0x7A), (0xC0, 0x24F), (0x300, 0x36F), (0x1100, 0x1112), (0x1161, 0x1175),
             (0x11A8, 0x11C2), (0xAC00, 0xAC40), (0x0F00, 0x0FFF), (0x1E00, 0x1EFF), (0x0900, 0x097F),
             (0x3099, 0x309A), (0x3040, 0x30FF), (0x1D15E, 0x1D164), (0x2126, 0x212B), (0xF900, 0xF90F)]


def byte_offsets(text):
    return [len(text[:i].encode()) for i in range(len(text) + 1)]


def main():
    rng = random.Random(20261124)
    cases = []
    for _ in range(800):
        text = "".join(rng.choice(SPLIT_ALPHABET) for _ in range(rng.randint(1, 14)))
        offsets = byte_offsets(text)
        case = {"text": text}
        for name, pattern in PATTERNS.items():
            case[name] = [[offsets[m.start()], offsets[m.end()]] for m in regex.finditer(pattern, text)]
        cases.append(case)
    with open("tests/models/data/pretokenizer_cases.json", "w") as f:
        json.dump(cases, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")

    nfc = []
    for _ in range(800):
        chars = []
        for _ in range(rng.randint(1, 8)):
            c = chr(rng.randint(*rng.choice(NFC_POOLS)))
            if unicodedata.category(c) != "Cn":
                chars.append(c)
        text = "".join(chars)
        nfc.append([text, unicodedata.normalize("NFC", text)])
    with open("tests/models/data/nfc_cases.json", "w") as f:
        json.dump(nfc, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
