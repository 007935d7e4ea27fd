// The main demo: a small decoder-only transformer trained from scratch, in C++, on 3-digit
// addition it writes itself ("123+456=579"), with no download. It reports exact-match accuracy on
// 1,000 held-out problems, saves a checkpoint, reloads it and answers new problems.
//
// With --data FILE it trains a character-level language model on any text file instead and
// prints samples.
//
// The answer is written least-significant digit first in the training text ("123+456=9750" for
// 579, zero-padded to four digits): carries flow from the low digits, so each answer token then
// depends only on tokens already seen, which makes the task learnable in minutes on a CPU. The
// demo prints the answers in the usual order.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <unordered_set>
#include <vector>

#include "mlx/nn.h"
#include "mlx/optimizers.h"

namespace mx = mlx::core;
namespace nn = mlx::nn;
namespace optim = mlx::optimizers;
using mx::array;

namespace {

using nn::Embedding;
using nn::Linear;
using nn::RMSNorm;

struct Options {
  int layers = 2;
  int dims = 64;
  int heads = 4;
  int steps = 1000;
  int batch = 128;
  float lr = 3e-3f;
  float weight_decay = 0.01f;
  uint64_t seed = 0;
  int context = 64;  // --data mode
  int eval_every = 250;
  bool compile = true;
  std::string data;
  std::string checkpoint = "transformer_addition.safetensors";
};

void usage() {
  std::printf(
      "usage: transformer_addition [--layers N] [--dims N] [--heads N] [--steps N] [--batch N]\n"
      "         [--lr X] [--weight-decay X] [--seed N] [--eval-every N] [--no-compile]\n"
      "         [--checkpoint PATH] [--data FILE [--context N]]\n");
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", flag.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (flag == "--layers")
      o.layers = std::stoi(next());
    else if (flag == "--dims")
      o.dims = std::stoi(next());
    else if (flag == "--heads")
      o.heads = std::stoi(next());
    else if (flag == "--steps")
      o.steps = std::stoi(next());
    else if (flag == "--batch")
      o.batch = std::stoi(next());
    else if (flag == "--lr")
      o.lr = std::stof(next());
    else if (flag == "--weight-decay")
      o.weight_decay = std::stof(next());
    else if (flag == "--seed")
      o.seed = std::stoull(next());
    else if (flag == "--context")
      o.context = std::stoi(next());
    else if (flag == "--eval-every")
      o.eval_every = std::stoi(next());
    else if (flag == "--no-compile")
      o.compile = false;
    else if (flag == "--data")
      o.data = next();
    else if (flag == "--checkpoint")
      o.checkpoint = next();
    else {
      usage();
      std::exit(flag == "--help" || flag == "-h" ? 0 : 2);
    }
  }
  if (o.dims % o.heads != 0 || (o.dims / o.heads) % 2 != 0) {
    std::fprintf(stderr, "--dims must be a multiple of 2 * --heads\n");
    std::exit(2);
  }
  return o;
}

// ---- the model ----

class Attention : public nn::Module {
 public:
  Attention(int dims, int heads)
      : heads(heads),
        query_proj(std::make_shared<Linear>(dims, dims, false)),
        key_proj(std::make_shared<Linear>(dims, dims, false)),
        value_proj(std::make_shared<Linear>(dims, dims, false)),
        out_proj(std::make_shared<Linear>(dims, dims, false)) {
    register_module("query_proj", query_proj);
    register_module("key_proj", key_proj);
    register_module("value_proj", value_proj);
    register_module("out_proj", out_proj);
  }
  std::string name() const override { return "Attention"; }
  std::string describe_extra() const override { return "heads=" + std::to_string(heads); }

  array operator()(const array& x) {
    int B = x.shape(0), T = x.shape(1), D = x.shape(2), Dh = D / heads;
    auto split = [&](const array& y) {
      return mx::transpose(mx::reshape(y, {B, T, heads, Dh}), {0, 2, 1, 3});
    };
    auto q = split((*query_proj)(x));
    auto k = split((*key_proj)(x));
    auto v = split((*value_proj)(x));
    auto o = mx::fast::scaled_dot_product_attention(q, k, v, 1.0f / std::sqrt(float(Dh)), "causal");
    return (*out_proj)(mx::reshape(mx::transpose(o, {0, 2, 1, 3}), {B, T, D}));
  }

  int heads;
  std::shared_ptr<nn::UnaryLayer> query_proj, key_proj, value_proj, out_proj;
};

