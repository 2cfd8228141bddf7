// Inputs of a task from the results of the tasks it depends on. A task whose params hold
//   "inputs": [{"table": "sample_activations", "where": {"layer": 3}}, {"table": "samples"}]
// is dispatched with, for each entry, the rows of that result table written by its dependencies
// (task_deps), filtered by equality on the `where` columns, in (task_id, primary key) order. Rows
// go in the lease's "inputs" field as {"<table>": [{column: value}, ...]}; BLOB values travel as
// extra frames and appear as {"$blob": i}, as in results.
//
// Only result tables may be read, only columns they have may be filtered on (names are checked
// against the schema before they reach SQL; values are bound). A bad spec is an Error naming the
// task and the entry: the coordinator fails the task instead of dispatching it.
#pragma once

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>
#include <zmq.hpp>

namespace emoscope {

class Database;
class ResultTables;

nlohmann::json LoadTaskInputs(Database& db, const ResultTables& tables, int64_t task_id, const nlohmann::json& specs,
                              std::vector<zmq::message_t>* blobs);

}  // namespace emoscope
