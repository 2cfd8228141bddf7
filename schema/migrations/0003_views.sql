-- Migration 3: views that answer the study's questions directly (docs/analyses.md has example
-- queries). Views only: no table changes. Every view names the campaign (through campaign_tasks,
-- so a task shared by two campaigns appears under both) and the model (tasks.model_id).
-- Relative depth r = layer / L with L = models.layers (layer 0 is the embedding output, r = 0).

-- Models with the family the study counts them in: gemma, gemma2 and gemma3 are one family;
-- gpt2, llama, mistral and qwen2 are each their own.
CREATE VIEW model_families AS
SELECT id AS model_id, path, architecture, layers, parameters, checksum,
       CASE WHEN architecture IN ('gemma', 'gemma2', 'gemma3') THEN 'gemma'
            ELSE COALESCE(architecture, 'unknown') END AS family
FROM models;

-- The localization curve: one row per (campaign, model, method, layer), every scalar metric of
-- the metrics task as a column (NULL where the task stored none or the value is undefined).
CREATE VIEW localization_curve AS
SELECT c.name AS campaign, m.model_id, m.path AS model_path, m.architecture, m.family, lm.method, lm.layer,
       m.layers AS num_layers, CAST(lm.layer AS REAL) / m.layers AS relative_depth,
       MAX(CASE WHEN lm.metric = 'mean_cosine' THEN lm.value END) AS mean_cosine,
       MAX(CASE WHEN lm.metric = 'anisotropy' THEN lm.value END) AS anisotropy,
       MAX(CASE WHEN lm.metric = 'separation_gap' THEN lm.value END) AS separation_gap,
       MAX(CASE WHEN lm.metric = 'fisher_ratio' THEN lm.value END) AS fisher_ratio,
       MAX(CASE WHEN lm.metric = 'probe_accuracy' THEN lm.value END) AS probe_accuracy,
       MAX(CASE WHEN lm.metric = 'chance' THEN lm.value END) AS chance,
       MAX(CASE WHEN lm.metric = 'neutral_norm' THEN lm.value END) AS neutral_norm,
       MAX(CASE WHEN lm.metric = 'samples' THEN lm.value END) AS samples,
       MAX(CASE WHEN lm.metric = 'neutral_samples' THEN lm.value END) AS neutral_samples,
       lm.task_id
FROM layer_metrics lm
JOIN tasks t ON t.id = lm.task_id
JOIN model_families m ON m.model_id = t.model_id
JOIN campaign_tasks ct ON ct.task_id = t.id
JOIN campaigns c ON c.id = ct.campaign_id
WHERE lm.emotion = ''
GROUP BY c.id, lm.task_id, lm.method, lm.layer;

-- emotion_separation(e, l) per emotion, with relative depth.
CREATE VIEW emotion_separation AS
SELECT c.name AS campaign, m.model_id, m.path AS model_path, m.family, lm.method, lm.layer,
       CAST(lm.layer AS REAL) / m.layers AS relative_depth, lm.emotion, lm.value AS separation, lm.task_id
FROM layer_metrics lm
JOIN tasks t ON t.id = lm.task_id
JOIN model_families m ON m.model_id = t.model_id
JOIN campaign_tasks ct ON ct.task_id = t.id
JOIN campaigns c ON c.id = ct.campaign_id
WHERE lm.metric = 'emotion_separation';

-- Peak layer per (campaign, model, method): the block (layer >= 1) of highest probe_accuracy,
-- ties to the shallower layer (as the steer task and `emoscope analyze` choose it). The bootstrap
-- interval of the peak needs the per-sample activations: `emoscope analyze` computes it.
CREATE VIEW peak_depth AS
SELECT campaign, model_id, model_path, family, method, layer AS peak_layer, num_layers,
       relative_depth AS peak_relative_depth, probe_accuracy AS peak_probe_accuracy, mean_cosine AS peak_mean_cosine
FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY campaign, model_id, method
                                   ORDER BY probe_accuracy DESC, layer ASC) AS rank_in_model
      FROM localization_curve
      WHERE layer >= 1 AND probe_accuracy IS NOT NULL)
WHERE rank_in_model = 1;

-- The inputs of the method comparison: emotion_separation per (model, emotion) at each method's
-- own peak layer. Pair generation with comprehension rows on (campaign, model_id, emotion).
CREATE VIEW method_comparison_inputs AS
SELECT es.campaign, es.model_id, es.model_path, es.family, es.method, es.emotion, p.peak_layer,
       p.peak_relative_depth, es.separation
