-- Migration 6: emotion vectors by estimator (docs/science.md, "Vector estimators").
-- * emotion_vectors gains `estimator` (mean_difference, pca_diff or logistic) in its primary key,
--   so one metrics task stores one vector per (layer, emotion, estimator). Existing rows were
--   computed as mean differences and become 'mean_difference'.
-- * steering_generations, steering_scenarios and steering_calibrations record the estimator of
--   the vector they steered with (existing rows: 'mean_difference').
-- * views: steering_summary and steering_dose_response group by estimator too (a last column).

CREATE TABLE emotion_vectors_v6 (
  task_id             INTEGER NOT NULL REFERENCES tasks(id),
  layer               INTEGER NOT NULL,
  emotion             TEXT NOT NULL,
  method              TEXT NOT NULL,
  estimator           TEXT NOT NULL DEFAULT 'mean_difference'
                      CHECK (estimator IN ('mean_difference', 'pca_diff', 'logistic')),
  dim                 INTEGER NOT NULL,
  norm                REAL NOT NULL,   -- |v| before normalization (mean_difference); 1 otherwise
  removed_components  INTEGER NOT NULL,
  removed_share       REAL NOT NULL,   -- neutral variance the removed components explain
  data                BLOB NOT NULL,
  PRIMARY KEY (task_id, layer, estimator, emotion)
) WITHOUT ROWID;
INSERT INTO emotion_vectors_v6
  (task_id, layer, emotion, method, estimator, dim, norm, removed_components, removed_share, data)
SELECT task_id, layer, emotion, method, 'mean_difference', dim, norm, removed_components, removed_share, data
FROM emotion_vectors;
DROP TABLE emotion_vectors;
ALTER TABLE emotion_vectors_v6 RENAME TO emotion_vectors;

ALTER TABLE steering_generations ADD COLUMN estimator TEXT NOT NULL DEFAULT 'mean_difference';
ALTER TABLE steering_scenarios ADD COLUMN estimator TEXT NOT NULL DEFAULT 'mean_difference';
ALTER TABLE steering_calibrations ADD COLUMN estimator TEXT NOT NULL DEFAULT 'mean_difference';

DROP VIEW steering_summary;
DROP VIEW steering_dose_response;

-- As in migration 5, per estimator (never mixed), with the estimator as the last column.
CREATE VIEW steering_summary AS
WITH gen AS (
  SELECT c.name AS campaign, t.model_id, g.layer, g.estimator, g.alpha, g.mode,
         COUNT(*) AS generations,
         AVG(g.regime = 'surgical') AS surgical_share,
         AVG(g.regime = 'repetitive_collapse') AS repetitive_collapse_share,
         AVG(g.regime = 'explosive') AS explosive_share,
         AVG(g.regime = 'ineffective') AS ineffective_share,
         AVG(g.regime = 'empty') AS empty_share,
         AVG(g.hit) AS hit_rate
  FROM steering_generations g
  JOIN tasks t ON t.id = g.task_id
  JOIN campaign_tasks ct ON ct.task_id = t.id
  JOIN campaigns c ON c.id = ct.campaign_id
  GROUP BY c.id, t.model_id, g.layer, g.estimator, g.alpha, g.mode),
scen AS (
  SELECT c.name AS campaign, t.model_id, s.layer, s.estimator, s.alpha, s.mode,
         COUNT(*) AS scenarios, SUM(s.success) AS successful_scenarios, AVG(s.success) AS success_rate
  FROM steering_scenarios s
  JOIN tasks t ON t.id = s.task_id
  JOIN campaign_tasks ct ON ct.task_id = t.id
  JOIN campaigns c ON c.id = ct.campaign_id
  GROUP BY c.id, t.model_id, s.layer, s.estimator, s.alpha, s.mode)
SELECT gen.campaign, gen.model_id, m.path AS model_path, m.family, gen.layer,
       CAST(gen.layer AS REAL) / m.layers AS relative_depth, gen.alpha, gen.mode, gen.generations,
       gen.surgical_share, gen.repetitive_collapse_share, gen.explosive_share, gen.ineffective_share,
       gen.hit_rate, base.hit_rate AS baseline_hit_rate, gen.hit_rate - base.hit_rate AS hit_rate_gain,
       scen.scenarios, scen.successful_scenarios, scen.success_rate, gen.empty_share, gen.estimator
