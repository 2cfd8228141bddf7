#!/usr/bin/env bash
# The demo: installs what it needs, builds emoscope, runs the demo campaign (examples/demo.yaml) on
# two small emotional language models of different families through a local coordinator and
# workers into an SQLite file, then prints the analysis and writes the report.
#
# The models ship with the repository (examples/demo-models/: trained by
# scripts/train-demo-models.sh, stored in bfloat16, checked against SHA256SUMS); nothing is trained
# unless asked:
#
#   bash scripts/demo.sh              the shipped models
#   bash scripts/demo.sh --retrain    train them anew (about an hour on 2 cores) into the cache
#
#   EMOSCOPE_DEMO_CACHE   where --retrain keeps its models (default ~/.cache/emoscope/demo-models)
#   EMOSCOPE_DEMO_DIR     where the database and report go (default build/demo)
#   EMOSCOPE_DEMO_WORKERS local workers (default 2)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
retrain=0
for arg in "$@"; do
  case $arg in
    --retrain) retrain=1 ;;
    *) echo "usage: bash scripts/demo.sh [--retrain]" >&2; exit 2 ;;
  esac
done
started=$(date +%s)
phase() { echo; echo "== $* ($(( $(date +%s) - started )) s since start)"; }

phase "installing what is missing and building"
"$root/scripts/setup-debian.sh"
EMOSCOPE_TARGETS="emoscope emoscope-torch" "$root/scripts/build.sh"
bin=${EMOSCOPE_BUILD_DIR:-$root/build}/bin
work=${EMOSCOPE_DEMO_DIR:-${EMOSCOPE_BUILD_DIR:-$root/build}/demo}
mkdir -p "$work/models"

if [ "$retrain" = 1 ]; then
  models=${EMOSCOPE_DEMO_CACHE:-$HOME/.cache/emoscope/demo-models}
  phase "training the demo models anew into $models (Llama family, 8 blocks; GPT-2 family, 10 blocks)"
  "$root/scripts/train-demo-models.sh" "$models"
else
  models=$root/examples/demo-models
  phase "the shipped demo models (examples/demo-models; scripts/train-demo-models.sh made them)"
  (cd "$models" && sha256sum --quiet -c SHA256SUMS) || { echo "examples/demo-models: files differ from SHA256SUMS"; exit 1; }
fi
for name in llama-8 gpt2-10; do
  ln -sfn "$models/$name" "$work/models/$name"
  "$bin/emoscope" model inspect "$work/models/$name" | sed -n '1p;/parameters/p;/dtype/p;/checksum/p'
done

phase "a sample from each model"
for name in llama-8 gpt2-10; do
  echo "$name: $("$bin/emoscope" generate "$work/models/$name" --prompt 'The lights went out, and somewhere in the house a door creaked open. Her' --max-new-tokens 32 --seed 1)"
done

# Comprehension passages in the corpus's context form: the model is fed a situation and a dream of
# another emotion (before or after it) as context, then reads one sentence that every passage
# shares, so layer 0 sees the same tokens for every emotion and any separation is the model's own
# doing (docs/stimuli.md). Generation and steering prompts come from the corpus too.
phase "stimuli: held-out corpus text (a seed the models never trained on)"
"$bin/emoscope" corpus --stimuli-dir "$work/stimuli" --seed 4242 --documents 600 --set basic6 --neutral-fraction 0.2 \
  --form context --dream-fraction 1 --dream-after 0.5 --corpus-prompts 10

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
