// einsum and einsum_path: the subscripts are parsed into one letter per axis ("..." becomes
// letters no term uses), each operand's repeated letters become a diagonal (a strided view) and
// its letters used nowhere else are summed, then operands are contracted pairwise in a greedy
// order (NumPy's 'greedy': the pair whose result shrinks the working set most), each pair as one
// batched matmul. A letter of size 1 broadcasts against the same letter elsewhere, as in NumPy.
#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

#include "mlx/einsum.h"
#include "mlx/ops.h"

namespace mlx::core {

namespace {

using Labels = std::string;

struct Problem {
  std::vector<Labels> inputs;  // one letter per axis of each operand
  Labels output;
  std::map<char, int> sizes;  // each letter's size after broadcasting
};

[[noreturn]] void fail(const std::string& what) { throw std::invalid_argument("[einsum] " + what); }

bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// A term's letters with "..." kept as the single character '.'.
Labels read_term(const std::string& term, const std::string& subscripts) {
  Labels out;
  bool ellipsis = false;
  for (size_t i = 0; i < term.size(); ++i) {
    char c = term[i];
    if (is_letter(c)) {
      out.push_back(c);
    } else if (c == '.' && term.compare(i, 3, "...") == 0) {
      if (ellipsis) {
        fail("Subscripts '" + subscripts + "' have more than one '...' in the term '" + term +
             "'.");
      }
      ellipsis = true;
      out.push_back('.');
      i += 2;
    } else {
      fail(std::string("Invalid character '") + c + "' in subscripts '" + subscripts + "'.");
    }
  }
  return out;
}

Problem parse(const std::string& subscripts, const std::vector<array>& operands) {
  if (operands.empty()) {
    fail("At least one operand is required.");
  }
  std::string text;
  for (char c : subscripts) {
    if (c != ' ') text.push_back(c);
  }
  auto arrow = text.find("->");
  bool explicit_output = arrow != std::string::npos;
  std::string lhs = explicit_output ? text.substr(0, arrow) : text;
  std::string rhs = explicit_output ? text.substr(arrow + 2) : "";
  if (rhs.find("->") != std::string::npos) {
    fail("Subscripts '" + subscripts + "' have more than one '->'.");
  }
  std::vector<Labels> terms;
  size_t start = 0;
  while (true) {
    auto comma = lhs.find(',', start);
    terms.push_back(read_term(lhs.substr(start, comma - start), subscripts));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (terms.size() != operands.size()) {
    std::ostringstream msg;
    msg << "Subscripts '" << subscripts << "' name " << terms.size() << " operands but "
        << operands.size() << " were given.";
    fail(msg.str());
  }
  if (rhs.find(',') != std::string::npos) {
    fail("The output of subscripts '" + subscripts + "' has a ','.");
  }

  // The letters "..." stands for: unused letters, the last ones for the innermost dims.
  std::set<char> used;
  for (auto& t : terms) used.insert(t.begin(), t.end());
  for (char c : rhs) used.insert(c);
  int broadcast_dims = 0;
  for (size_t i = 0; i < terms.size(); ++i) {
    auto letters = static_cast<int>(std::count_if(terms[i].begin(), terms[i].end(), is_letter));
    bool has_ellipsis = terms[i].find('.') != std::string::npos;
    int ndim = static_cast<int>(operands[i].ndim());
    if (has_ellipsis ? letters > ndim : letters != ndim) {
      std::string written;
      for (char c : terms[i]) written += c == '.' ? std::string("...") : std::string(1, c);
      std::ostringstream msg;
      msg << "Operand " << i << " with shape " << operands[i].shape() << " has " << ndim
          << " dimensions but its subscripts '" << written << "' name " << letters << ".";
      fail(msg.str());
    }
    if (has_ellipsis) broadcast_dims = std::max(broadcast_dims, ndim - letters);
  }
  Labels fresh;
  for (char c = 'A'; static_cast<int>(fresh.size()) < broadcast_dims; ++c) {
    if (c > 'z') fail("Too many dimensions under '...'.");
    if (is_letter(c) && !used.count(c)) fresh.push_back(c);
  }

  Problem p;
  auto record = [&](char c, int size, size_t operand) {
    auto [it, inserted] = p.sizes.emplace(c, size);
    if (inserted || it->second == size || size == 1) return;
    if (it->second == 1) {
      it->second = size;
      return;
    }
    std::ostringstream msg;
    if (fresh.find(c) != std::string::npos) {
      msg << "The '...' dimensions of operand " << operand << " with shape "
          << operands[operand].shape() << " cannot be broadcast with the other operands.";
    } else {
      msg << "Index '" << c << "' has size " << size << " in operand " << operand << " but size "
          << it->second << " elsewhere.";
    }
    fail(msg.str());
  };
  for (size_t i = 0; i < terms.size(); ++i) {
    Labels labels;
    int ndim = static_cast<int>(operands[i].ndim());
    for (char c : terms[i]) {
      if (c == '.') {
        int letters = static_cast<int>(std::count_if(terms[i].begin(), terms[i].end(), is_letter));
        labels += fresh.substr(fresh.size() - (ndim - letters));
      } else {
        labels.push_back(c);
      }
    }
    std::map<char, int> own;
    for (int d = 0; d < ndim; ++d) {
      char c = labels[d];
      int size = operands[i].shape(d);
      auto [it, inserted] = own.emplace(c, size);
      if (!inserted && it->second != size) {
        std::ostringstream msg;
        msg << "Index '" << c << "' is repeated in operand " << i << " with shape "
            << operands[i].shape() << " but its dimensions differ.";
        fail(msg.str());
      }
      record(c, size, i);
    }
    p.inputs.push_back(std::move(labels));
  }

  if (explicit_output) {
    auto out = read_term(rhs, subscripts);
    for (char c : out) {
      if (c == '.') {
        p.output += fresh;
        continue;
      }
      if (p.output.find(c) != std::string::npos) {
        fail(std::string("Output index '") + c + "' is repeated in subscripts '" + subscripts +
             "'.");
      }
      if (!p.sizes.count(c)) {
        fail(std::string("Output index '") + c + "' does not appear in the inputs of '" +
             subscripts + "'.");
      }
      p.output.push_back(c);
    }
    if (!fresh.empty() && out.find('.') == std::string::npos) {
      fail("The inputs of '" + subscripts +
           "' have '...' dimensions but the output has no '...' to put them.");
    }
  } else {
    // Broadcast dims first, then the letters used once, in ASCII order (as NumPy).
    p.output = fresh;
    std::map<char, int> count;
    for (auto& t : p.inputs) {
      for (char c : t) ++count[c];
    }
    for (auto [c, n] : count) {
      if (n == 1 && fresh.find(c) == std::string::npos) p.output.push_back(c);
    }
  }
  return p;
}

// The letters each operand keeps after its diagonals and the sums of letters nobody else uses.
std::vector<Labels> reduced_inputs(const Problem& p) {
  std::vector<Labels> out;
  for (size_t i = 0; i < p.inputs.size(); ++i) {
    Labels kept;
    for (char c : p.inputs[i]) {
      if (kept.find(c) != std::string::npos) continue;
      bool needed = p.output.find(c) != std::string::npos;
      for (size_t j = 0; j < p.inputs.size() && !needed; ++j) {
        needed = j != i && p.inputs[j].find(c) != std::string::npos;
      }
      if (needed) kept.push_back(c);
    }
    out.push_back(std::move(kept));
  }
  return out;
}

double elements(const Labels& labels, const Problem& p) {
  double n = 1;
  for (char c : labels) n *= p.sizes.at(c);
  return n;
}

// The letters of the contraction of x and y that the rest (other operands, output) needs.
Labels pair_result(const Labels& x, const Labels& y, const std::vector<Labels>& others,
                   const Labels& output) {
  Labels out;
  auto needed = [&](char c) {
    if (output.find(c) != std::string::npos) return true;
    for (auto& o : others) {
      if (o.find(c) != std::string::npos) return true;
    }
    return false;
  };
  for (char c : x) {
    if (needed(c)) out.push_back(c);
  }
  for (char c : y) {
    if (x.find(c) == std::string::npos && needed(c)) out.push_back(c);
  }
  return out;
}

struct Step {
  int i, j;  // positions in the shrinking list; the result goes to its end
  Labels result;
};

// Greedy order: among pairs sharing a letter (any pair when none do), the one minimising the
// result's size minus its operands' sizes, then the smaller result, then the first pair.
std::vector<Step> greedy_path(std::vector<Labels> ops, const Problem& p) {
  std::vector<Step> steps;
  while (ops.size() > 1) {
    bool best_shares = false;
    double best_cost = 0;
    double best_size = 0;
    Step best{-1, -1, {}};
    for (int i = 0; i < static_cast<int>(ops.size()); ++i) {
      for (int j = i + 1; j < static_cast<int>(ops.size()); ++j) {
        bool shares = std::any_of(ops[i].begin(), ops[i].end(),
                                  [&](char c) { return ops[j].find(c) != std::string::npos; });
        std::vector<Labels> others;
        for (int k = 0; k < static_cast<int>(ops.size()); ++k) {
          if (k != i && k != j) others.push_back(ops[k]);
        }
        auto result = pair_result(ops[i], ops[j], others, p.output);
        double size = elements(result, p);
        double cost = size - elements(ops[i], p) - elements(ops[j], p);
        bool better = best.i < 0 || (shares && !best_shares) ||
                      (shares == best_shares &&
                       (cost < best_cost || (cost == best_cost && size < best_size)));
        if (better) {
          best = {i, j, result};
          best_shares = shares;
          best_cost = cost;
          best_size = size;
        }
      }
    }
    steps.push_back(best);
    ops.erase(ops.begin() + best.j);
    ops.erase(ops.begin() + best.i);
    ops.push_back(best.result);
  }
  return steps;
}

// x with letters lx to the given letter order, each letter broadcast to its full size.
array arrange(const array& x, const Labels& lx, const Labels& order, const Problem& p, Stream s) {
  std::vector<int> perm;
  Shape shape;
  for (char c : order) {
    perm.push_back(static_cast<int>(lx.find(c)));
    shape.push_back(p.sizes.at(c));
  }
  return broadcast_to(transpose(x, perm, s), shape, s);
}

int size_of(const Labels& labels, const Problem& p) {
  int n = 1;
  for (char c : labels) n *= p.sizes.at(c);
  return n;
}

// Contracts x and y into the letters `result`: batch letters (in both, kept), x's and y's own
// letters, and the summed letters (in both, not kept) as one batched matrix product.
array contract(const array& x, const Labels& lx, const array& y, const Labels& ly,
               const Labels& result, const Problem& p, Stream s) {
  Labels batch, own_x, own_y, summed;
  for (char c : lx) {
    bool in_y = ly.find(c) != std::string::npos;
    bool kept = result.find(c) != std::string::npos;
    (in_y ? (kept ? batch : summed) : own_x).push_back(c);
  }
  for (char c : ly) {
    if (lx.find(c) == std::string::npos) own_y.push_back(c);
  }
  Shape batch_shape;
  for (char c : batch) batch_shape.push_back(p.sizes.at(c));
  int rows = size_of(own_x, p);
  int cols = size_of(own_y, p);
  int inner = size_of(summed, p);
  auto shape_with = [&](std::initializer_list<int> dims) {
    Shape out = batch_shape;
    out.insert(out.end(), dims);
    return out;
  };
  auto xa = arrange(x, lx, batch + own_x + summed, p, s);
  auto ya = arrange(y, ly, batch + summed + own_y, p, s);
  array out = [&] {
    if (issubdtype(x.dtype(), inexact)) {
      return matmul(reshape(xa, shape_with({rows, inner}), s),
                    reshape(ya, shape_with({inner, cols}), s), s);
    }
    // Integers and bools (which matmul refuses): a broadcast product summed, in their dtype.
    auto xs = reshape(xa, shape_with({rows, 1, inner}), s);
    auto ys = reshape(swapaxes(reshape(ya, shape_with({inner, cols}), s), -1, -2, s),
                      shape_with({1, cols, inner}), s);
    return astype(sum(multiply(xs, ys, s), -1, false, s), x.dtype(), s);
  }();
  Shape out_shape = batch_shape;
  for (char c : own_x + own_y) out_shape.push_back(p.sizes.at(c));
  out = reshape(out, out_shape, s);
  // The product's letters are batch + own_x + own_y; put them in `result`'s order.
  return arrange(out, batch + own_x + own_y, result, p, s);
}

// An operand's diagonals (repeated letters) as a strided view, and its letters in `kept` only.
array prepare(const array& x, const Labels& labels, const Labels& kept, Stream s) {
  Labels unique;
  for (char c : labels) {
    if (unique.find(c) == std::string::npos) unique.push_back(c);
  }
  array out = x;
  if (unique.size() != labels.size()) {
    Strides row_major(x.ndim(), 1);
    for (int d = static_cast<int>(x.ndim()) - 2; d >= 0; --d) {
      row_major[d] = row_major[d + 1] * x.shape(d + 1);
    }
    Shape shape;
    Strides strides;
    for (char c : unique) {
      int64_t stride = 0;
      int size = 0;
      for (size_t d = 0; d < labels.size(); ++d) {
        if (labels[d] == c) {
          stride += row_major[d];
          size = x.shape(static_cast<int>(d));
        }
      }
      shape.push_back(size);
      strides.push_back(stride);
    }
    out = as_strided(x, shape, strides, 0, s);
  }
  std::vector<int> axes;
  for (size_t d = 0; d < unique.size(); ++d) {
    if (kept.find(unique[d]) == std::string::npos) axes.push_back(static_cast<int>(d));
  }
  if (!axes.empty()) {
    auto dtype = out.dtype();
    out = astype(sum(out, axes, false, s), dtype, s);
  }
  return out;
}

std::string term_text(const std::vector<Labels>& terms, const Labels& out) {
  std::string s;
  for (size_t i = 0; i < terms.size(); ++i) s += (i ? "," : "") + terms[i];
  return s + "->" + out;
}

// NumPy's FLOP estimate of a contraction over `letters`.
double flops(const std::set<char>& letters, bool inner, int terms, const Problem& p) {
  double size = 1;
  for (char c : letters) size *= p.sizes.at(c);
  return size * (std::max(1, terms - 1) + (inner ? 1 : 0));
}

}  // namespace

std::pair<std::vector<std::vector<int>>, std::string> einsum_path(
    const std::string& subscripts, const std::vector<array>& operands) {
  auto p = parse(subscripts, operands);
  auto ops = reduced_inputs(p);
  auto steps = greedy_path(ops, p);

  std::set<char> all;
  for (auto& t : p.inputs) all.insert(t.begin(), t.end());
  bool summed = std::any_of(all.begin(), all.end(),
                            [&](char c) { return p.output.find(c) == std::string::npos; });
  double naive = flops(all, summed, static_cast<int>(p.inputs.size()), p);

  std::vector<std::vector<int>> path;
  std::ostringstream rows;
  double optimized = 1;
  double largest = 0;
  size_t max_scaling = 0;
  auto remaining = ops;
  if (steps.empty()) {
    path.push_back({0});
    std::set<char> letters(p.inputs[0].begin(), p.inputs[0].end());
    optimized = flops(letters, letters.size() > p.output.size(), 1, p);
    largest = elements(p.output, p);
    max_scaling = letters.size();
  }
  for (auto& step : steps) {
    path.push_back({step.i, step.j});
    auto x = remaining[step.i];
    auto y = remaining[step.j];
    std::set<char> letters(x.begin(), x.end());
    letters.insert(y.begin(), y.end());
    bool inner = letters.size() > step.result.size();
    optimized += flops(letters, inner, 2, p);
    largest = std::max(largest, elements(step.result, p));
    max_scaling = std::max(max_scaling, letters.size());
    remaining.erase(remaining.begin() + step.j);
    remaining.erase(remaining.begin() + step.i);
    remaining.push_back(step.result);
    char line[256];
    std::snprintf(line, sizeof(line), "%4zu    %24s %40s\n", letters.size(),
                  term_text({x, y}, step.result).c_str(), term_text(remaining, p.output).c_str());
    rows << line;
  }
  std::vector<Labels> written;
  for (auto& t : p.inputs) written.push_back(t);
  char head[1024];
  std::snprintf(head, sizeof(head),
                "  Complete contraction:  %s\n"
                "         Naive scaling:  %zu\n"
                "     Optimized scaling:  %zu\n"
                "      Naive FLOP count:  %.3e\n"
                "  Optimized FLOP count:  %.3e\n"
                "   Theoretical speedup:  %.3f\n"
                "  Largest intermediate:  %.3e elements\n",
                term_text(written, p.output).c_str(), all.size(), max_scaling, naive, optimized,
                naive / optimized, largest);
  std::string rule(74, '-');
  std::string report = std::string(head) + rule + "\nscaling                  current" +
                       "                                remaining\n" + rule + "\n" + rows.str();
  return {path, report};
}

array einsum(const std::string& subscripts, const std::vector<array>& operands, StreamOrDevice s) {
  auto p = parse(subscripts, operands);
  auto stream = to_stream(s);
  auto dtype = operands[0].dtype();
  for (auto& x : operands) dtype = promote_types(dtype, x.dtype());
  auto kept = reduced_inputs(p);
  std::vector<array> ops;
  for (size_t i = 0; i < operands.size(); ++i) {
    ops.push_back(prepare(astype(operands[i], dtype, stream), p.inputs[i], kept[i], stream));
  }
  auto labels = kept;
  for (auto& step : greedy_path(kept, p)) {
    auto out =
        contract(ops[step.i], labels[step.i], ops[step.j], labels[step.j], step.result, p, stream);
    for (int k : {step.j, step.i}) {
      ops.erase(ops.begin() + k);
      labels.erase(labels.begin() + k);
    }
    ops.push_back(out);
    labels.push_back(step.result);
  }
  return arrange(ops[0], labels[0], p.output, p, stream);
}

}  // namespace mlx::core