class Block : public nn::Module {
 public:
  Block(int dims, int heads)
      : attention_norm(std::make_shared<RMSNorm>(dims)),
        attention(std::make_shared<Attention>(dims, heads)),
        mlp_norm(std::make_shared<RMSNorm>(dims)),
        up(std::make_shared<Linear>(dims, 4 * dims, false)),
        down(std::make_shared<Linear>(4 * dims, dims, false)) {
    register_module("attention_norm", attention_norm);
    register_module("attention", attention);
    register_module("mlp_norm", mlp_norm);
    register_module("up", up);
    register_module("down", down);
  }
  std::string name() const override { return "Block"; }
  array operator()(const array& x) {
    auto h = x + (*attention)((*attention_norm)(x));
    auto u = (*up)((*mlp_norm)(h));
    return h + (*down)(nn::silu(u));
  }
  std::shared_ptr<nn::UnaryLayer> attention_norm;
  std::shared_ptr<Attention> attention;
  std::shared_ptr<nn::UnaryLayer> mlp_norm, up, down;
};

class Transformer : public nn::Module {
 public:
  Transformer(int vocab, int context, int dims, int heads, int layers)
      : embedding(std::make_shared<Embedding>(vocab, dims)),
        positions(std::make_shared<Embedding>(context, dims)),
        norm(std::make_shared<RMSNorm>(dims)) {
    for (int i = 0; i < layers; ++i) blocks.push_back(std::make_shared<Block>(dims, heads));
    register_module("embedding", embedding);
    register_module("positions", positions);
    register_modules("layers", blocks);
    register_module("norm", norm);
  }
  std::string name() const override { return "Transformer"; }
  // Logits for every position of (batch, tokens) ids.
  array operator()(const array& ids) {
    auto h = (*embedding)(ids) + (*positions)(mx::arange(ids.shape(1)));
    for (auto& block : blocks) h = (*block)(h);
    return embedding->as_linear((*norm)(h));
  }
  std::shared_ptr<Embedding> embedding, positions;
  std::vector<std::shared_ptr<Block>> blocks;
  std::shared_ptr<nn::UnaryLayer> norm;
};

// Mean cross-entropy of logits (..., vocab) against integer targets (...).
array cross_entropy(const array& logits, const array& targets) {
  return nn::losses::cross_entropy(logits, targets, std::nullopt, -1, 0.0f,
                                   nn::losses::Reduction::mean);
}

// ---- training ----

// AdamW with a linear warm-up over the first 5% of the steps, then cosine decay to 10%.
std::unique_ptr<optim::AdamW> make_optimizer(const Options& o) {
  int warmup = std::max(1, o.steps / 20);
  auto schedule =
      optim::join_schedules({optim::linear_schedule(0.0f, o.lr, warmup),
                             optim::cosine_decay(o.lr, std::max(1, o.steps - warmup), 0.1f * o.lr)},
                            {warmup});
  return std::make_unique<optim::AdamW>(schedule, optim::Betas{0.9f, 0.999f}, 1e-8f, o.weight_decay,
                                        true);
}

// The whole step (forward, gradients, AdamW update), compiled unless --no-compile.
optim::StepFunction make_step(Transformer& model, optim::Optimizer& optimizer, const Options& o,
                              std::function<array(const array&, const array&)> loss) {
  return optim::training_step(
      model, optimizer,
      [&model, loss](const std::vector<array>& in) {
        return std::vector<array>{loss(model(in[0]), in[1])};
      },
      o.compile);
}

class Progress {
 public:
  Progress(int total, int tokens_per_step)
      : total_(total), tokens_(tokens_per_step), start_(std::chrono::steady_clock::now()) {}
  double elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  void show(int step, float loss) {
    double t = elapsed();
    int width = 30, filled = width * step / total_;
    std::printf("\r[%s%s] %5d/%d  loss %.4f  %6.0f tok/s  %5.1f steps/s  %6.1fs",
                std::string(filled, '#').c_str(), std::string(width - filled, '.').c_str(), step,
                total_, loss, tokens_ * step / t, step / t, t);
    std::fflush(stdout);
  }

 private:
  int total_, tokens_;
  std::chrono::steady_clock::time_point start_;
};

// ---- 3-digit addition ----

// Tokens: digits 0-9, '+' = 10, '=' = 11. A problem is 12 tokens: "abc+def=" then the four digits
// of the sum, least significant first.
constexpr int kPlus = 10, kEquals = 11, kVocab = 12, kPromptLen = 8, kAnswerLen = 4;
constexpr int kProblemLen = kPromptLen + kAnswerLen;

void write_problem(int a, int b, int32_t* out) {
  for (int i = 0; i < 3; ++i) {
    out[2 - i] = (a / int(std::pow(10, i))) % 10;
    out[6 - i] = (b / int(std::pow(10, i))) % 10;
  }
  out[3] = kPlus;
  out[7] = kEquals;
  int sum = a + b;
  for (int i = 0; i < kAnswerLen; ++i, sum /= 10) out[kPromptLen + i] = sum % 10;
}

