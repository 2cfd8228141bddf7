#!/usr/bin/env node
// Writes small tokenizer.json files and the ids that Hugging Face's tokenizers library (its
// Rust implementation, through the official Node bindings, npm package `tokenizers`) gives for
// varied strings, as test data for tests/models/tokenizer_reference_test.cc:
//   tests/models/data/reference_tokenizers/<name>.json   the tokenizer.json files
//   tests/models/data/reference_tokenizers/expected.json {name: [{text, ids, decoded}, ...]}
// The BPE vocabularies are learned here on a small mixed corpus (plain pair-count BPE on the
// library's own pre-tokenization); the WordPiece vocabulary is built from the corpus' words and
// characters. Not run by CI; the outputs are checked in. To run it again:
//   mkdir -p /tmp/tokref && (cd /tmp/tokref && npm init -y >/dev/null && npm install tokenizers@0.23.2)
//   NODE_PATH=/tmp/tokref/node_modules node scripts/gen_tokenizer_references.js
'use strict';
const fs = require('fs');
const path = require('path');
const { Tokenizer, byteLevelAlphabet } = require('tokenizers');

const OUT = path.join(__dirname, '..', 'tests', 'models', 'data', 'reference_tokenizers');

// GPT-4o's o200k pattern, also used by open models.
const O200K =
  "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?" +
  "|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?" +
  "|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
// Mistral's tekken pattern (Mistral Nemo and later).
const TEKKEN =
  "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+" +
  "|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*" +
  "|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
// DeepSeek V3's sequence of three Split regexes.
const DEEPSEEK = [
  '\\p{N}{1,3}',
  '[一-龥\u3040-ゟ゠-ヿ]+',
  "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\\r\\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
];

const split = (regex) => ({ type: 'Split', pattern: { Regex: regex }, behavior: 'Isolated', invert: false });
const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false };

const FIXED = [
  '', ' ', 'Hello world', "I'm sure they'll say it's DON'T and WE'VE", 'HelloWORLDFooBar camelCaseString NASAIsGreat',
  'Price: $1234567.89 (approx. 3.14159) on 2024-05-17', 'x1y22z333w4444', '٣٤٥ Ⅻ ½ ²³ ①②',
  '我们今天很高兴。你好，世界！', 'ひらがなとカタカナと漢字が混ざった文章です', '안녕하세요 세계', 'Привет, мир! Ёжик',
  'ΑΣ ΟΔΟΣ σοφός', 'İstanbul ıiIİ', 'Café naïve résumé Ångström', 'e\u0301 a\u0308\u0323 \u1e9b\u0323',
  'مرحبا بالعالم', 'שלום עולם', '😀🎉👍🏽 👨‍👩‍👧 🇫🇷', 'a   b\t\tc\n\n\nd  \n  e', '   leading and trailing   ',
  'line one\r\nline two\rthree\n', 'tabs\there\u00a0nbsp\u3000ideographic\u2028sep\u0085nel', '!!!...??? --- ***',
  'https://example.com/a/b?c=d&e=f#g', 'for (int i = 0; i < 10; i++) { x += a[i] / 2; }', "'s 'S 'T 'Ll ’s",
  'don\'t can\'t won\'t it\'s', 'ǅungla ǈudi ǋ', 'ﬁne ﬂow Ⅷ ｆｕｌｌｗｉｄｔｈ', 'mixed中文English日本語한국어',
  '\u200bzero\u200dwidth\ufeffbom', 'The quick brown fox jumps over the lazy dog.', 'under_score snake_case __init__',
  '<|endoftext|>special<|endoftext|> text', '12 345 6789 0.5 -7 +8 1e10',
];

