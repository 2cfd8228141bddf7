#!/usr/bin/env bash
# The demo: installs what it needs, builds emoscope, trains two tiny emotional language models of
# different families (or reuses them from the cache), runs the demo campaign (examples/demo.yaml)
# through a local coordinator and workers into an SQLite file, then prints the analysis and
# writes the report.
#
#   EMOSCOPE_DEMO_CACHE   where trained models are kept (default ~/.cache/emoscope/demo-models)
#   EMOSCOPE_DEMO_DIR     where the database and report go (default build/demo)
#   EMOSCOPE_DEMO_WORKERS local workers (default 2)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
started=$(date +%s)
phase() { echo; echo "== $* ($(( $(date +%s) - started )) s since start)"; }

phase "installing what is missing and building"
"$root/scripts/setup-debian.sh"
EMOSCOPE_TARGETS="emoscope emoscope-torch" "$root/scripts/build.sh"
bin=${EMOSCOPE_BUILD_DIR:-$root/build}/bin
cache=${EMOSCOPE_DEMO_CACHE:-$HOME/.cache/emoscope/demo-models}
work=${EMOSCOPE_DEMO_DIR:-${EMOSCOPE_BUILD_DIR:-$root/build}/demo}
mkdir -p "$cache" "$work/models"

# Each model trains on one thread, both at once (2 cores); a model already in the cache is reused,
# and an interrupted training continues from its checkpoint.
train() {
  local name=$1; shift
  if [ -f "$cache/$name/training.json" ] && [ -f "$cache/$name/model.safetensors" ]; then
    echo "$name: cached in $cache/$name"
  else
    "$bin/emoscope" --log-level warn model train "$@" --threads 1 --out "$cache/$name" > "$work/train-$name.log" 2>&1 \
      || { echo "training $name failed:"; tail -20 "$work/train-$name.log"; return 1; }
    tail -3 "$work/train-$name.log"
  fi
  ln -sfn "$cache/$name" "$work/models/$name"
}
phase "training the demo models (Llama family, 8 blocks; GPT-2 family, 10 blocks)"
train llama-8 --arch llama --layers 8 --hidden 64 --heads 4 --steps 600 --warmup 30 &
llama=$!
train gpt2-10 --arch gpt2 --layers 10 --hidden 64 --heads 4 --steps 900 --lr 3e-3 --warmup 30 &
gpt2=$!
wait $llama
wait $gpt2

phase "a sample from each model"
for name in llama-8 gpt2-10; do
  echo "$name: $("$bin/emoscope" generate "$work/models/$name" --prompt 'When she opened the letter, her hands' --max-new-tokens 32 --seed 1)"
done

phase "stimuli: held-out documents of the synthetic corpus (a seed the models never saw)"
"$bin/emoscope" corpus --stimuli-dir "$work/stimuli" --seed 4242 --documents 600 --set basic6 --neutral-fraction 0.2

phase "running the demo campaign (coordinator and ${EMOSCOPE_DEMO_WORKERS:-2} workers; dashboard address below)"
cp "$root/examples/demo.yaml" "$work/demo.yaml"
campaign_started=$(date +%s)
"$bin/emoscope" run "$work/demo.yaml" --workers "${EMOSCOPE_DEMO_WORKERS:-2}" --db "$work/demo.db"
echo "campaign: $(( $(date +%s) - campaign_started )) s"

phase "the analysis"
"$bin/emoscope" analyze --db "$work/demo.db" --campaign demo --resamples 200
"$bin/emoscope" report --db "$work/demo.db" --campaign demo --out "$work/report.html"

phase "done"
cat <<DONE
database:   $work/demo.db        (sqlite3 $work/demo.db "SELECT * FROM peak_depth")
report:     $work/report.html
dashboard:  $bin/emoscope coordinator --db $work/demo.db --http 127.0.0.1:8080   then open http://127.0.0.1:8080/
run again:  bash scripts/demo.sh   (models and results are reused: nothing is computed twice)
DONE
