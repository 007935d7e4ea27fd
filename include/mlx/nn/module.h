// mlx::nn::Module: a layer or a model, with named parameters and child modules registered in the
// constructor, so that parameter trees, updates, freezing and printing need no reflection.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <typeinfo>
#include <utility>
#include <vector>

#include "mlx/array.h"
#include "mlx/nested.h"

namespace mlx::nn {

using mlx::core::array;

class Module;
using ModuleParameters = mlx::core::NestedDictionary<std::string, array>;
using ModuleChildren = mlx::core::NestedDictionary<std::string, std::shared_ptr<Module>>;

/** The checks Module::update and update_modules make (MLX Swift's VerifyUpdate option set). */
enum class VerifyUpdate : unsigned {
  none = 0,
  no_unused_keys = 1,      // every key of the update names a member of the model
  all_model_keys_set = 2,  // every parameter of the model is in the update
  shape_mismatch = 4,      // new arrays have the shapes of the ones they replace
  all = 7,
};
constexpr VerifyUpdate operator|(VerifyUpdate a, VerifyUpdate b) {
  return VerifyUpdate(unsigned(a) | unsigned(b));
}
constexpr VerifyUpdate operator&(VerifyUpdate a, VerifyUpdate b) {
  return VerifyUpdate(unsigned(a) & unsigned(b));
}

namespace detail {
std::string demangle(const char* mangled_name);
}  // namespace detail

/**
 * The base of every layer and model. A derived class initialises its members, then registers
 * them in its constructor:
 *
 *   class MLP : public nn::Module {
 *    public:
 *     MLP(int in, int hidden, int out)
 *         : fc1(std::make_shared<nn::Linear>(in, hidden)),
 *           fc2(std::make_shared<nn::Linear>(hidden, out)) {
 *       register_module("fc1", fc1);
 *       register_module("fc2", fc2);
 *     }
 *     std::string name() const override { return "MLP"; }
 *     array operator()(const array& x) { return (*fc2)(nn::relu((*fc1)(x))); }
 *     std::shared_ptr<nn::Linear> fc1, fc2;
 *   };
 *
 * Modules keep pointers to their own members, so they can be neither copied nor moved: hold them
 * by std::shared_ptr (`auto m = std::make_shared<MLP>(4, 8, 2);`), which named_modules() and
 * modules() need too. Keys starting with "_" are private: kept out of every tree (caches).
 */
class Module : public std::enable_shared_from_this<Module> {
 public:
  Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;
  virtual ~Module() = default;

  /** The class name shown when printing ("Linear"). */
  virtual std::string name() const { return "Module"; }
  /**
   * The arguments shown inside the parentheses when printing, without the parentheses
   * (MLX Python's _extra_repr): "input_dims=4, output_dims=8, bias=True".
   */
  virtual std::string describe_extra() const { return ""; }
  /**
   * MLX Python's repr: `Name(extra` then one indented `(key): child` line per child in
   * flattened order, then `)`.
   */
  std::string description(int indent = 0) const;

  bool training() const { return training_; }
  /** Sets training mode here and in every child (dropout, batch norm statistics). */
  virtual void train(bool mode = true);

  /** Every parameter (frozen ones too), children under their keys, child lists as lists. */
  ModuleParameters parameters() const;
  /** parameters() without the frozen ones (keys in each module's frozen set). */
  ModuleParameters trainable_parameters() const;
  /** The direct children (lists of children as lists). */
  ModuleChildren children() const;
  /** The modules without children, in a tree that follows the module tree. */
  ModuleChildren leaf_modules() const;
  /**
   * (path, module) for this module ("") and every descendant ("layers.0"), in MLX Python's
   * order: the reverse of apply_to_modules' visiting order, so this module comes last.
   */
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> named_modules();
  std::vector<std::shared_ptr<Module>> modules();

  /**
   * Replaces the parameters named in `params` (a partial tree is fine). The checks in `verify`
   * all run before anything changes; a failed one throws std::invalid_argument naming every
   * unexpected key, missing key and mis-shaped parameter. A tree whose structure disagrees with
   * the model (a list where a parameter is) always throws.
   */
  Module& update(const ModuleParameters& params, VerifyUpdate verify = VerifyUpdate::none);
  /**
   * Replaces child modules: a module value replaces the child at its key, a dictionary updates
   * that child's own children. A replacement must be of the member's registered type (or derive
   * from it); otherwise std::invalid_argument names the key and both types. With
   * no_unused_keys, keys that name no child throw.
   */
  Module& update_modules(const ModuleChildren& modules, VerifyUpdate verify = VerifyUpdate::none);

  /**
   * Adds `keys` (local member names; all local parameters when nullopt) to the frozen set of this
   * module and, when recursive, of every descendant. Frozen parameters stay in parameters() but
   * leave trainable_parameters(); freezing a child's key freezes that whole child. With strict,
   * a key that names no member of this module throws std::invalid_argument. Virtual so layers
   * whose state must stay frozen (batch norm statistics, quantized weights) can re-freeze it.
   */
  virtual void freeze(bool recursive = true,
                      const std::optional<std::vector<std::string>>& keys = std::nullopt,
                      bool strict = false);
  /** Removes `keys` (every key when nullopt) from the frozen sets, as freeze adds them. */
  virtual void unfreeze(bool recursive = true,
                        const std::optional<std::vector<std::string>>& keys = std::nullopt,
                        bool strict = false);

