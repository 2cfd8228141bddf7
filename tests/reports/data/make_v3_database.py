#!/usr/bin/env python3
"""Writes v3_campaign.db: a campaign database at schema version 3 (migrations 0001-0003 of the
release before the permutation null, applied as emoscope's Migrate applies them), holding what that
release's extract and metrics tasks stored for one model, two methods and three emotions: samples,
per-sample activations, and layer_metrics without null_mean_cosine / separation_z / permutation_p
(its separation_gap was anisotropy - mean_cosine; no neutral samples here, so NULL).

Run from the repository root: python3 tests/reports/data/make_v3_database.py (deterministic)."""
import json, math, os, random, sqlite3, struct

OUT = os.path.join(os.path.dirname(__file__), "v3_campaign.db")
EMOTIONS = ["joy", "fear", "anger"]
LAYERS, DIM = 3, 4


def cos(a, b):
    na, nb = math.sqrt(sum(x * x for x in a)), math.sqrt(sum(x * x for x in b))
    return 0.0 if na == 0 or nb == 0 else sum(x * y for x, y in zip(a, b)) / (na * nb)


def main():
    if os.path.exists(OUT):
        os.remove(OUT)
    db = sqlite3.connect(OUT)
    for version, name in [(1, "0001_initial.sql"), (2, "0002_science.sql"), (3, "0003_views.sql")]:
        db.executescript(open(os.path.join("schema", "migrations", name)).read())
        db.execute(f"PRAGMA user_version = {version}")
    rng = random.Random(3)
    db.execute("INSERT INTO campaigns (name, spec_text, spec_hash, created_at, updated_at) VALUES "
               "('old', 'campaign: old', 'v3', 1, 1)")
    db.execute("INSERT INTO models (path, architecture, layers, parameters, checksum) VALUES "
               "('/m/old-gpt2', 'gpt2', ?, 1000, 'c0ffee')", (LAYERS,))
    task_id = 0

    def task(kind, params):
        nonlocal task_id
        task_id += 1
        db.execute("INSERT INTO tasks (id, task_key, campaign_id, kind, model_id, params, state, max_attempts, "
                   "created_at, started_at, finished_at) VALUES (?, ?, 1, ?, 1, ?, 'done', 3, 1, 2, 3)",
                   (task_id, bytes([task_id]) * 32, kind, json.dumps(params, sort_keys=True)))
        db.execute("INSERT INTO campaign_tasks VALUES (1, ?)", (task_id,))
        return task_id

    centres = {e: [rng.gauss(0, 1) for _ in range(DIM)] for e in EMOTIONS}
    rows_by_method = {}
    for method in ["comprehension", "generation"]:
        tid = task("extract", {"method": method, "emotions": EMOTIONS})
        samples = []  # (stimulus_id, emotion)
        for e in EMOTIONS:
            if method == "comprehension":
                samples += [(f"{e}-{k}", e) for k in range(4)]
            else:
                samples += [(f"{e}-p{p}#{k}", e) for p in range(2) for k in range(2)]
        for index, (stimulus, emotion) in enumerate(samples):
            db.execute("INSERT INTO samples (task_id, sample_index, stimulus_id, emotion, method, seed, "
                       "readout_tokens, generated_text) VALUES (?, ?, ?, ?, ?, 0, 5, NULL)",
                       (tid, index, stimulus, emotion, method))
        per_layer = []
        for layer in range(LAYERS + 1):
            strength = [0.2, 0.8, 1.5, 0.6][layer]
            rows = [[strength * c + rng.gauss(0, 1) for c in centres[e]] for _, e in samples]
            rows = [[struct.unpack("<f", struct.pack("<f", v))[0] for v in row] for row in rows]  # float32
            blob = b"".join(struct.pack("<f", v) for row in rows for v in row)
            norms = b"".join(struct.pack("<f", math.sqrt(sum(v * v for v in row))) for row in rows)
            db.execute("INSERT INTO sample_activations VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (tid, layer, method, len(rows), DIM, blob, norms))
            per_layer.append((rows, [e for _, e in samples]))
        rows_by_method[method] = per_layer

    for method, per_layer in rows_by_method.items():
        for layer, (rows, labels) in enumerate(per_layer):
            tid = task("metrics", {"method": method, "layer": layer, "emotions": EMOTIONS, "probe_folds": 2,
                                   "neutral_pc_share": 0.5, "seed": 0})
            means = {e: [sum(r[k] for r, l in zip(rows, labels) if l == e) / labels.count(e) for k in range(DIM)]
                     for e in EMOTIONS}
            pairs = [(a, b) for i, a in enumerate(EMOTIONS) for b in EMOTIONS[i + 1:]]
            mean_cosine = sum(cos(means[a], means[b]) for a, b in pairs) / len(pairs)
            values = {"mean_cosine": mean_cosine, "anisotropy": None, "separation_gap": None,
                      "fisher_ratio": 0.5 + layer, "probe_accuracy": [0.4, 0.6, 0.9, 0.7][layer],
                      "chance": 1 / 3, "neutral_norm": None, "samples": len(rows), "neutral_samples": 0}
            for metric, value in values.items():
                db.execute("INSERT INTO layer_metrics VALUES (?, ?, ?, ?, '', ?)", (tid, layer, method, metric, value))
            for e in EMOTIONS:
                others = [cos(means[e], means[o]) for o in EMOTIONS if o != e]
                db.execute("INSERT INTO layer_metrics VALUES (?, ?, ?, 'emotion_separation', ?, ?)",
                           (tid, layer, method, e, 1 - sum(others) / len(others)))
    db.commit()
    db.execute("VACUUM")
    db.close()


if __name__ == "__main__":
    main()
