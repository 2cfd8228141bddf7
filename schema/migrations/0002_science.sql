-- Migration 2: the science results (docs/science.md). Every row belongs to the task that
-- produced it (task_id; the coordinator fills it from the lease); the task names the model
-- (tasks.model_id -> models) and its parameters, and task_runs says how it was computed.
-- Float vectors are BLOBs of little-endian float32 values; `dim` (and `rows`) give their shape.
-- `method` is comprehension, generation, or (extraction of neutral text) neutral.

-- Replaces migration 1's placeholders, which no task kind wrote.
DROP TABLE activation_means;
DROP TABLE layer_metrics;
DELETE FROM result_tables WHERE name IN ('activation_means', 'layer_metrics');

-- How a science task computed its results: code, libraries, device, dtype, seed, settings.
CREATE TABLE task_runs (
  task_id         INTEGER PRIMARY KEY REFERENCES tasks(id),
  code_version    TEXT NOT NULL,
  libraries       TEXT NOT NULL,     -- JSON: {"libtorch": "1.13.0", "threads": 2}
  device          TEXT NOT NULL,
  dtype           TEXT NOT NULL,
  seed            INTEGER,
  model_checksum  TEXT,
  worker          TEXT,
  settings        TEXT NOT NULL,     -- JSON: every option and threshold the task used
  elapsed_ms      INTEGER
);

-- extract: one row per stimulus read.
CREATE TABLE samples (
  task_id         INTEGER NOT NULL REFERENCES tasks(id),
  sample_index    INTEGER NOT NULL,  -- row of this sample in the task's sample_activations blobs
  stimulus_id     TEXT NOT NULL,     -- stimulus id ("#k": k-th generation of a prompt)
  emotion         TEXT NOT NULL,
  method          TEXT NOT NULL,
  seed            INTEGER,           -- generation: the sampling seed
  readout_tokens  INTEGER NOT NULL,  -- tokens averaged; 0: nothing generated, no activations
  generated_text  TEXT,              -- generation: the continuation that was read
  PRIMARY KEY (task_id, sample_index)
) WITHOUT ROWID;

-- extract: a_l(s) for every sample of the task at hook point `layer` (0: embedding output,
-- l: residual stream after block l): `data` is (rows, dim) float32 in sample_index order;
-- `norms` (rows) the mean per-token L2 norm of h_l over the same tokens.
CREATE TABLE sample_activations (
  task_id  INTEGER NOT NULL REFERENCES tasks(id),
  layer    INTEGER NOT NULL,
  method   TEXT NOT NULL,
  rows     INTEGER NOT NULL,
  dim      INTEGER NOT NULL,
  data     BLOB NOT NULL,
  norms    BLOB NOT NULL,
  PRIMARY KEY (task_id, layer)
) WITHOUT ROWID;

-- metrics: mu_{e,l}, the mean of a_l(s) over the samples of emotion e.
CREATE TABLE activation_means (
  task_id  INTEGER NOT NULL REFERENCES tasks(id),
  layer    INTEGER NOT NULL,
  emotion  TEXT NOT NULL,
  method   TEXT NOT NULL,
  dtype    TEXT NOT NULL,            -- float32
  dim      INTEGER NOT NULL,
  samples  INTEGER NOT NULL,
  data     BLOB NOT NULL,
  PRIMARY KEY (task_id, layer, emotion)
) WITHOUT ROWID;

-- metrics: v_{e,l}, unit-normalized after grand-mean subtraction and neutral-PC removal.
CREATE TABLE emotion_vectors (
  task_id             INTEGER NOT NULL REFERENCES tasks(id),
  layer               INTEGER NOT NULL,
  emotion             TEXT NOT NULL,
  method              TEXT NOT NULL,
  dim                 INTEGER NOT NULL,
  norm                REAL NOT NULL,   -- |v| before normalization
  removed_components  INTEGER NOT NULL,
  removed_share       REAL NOT NULL,   -- neutral variance the removed components explain
  data                BLOB NOT NULL,
  PRIMARY KEY (task_id, layer, emotion)
) WITHOUT ROWID;

-- metrics: one value per (layer, metric[, emotion]): mean_cosine, anisotropy, separation_gap,
-- fisher_ratio, probe_accuracy, chance, neutral_norm (n_l), samples, neutral_samples, and
-- emotion_separation per emotion. NULL: not defined (e.g. anisotropy without neutral samples).
CREATE TABLE layer_metrics (
  task_id  INTEGER NOT NULL REFERENCES tasks(id),
  layer    INTEGER NOT NULL,
  method   TEXT NOT NULL,
  metric   TEXT NOT NULL,
  emotion  TEXT NOT NULL DEFAULT '',
  value    REAL,
  PRIMARY KEY (task_id, layer, metric, emotion)
) WITHOUT ROWID;

-- steer: every generation, the unsteered baselines (alpha 0) included.
CREATE TABLE steering_generations (
  task_id            INTEGER NOT NULL REFERENCES tasks(id),
  generation_index   INTEGER NOT NULL,
  layer              INTEGER NOT NULL,
  emotion            TEXT NOT NULL,   -- target
  alpha              REAL NOT NULL,   -- coefficient; 0: the same-seed unsteered baseline
  mode               TEXT NOT NULL,   -- relative (scale = n_l) or absolute (scale = 1)
  scale              REAL NOT NULL,
  prompt_id          TEXT NOT NULL,
  seed               INTEGER NOT NULL,
  text               TEXT NOT NULL,   -- the continuation
  tokens             INTEGER NOT NULL,
  judged_emotion     TEXT,            -- NULL: the judge found none
  judge_scores       TEXT NOT NULL,   -- JSON {emotion: score}
  hit                INTEGER NOT NULL,
  ppl_ratio          REAL,            -- steered / unsteered perplexity under the unsteered model
  distinct2          REAL NOT NULL,
  seq_rep4           REAL NOT NULL,
  compression_ratio  REAL NOT NULL,
  regime             TEXT NOT NULL CHECK (regime IN ('surgical', 'repetitive_collapse', 'explosive', 'ineffective')),
  success            INTEGER NOT NULL,
  PRIMARY KEY (task_id, generation_index)
) WITHOUT ROWID;

-- steer: one row per scenario (model, layer, emotion, alpha): it succeeds when at least
-- success_share (task_runs.settings) of its generations are surgical.
CREATE TABLE steering_scenarios (
  task_id      INTEGER NOT NULL REFERENCES tasks(id),
  layer        INTEGER NOT NULL,
  emotion      TEXT NOT NULL,
  alpha        REAL NOT NULL,
  mode         TEXT NOT NULL,
  generations  INTEGER NOT NULL,
  successes    INTEGER NOT NULL,
  hit_rate     REAL NOT NULL,
  success      INTEGER NOT NULL,
  PRIMARY KEY (task_id, layer, emotion, alpha)
) WITHOUT ROWID;

INSERT INTO result_tables (name) VALUES ('task_runs'), ('samples'), ('sample_activations'), ('activation_means'),
  ('emotion_vectors'), ('layer_metrics'), ('steering_generations'), ('steering_scenarios');
