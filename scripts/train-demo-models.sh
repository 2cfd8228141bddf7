#!/usr/bin/env bash
# Trains the demo's two models exactly as they are shipped in examples/demo-models/, then stores
# them in bfloat16 and records their checksums. The shipped folders were made by this script;
# `bash scripts/demo.sh --retrain` runs it into a cache instead of using them.
#
#   scripts/train-demo-models.sh [OUT_DIR]     default: examples/demo-models (replaces the shipped models)
#
# Each model trains in float32 on one thread, both at once (about 45-60 minutes on a 2-core
# machine; docs/training.md gives the measured figures), into OUT_DIR/.training/NAME, which keeps
# its checkpoint: an interrupted run continues where it stopped when started again. The bfloat16
# copies (`emoscope model convert`) then go to OUT_DIR/NAME, without the training checkpoint, and
# OUT_DIR/SHA256SUMS lists every shipped file (check with `cd OUT_DIR && sha256sum -c SHA256SUMS`)
# and OUT_DIR/WEIGHTS each model's weights checksum (`emoscope model inspect`).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/examples/demo-models}
bin=${EMOSCOPE_BUILD_DIR:-$root/build}/bin
[ -x "$bin/emoscope-torch" ] || EMOSCOPE_TARGETS="emoscope emoscope-torch" "$root/scripts/build.sh"
mkdir -p "$out/.training"

# The corpus: 60,000 documents of the six basic emotions (20% neutral); 40% of the emotional ones
# hold a dream of another emotion, half of them before the document's own situation and half
# after it, so a model must follow the story (which situation was dreamt) to know what it feels.
corpus=(--set basic6 --documents 60000 --dream-fraction 0.4 --dream-after 0.5)
train() {
  local name=$1; shift
  "$bin/emoscope" --log-level warn model train "$@" "${corpus[@]}" --threads 1 --out "$out/.training/$name" \
    > "$out/.training/$name.log" 2>&1 || { echo "training $name failed:"; tail -20 "$out/.training/$name.log"; return 1; }
  tail -3 "$out/.training/$name.log"
}
train llama-8 --arch llama --layers 8 --hidden 128 --heads 4 --steps 3000 --warmup 100 &
llama=$!
train gpt2-10 --arch gpt2 --layers 10 --hidden 128 --heads 4 --steps 3000 --warmup 100 --lr 3e-3 &
gpt2=$!
wait $llama
wait $gpt2

for name in llama-8 gpt2-10; do
  rm -rf "${out:?}/$name"
  "$bin/emoscope" model convert "$out/.training/$name" --dtype bfloat16 --out "$out/$name"
  "$bin/emoscope" model inspect "$out/$name" | grep -E "parameters|dtype|checksum"
done
(cd "$out" && sha256sum llama-8/* gpt2-10/* > SHA256SUMS)
# The weights' checksums as `emoscope model inspect` prints them (the identity every result records).
for name in llama-8 gpt2-10; do
  echo "$("$bin/emoscope" model inspect "$out/$name" | awk '$1 == "checksum" {print $2}')  $name"
done > "$out/WEIGHTS"
echo "wrote $out (SHA256SUMS); the float32 runs and their checkpoints stay in $out/.training"
