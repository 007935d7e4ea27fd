// The types export.h returns.
#pragma once

#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "mlx/export.h"

namespace mlx::core {

namespace detail {
struct ExportState;
struct FunctionTable;
}  // namespace detail

struct FunctionExporter {
  void operator()(const std::initializer_list<array>& args) { (*this)(Args(args)); }
  void operator()(const Args& args);
  void operator()(const Kwargs& kwargs);
  void operator()(const Args& args, const Kwargs& kwargs);

  /** Finishes the file; later calls throw. The destructor closes an exporter left open. */
  void close();

  FunctionExporter(const FunctionExporter&) = delete;
  FunctionExporter& operator=(const FunctionExporter&) = delete;
  FunctionExporter(FunctionExporter&& other) = default;
  FunctionExporter& operator=(FunctionExporter&& other) = default;
  ~FunctionExporter();

  explicit FunctionExporter(std::shared_ptr<detail::ExportState> state);

 private:
  std::shared_ptr<detail::ExportState> state_;
};

struct ImportedFunction {
  std::vector<array> operator()(const std::initializer_list<array>& args) const {
    return (*this)(Args(args));
  }
  std::vector<array> operator()(const Args& args) const;
  std::vector<array> operator()(const Kwargs& kwargs) const;
  std::vector<array> operator()(const Args& args, const Kwargs& kwargs) const;

  /** The metadata string given when the function was exported. */
  const std::string& metadata() const;

  explicit ImportedFunction(std::shared_ptr<const detail::FunctionTable> table);

 private:
  std::shared_ptr<const detail::FunctionTable> table_;
};

}  // namespace mlx::core
