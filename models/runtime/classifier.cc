#include "models/runtime/classifier.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <c10/core/InferenceMode.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/file_util.h"
#include "models/runtime/blocks.h"
#include "models/runtime/model_init.h"
#include "models/runtime/tensor_file.h"
#include "models/runtime/weights.h"
#include "models/tokenizer/tokenizer.h"

namespace emoscope {
namespace {

using nlohmann::json;

enum class EncoderFamily { kRoberta, kBert, kDistilBert };

struct EncoderConfig {
  EncoderFamily family = EncoderFamily::kRoberta;
  bool roberta = true;  // family == kRoberta (positions numbered from padding_idx + 1)
  int64_t vocab = 0, hidden = 0, layers = 0, heads = 0, intermediate = 0, positions = 0, type_vocab = 1;
  int64_t pad_id = 1;  // RoBERTa's padding_idx: positions start after it
  double eps = 1e-5;
  Activation activation = Activation::kGeluErf;
  std::vector<std::string> labels;
};

EncoderConfig ReadConfig(const std::string& dir) {
  const std::string path = JoinPath(dir, "config.json");
  json root;
  try {
    root = json::parse(ReadFile(path));
  } catch (const json::parse_error& error) {
    Fail("{}: not valid JSON: {}", path, error.what());
  }
  EncoderConfig c;
  const std::string type = root.value("model_type", "");
  if (type != "roberta" && type != "bert" && type != "xlm-roberta" && type != "distilbert") {
    Fail(
        "{}: field 'model_type': '{}' is not a supported classifier (roberta, xlm-roberta, bert, distilbert)",
        path, type);
  }
  c.family = type == "bert"         ? EncoderFamily::kBert
             : type == "distilbert" ? EncoderFamily::kDistilBert
                                    : EncoderFamily::kRoberta;
  c.roberta = c.family == EncoderFamily::kRoberta;
  const bool distil = c.family == EncoderFamily::kDistilBert;
  auto require = [&](const char* name) -> int64_t {
    if (!root.contains(name) || !root[name].is_number_integer() || root[name].get<int64_t>() <= 0) {
      Fail("{}: field '{}' must be a positive integer", path, name);
    }
    return root[name].get<int64_t>();
  };
  // DistilBERT's config names the same sizes differently (dim, n_layers, n_heads, hidden_dim).
  c.vocab = require("vocab_size");
  c.hidden = require(distil ? "dim" : "hidden_size");
  c.layers = require(distil ? "n_layers" : "num_hidden_layers");
  c.heads = require(distil ? "n_heads" : "num_attention_heads");
  c.intermediate = require(distil ? "hidden_dim" : "intermediate_size");
  c.positions = require("max_position_embeddings");
  c.type_vocab = distil ? 0 : root.value("type_vocab_size", int64_t{1});
  c.pad_id = root.value("pad_token_id", int64_t{c.roberta ? 1 : 0});
  c.eps = distil ? 1e-12 : root.value("layer_norm_eps", 1e-12);  // DistilBERT's LayerNorms are fixed at 1e-12
  if (c.hidden % c.heads != 0) Fail("{}: the hidden size is not divisible by the number of heads", path);
  const std::string act = root.value(distil ? "activation" : "hidden_act", "gelu");
  if (act == "gelu") {
    c.activation = Activation::kGeluErf;
  } else if (act == "gelu_new" || act == "gelu_pytorch_tanh") {
    c.activation = Activation::kGeluTanh;
  } else if (act == "relu") {
    c.activation = Activation::kRelu;
  } else {
    Fail("{}: field 'hidden_act': unsupported '{}'", path, act);
  }
  if (!root.contains("id2label") || !root["id2label"].is_object() || root["id2label"].empty()) {
    Fail("{}: field 'id2label' must map label ids to names", path);
  }
  c.labels.resize(root["id2label"].size());
  for (const auto& [key, value] : root["id2label"].items()) {
    size_t index = 0;
    try {
      index = std::stoul(key);
    } catch (const std::exception&) {
      Fail("{}: field 'id2label': key '{}' is not a label id", path, key);
    }
    if (index >= c.labels.size() || !value.is_string())
      Fail("{}: field 'id2label': bad entry '{}'", path, key);
    c.labels[index] = value.get<std::string>();
  }
  return c;
}

// The tensor names of one encoder block (after the model prefix and "<layers>N.").
struct BlockNames {
  const char* layers;
  const char *q, *k, *v, *o, *ln1, *up, *down, *ln2;
};
constexpr BlockNames kBertBlock = {
    "encoder.layer.",       "attention.self.query",   "attention.self.key",
    "attention.self.value", "attention.output.dense", "attention.output.LayerNorm",
    "intermediate.dense",   "output.dense",           "output.LayerNorm"};
constexpr BlockNames kDistilBertBlock = {"transformer.layer.", "attention.q_lin",   "attention.k_lin",
                                         "attention.v_lin",    "attention.out_lin", "sa_layer_norm",
                                         "ffn.lin1",           "ffn.lin2",          "output_layer_norm"};

class EncoderClassifier final : public SequenceClassifier {
 public:
  EncoderClassifier(const std::string& dir, const std::string& device)
      : config_(ReadConfig(dir)), device_(device) {
    labels_ = config_.labels;
    tokenizer_ = std::make_unique<Tokenizer>(Tokenizer::FromFolder(dir));
    const bool distil = config_.family == EncoderFamily::kDistilBert;
    const std::string base = config_.roberta ? "roberta." : distil ? "distilbert." : "bert.";
    WeightLoader loader(dir, {base, ""}, /*storage=*/at::kFloat, /*compute=*/at::kFloat, device_);
    owner_ = loader.owner();
    const int64_t d = config_.hidden;
    word_ = loader.Load("embeddings.word_embeddings.weight", {config_.vocab, d});
    position_ = loader.Load("embeddings.position_embeddings.weight", {config_.positions, d});
    if (!distil) type_ = loader.Load("embeddings.token_type_embeddings.weight", {config_.type_vocab, d});
    embed_ln_w_ = loader.Load("embeddings.LayerNorm.weight", {d});
    embed_ln_b_ = loader.Load("embeddings.LayerNorm.bias", {d});
    // One post-LayerNorm block per layer; DistilBERT names its parts differently.
    const BlockNames& names = distil ? kDistilBertBlock : kBertBlock;
    const int64_t m = config_.intermediate;
    for (int64_t i = 0; i < config_.layers; ++i) {
      const std::string p = std::string(names.layers) + std::to_string(i) + ".";
      auto weight = [&](const char* part, std::vector<int64_t> shape) {
        return loader.Load(p + part + ".weight", shape);
      };
      auto bias = [&](const char* part, int64_t size) { return loader.Load(p + part + ".bias", {size}); };
      Layer layer;
      layer.q = weight(names.q, {d, d});
      layer.q_b = bias(names.q, d);
      layer.k = weight(names.k, {d, d});
      layer.k_b = bias(names.k, d);
      layer.v = weight(names.v, {d, d});
      layer.v_b = bias(names.v, d);
      layer.o = weight(names.o, {d, d});
      layer.o_b = bias(names.o, d);
      layer.ln1_w = weight(names.ln1, {d});
      layer.ln1_b = bias(names.ln1, d);
      layer.up = weight(names.up, {m, d});
      layer.up_b = bias(names.up, m);
      layer.down = weight(names.down, {d, m});
      layer.down_b = bias(names.down, d);
      layer.ln2_w = weight(names.ln2, {d});
      layer.ln2_b = bias(names.ln2, d);
      layers_.push_back(std::move(layer));
    }
    const auto num_labels = static_cast<int64_t>(labels_.size());
    if (distil) {
      head_dense_ = loader.LoadExact({"pre_classifier.weight"}, {d, d}, false);
      head_dense_b_ = loader.LoadExact({"pre_classifier.bias"}, {d}, false);
      head_out_ = loader.LoadExact({"classifier.weight"}, {num_labels, d}, false);
      head_out_b_ = loader.LoadExact({"classifier.bias"}, {num_labels}, false);
    } else if (config_.roberta) {
      head_dense_ = loader.LoadExact({"classifier.dense.weight"}, {d, d}, false);
      head_dense_b_ = loader.LoadExact({"classifier.dense.bias"}, {d}, false);
      head_out_ = loader.LoadExact({"classifier.out_proj.weight"}, {num_labels, d}, false);
      head_out_b_ = loader.LoadExact({"classifier.out_proj.bias"}, {num_labels}, false);
    } else {
      head_dense_ = loader.Load("pooler.dense.weight", {d, d});
      head_dense_b_ = loader.Load("pooler.dense.bias", {d});
      head_out_ = loader.LoadExact({"classifier.weight"}, {num_labels, d}, false);
      head_out_b_ = loader.LoadExact({"classifier.bias"}, {num_labels}, false);
    }
  }

