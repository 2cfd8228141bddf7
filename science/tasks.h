// The science task kinds workers run (docs/science.md):
//   extract   (model, method, emotion set, shard): reads every stimulus, stores per-sample
//             activations at every hook point (one float32 blob per layer) and sample metadata;
//             method "neutral" reads the neutral texts (anisotropy, neutral PCs, norms n_l).
//   metrics   (model, method, layer): class means, emotion vectors, separation metrics, n_l, from
//             the extract tasks it depends on (their rows arrive as the task's inputs).
//   calibrate (model, layer spec, emotion or all): the largest coherent steering coefficient by
//             bisection on a log scale, and the window the steer tasks it feeds then sweep.
//   steer     (model, layer spec, emotion, coefficients): steered generations against same-seed
//             unsteered baselines, judged, measured, sorted into regimes.
#pragma once

namespace emoscope {

class TaskRegistry;

// Registers extract, metrics, calibrate and steer next to whatever `registry` holds.
void RegisterScienceKinds(TaskRegistry& registry);

}  // namespace emoscope