int read_answer(const int32_t* digits) {
  int value = 0;
  for (int i = kAnswerLen - 1; i >= 0; --i) value = value * 10 + digits[i];
  return value;
}

// Greedy answers to (a, b) problems: four forward passes over the whole batch.
std::vector<int> solve(Transformer& model, const std::vector<std::pair<int, int>>& problems) {
  int n = int(problems.size());
  std::vector<int32_t> tokens(size_t(n) * kProblemLen);
  for (int i = 0; i < n; ++i)
    write_problem(problems[i].first, problems[i].second, &tokens[i * kProblemLen]);
  auto seq = mx::slice(array(tokens.data(), {n, kProblemLen}, mx::int32), {0, 0}, {n, kPromptLen});
  for (int i = 0; i < kAnswerLen; ++i) {
    auto logits = model(seq);
    auto last = mx::slice(logits, {0, seq.shape(1) - 1, 0}, {n, seq.shape(1), kVocab});
    seq = mx::concatenate({seq, mx::astype(mx::argmax(last, -1), mx::int32)}, 1);
  }
  // A contiguous copy: the slice of the sequences is a strided view.
  auto answers = mx::contiguous(mx::slice(seq, {0, kPromptLen}, {n, kProblemLen}));
  mx::eval(answers);
  std::vector<int> out(n);
  const int32_t* p = answers.data<int32_t>();
  for (int i = 0; i < n; ++i) out[i] = read_answer(p + i * kAnswerLen);
  return out;
}

double accuracy(Transformer& model, const std::vector<std::pair<int, int>>& problems) {
  auto answers = solve(model, problems);
  int correct = 0;
  for (size_t i = 0; i < problems.size(); ++i) {
    correct += answers[i] == problems[i].first + problems[i].second;
  }
  return double(correct) / double(problems.size());
}

int run_addition(const Options& o) {
  std::mt19937_64 gen(o.seed);
  std::uniform_int_distribution<int> digit3(0, 999);
  std::vector<std::pair<int, int>> held_out;
  std::unordered_set<int> held_out_keys;
  while (held_out.size() < 1000) {
    int a = digit3(gen), b = digit3(gen);
    if (held_out_keys.insert(a * 1000 + b).second) held_out.emplace_back(a, b);
  }

  auto model = std::make_shared<Transformer>(kVocab, kProblemLen, o.dims, o.heads, o.layers);
  size_t count = 0;
  for (auto& p : model->parameters().flattened_values()) count += p.size();
  std::printf(
      "3-digit addition: %s\n%zu parameters; training %d steps of %d problems (seed %llu)\n",
      model->description().c_str(), count, o.steps, o.batch, (unsigned long long)o.seed);

  // The loss covers the answer tokens only: the predictions made at "=" and after it.
  auto loss = [](const array& logits, const array& targets) {
    int B = logits.shape(0), V = logits.shape(2);
    auto answer_logits = mx::slice(logits, {0, kPromptLen - 1, 0}, {B, kProblemLen - 1, V});
    auto answer_targets = mx::slice(targets, {0, kPromptLen - 1}, {B, kProblemLen - 1});
    return cross_entropy(answer_logits, answer_targets);
  };
  auto optimizer = make_optimizer(o);
  auto train_step = make_step(*model, *optimizer, o, loss);
  Progress progress(o.steps, o.batch * (kProblemLen - 1));
  std::vector<int32_t> tokens(size_t(o.batch) * kProblemLen);
  for (int step = 1; step <= o.steps; ++step) {
    for (int i = 0; i < o.batch; ++i) {
      int a, b;
      do {
        a = digit3(gen);
        b = digit3(gen);
      } while (held_out_keys.count(a * 1000 + b));
      write_problem(a, b, &tokens[size_t(i) * kProblemLen]);
    }
    auto batch = array(tokens.data(), {o.batch, kProblemLen}, mx::int32);
    auto inputs = mx::slice(batch, {0, 0}, {o.batch, kProblemLen - 1});
    auto targets = mx::slice(batch, {0, 1}, {o.batch, kProblemLen});
    float l = train_step({inputs, targets})[0].item<float>();
    if (step % 10 == 0 || step == o.steps) progress.show(step, l);
    if (o.eval_every > 0 && (step % o.eval_every == 0 || step == o.steps)) {
      std::printf("\n  step %5d: held-out exact match %.1f%%", step,
                  100.0 * accuracy(*model, held_out));
    }
  }
  double acc = accuracy(*model, held_out);
  std::printf("\nheld-out exact match on %zu problems: %.1f%% after %d steps in %.1fs\n",
              held_out.size(), 100.0 * acc, o.steps, progress.elapsed());

  model->save_weights(o.checkpoint);
  auto restored = std::make_shared<Transformer>(kVocab, kProblemLen, o.dims, o.heads, o.layers);
  restored->load_weights(o.checkpoint);
  std::printf("checkpoint saved to %s and reloaded; new problems:\n", o.checkpoint.c_str());
  std::vector<std::pair<int, int>> fresh;
  while (fresh.size() < 6) {
    int a = digit3(gen), b = digit3(gen);
    if (!held_out_keys.count(a * 1000 + b)) fresh.emplace_back(a, b);
  }
  auto answers = solve(*restored, fresh);
  for (size_t i = 0; i < fresh.size(); ++i) {
    int a = fresh[i].first, b = fresh[i].second;
    std::printf("  %3d + %3d = %4d  %s\n", a, b, answers[i], answers[i] == a + b ? "ok" : "wrong");
  }
  return acc >= 0.95 ? 0 : 1;
}

