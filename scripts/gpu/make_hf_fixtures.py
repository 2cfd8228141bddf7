#!/usr/bin/env python3
"""Writes tests/fixtures/hf/: tiny random-initialised checkpoints made by Hugging Face transformers
itself, with their inputs and outputs, for tests/models/hf_fixtures_test.cc (float32, 1e-4).

  python3 scripts/gpu/make_hf_fixtures.py [--out tests/fixtures/hf]

Needs torch, transformers and tokenizers (scripts/gpu-check.sh runs it on the GPU machine, which
has them; it runs on the CPU). One folder per model:
  llama3   LlamaForCausalLM, rope_scaling rope_type llama3 (original_max_position_embeddings 16, so
           positions 0..11 reach the scaled and the smoothed frequency bands)
  gemma3   Gemma3ForCausalLM (gemma3_text), linear rope scaling (factor 8) on the full-attention
           layers, sliding and full layers alternating, sliding window 4
  mistral  MistralForCausalLM, sliding window 4 < 12 tokens
  qwen2    Qwen2ForCausalLM (q/k/v biases, tied embeddings)
  roberta  RobertaForSequenceClassification, three labels, a byte-level BPE tokenizer.json
  distilbert DistilBertForSequenceClassification, three labels, a BERT uncased WordPiece tokenizer.json
Causal LMs: config.json and model.safetensors as save_pretrained writes them; expected.safetensors
holds input_ids I64 [B, T], residual F32 [L+1, B, T, d] (hidden_states with the last entry replaced
by the last block's raw output, before the final norm, as emoscope's hook points are) and logits
F32 [B, T, V]. The classifier: tokenizer.json, texts.json and probabilities F32 [B, labels].
Norm weights are perturbed (x + 0.1 N(0, 1)) and projections drawn at std 0.1 so every part
of each block moves the result. Seeded: the same versions write the same files.
"""
import argparse
import json
import os
import shutil

import torch
import transformers
from safetensors.torch import save_file
from transformers import (AutoModelForCausalLM, AutoModelForSequenceClassification, Gemma3TextConfig, LlamaConfig,
                          MistralConfig, Qwen2Config, RobertaConfig)

VOCAB = 128
BATCH, TOKENS = 2, 12
COMMON = dict(vocab_size=VOCAB, hidden_size=64, intermediate_size=128, num_attention_heads=4, num_key_value_heads=2,
              head_dim=16, max_position_embeddings=64, initializer_range=0.1, bos_token_id=1, eos_token_id=2,
              pad_token_id=0)


def perturb_norms(model):
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if "norm" in name.lower() and name.endswith("weight"):
                parameter.add_(0.1 * torch.randn(parameter.shape, generator=generator))


def causal_lm(name, config, out):
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(config, attn_implementation="eager").float().eval()
    perturb_norms(model)
    ids = torch.randint(3, VOCAB, (BATCH, TOKENS), generator=torch.Generator().manual_seed(2))
    raw_last = []
    layers = model.model.layers
    hook = layers[-1].register_forward_hook(
        lambda module, inputs, output: raw_last.append(output[0] if isinstance(output, tuple) else output))
    with torch.no_grad():
        result = model(input_ids=ids, attention_mask=torch.ones_like(ids), output_hidden_states=True, use_cache=False)
    hook.remove()
    hidden = list(result.hidden_states)
    assert len(hidden) == len(layers) + 1, f"{name}: {len(hidden)} hidden states for {len(layers)} layers"
    hidden[-1] = raw_last[0]  # transformers' last entry has the final norm applied
    folder = os.path.join(out, name)
    model.save_pretrained(folder)
    save_file({"input_ids": ids.contiguous(),
               "residual": torch.stack(hidden).float().contiguous(),
               "logits": result.logits.float().contiguous()}, os.path.join(folder, "expected.safetensors"))
    saved = json.load(open(os.path.join(folder, "config.json")))
    if "rope_parameters" in saved:
        print(f"{name}: note: config.json uses rope_parameters (transformers 5 layout)")
    print(f"{name}: {sum(p.numel() for p in model.parameters())} parameters, "
          f"logits |max| {result.logits.abs().max().item():.3g}")


def save_classifier(name, folder, tokenizer, config, texts, pad_id, pad_token):
    """A seeded random classifier of `config`, its probabilities for the padded batch of `texts`."""
    torch.manual_seed(0)
    model = AutoModelForSequenceClassification.from_config(config, attn_implementation="eager").float().eval()
    perturb_norms(model)
    tokenizer.enable_padding(pad_id=pad_id, pad_token=pad_token)
    encodings = tokenizer.encode_batch(texts)
    ids = torch.tensor([e.ids for e in encodings])
    mask = torch.tensor([e.attention_mask for e in encodings])
    with torch.no_grad():
        probabilities = torch.softmax(model(input_ids=ids, attention_mask=mask).logits.float(), dim=-1)
    model.save_pretrained(folder)
    json.dump(texts, open(os.path.join(folder, "texts.json"), "w"), indent=1)
    save_file({"input_ids": ids.contiguous(), "probabilities": probabilities.contiguous()},
              os.path.join(folder, "expected.safetensors"))
    print(f"{name}: vocab {tokenizer.get_vocab_size()}, probabilities {probabilities.tolist()[0]}")


