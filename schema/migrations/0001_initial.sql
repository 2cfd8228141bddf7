-- Migration 1: the campaign store. The coordinator is the only writer (see docs/schema.md).
-- Times are milliseconds since the Unix epoch (INTEGER).

CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE campaigns (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  spec_text   TEXT NOT NULL,             -- the campaign file as last submitted
  spec_hash   TEXT NOT NULL,             -- sha256 of spec_text
  priority    INTEGER NOT NULL DEFAULT 0,  -- higher runs first
  state       TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'paused', 'cancelled')),
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);

CREATE TABLE models (
  id            INTEGER PRIMARY KEY,
  path          TEXT NOT NULL,
  architecture  TEXT,
  layers        INTEGER,
  parameters    INTEGER,
  checksum      TEXT NOT NULL UNIQUE     -- sha256 of the weights
);

CREATE TABLE tasks (
  id              INTEGER PRIMARY KEY,
  task_key        BLOB NOT NULL UNIQUE,  -- sha256 (32 bytes; hex(task_key)) of {kind, model checksum, params, code version}
  campaign_id     INTEGER NOT NULL REFERENCES campaigns(id),  -- the campaign that created it
  kind            TEXT NOT NULL,
  model_id        INTEGER REFERENCES models(id),
  params          TEXT NOT NULL,         -- canonical JSON
  priority        INTEGER NOT NULL DEFAULT 0,
  state           TEXT NOT NULL CHECK (state IN ('blocked', 'queued', 'running', 'done', 'failed', 'cancelled')),
  attempts        INTEGER NOT NULL DEFAULT 0,  -- leases granted so far
  max_attempts    INTEGER NOT NULL,
  lease_epoch     INTEGER NOT NULL DEFAULT 0,  -- fencing token of the current (or last) lease
  lease_deadline  INTEGER,
  worker          TEXT,                  -- identity of the lease holder (or of the last one)
  not_before      INTEGER NOT NULL DEFAULT 0,  -- retry backoff: not dispatched before this time
  created_at      INTEGER NOT NULL,
  started_at      INTEGER,
  finished_at     INTEGER,
  error           TEXT
);
-- The dispatcher's refill query: queued tasks by priority, then age.
CREATE INDEX tasks_ready ON tasks (state, priority DESC, id);

-- Campaign membership: a task shared by two campaigns (same key) belongs to both.
CREATE TABLE campaign_tasks (
  campaign_id  INTEGER NOT NULL REFERENCES campaigns(id),
  task_id      INTEGER NOT NULL REFERENCES tasks(id),
  PRIMARY KEY (campaign_id, task_id)
) WITHOUT ROWID;

CREATE TABLE task_deps (
  task_id     INTEGER NOT NULL REFERENCES tasks(id),
  depends_on  INTEGER NOT NULL REFERENCES tasks(id),
  PRIMARY KEY (task_id, depends_on)
) WITHOUT ROWID;
CREATE INDEX task_deps_depends_on ON task_deps (depends_on);

CREATE TABLE workers (
  id              INTEGER PRIMARY KEY,
  identity        TEXT NOT NULL UNIQUE,
  host            TEXT,
  pid             INTEGER,
  device          TEXT,
  memory_bytes    INTEGER,
  slots           INTEGER,
  versions        TEXT,                  -- JSON
  loaded_models   TEXT,                  -- JSON array
  connected_at    INTEGER,
  last_heartbeat  INTEGER,
  state           TEXT NOT NULL DEFAULT 'connected' CHECK (state IN ('connected', 'lost', 'gone'))
);

-- State changes and notable refusals, for audit and the dashboard.
CREATE TABLE events (
  id          INTEGER PRIMARY KEY,
  at          INTEGER NOT NULL,
  kind        TEXT NOT NULL,   -- dispatched, done, retry, failed, expired, refused, submitted, ...
  campaign_id INTEGER,
  task_id     INTEGER,
  worker      TEXT,
  epoch       INTEGER,
  detail      TEXT
);
CREATE INDEX events_task ON events (task_id);
CREATE INDEX events_kind_at ON events (kind, at);

-- Result tables the coordinator may insert into on a worker's behalf. Their `task_id` column is
-- always filled by the coordinator from the lease, never by the worker.
CREATE TABLE result_tables (
  name TEXT PRIMARY KEY
) WITHOUT ROWID;

-- One row per successful test task (noop, sleep): proves each task's result is recorded once.
CREATE TABLE test_results (
  task_id      INTEGER PRIMARY KEY REFERENCES tasks(id),
  worker       TEXT NOT NULL,
  attempt      INTEGER NOT NULL,
  recorded_at  INTEGER
);

-- Per-layer mean activations (science tasks): one vector per (task, layer, emotion).
CREATE TABLE activation_means (
  task_id   INTEGER NOT NULL REFERENCES tasks(id),
  layer     INTEGER NOT NULL,
  emotion   TEXT NOT NULL,
  dtype     TEXT NOT NULL,       -- float32 or float16
  dim       INTEGER NOT NULL,
  data      BLOB NOT NULL,       -- little-endian, dim values
  PRIMARY KEY (task_id, layer, emotion)
) WITHOUT ROWID;

-- Scalar per-layer metrics (mean_cosine, anisotropy, fisher_ratio, probe_accuracy, ...).
CREATE TABLE layer_metrics (
  task_id   INTEGER NOT NULL REFERENCES tasks(id),
  layer     INTEGER NOT NULL,
  metric    TEXT NOT NULL,
  emotion   TEXT NOT NULL DEFAULT '',
  value     REAL,
  PRIMARY KEY (task_id, layer, metric, emotion)
) WITHOUT ROWID;

INSERT INTO result_tables (name) VALUES ('test_results'), ('activation_means'), ('layer_metrics');