// A seeded generator (mulberry32), so the random strings are the same on every run.
function mulberry32(seed) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const POOL = [
  ...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789',
  ' ', ' ', ' ', '  ', '\t', '\n', '\r\n', "'", "'s", "'LL", '.', ',', '!', '?', '-', '/', '$', '_', '(', ')', '"',
  'é', 'ß', 'İ', 'ı', 'Σ', 'ς', 'Ǆ', 'ǅ', '中', '国', '日', 'ひ', 'カ', 'ー', '한', 'ä', 'ñ', 'Ж', 'ж', 'ع', 'א',
  '😀', '👍', '\u{1F3FD}', '\u200d', '\u0301', '\u0323', '\u00a0', '\u3000', '\u2028', '\u0085', '\ufeff',
  '٣', 'Ⅻ', '½', '²', '①', '。', '，', '！', '«', '»', '—', '…', '€', '±', '\u0000', '\u0007', '\ufffd',
];
function randomStrings(seed, count) {
  const random = mulberry32(seed);
  const out = [];
  for (let i = 0; i < count; ++i) {
    const length = Math.floor(random() * 30);
    let text = '';
    for (let j = 0; j < length; ++j) text += POOL[Math.floor(random() * POOL.length)];
    out.push(text);
  }
  return out;
}

function corpus() {
  const english = fs.readFileSync('/usr/share/common-licenses/Apache-2.0', 'utf8').slice(0, 12000);
  return [english, ...FIXED, ...randomStrings(7, 200)];
}

// Pair-count BPE over the byte-level words that `preTokenizer` gives for the corpus; ties go
// to the pair that sorts first. Returns [vocab, merges] with bytes first in the library's
// alphabet order.
function trainBpe(preTokenizer, numMerges) {
  const vocab = {};
  for (const c of byteLevelAlphabet().sort()) vocab[c] = Object.keys(vocab).length;
  const counts = new Map();
  for (const text of corpus()) {
    for (const [word] of preTokenizer.preTokenizeString(text)) counts.set(word, (counts.get(word) || 0) + 1);
  }
  let words = [...counts.entries()].map(([word, n]) => [[...word], n]);
  const merges = [];
  while (merges.length < numMerges) {
    const pairs = new Map();
    for (const [symbols, n] of words) {
      for (let i = 0; i + 1 < symbols.length; ++i) {
        const key = symbols[i] + '\u0000' + symbols[i + 1];
        pairs.set(key, (pairs.get(key) || 0) + n);
      }
    }
    let best = null;
    for (const [key, n] of pairs) {
      if (best === null || n > best[1] || (n === best[1] && key < best[0])) best = [key, n];
    }
    if (best === null) break;
    const [left, right] = best[0].split('\u0000');
    merges.push([left, right]);
    if (!(left + right in vocab)) vocab[left + right] = Object.keys(vocab).length;
    words = words.map(([symbols, n]) => {
      const merged = [];
      for (let i = 0; i < symbols.length; ++i) {
        if (i + 1 < symbols.length && symbols[i] === left && symbols[i + 1] === right) {
          merged.push(left + right);
          ++i;
        } else {
          merged.push(symbols[i]);
        }
      }
      return [merged, n];
    });
  }
  return [vocab, merges];
}