  std::vector<std::vector<double>> Classify(const std::vector<std::string>& texts) override {
    c10::InferenceMode guard;
    std::vector<std::vector<double>> out;
    if (texts.empty()) return out;
    std::vector<std::vector<int64_t>> encoded;
    int64_t width = 1;
    for (const std::string& text : texts) {
      std::vector<int64_t> ids;
      for (int32_t id : tokenizer_->Encode(text)) ids.push_back(id);
      if (static_cast<int64_t>(ids.size()) > config_.positions - (config_.roberta ? config_.pad_id + 1 : 0)) {
        ids.resize(static_cast<size_t>(config_.positions -
                                       (config_.roberta ? config_.pad_id + 1 : 0)));  // truncation
      }
      if (ids.empty()) ids.push_back(config_.pad_id);
      width = std::max<int64_t>(width, static_cast<int64_t>(ids.size()));
      encoded.push_back(std::move(ids));
    }
    const auto batch = static_cast<int64_t>(texts.size());
    std::vector<int64_t> flat(static_cast<size_t>(batch * width), config_.pad_id);
    std::vector<int64_t> mask_flat(flat.size(), 0);
    for (int64_t b = 0; b < batch; ++b) {
      for (size_t t = 0; t < encoded[static_cast<size_t>(b)].size(); ++t) {
        flat[static_cast<size_t>(b * width) + t] = encoded[static_cast<size_t>(b)][t];
        mask_flat[static_cast<size_t>(b * width) + t] = 1;
      }
    }
    for (int64_t id : flat) {
      if (id < 0 || id >= config_.vocab)
        Fail("classifier: token id {} is outside its vocabulary of {}", id, config_.vocab);
    }
    const at::Tensor ids = at::tensor(flat, at::kLong).view({batch, width}).to(device_);
    const at::Tensor mask = at::tensor(mask_flat, at::kLong).view({batch, width}).to(device_);
    // RoBERTa numbers real tokens from padding_idx + 1; BERT from 0.
    const at::Tensor positions = config_.roberta
                                     ? mask.cumsum(1) * mask + config_.pad_id
                                     : at::arange(width, ids.options()).unsqueeze(0).expand({batch, width});
    at::Tensor h = at::embedding(word_, ids) + at::embedding(position_, positions);
    if (type_.defined()) h = h + type_[0];  // DistilBERT has no token types
    h = LayerNorm(h, embed_ln_w_, embed_ln_b_, config_.eps);
    const at::Tensor allowed = mask.ne(0).unsqueeze(1).unsqueeze(1).expand({batch, 1, width, width});
    const int64_t head_dim = config_.hidden / config_.heads;
    const double scale = 1.0 / std::sqrt(static_cast<double>(head_dim));
    for (const Layer& layer : layers_) {
      const at::Tensor q = SplitHeads(Linear(h, layer.q, layer.q_b), config_.heads, head_dim);
      const at::Tensor k = SplitHeads(Linear(h, layer.k, layer.k_b), config_.heads, head_dim);
      const at::Tensor v = SplitHeads(Linear(h, layer.v, layer.v_b), config_.heads, head_dim);
      const at::Tensor attended = Attend(q, k, v, allowed, scale, 0.0);
      h = LayerNorm(h + Linear(attended, layer.o, layer.o_b), layer.ln1_w, layer.ln1_b, config_.eps);
      const at::Tensor inner = Activate(Linear(h, layer.up, layer.up_b), config_.activation);
      h = LayerNorm(h + Linear(inner, layer.down, layer.down_b), layer.ln2_w, layer.ln2_b, config_.eps);
    }
    const at::Tensor first = h.select(1, 0);  // <s> / [CLS]
    // RoBERTa and BERT: tanh(dense) then the output layer; DistilBERT: ReLU(pre_classifier).
    const at::Tensor pooled = Linear(first, head_dense_, head_dense_b_);
    const at::Tensor logits =
        Linear(config_.family == EncoderFamily::kDistilBert ? at::relu(pooled) : at::tanh(pooled), head_out_,
               head_out_b_);
    const at::Tensor probs = at::softmax(logits.to(at::kDouble), -1).to(at::kCPU).contiguous();
    const double* data = probs.data_ptr<double>();
    const auto labels = static_cast<int64_t>(labels_.size());
    for (int64_t b = 0; b < batch; ++b) out.emplace_back(data + b * labels, data + (b + 1) * labels);
    return out;
  }

