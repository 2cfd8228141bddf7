-- Migration 4: views of the permutation null and of the peak rule for every peak metric (views
-- only: no table changes, so a database of any earlier version keeps its rows as they are).
-- The peak rule (analysis/peak_rule.h): among blocks 1..L (never layer 0, the embedding output),
-- the best value of the metric (highest; lowest for mean_cosine), ties to the shallower layer.
-- Each ORDER BY below is analysis::PeakOrderSql(metric, "value", "layer"); a test checks that.

-- The label-permutation null of mean_cosine per (campaign, model, method, layer), as the metrics
-- task stores it: null_mean_cosine (mean over P label shuffles), separation_z = (null mean -
-- observed) / null sd, permutation_p = (1 + #(null <= observed)) / (P + 1), separation_gap =
-- null_mean_cosine - mean_cosine. NULL on databases whose metrics tasks predate the null.
CREATE VIEW separation_null AS
SELECT c.name AS campaign, m.model_id, m.path AS model_path, m.family, lm.method, lm.layer,
       CAST(lm.layer AS REAL) / m.layers AS relative_depth,
       MAX(CASE WHEN lm.metric = 'mean_cosine' THEN lm.value END) AS mean_cosine,
       MAX(CASE WHEN lm.metric = 'null_mean_cosine' THEN lm.value END) AS null_mean_cosine,
       MAX(CASE WHEN lm.metric = 'separation_z' THEN lm.value END) AS separation_z,
       MAX(CASE WHEN lm.metric = 'permutation_p' THEN lm.value END) AS permutation_p,
       MAX(CASE WHEN lm.metric = 'separation_gap' THEN lm.value END) AS separation_gap,
       MAX(CASE WHEN lm.metric = 'permutations' THEN lm.value END) AS permutations,
       lm.task_id
FROM layer_metrics lm
JOIN tasks t ON t.id = lm.task_id
JOIN model_families m ON m.model_id = t.model_id
JOIN campaign_tasks ct ON ct.task_id = t.id
JOIN campaigns c ON c.id = ct.campaign_id
WHERE lm.emotion = ''
GROUP BY c.id, lm.task_id, lm.method, lm.layer;

-- The candidates of the peak rule: blocks (layer >= 1) with a defined value of a peak metric,
-- averaged over the tasks (shards) that computed the same layer.
CREATE VIEW peak_candidates AS
SELECT c.name AS campaign, m.model_id, m.path AS model_path, m.family, lm.method, lm.metric, lm.layer,
       m.layers AS num_layers, CAST(lm.layer AS REAL) / m.layers AS relative_depth, AVG(lm.value) AS value
FROM layer_metrics lm
JOIN tasks t ON t.id = lm.task_id
JOIN model_families m ON m.model_id = t.model_id
JOIN campaign_tasks ct ON ct.task_id = t.id
JOIN campaigns c ON c.id = ct.campaign_id
WHERE lm.emotion = '' AND lm.layer >= 1 AND lm.value IS NOT NULL
  AND lm.metric IN ('probe_accuracy', 'fisher_ratio', 'separation_gap', 'separation_z', 'mean_cosine')
GROUP BY c.id, m.model_id, lm.method, lm.metric, lm.layer;

-- The peak layer per (campaign, model, method, metric), by the peak rule. `peak_depth` (migration
-- 3) is this view's probe_accuracy rows, the default peak metric.
CREATE VIEW peak_layers AS
SELECT campaign, model_id, model_path, family, method, metric, layer AS peak_layer, num_layers,
       relative_depth AS peak_relative_depth, value AS peak_value
FROM (
SELECT *, ROW_NUMBER() OVER (PARTITION BY campaign, model_id, method ORDER BY value DESC, layer ASC) AS rank_in_model
FROM peak_candidates WHERE metric = 'probe_accuracy'
UNION ALL
SELECT *, ROW_NUMBER() OVER (PARTITION BY campaign, model_id, method ORDER BY value DESC, layer ASC) AS rank_in_model
FROM peak_candidates WHERE metric = 'fisher_ratio'
UNION ALL
SELECT *, ROW_NUMBER() OVER (PARTITION BY campaign, model_id, method ORDER BY value DESC, layer ASC) AS rank_in_model
FROM peak_candidates WHERE metric = 'separation_gap'
UNION ALL
SELECT *, ROW_NUMBER() OVER (PARTITION BY campaign, model_id, method ORDER BY value DESC, layer ASC) AS rank_in_model
FROM peak_candidates WHERE metric = 'separation_z'
UNION ALL
SELECT *, ROW_NUMBER() OVER (PARTITION BY campaign, model_id, method ORDER BY value ASC, layer ASC) AS rank_in_model
FROM peak_candidates WHERE metric = 'mean_cosine')
WHERE rank_in_model = 1;