FROM emotion_separation es
JOIN peak_depth p ON p.campaign = es.campaign AND p.model_id = es.model_id AND p.method = es.method
                 AND p.peak_layer = es.layer;

-- Steering per (campaign, model, layer, alpha, mode): generations and their regime shares, hit
-- rate against the same layer's unsteered baselines (alpha 0, same prompts and seeds), and the
-- scenarios (per target emotion) that succeeded. Baseline rows themselves are left out.
CREATE VIEW steering_summary AS
WITH gen AS (
  SELECT c.name AS campaign, t.model_id, g.layer, g.alpha, g.mode,
         COUNT(*) AS generations,
         AVG(g.regime = 'surgical') AS surgical_share,
         AVG(g.regime = 'repetitive_collapse') AS repetitive_collapse_share,
         AVG(g.regime = 'explosive') AS explosive_share,
         AVG(g.regime = 'ineffective') AS ineffective_share,
         AVG(g.hit) AS hit_rate
  FROM steering_generations g
  JOIN tasks t ON t.id = g.task_id
  JOIN campaign_tasks ct ON ct.task_id = t.id
  JOIN campaigns c ON c.id = ct.campaign_id
  GROUP BY c.id, t.model_id, g.layer, g.alpha, g.mode),
scen AS (
  SELECT c.name AS campaign, t.model_id, s.layer, s.alpha, s.mode,
         COUNT(*) AS scenarios, SUM(s.success) AS successful_scenarios, AVG(s.success) AS success_rate
  FROM steering_scenarios s
  JOIN tasks t ON t.id = s.task_id
  JOIN campaign_tasks ct ON ct.task_id = t.id
  JOIN campaigns c ON c.id = ct.campaign_id
  GROUP BY c.id, t.model_id, s.layer, s.alpha, s.mode)
SELECT gen.campaign, gen.model_id, m.path AS model_path, m.family, gen.layer,
       CAST(gen.layer AS REAL) / m.layers AS relative_depth, gen.alpha, gen.mode, gen.generations,
       gen.surgical_share, gen.repetitive_collapse_share, gen.explosive_share, gen.ineffective_share,
       gen.hit_rate, base.hit_rate AS baseline_hit_rate, gen.hit_rate - base.hit_rate AS hit_rate_gain,
       scen.scenarios, scen.successful_scenarios, scen.success_rate
FROM gen
JOIN model_families m ON m.model_id = gen.model_id
LEFT JOIN gen base ON base.campaign = gen.campaign AND base.model_id = gen.model_id AND base.layer = gen.layer
                  AND base.mode = gen.mode AND base.alpha = 0
LEFT JOIN scen ON scen.campaign = gen.campaign AND scen.model_id = gen.model_id AND scen.layer = gen.layer
              AND scen.alpha = gen.alpha AND scen.mode = gen.mode
WHERE gen.alpha <> 0;

-- Task counts per (campaign, kind, state).
CREATE VIEW task_progress AS
SELECT c.name AS campaign, t.kind, t.state, COUNT(*) AS tasks, SUM(t.attempts) AS attempts,
       MIN(t.started_at) AS first_started_at, MAX(t.finished_at) AS last_finished_at
FROM tasks t
JOIN campaign_tasks ct ON ct.task_id = t.id
JOIN campaigns c ON c.id = ct.campaign_id
GROUP BY c.id, t.kind, t.state;

-- One row per campaign: its state, task counts by state, and the share done.
CREATE VIEW campaign_progress AS
SELECT c.name AS campaign, c.state, c.spec_hash, COUNT(t.id) AS tasks,
       COALESCE(SUM(t.state = 'done'), 0) AS done,
       COALESCE(SUM(t.state = 'running'), 0) AS running,
       COALESCE(SUM(t.state = 'queued'), 0) AS queued,
       COALESCE(SUM(t.state = 'blocked'), 0) AS blocked,
       COALESCE(SUM(t.state = 'failed'), 0) AS failed,
       COALESCE(SUM(t.state = 'cancelled'), 0) AS cancelled,
       CASE WHEN COUNT(t.id) = 0 THEN NULL ELSE CAST(SUM(t.state = 'done') AS REAL) / COUNT(t.id) END AS done_share
FROM campaigns c
LEFT JOIN campaign_tasks ct ON ct.campaign_id = c.id
LEFT JOIN tasks t ON t.id = ct.task_id
GROUP BY c.id;