// ---- character-level language model on a text file ----

int run_text(const Options& o) {
  std::ifstream file(o.data, std::ios::binary);
  if (!file) {
    std::fprintf(stderr, "cannot read %s\n", o.data.c_str());
    return 2;
  }
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  if (text.size() < size_t(o.context) + 2) {
    std::fprintf(stderr, "%s is shorter than the context (%d characters)\n", o.data.c_str(),
                 o.context);
    return 2;
  }
  std::vector<int> to_id(256, -1);
  std::string chars;
  for (unsigned char c : text) {
    if (to_id[c] < 0) {
      to_id[c] = 0;
      chars.push_back(char(c));
    }
  }
  std::sort(chars.begin(), chars.end());
  for (size_t i = 0; i < chars.size(); ++i) to_id[(unsigned char)chars[i]] = int(i);
  int vocab = int(chars.size());
  std::vector<int32_t> ids(text.size());
  for (size_t i = 0; i < text.size(); ++i) ids[i] = to_id[(unsigned char)text[i]];

  auto model = std::make_shared<Transformer>(vocab, o.context, o.dims, o.heads, o.layers);
  std::printf("character-level model of %s (%zu characters, vocabulary %d)\n%s\n", o.data.c_str(),
              text.size(), vocab, model->description().c_str());
  auto optimizer = make_optimizer(o);
  auto train_step = make_step(*model, *optimizer, o, cross_entropy);
  Progress progress(o.steps, o.batch * o.context);
  std::mt19937_64 gen(o.seed);
  std::uniform_int_distribution<size_t> start(0, text.size() - o.context - 1);
  std::vector<int32_t> tokens(size_t(o.batch) * (o.context + 1));
  for (int step = 1; step <= o.steps; ++step) {
    for (int i = 0; i < o.batch; ++i) {
      size_t s = start(gen);
      std::copy(ids.begin() + s, ids.begin() + s + o.context + 1,
                &tokens[size_t(i) * (o.context + 1)]);
    }
    auto batch = array(tokens.data(), {o.batch, o.context + 1}, mx::int32);
    auto inputs = mx::slice(batch, {0, 0}, {o.batch, o.context});
    auto targets = mx::slice(batch, {0, 1}, {o.batch, o.context + 1});
    float l = train_step({inputs, targets})[0].item<float>();
    if (step % 10 == 0 || step == o.steps) progress.show(step, l);
  }
  model->save_weights(o.checkpoint);
  std::printf("\ncheckpoint saved to %s\nsamples (temperature 0.8):\n", o.checkpoint.c_str());
  auto key = mx::random::key(o.seed);
  for (int sample = 0; sample < 3; ++sample) {
    size_t s = start(gen);
    std::vector<int32_t> seq(ids.begin() + s, ids.begin() + s + std::min(o.context, 16));
    std::string out;
    for (int i = 0; i < 200; ++i) {
      int n = int(std::min<size_t>(seq.size(), o.context));
      auto window = array(seq.data() + seq.size() - n, {1, n}, mx::int32);
      auto logits = mx::slice(model->operator()(window), {0, n - 1, 0}, {1, n, vocab});
      auto [k, sub] = mx::random::split(key);
      key = k;
      int next = mx::random::categorical(logits * array(1.0f / 0.8f), -1, sub).item<uint32_t>();
      seq.push_back(next);
      out.push_back(chars[next]);
    }
    std::printf("---\n%s\n", out.c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  auto o = parse(argc, argv);
  mx::random::seed(o.seed);
  return o.data.empty() ? run_addition(o) : run_text(o);
}
