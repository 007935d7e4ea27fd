// Internal state shared by the function transformations (MLX's names).
#pragma once

namespace mlx::core::detail {

// While an InTracing is alive on a thread, arrays built from tracers keep their graphs when
// evaluated (the transformation still needs them).
struct InTracing {
  explicit InTracing(bool dynamic = false, bool grad = false);
  ~InTracing();
  InTracing(const InTracing&) = delete;
  InTracing& operator=(const InTracing&) = delete;

  static bool in_tracing();
  static bool in_dynamic_tracing();
  static bool in_grad_tracing();
  // Tracing by a transformation other than grad (vmap, compile, ...), which cannot evaluate.
  static bool in_non_grad_tracing();

 private:
  bool dynamic_;
  bool grad_;
};

// While a RetainGraph is alive on a thread, evaluated arrays keep their graphs.
struct RetainGraph {
  RetainGraph();
  ~RetainGraph();
  RetainGraph(const RetainGraph&) = delete;
  RetainGraph& operator=(const RetainGraph&) = delete;

  static bool retain_graph();
};

inline bool in_tracing() { return InTracing::in_tracing(); }
inline bool retain_graph() { return RetainGraph::retain_graph(); }

}  // namespace mlx::core::detail