  /** Maps every parameter (frozen ones too), e.g. to change the dtype. */
  Module& apply(const std::function<array(const array&)>& map);
  /** Maps the parameters for which filter(path, array) is true; path is "layers.0.weight". */
  Module& apply(const std::function<bool(const std::string& path, const array&)>& filter,
                const std::function<array(const array&)>& map);
  /**
   * fn(path, module) for this module ("") and every descendant, depth first from a stack as MLX
   * Python does (a module before its children, siblings in reverse key order).
   */
  void apply_to_modules(const std::function<void(const std::string& path, Module&)>& fn);

  /** Every parameter (frozen ones too) in flattened order: the state of compiled steps. */
  std::vector<array> inner_state() const;

  /** Saves parameters() in safetensors with flattened keys ("layers.0.weight"). */
  void save_weights(const std::string& path) const;
  /**
   * Loads a safetensors file written by save_weights (or MLX Python). strict: the file's keys
   * must be exactly the model's with the same shapes; otherwise only the keys the model has are
   * loaded (shapes are still checked). Errors name the missing, unexpected and mis-shaped keys.
   */
  void load_weights(const std::string& path, bool strict = true);

 protected:
  void register_parameter(std::string key, array& member);
  /** An optional parameter (a bias): absent from every tree while it holds no array. */
  void register_parameter(std::string key, std::optional<array>& member);
  void register_parameters(std::string key, std::vector<array>& members);

  /**
   * A child module. update_modules may later replace it with any module that is a T, so hold
   * children that quantize() replaces as std::shared_ptr<UnaryLayer> (or Module).
   */
  template <class T>
  void register_module(std::string key, std::shared_ptr<T>& member) {
    static_assert(std::is_base_of_v<Module, T>, "register_module needs a Module");
    auto e = make_entry(std::move(key), Kind::module_, &member);
    e.type_name = detail::demangle(typeid(T).name());
    e.get_modules = [&member] { return std::vector<std::shared_ptr<Module>>{member}; };
    e.accepts = [](const std::shared_ptr<Module>& m) {
      return std::dynamic_pointer_cast<T>(m) != nullptr;
    };
    e.set_module = [&member](size_t, const std::shared_ptr<Module>& m) {
      member = std::dynamic_pointer_cast<T>(m);
    };
    add_entry(std::move(e));
  }

  /** A list of child modules (a list item in the trees). */
  template <class T>
  void register_modules(std::string key, std::vector<std::shared_ptr<T>>& members) {
    static_assert(std::is_base_of_v<Module, T>, "register_modules needs Modules");
    auto e = make_entry(std::move(key), Kind::module_list, &members);
    e.type_name = detail::demangle(typeid(T).name());
    e.get_modules = [&members] {
      return std::vector<std::shared_ptr<Module>>(members.begin(), members.end());
    };
    e.accepts = [](const std::shared_ptr<Module>& m) {
      return std::dynamic_pointer_cast<T>(m) != nullptr;
    };
    e.set_module = [&members](size_t i, const std::shared_ptr<Module>& m) {
      members.at(i) = std::dynamic_pointer_cast<T>(m);
    };
    add_entry(std::move(e));
  }

 private:
  enum class Kind { parameter, optional_parameter, parameter_list, module_, module_list };
  struct Entry {
    std::string key;
    Kind kind = Kind::parameter;
    void* member = nullptr;
    std::string type_name;
    std::function<std::vector<std::shared_ptr<Module>>()> get_modules;
    std::function<bool(const std::shared_ptr<Module>&)> accepts;
    std::function<void(size_t, const std::shared_ptr<Module>&)> set_module;
  };
  struct UpdatePlan;

  static Entry make_entry(std::string key, Kind kind, void* member);
  void add_entry(Entry e);
  const Entry* find_entry(const std::string& key) const;
  ModuleParameters collect_parameters(bool trainable_only) const;
  void plan_update(const ModuleParameters::Dictionary& params, const std::string& path,
                   UpdatePlan& plan);
  void plan_module_update(const ModuleChildren::Dictionary& modules, const std::string& path,
                          VerifyUpdate verify, UpdatePlan& plan);
  std::vector<std::string> frozen_keys_check(const std::optional<std::vector<std::string>>& keys,
                                             bool strict, const char* op) const;

  std::vector<Entry> entries_;
  std::set<std::string> no_grad_;
  bool training_ = true;
};

std::ostream& operator<<(std::ostream& os, const Module& m);

/** A module with one input and one output (UnaryLayer in MLX Swift). */
class UnaryLayer : public Module {
 public:
  virtual array operator()(const array& x) = 0;
};

/**
 * Differentiates loss_fn with respect to model.trainable_parameters(). loss_fn takes the inputs
 * and returns outputs whose first is the scalar loss; it reads the model's parameters, which hold
 * tracers during the call (the model's own arrays are restored afterwards, also when loss_fn
 * throws). The returned function gives the outputs and the gradients as a tree shaped like
 * trainable_parameters(). The model must outlive the returned function.
 */
using ModuleValueAndGradFn =
    std::function<std::pair<std::vector<array>, ModuleParameters>(const std::vector<array>&)>;
ModuleValueAndGradFn value_and_grad(
    Module& model, std::function<std::vector<array>(const std::vector<array>&)> loss_fn);

/** value_and_grad for a loss_fn that returns the scalar loss only. */
using SimpleModuleValueAndGradFn =
    std::function<std::pair<array, ModuleParameters>(const std::vector<array>&)>;
SimpleModuleValueAndGradFn value_and_grad(Module& model,
                                          std::function<array(const std::vector<array>&)> loss_fn);

}  // namespace mlx::nn