 private:
  struct Layer {
    at::Tensor q, q_b, k, k_b, v, v_b, o, o_b, ln1_w, ln1_b, up, up_b, down, down_b, ln2_w, ln2_b;
  };
  EncoderConfig config_;
  at::Device device_;
  std::unique_ptr<Tokenizer> tokenizer_;
  std::shared_ptr<void> owner_;
  at::Tensor word_, position_, type_, embed_ln_w_, embed_ln_b_;
  at::Tensor head_dense_, head_dense_b_, head_out_, head_out_b_;
  std::vector<Layer> layers_;
};

}  // namespace

std::unique_ptr<SequenceClassifier> SequenceClassifier::Load(const std::string& dir,
                                                             const std::string& device) {
  try {
    return std::make_unique<EncoderClassifier>(dir, device);
  } catch (const c10::Error& error) {
    Fail("{}: loading the classifier failed: {}", dir, error.what_without_backtrace());
  }
}

namespace {

// Random post-LayerNorm encoder blocks under `prefix`, named as `names` lays them out (RoBERTa
// and BERT share kBertBlock): projections N(0, 0.05), biases N(0, 0.02), norm weights 1 ± 0.1.
template <typename Add>
void AddRandomBlocks(const Add& add, const std::string& prefix, const BlockNames& names, int64_t layers,
                     int64_t d, int64_t m) {
  for (int64_t i = 0; i < layers; ++i) {
    const std::string p = prefix + names.layers + std::to_string(i) + ".";
    for (const char* name : {names.q, names.k, names.v, names.o}) {
      add(p + name + ".weight", {d, d}, 0.05, 0.0);
      add(p + name + ".bias", {d}, 0.02, 0.0);
    }
    add(p + names.ln1 + ".weight", {d}, 0.1, 1.0);
    add(p + names.ln1 + ".bias", {d}, 0.02, 0.0);
    add(p + names.up + ".weight", {m, d}, 0.05, 0.0);
    add(p + names.up + ".bias", {m}, 0.02, 0.0);
    add(p + names.down + ".weight", {d, m}, 0.05, 0.0);
    add(p + names.down + ".bias", {d}, 0.02, 0.0);
    add(p + names.ln2 + ".weight", {d}, 0.1, 1.0);
    add(p + names.ln2 + ".bias", {d}, 0.02, 0.0);
  }
}

// DistilBERT: byte-level vocabulary with [CLS] [PAD] [SEP] [UNK] (ids 256..259) and BERT's
// [CLS] ... [SEP] template; HF's DistilBertForSequenceClassification layout.
void InitRandomDistilBert(const ClassifierInitOptions& o, const std::string& dir) {
  const std::string tokenizer_path = JoinPath(dir, "tokenizer.json");
  WriteByteLevelBpeTokenizer(tokenizer_path, {}, {"[CLS]", "[PAD]", "[SEP]", "[UNK]"});
  json tokenizer = json::parse(ReadFile(tokenizer_path));
  tokenizer["post_processor"] = {
      {"type", "BertProcessing"}, {"sep", {"[SEP]", 258}}, {"cls", {"[CLS]", 256}}};
  WriteFileAtomic(tokenizer_path, tokenizer.dump(2));
  const int64_t vocab = 260, positions = 128, d = o.hidden;
  json id2label = json::object();
  for (size_t i = 0; i < o.labels.size(); ++i) id2label[std::to_string(i)] = o.labels[i];
  const json config = {{"architectures", {"DistilBertForSequenceClassification"}},
                       {"model_type", "distilbert"},
                       {"vocab_size", vocab},
                       {"dim", d},
                       {"n_layers", o.layers},
                       {"n_heads", o.heads},
                       {"hidden_dim", o.intermediate},
                       {"activation", "gelu"},
                       {"max_position_embeddings", positions},
                       {"sinusoidal_pos_embds", false},
                       {"pad_token_id", 257},
                       {"id2label", id2label}};
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(o.seed);
  std::vector<std::pair<std::string, at::Tensor>> tensors;
  auto add = [&](const std::string& name, std::vector<int64_t> shape, double std, double mean = 0.0) {
    tensors.emplace_back(name, at::randn(shape, generator) * std + mean);
  };
  add("distilbert.embeddings.word_embeddings.weight", {vocab, d}, 0.02);
  add("distilbert.embeddings.position_embeddings.weight", {positions, d}, 0.02);
  add("distilbert.embeddings.LayerNorm.weight", {d}, 0.1, 1.0);
  add("distilbert.embeddings.LayerNorm.bias", {d}, 0.02);
  AddRandomBlocks(add, "distilbert.", kDistilBertBlock, o.layers, d, o.intermediate);
  add("pre_classifier.weight", {d, d}, 0.1);
  add("pre_classifier.bias", {d}, 0.02);
  add("classifier.weight", {static_cast<int64_t>(o.labels.size()), d}, 0.5);
  add("classifier.bias", {static_cast<int64_t>(o.labels.size())}, 0.02);
  WriteTensorFile(JoinPath(dir, "model.safetensors"), tensors, {{"format", "pt"}});
  WriteFileAtomic(JoinPath(dir, "config.json"), config.dump(2) + "\n");
}

}  // namespace

void InitRandomClassifier(const ClassifierInitOptions& o, const std::string& dir) {
  if (o.arch != "roberta" && o.arch != "distilbert")
    Fail("classifier init: --arch must be roberta or distilbert (byte-level BPE tokenizers)");
  if (o.labels.size() < 2) Fail("classifier init: give at least two labels");
  CreateModelFolder(dir);
  if (o.arch == "distilbert") {
    InitRandomDistilBert(o, dir);
    return;
  }
  // Byte-level BPE vocabulary: 256 bytes, then <s> <pad> </s> <unk> (ids 256..259); RoBERTa's
  // template wraps every text in <s> ... </s>.
  const std::string tokenizer_path = JoinPath(dir, "tokenizer.json");
  WriteByteLevelBpeTokenizer(tokenizer_path, {}, {"<s>", "<pad>", "</s>", "<unk>"});
  json tokenizer = json::parse(ReadFile(tokenizer_path));
  tokenizer["post_processor"] = {{"type", "RobertaProcessing"},
                                 {"sep", {"</s>", 258}},
                                 {"cls", {"<s>", 256}},
                                 {"trim_offsets", true},
                                 {"add_prefix_space", false}};
  WriteFileAtomic(tokenizer_path, tokenizer.dump(2));
  const int64_t vocab = 260;
  const int64_t positions = 400;  // RoBERTa numbers positions from pad_token_id (257) + 1
  json id2label = json::object();
  json label2id = json::object();
  for (size_t i = 0; i < o.labels.size(); ++i) {
    id2label[std::to_string(i)] = o.labels[i];
    label2id[o.labels[i]] = i;
  }
  const json config = {{"architectures", {"RobertaForSequenceClassification"}},
                       {"model_type", "roberta"},
                       {"vocab_size", vocab},
                       {"hidden_size", o.hidden},
                       {"num_hidden_layers", o.layers},
                       {"num_attention_heads", o.heads},
                       {"intermediate_size", o.intermediate},
                       {"hidden_act", "gelu"},
                       {"max_position_embeddings", positions},
                       {"type_vocab_size", 1},
                       {"layer_norm_eps", 1e-5},
                       {"pad_token_id", 257},
                       {"bos_token_id", 256},
                       {"eos_token_id", 258},
                       {"id2label", id2label},
                       {"label2id", label2id}};
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(o.seed);
  std::vector<std::pair<std::string, at::Tensor>> tensors;
  auto add = [&](const std::string& name, std::vector<int64_t> shape, double std, double mean = 0.0) {
    tensors.emplace_back(name, at::randn(shape, generator) * std + mean);
  };
  const int64_t d = o.hidden;
  add("roberta.embeddings.word_embeddings.weight", {vocab, d}, 0.02);
  add("roberta.embeddings.position_embeddings.weight", {positions, d}, 0.02);
  add("roberta.embeddings.token_type_embeddings.weight", {1, d}, 0.02);
  add("roberta.embeddings.LayerNorm.weight", {d}, 0.1, 1.0);
  add("roberta.embeddings.LayerNorm.bias", {d}, 0.02);
  AddRandomBlocks(add, "roberta.", kBertBlock, o.layers, d, o.intermediate);
  add("classifier.dense.weight", {d, d}, 0.1);
  add("classifier.dense.bias", {d}, 0.02);
  add("classifier.out_proj.weight", {static_cast<int64_t>(o.labels.size()), d}, 0.5);
  add("classifier.out_proj.bias", {static_cast<int64_t>(o.labels.size())}, 0.02);
  WriteTensorFile(JoinPath(dir, "model.safetensors"), tensors, {{"format", "pt"}});
  WriteFileAtomic(JoinPath(dir, "config.json"), config.dump(2) + "\n");
}

}  // namespace emoscope
