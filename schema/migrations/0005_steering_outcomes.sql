-- Migration 5: steering outcomes as docs/science.md defines them now.
-- * steering_generations: the `empty` regime (continuation shorter than min_tokens: a
--   degradation, never a success), `baseline_resamples` (how many times this prompt's baseline
--   was too short and re-sampled with the next seed; `seed` is the one used), `layer_last` (the
--   last layer of a layer range; equal to `layer` for one layer). ppl_ratio is NULL when either
--   continuation is shorter than min_tokens (rows written before this migration kept 1 there).
-- * steering_scenarios: the 95% Clopper-Pearson interval of the success share, the unsteered
--   baseline's hit rate, the one-sided Fisher exact p-value of hit rate > baseline hit rate,
--   the median ppl_ratio, the count of empty generations, `layer_last`.
-- * steering_calibrations: what a `calibrate` task found (the coherent window of alpha).
-- * views: steering_summary gains empty_share; steering_dose_response per alpha.
-- Old rows are copied as they are (no re-classification): their numbers were computed by the
-- old rule, which their task_runs.settings record.

DROP VIEW steering_summary;

CREATE TABLE steering_generations_v5 (
  task_id            INTEGER NOT NULL REFERENCES tasks(id),
  generation_index   INTEGER NOT NULL,
  layer              INTEGER NOT NULL,   -- the (first) steered layer
  layer_last         INTEGER,            -- the last layer of the range (= layer, or NULL, for one layer)
  emotion            TEXT NOT NULL,      -- target
  alpha              REAL NOT NULL,      -- coefficient; 0: the same-seed unsteered baseline
  mode               TEXT NOT NULL,      -- relative (scale = n_l) or absolute (scale = 1)
  scale              REAL NOT NULL,      -- n_l of the first layer (each layer has its own)
  prompt_id          TEXT NOT NULL,
  seed               INTEGER NOT NULL,   -- the seed used (after any baseline re-samples)
  baseline_resamples INTEGER NOT NULL DEFAULT 0,
  text               TEXT NOT NULL,      -- the continuation
  tokens             INTEGER NOT NULL,
  judged_emotion     TEXT,               -- NULL: the judge found none
  judge_scores       TEXT NOT NULL,      -- JSON {emotion: score}
  hit                INTEGER NOT NULL,
  ppl_ratio          REAL,               -- NULL: either continuation shorter than min_tokens
  distinct2          REAL NOT NULL,
  seq_rep4           REAL NOT NULL,
  compression_ratio  REAL NOT NULL,
  regime             TEXT NOT NULL CHECK (regime IN ('surgical', 'repetitive_collapse', 'explosive', 'ineffective', 'empty')),
  success            INTEGER NOT NULL,
  PRIMARY KEY (task_id, generation_index)
) WITHOUT ROWID;
INSERT INTO steering_generations_v5
  (task_id, generation_index, layer, layer_last, emotion, alpha, mode, scale, prompt_id, seed, baseline_resamples,
   text, tokens, judged_emotion, judge_scores, hit, ppl_ratio, distinct2, seq_rep4, compression_ratio, regime, success)
SELECT task_id, generation_index, layer, layer, emotion, alpha, mode, scale, prompt_id, seed, 0,
       text, tokens, judged_emotion, judge_scores, hit, ppl_ratio, distinct2, seq_rep4, compression_ratio, regime, success
FROM steering_generations;
DROP TABLE steering_generations;
ALTER TABLE steering_generations_v5 RENAME TO steering_generations;

CREATE TABLE steering_scenarios_v5 (
  task_id            INTEGER NOT NULL REFERENCES tasks(id),
  layer              INTEGER NOT NULL,
  layer_last         INTEGER,            -- as in steering_generations
  emotion            TEXT NOT NULL,
  alpha              REAL NOT NULL,
  mode               TEXT NOT NULL,
  generations        INTEGER NOT NULL,
  successes          INTEGER NOT NULL,
  success_low        REAL,               -- 95% Clopper-Pearson interval of successes / generations
  success_high       REAL,
  empty              INTEGER,            -- generations in the empty regime
  hit_rate           REAL NOT NULL,
  baseline_hit_rate  REAL,               -- the same prompts and seeds unsteered
  hit_p_value        REAL,               -- one-sided Fisher exact: hit rate > baseline hit rate
  median_ppl_ratio   REAL,               -- over the generations whose ppl_ratio is defined
  success            INTEGER NOT NULL,
  PRIMARY KEY (task_id, layer, emotion, alpha)
) WITHOUT ROWID;
INSERT INTO steering_scenarios_v5
  (task_id, layer, layer_last, emotion, alpha, mode, generations, successes, hit_rate, success)
SELECT task_id, layer, layer, emotion, alpha, mode, generations, successes, hit_rate, success FROM steering_scenarios;
DROP TABLE steering_scenarios;
ALTER TABLE steering_scenarios_v5 RENAME TO steering_scenarios;