FROM gen
JOIN model_families m ON m.model_id = gen.model_id
LEFT JOIN gen base ON base.campaign = gen.campaign AND base.model_id = gen.model_id AND base.layer = gen.layer
                  AND base.mode = gen.mode AND base.estimator = gen.estimator AND base.alpha = 0
LEFT JOIN scen ON scen.campaign = gen.campaign AND scen.model_id = gen.model_id AND scen.layer = gen.layer
              AND scen.alpha = gen.alpha AND scen.mode = gen.mode AND scen.estimator = gen.estimator
WHERE gen.alpha <> 0;

-- As in migration 5, per estimator (its windows are those of calibrations of the same estimator).
CREATE VIEW steering_dose_response AS
WITH g AS (
  SELECT c.name AS campaign, c.id AS campaign_id, t.model_id, sg.layer, COALESCE(sg.layer_last, sg.layer) AS layer_last,
         sg.mode, sg.estimator, sg.alpha,
         sg.hit, sg.regime, sg.ppl_ratio
  FROM steering_generations sg
  JOIN tasks t ON t.id = sg.task_id
  JOIN campaign_tasks ct ON ct.task_id = t.id
  JOIN campaigns c ON c.id = ct.campaign_id),
ranked AS (
  SELECT campaign_id, model_id, layer, layer_last, mode, estimator, alpha, ppl_ratio,
         ROW_NUMBER() OVER (PARTITION BY campaign_id, model_id, layer, layer_last, mode, estimator, alpha ORDER BY ppl_ratio) AS k,
         COUNT(*) OVER (PARTITION BY campaign_id, model_id, layer, layer_last, mode, estimator, alpha) AS n
  FROM g WHERE ppl_ratio IS NOT NULL),
medians AS (
  SELECT campaign_id, model_id, layer, layer_last, mode, estimator, alpha, AVG(ppl_ratio) AS median_ppl_ratio
  FROM ranked WHERE k IN ((n + 1) / 2, (n + 2) / 2)
  GROUP BY campaign_id, model_id, layer, layer_last, mode, estimator, alpha),
windows AS (
  SELECT ct.campaign_id, t.model_id, cal.layer, cal.layer_last, cal.mode, cal.estimator,
         MIN(cal.window_low) AS window_low, MAX(cal.window_high) AS window_high
  FROM steering_calibrations cal
  JOIN tasks t ON t.id = cal.task_id
  JOIN campaign_tasks ct ON ct.task_id = t.id
  GROUP BY ct.campaign_id, t.model_id, cal.layer, cal.layer_last, cal.mode, cal.estimator),
dose AS (
  SELECT campaign, campaign_id, model_id, layer, layer_last, mode, estimator, alpha, COUNT(*) AS generations,
         AVG(hit) AS hit_rate, AVG(regime = 'surgical') AS surgical_share,
         AVG(regime = 'repetitive_collapse') AS repetitive_collapse_share,
         AVG(regime = 'explosive') AS explosive_share, AVG(regime = 'ineffective') AS ineffective_share,
         AVG(regime = 'empty') AS empty_share
  FROM g GROUP BY campaign_id, model_id, layer, layer_last, mode, estimator, alpha)
SELECT d.campaign, d.model_id, m.path AS model_path, m.family, d.layer, d.layer_last,
       CAST(d.layer AS REAL) / m.layers AS relative_depth, d.mode, d.alpha, d.generations, d.hit_rate,
       d.surgical_share, d.repetitive_collapse_share, d.explosive_share, d.ineffective_share, d.empty_share,
       md.median_ppl_ratio, w.window_low, w.window_high,
       CASE WHEN w.window_low IS NULL THEN NULL
            WHEN d.alpha >= w.window_low * (1 - 1e-9) AND d.alpha <= w.window_high * (1 + 1e-9) THEN 1 ELSE 0 END
         AS in_calibrated_window,
       d.estimator
FROM dose d
JOIN model_families m ON m.model_id = d.model_id
LEFT JOIN medians md ON md.campaign_id = d.campaign_id AND md.model_id = d.model_id AND md.layer = d.layer
                    AND md.layer_last = d.layer_last AND md.mode = d.mode AND md.estimator = d.estimator
                    AND md.alpha = d.alpha
LEFT JOIN windows w ON w.campaign_id = d.campaign_id AND w.model_id = d.model_id AND w.layer = d.layer
                   AND w.layer_last = d.layer_last AND w.mode = d.mode AND w.estimator = d.estimator;
