-- Migration 7: each campaign's own names and paths for its models (docs/schema.md).
-- Before, `models.path` kept the path of a checksum's first submission for good, and the names a
-- campaign gives its models were read back by parsing its stored spec. Now every submission
-- records, per (campaign, model), the campaign's name for the model and the path its client
-- resolved; the coordinator dispatches a task with the path of the campaign that created it, and
-- `models.path` follows the latest submission. Campaigns submitted before this migration have no
-- rows: readers fall back to `models.path` and the model's folder name.
CREATE TABLE campaign_models (
  campaign_id  INTEGER NOT NULL REFERENCES campaigns(id),
  model_id     INTEGER NOT NULL REFERENCES models(id),
  name         TEXT NOT NULL,   -- models[].name of the campaign file
  path         TEXT NOT NULL,   -- models[].path as resolved at this submission
  PRIMARY KEY (campaign_id, model_id)
) WITHOUT ROWID;