def roberta(out):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    texts = ["I am so happy today!", "This makes me furious.", "The meeting is at noon.",
             "What a wonderful surprise", "She slammed the door in anger and left"]
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=300, special_tokens=["<s>", "<pad>", "</s>", "<unk>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tokenizer.train_from_iterator(texts * 4, trainer)
    tokenizer.post_processor = processors.RobertaProcessing(sep=("</s>", tokenizer.token_to_id("</s>")),
                                                            cls=("<s>", tokenizer.token_to_id("<s>")),
                                                            trim_offsets=True, add_prefix_space=False)
    folder = os.path.join(out, "roberta")
    os.makedirs(folder, exist_ok=True)
    tokenizer.save(os.path.join(folder, "tokenizer.json"))
    labels = ["joy", "anger", "neutral"]
    config = RobertaConfig(vocab_size=tokenizer.get_vocab_size(), hidden_size=32, num_hidden_layers=2,
                           num_attention_heads=4, intermediate_size=64, max_position_embeddings=64, type_vocab_size=1,
                           pad_token_id=1, bos_token_id=0, eos_token_id=2, initializer_range=0.1,
                           num_labels=len(labels), id2label=dict(enumerate(labels)),
                           label2id={label: i for i, label in enumerate(labels)})
    save_classifier("roberta", folder, tokenizer, config, texts, pad_id=1, pad_token="<pad>")


def distilbert(out):
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    texts = ["I am so happy today!", "This makes me furious.", "The meeting is at noon.",
             "What a wonderful surprise", "She slammed the door in anger and left"]
    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.decoder = decoders.WordPiece()
    trainer = trainers.WordPieceTrainer(vocab_size=200, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"],
                                        show_progress=False)
    tokenizer.train_from_iterator(texts * 4, trainer)
    tokenizer.post_processor = processors.BertProcessing(sep=("[SEP]", tokenizer.token_to_id("[SEP]")),
                                                         cls=("[CLS]", tokenizer.token_to_id("[CLS]")))
    folder = os.path.join(out, "distilbert")
    os.makedirs(folder, exist_ok=True)
    tokenizer.save(os.path.join(folder, "tokenizer.json"))
    labels = ["joy", "anger", "neutral"]
    config = transformers.DistilBertConfig(vocab_size=tokenizer.get_vocab_size(), dim=32, n_layers=2, n_heads=4,
                                           hidden_dim=64, max_position_embeddings=64, pad_token_id=0,
                                           initializer_range=0.1, num_labels=len(labels),
                                           id2label=dict(enumerate(labels)),
                                           label2id={label: i for i, label in enumerate(labels)})
    save_classifier("distilbert", folder, tokenizer, config, texts, pad_id=0, pad_token="[PAD]")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "hf"))
    out = os.path.abspath(parser.parse_args().out)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    torch.set_num_threads(min(8, os.cpu_count() or 1))
    causal_lm("llama3", LlamaConfig(**COMMON, num_hidden_layers=3, rope_theta=10000.0, rms_norm_eps=1e-5,
                                    tie_word_embeddings=False,
                                    rope_scaling={"rope_type": "llama3", "factor": 4.0, "low_freq_factor": 1.0,
                                                  "high_freq_factor": 4.0, "original_max_position_embeddings": 16}),
              out)
    causal_lm("gemma3", Gemma3TextConfig(**COMMON, num_hidden_layers=4, query_pre_attn_scalar=16, sliding_window=4,
                                         rope_theta=10000.0, rope_local_base_freq=1000.0,
                                         rope_scaling={"rope_type": "linear", "factor": 8.0},
                                         sliding_window_pattern=2,
                                         layer_types=["sliding_attention", "full_attention"] * 2),
              out)
    causal_lm("mistral", MistralConfig(**COMMON, num_hidden_layers=3, sliding_window=4, rope_theta=10000.0,
                                       tie_word_embeddings=False), out)
    causal_lm("qwen2", Qwen2Config(**COMMON, num_hidden_layers=3, rope_theta=1000000.0, tie_word_embeddings=True,
                                   use_sliding_window=False), out)
    roberta(out)
    distilbert(out)
    with open(os.path.join(out, "README.md"), "w") as readme:
        readme.write("Written by scripts/gpu/make_hf_fixtures.py with torch {} and transformers {}; compared by\n"
                     "tests/models/hf_fixtures_test.cc. Do not edit: run the script again.\n".format(
                         torch.__version__, transformers.__version__))
    print("wrote", out)


if __name__ == "__main__":
    main()