-- calibrate: the largest coherent alpha for (layer range, emotion or '' for all) and the sweep
-- window below it. trace: JSON [{alpha, median_ppl_ratio, coherent}] in the order tried.
CREATE TABLE steering_calibrations (
  task_id            INTEGER NOT NULL REFERENCES tasks(id),
  layer              INTEGER NOT NULL,
  layer_last         INTEGER NOT NULL,
  emotion            TEXT NOT NULL,      -- '': every emotion of the set
  mode               TEXT NOT NULL,
  max_ppl_ratio      REAL NOT NULL,      -- coherent: median ppl_ratio <= this
  alpha_coherent     REAL,               -- largest alpha found coherent; NULL: none in range
  alpha_incoherent   REAL,               -- smallest alpha found incoherent; NULL: none in range
  window_low         REAL NOT NULL,      -- the sweep the steer tasks run: log-spaced in
  window_high        REAL NOT NULL,      --   [window_low, window_high]
  points             INTEGER NOT NULL,
  prompts            INTEGER NOT NULL,
  trace              TEXT NOT NULL,
  PRIMARY KEY (task_id, layer, emotion)
) WITHOUT ROWID;
INSERT INTO result_tables (name) VALUES ('steering_calibrations');

-- As in migration 3, with empty_share; baseline rows themselves are left out.
CREATE VIEW steering_summary AS
WITH gen AS (
  SELECT c.name AS campaign, t.model_id, g.layer, g.alpha, g.mode,
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
       scen.scenarios, scen.successful_scenarios, scen.success_rate, gen.empty_share
FROM gen
JOIN model_families m ON m.model_id = gen.model_id
LEFT JOIN gen base ON base.campaign = gen.campaign AND base.model_id = gen.model_id AND base.layer = gen.layer
                  AND base.mode = gen.mode AND base.alpha = 0
LEFT JOIN scen ON scen.campaign = gen.campaign AND scen.model_id = gen.model_id AND scen.layer = gen.layer
              AND scen.alpha = gen.alpha AND scen.mode = gen.mode
WHERE gen.alpha <> 0;

-- The dose-response: per (campaign, model, layer range, mode, alpha), alpha 0 (the baseline)
-- included: hit rate, surgical and other regime shares, and the median ppl_ratio over the
-- generations where it is defined (the middle value, or the mean of the two middle values).
-- in_calibrated_window: 1 when a calibrate task of the same model and layer range put alpha in
-- its window (NULL when no calibration ran).
CREATE VIEW steering_dose_response AS
WITH g AS (
  SELECT c.name AS campaign, c.id AS campaign_id, t.model_id, sg.layer, COALESCE(sg.layer_last, sg.layer) AS layer_last,
         sg.mode, sg.alpha,
         sg.hit, sg.regime, sg.ppl_ratio
  FROM steering_generations sg
  JOIN tasks t ON t.id = sg.task_id
  JOIN campaign_tasks ct ON ct.task_id = t.id
  JOIN campaigns c ON c.id = ct.campaign_id),
ranked AS (
  SELECT campaign_id, model_id, layer, layer_last, mode, alpha, ppl_ratio,
         ROW_NUMBER() OVER (PARTITION BY campaign_id, model_id, layer, layer_last, mode, alpha ORDER BY ppl_ratio) AS k,
         COUNT(*) OVER (PARTITION BY campaign_id, model_id, layer, layer_last, mode, alpha) AS n
  FROM g WHERE ppl_ratio IS NOT NULL),
medians AS (
  SELECT campaign_id, model_id, layer, layer_last, mode, alpha, AVG(ppl_ratio) AS median_ppl_ratio
  FROM ranked WHERE k IN ((n + 1) / 2, (n + 2) / 2)
  GROUP BY campaign_id, model_id, layer, layer_last, mode, alpha),
windows AS (
  SELECT ct.campaign_id, t.model_id, cal.layer, cal.layer_last, cal.mode,
         MIN(cal.window_low) AS window_low, MAX(cal.window_high) AS window_high
  FROM steering_calibrations cal
  JOIN tasks t ON t.id = cal.task_id
  JOIN campaign_tasks ct ON ct.task_id = t.id
  GROUP BY ct.campaign_id, t.model_id, cal.layer, cal.layer_last, cal.mode),
dose AS (
  SELECT campaign, campaign_id, model_id, layer, layer_last, mode, alpha, COUNT(*) AS generations,
         AVG(hit) AS hit_rate, AVG(regime = 'surgical') AS surgical_share,
         AVG(regime = 'repetitive_collapse') AS repetitive_collapse_share,
         AVG(regime = 'explosive') AS explosive_share, AVG(regime = 'ineffective') AS ineffective_share,
         AVG(regime = 'empty') AS empty_share
  FROM g GROUP BY campaign_id, model_id, layer, layer_last, mode, alpha)
SELECT d.campaign, d.model_id, m.path AS model_path, m.family, d.layer, d.layer_last,
       CAST(d.layer AS REAL) / m.layers AS relative_depth, d.mode, d.alpha, d.generations, d.hit_rate,
       d.surgical_share, d.repetitive_collapse_share, d.explosive_share, d.ineffective_share, d.empty_share,
       md.median_ppl_ratio, w.window_low, w.window_high,
       CASE WHEN w.window_low IS NULL THEN NULL
            WHEN d.alpha >= w.window_low * (1 - 1e-9) AND d.alpha <= w.window_high * (1 + 1e-9) THEN 1 ELSE 0 END
         AS in_calibrated_window
FROM dose d
JOIN model_families m ON m.model_id = d.model_id
LEFT JOIN medians md ON md.campaign_id = d.campaign_id AND md.model_id = d.model_id AND md.layer = d.layer
                    AND md.layer_last = d.layer_last AND md.mode = d.mode AND md.alpha = d.alpha
LEFT JOIN windows w ON w.campaign_id = d.campaign_id AND w.model_id = d.model_id AND w.layer = d.layer
                   AND w.layer_last = d.layer_last AND w.mode = d.mode;
