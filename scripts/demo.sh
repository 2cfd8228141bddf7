#!/usr/bin/env bash
# The demo: installs what it needs, builds, then shows emoscope on tiny built-in models.
# (The full demo campaign through coordinator and workers replaces this as those parts land.)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup-debian.sh"
"$root/scripts/build.sh"
bin=${EMOSCOPE_BUILD_DIR:-$root/build}/bin
work=${EMOSCOPE_DEMO_DIR:-$root/build/demo}
mkdir -p "$work"

echo "== a random tiny Llama-family checkpoint, written as a Hugging Face folder"
"$bin/emoscope" model init --arch llama --layers 8 --hidden 64 --heads 4 --kv-heads 2 --merges 200 --out "$work/tiny-llama"
"$bin/emoscope" model inspect "$work/tiny-llama"

echo "== tokenizer round trip"
printf 'She laughed and the whole room felt lighter.' > "$work/text.txt"
ids=$("$bin/emoscope" tokenize "$work/tiny-llama" --text-file "$work/text.txt")
echo "ids: $ids"
echo "decoded: $(echo "$ids" | "$bin/emoscope" tokenize "$work/tiny-llama" --decode)"

echo "== every layer's residual stream in one forward pass"
"$bin/emoscope" model init --arch gemma2 --layers 4 --hidden 64 --heads 4 --kv-heads 2 --out "$work/tiny-gemma2" >/dev/null
"$bin/emoscope" forward "$work/tiny-gemma2" --text "Her hands shook as the letter fell open." --out "$work/residual.safetensors"
echo "== generation with a KV cache (random weights: the text is noise, the machinery is real)"
"$bin/emoscope" generate "$work/tiny-llama" --prompt "The weather report for tomorrow says" --max-new-tokens 24 --seed 1
"$bin/emoscope" help