function byteLevelBpe(preTokenizer, numMerges) {
  const scaffold = {
    version: '1.0', truncation: null, padding: null, added_tokens: [], normalizer: null,
    pre_tokenizer: preTokenizer, post_processor: null, decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
             fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab: {}, merges: [] },
  };
  for (const c of byteLevelAlphabet()) scaffold.model.vocab[c] = Object.keys(scaffold.model.vocab).length;
  const [vocab, merges] = trainBpe(Tokenizer.fromString(JSON.stringify(scaffold)).getPreTokenizer(), numMerges);
  scaffold.model.vocab = vocab;
  scaffold.model.merges = merges;
  const id = Object.keys(vocab).length;
  scaffold.added_tokens = [{ id, content: '<|endoftext|>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }];
  return scaffold;
}

// A BERT tokenizer; `options` overrides BertNormalizer settings (uncased by default).
function bert(options, wordSplitter = { type: 'BertPreTokenizer' }) {
  const specials = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
  const json = {
    version: '1.0', truncation: null, padding: null,
    added_tokens: specials.map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true, ...options },
    pre_tokenizer: wordSplitter,
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
      pair: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } },
             { Sequence: { id: 'B', type_id: 1 } }, { SpecialToken: { id: '[SEP]', type_id: 1 } }],
      special_tokens: { '[CLS]': { id: '[CLS]', ids: [2], tokens: ['[CLS]'] }, '[SEP]': { id: '[SEP]', ids: [3], tokens: ['[SEP]'] } },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 20, vocab: {} },
  };
  const vocab = {};
  for (const token of specials) vocab[token] = Object.keys(vocab).length;
  const scaffold = { ...json, model: { ...json.model, vocab } };
  const tokenizer = Tokenizer.fromString(JSON.stringify(scaffold));
  const normalizer = tokenizer.getNormalizer();
  const preTokenizer = tokenizer.getPreTokenizer();
  const counts = new Map();
  const chars = new Set();
  for (const text of corpus()) {
    for (const [word] of preTokenizer.preTokenizeString(normalizer.normalizeString(text))) {
      counts.set(word, (counts.get(word) || 0) + 1);
      for (const c of word) chars.add(c);
    }
  }
  // Characters outside the BMP (emoji) are left out, so that some words become [UNK].
  const kept = [...chars].filter((c) => c.codePointAt(0) < 0x10000).sort();
  const add = (token) => { if (!(token in vocab)) vocab[token] = Object.keys(vocab).length; };
  for (const c of kept) add(c);
  for (const c of kept) add('##' + c);
  const frequent = [...counts.entries()].filter(([w]) => w.length > 1).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  for (const [word] of frequent.slice(0, 250)) add(word);
  for (const suffix of ['ing', 'ed', 'er', 's', 'ly', 'tion', 'ment', 'ne', 'lo', 'ab']) add('##' + suffix);
  json.model.vocab = vocab;
  return json;
}

async function main() {
  fs.mkdirSync(OUT, { recursive: true });
  const tokenizers = {
    o200k_bpe: byteLevelBpe({ type: 'Sequence', pretokenizers: [split(O200K), byteLevel] }, 600),
    tekken_bpe: byteLevelBpe({ type: 'Sequence', pretokenizers: [split(TEKKEN), byteLevel] }, 600),
    deepseek_bpe: byteLevelBpe({ type: 'Sequence', pretokenizers: [...DEEPSEEK.map(split), byteLevel] }, 600),
    bert_uncased: bert({}),
    // Cased, accents kept (strip_accents null follows lowercase), no CJK spacing, no cleaning.
    bert_cased: bert({ lowercase: false, handle_chinese_chars: false, clean_text: false }),
    // Lowercase without stripping accents.
    bert_lowercase_accents: bert({ strip_accents: false }),
    // WordPiece after the Whitespace (\w+|[^\w\s]+), WhitespaceSplit and Punctuation pre-tokenizers.
    wordpiece_whitespace: bert({}, { type: 'Whitespace' }),
    wordpiece_whitespace_split: bert({}, { type: 'Sequence', pretokenizers: [{ type: 'WhitespaceSplit' }, { type: 'Punctuation', behavior: 'MergedWithPrevious' }] }),
  };
  const texts = [...FIXED, ...randomStrings(2026, 120)];
  const expected = {};
  for (const [name, json] of Object.entries(tokenizers)) {
    const text = JSON.stringify(json);
    fs.writeFileSync(path.join(OUT, name + '.json'), text);
    const tokenizer = Tokenizer.fromString(text);
    expected[name] = [];
    for (const input of texts) {
      const ids = (await tokenizer.encode(input, null, { addSpecialTokens: true })).getIds();
      const decoded = await tokenizer.decode(ids, true);
      expected[name].push({ text: input, ids, decoded });
    }
  }
  fs.writeFileSync(path.join(OUT, 'expected.json'), JSON.stringify(expected, null, 0) + '\n');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
