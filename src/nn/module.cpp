// Module trees: registration, parameter trees, updates, freezing, printing, value_and_grad.
#include "mlx/nn/module.h"

#include <cxxabi.h>

#include <algorithm>
#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

#include "mlx/io.h"
#include "mlx/transforms.h"
#include "mlx/utils.h"

namespace mlx::nn {

using core::detail::join_path;

namespace detail {

std::string demangle(const char* mangled_name) {
  int status = 0;
  char* name = abi::__cxa_demangle(mangled_name, nullptr, nullptr, &status);
  std::string out = status == 0 && name ? name : mangled_name;
  std::free(name);
  return out;
}

}  // namespace detail

namespace {

bool is_private(const std::string& key) { return !key.empty() && key[0] == '_'; }

std::string shape_string(const core::Shape& shape) {
  std::ostringstream os;
  core::operator<<(os, shape);
  return os.str();
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

}  // namespace

// What an update will do, found before anything changes so a failed check leaves the model as
// it was.
struct Module::UpdatePlan {
  VerifyUpdate verify;
  std::vector<std::pair<array*, array>> arrays;
  std::vector<std::tuple<const Entry*, size_t, std::shared_ptr<Module>>> modules;
  std::vector<std::string> errors;
};

Module::Entry Module::make_entry(std::string key, Kind kind, void* member) {
  Entry e;
  e.key = std::move(key);
  e.kind = kind;
  e.member = member;
  return e;
}

void Module::add_entry(Entry e) {
  if (find_entry(e.key)) {
    throw std::invalid_argument("[Module] " + name() + " registers the key '" + e.key + "' twice.");
  }
  entries_.push_back(std::move(e));
}

const Module::Entry* Module::find_entry(const std::string& key) const {
  for (auto& e : entries_) {
    if (e.key == key) return &e;
  }
  return nullptr;
}

void Module::register_parameter(std::string key, array& member) {
  add_entry(make_entry(std::move(key), Kind::parameter, &member));
}

void Module::register_parameter(std::string key, std::optional<array>& member) {
  add_entry(make_entry(std::move(key), Kind::optional_parameter, &member));
}

void Module::register_parameters(std::string key, std::vector<array>& members) {
  add_entry(make_entry(std::move(key), Kind::parameter_list, &members));
}

ModuleParameters Module::collect_parameters(bool trainable_only) const {
  ModuleParameters out;
  using Item = ModuleParameters::Item;
  for (auto& e : entries_) {
    if (is_private(e.key) || (trainable_only && no_grad_.count(e.key))) continue;
    switch (e.kind) {
      case Kind::parameter:
        out[e.key] = Item(*static_cast<array*>(e.member));
        break;
      case Kind::optional_parameter:
        if (auto& p = *static_cast<std::optional<array>*>(e.member)) out[e.key] = Item(*p);
        break;
      case Kind::parameter_list: {
        Item::List list;
        for (auto& a : *static_cast<std::vector<array>*>(e.member)) list.emplace_back(a);
        out[e.key] = Item(std::move(list));
        break;
      }
      case Kind::module_:
        if (auto m = e.get_modules().front()) {
          out[e.key] = m->collect_parameters(trainable_only).as_item();
        }
        break;
      case Kind::module_list: {
        Item::List list;
        for (auto& m : e.get_modules()) {
          list.push_back(m ? m->collect_parameters(trainable_only).as_item() : Item());
        }
        out[e.key] = Item(std::move(list));
        break;
      }
    }
  }
  return out;
}

ModuleParameters Module::parameters() const { return collect_parameters(false); }

ModuleParameters Module::trainable_parameters() const { return collect_parameters(true); }

ModuleChildren Module::children() const {
  ModuleChildren out;
  using Item = ModuleChildren::Item;
  for (auto& e : entries_) {
    if (is_private(e.key)) continue;
    if (e.kind == Kind::module_) {
      if (auto m = e.get_modules().front()) out[e.key] = Item(m);
    } else if (e.kind == Kind::module_list) {
      Item::List list;
      for (auto& m : e.get_modules()) {
        list.emplace_back();
        if (m) list.back() = Item(m);
      }
      out[e.key] = Item(std::move(list));
    }
  }
  return out;
}

ModuleChildren Module::leaf_modules() const {
  using Item = ModuleChildren::Item;
  std::function<Item(const Item&)> leaves = [&](const Item& item) -> Item {
    if (item.is_value()) {
      auto kids = item.value()->children();
      return kids.flattened().empty() ? item : leaves(kids.as_item());
    }
    if (item.is_list()) {
      Item::List out;
      for (auto& i : item.list()) out.push_back(leaves(i));
      return Item(std::move(out));
    }
    if (item.is_dictionary()) {
      Item::Dictionary out;
      for (auto& [k, i] : item.dictionary()) out.emplace(k, leaves(i));
      return Item(std::move(out));
    }
    return item;
  };
  return ModuleChildren(leaves(children().as_item()).dictionary());
}

void Module::apply_to_modules(const std::function<void(const std::string&, Module&)>& fn) {
  std::vector<std::pair<std::string, Module*>> stack{{"", this}};
  while (!stack.empty()) {
    auto [path, module] = stack.back();
    stack.pop_back();
    fn(path, *module);
    for (auto& [child_path, child] : module->children().flattened(path)) {
      stack.emplace_back(child_path, child.get());
    }
  }
}

std::vector<std::pair<std::string, std::shared_ptr<Module>>> Module::named_modules() {
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> out;
  apply_to_modules([&](const std::string& path, Module& m) {
    auto held = m.weak_from_this().lock();
    if (!held) {
      throw std::invalid_argument("[Module::named_modules] The module '" + path +
                                  "' must be held by a std::shared_ptr.");
    }
    out.emplace_back(path, std::move(held));
  });
  std::reverse(out.begin(), out.end());
  return out;
}

std::vector<std::shared_ptr<Module>> Module::modules() {
  std::vector<std::shared_ptr<Module>> out;
  for (auto& [path, m] : named_modules()) out.push_back(std::move(m));
  return out;
}

void Module::train(bool mode) {
  training_ = mode;
  for (auto& [path, child] : children().flattened()) child->train(mode);
}

void Module::plan_update(const ModuleParameters::Dictionary& params, const std::string& path,
                         UpdatePlan& plan) {
  auto structure_error = [&](const std::string& at, const char* model_kind, const auto& item) {
    plan.errors.push_back("'" + at + "' is " + model_kind + " in the model but " +
                          (item.is_none() ? "none" : std::string("a ") + item.kind_name()) +
                          " in the update.");
  };
  auto set_array = [&](const std::string& at, array& dst, const ModuleParameters::Item& item) {
    if (item.is_none()) return;
    if (!item.is_value()) return structure_error(at, "a parameter", item);
    auto& src = item.value();
    if ((plan.verify & VerifyUpdate::shape_mismatch) != VerifyUpdate::none &&
        src.shape() != dst.shape()) {
      plan.errors.push_back("'" + at + "' has shape " + shape_string(dst.shape()) +
                            " in the model but " + shape_string(src.shape()) + " in the update.");
      return;
    }
    plan.arrays.emplace_back(&dst, src);
  };
  for (auto& [key, item] : params) {
    auto* e = is_private(key) ? nullptr : find_entry(key);
    if (!e) continue;  // unexpected keys are found from the flattened trees
    auto at = join_path(path, key);
    switch (e->kind) {
      case Kind::parameter:
        set_array(at, *static_cast<array*>(e->member), item);
        break;
      case Kind::optional_parameter:
        if (auto& p = *static_cast<std::optional<array>*>(e->member)) set_array(at, *p, item);
        break;
      case Kind::parameter_list: {
        if (item.is_none()) break;
        if (!item.is_list()) {
          structure_error(at, "a list", item);
          break;
        }
        auto& members = *static_cast<std::vector<array>*>(e->member);
        for (size_t i = 0; i < std::min(members.size(), item.list().size()); ++i) {
          set_array(join_path(at, std::to_string(i)), members[i], item.list()[i]);
        }
        break;
      }
      case Kind::module_:
        if (item.is_none()) break;
        if (!item.is_dictionary()) {
          structure_error(at, "a module", item);
        } else if (auto m = e->get_modules().front()) {
          m->plan_update(item.dictionary(), at, plan);
        }
        break;
      case Kind::module_list: {
        if (item.is_none()) break;
        if (!item.is_list()) {
          structure_error(at, "a list of modules", item);
          break;
        }
        auto members = e->get_modules();
        for (size_t i = 0; i < std::min(members.size(), item.list().size()); ++i) {
          auto& child = item.list()[i];
          auto child_at = join_path(at, std::to_string(i));
          if (child.is_none() || !members[i]) continue;
          if (!child.is_dictionary()) {
            structure_error(child_at, "a module", child);
          } else {
            members[i]->plan_update(child.dictionary(), child_at, plan);
          }
        }
        break;
      }
    }
  }
}

Module& Module::update(const ModuleParameters& params, VerifyUpdate verify) {
  UpdatePlan plan{verify, {}, {}, {}};
  plan_update(params.as_dictionary(), "", plan);
  if (verify != VerifyUpdate::none && verify != VerifyUpdate::shape_mismatch) {
    std::unordered_set<std::string> model_keys, update_keys;
    for (auto& [k, v] : parameters().flattened()) model_keys.insert(k);
    for (auto& [k, v] : params.flattened()) update_keys.insert(k);
    std::vector<std::string> unexpected, missing;
    if ((verify & VerifyUpdate::no_unused_keys) != VerifyUpdate::none) {
      for (auto& [k, v] : params.flattened()) {
        if (!model_keys.count(k)) unexpected.push_back(k);
      }
    }
    if ((verify & VerifyUpdate::all_model_keys_set) != VerifyUpdate::none) {
      for (auto& [k, v] : parameters().flattened()) {
        if (!update_keys.count(k)) missing.push_back(k);
      }
    }
    if (!unexpected.empty()) {
      plan.errors.insert(plan.errors.begin(),
                         "Unexpected keys (not in the model): " + join(unexpected) + ".");
    }
    if (!missing.empty()) {
      plan.errors.insert(plan.errors.begin() + !unexpected.empty(),
                         "Missing keys: " + join(missing) + ".");
    }
  }
  if (!plan.errors.empty()) {
    std::string msg = "[Module::update] " + name() + ":";
    for (auto& error : plan.errors) msg += " " + error;
    throw std::invalid_argument(msg);
  }
  for (auto& [dst, src] : plan.arrays) *dst = src;
  return *this;
}

void Module::plan_module_update(const ModuleChildren::Dictionary& modules, const std::string& path,
                                VerifyUpdate verify, UpdatePlan& plan) {
  bool no_unused = (verify & VerifyUpdate::no_unused_keys) != VerifyUpdate::none;
  auto replace = [&](const Entry& e, size_t i, const std::string& at,
                     const std::shared_ptr<Module>& m) {
    if (!m || !e.accepts(m)) {
      plan.errors.push_back("'" + at + "' holds a " + e.type_name + " and cannot be replaced by " +
                            (m ? "a " + detail::demangle(typeid(*m).name()) : "null") + ".");
      return;
    }
    plan.modules.emplace_back(&e, i, m);
  };
  for (auto& [key, item] : modules) {
    auto at = join_path(path, key);
    auto* e = is_private(key) ? nullptr : find_entry(key);
    if (!e || (e->kind != Kind::module_ && e->kind != Kind::module_list)) {
      if (no_unused && !item.is_none()) plan.errors.push_back("'" + at + "' is not a module.");
      continue;
    }
    auto update_one = [&](size_t i, const std::shared_ptr<Module>& current,
                          const ModuleChildren::Item& child, const std::string& child_at) {
      if (child.is_value()) {
        replace(*e, i, child_at, child.value());
      } else if (child.is_dictionary() && current) {
        current->plan_module_update(child.dictionary(), child_at, verify, plan);
      } else if (!child.is_none()) {
        plan.errors.push_back("'" + child_at + "' is a module but the update has a " +
                              child.kind_name() + ".");
      }
    };
    if (e->kind == Kind::module_) {
      update_one(0, e->get_modules().front(), item, at);
      continue;
    }
    if (item.is_none()) continue;
    if (!item.is_list()) {
      plan.errors.push_back("'" + at + "' is a list of modules but the update has a " +
                            item.kind_name() + ".");
      continue;
    }
    auto current = e->get_modules();
    for (size_t i = 0; i < item.list().size(); ++i) {
      auto child_at = join_path(at, std::to_string(i));
      if (i >= current.size()) {
        if (no_unused) plan.errors.push_back("'" + child_at + "' is not a module.");
        continue;
      }
      update_one(i, current[i], item.list()[i], child_at);
    }
  }
}

Module& Module::update_modules(const ModuleChildren& modules, VerifyUpdate verify) {
  UpdatePlan plan{verify, {}, {}, {}};
  plan_module_update(modules.as_dictionary(), "", verify, plan);
  if (!plan.errors.empty()) {
    std::string msg = "[Module::update_modules] " + name() + ":";
    for (auto& error : plan.errors) msg += " " + error;
    throw std::invalid_argument(msg);
  }
  for (auto& [e, i, m] : plan.modules) e->set_module(i, m);
  return *this;
}

std::vector<std::string> Module::frozen_keys_check(
    const std::optional<std::vector<std::string>>& keys, bool strict, const char* op) const {
  if (keys) {
    if (strict) {
      for (auto& key : *keys) {
        if (is_private(key) || !find_entry(key)) {
          std::vector<std::string> members;
          for (auto& e : entries_) {
            if (!is_private(e.key)) members.push_back(e.key);
          }
          throw std::invalid_argument(std::string("[Module::") + op + "] " + name() +
                                      " has no member '" + key + "' (members: " + join(members) +
                                      ").");
        }
      }
    }
    return *keys;
  }
  std::vector<std::string> local;
  for (auto& e : entries_) {
    bool is_parameter = e.kind == Kind::parameter || e.kind == Kind::parameter_list ||
                        (e.kind == Kind::optional_parameter &&
                         static_cast<std::optional<array>*>(e.member)->has_value());
    if (is_parameter && !is_private(e.key)) local.push_back(e.key);
  }
  return local;
}

void Module::freeze(bool recursive, const std::optional<std::vector<std::string>>& keys,
                    bool strict) {
  auto local = frozen_keys_check(keys, strict, "freeze");
  if (recursive) {
    apply_to_modules([&](const std::string&, Module& m) { m.freeze(false, keys, false); });
  } else {
    no_grad_.insert(local.begin(), local.end());
  }
}

void Module::unfreeze(bool recursive, const std::optional<std::vector<std::string>>& keys,
                      bool strict) {
  frozen_keys_check(keys, strict, "unfreeze");
  if (recursive) {
    apply_to_modules([&](const std::string&, Module& m) { m.unfreeze(false, keys, false); });
  } else if (keys) {
    for (auto& key : *keys) no_grad_.erase(key);
  } else {
    no_grad_.clear();
  }
}

Module& Module::apply(const std::function<array(const array&)>& map) {
  return update(parameters().map_values(map));
}

Module& Module::apply(const std::function<bool(const std::string&, const array&)>& filter,
                      const std::function<array(const array&)>& map) {
  std::vector<std::pair<std::string, array>> mapped;
  for (auto& [path, a] : parameters().flattened()) {
    if (filter(path, a)) mapped.emplace_back(path, map(a));
  }
  return update(ModuleParameters::unflattened(mapped));
}

std::vector<array> Module::inner_state() const { return parameters().flattened_values(); }

void Module::save_weights(const std::string& path) const {
  auto flat = parameters().flattened();
  core::save_safetensors(path, std::unordered_map<std::string, array>(flat.begin(), flat.end()));
}

void Module::load_weights(const std::string& path, bool strict) {
  auto weights = core::load_safetensors(path).first;
  try {
    update(ModuleParameters::unflattened(weights),
           strict ? VerifyUpdate::all : VerifyUpdate::shape_mismatch);
  } catch (const std::invalid_argument& e) {
    // Drop update's "[Module::update] Name:" prefix: the file is what does not match.
    std::string what = e.what();
    auto colon = what.find(": ");
    std::string detail = what.substr(colon == std::string::npos ? 0 : colon + 1);
    for (size_t at; (at = detail.find(" in the update.")) != std::string::npos;) {
      detail.replace(at, 15, " in the file.");
    }
    throw std::invalid_argument("[Module::load_weights] The weights in '" + path +
                                "' do not match the " + name() + ":" + detail);
  }
}

std::string Module::description(int indent) const {
  std::ostringstream os;
  os << name() << "(" << describe_extra();
  auto kids = children().flattened();
  for (auto& [path, child] : kids) {
    os << "\n"
       << std::string(indent + 2, ' ') << "(" << path << "): " << child->description(indent + 2);
  }
  if (!kids.empty()) os << "\n" << std::string(indent, ' ');
  os << ")";
  return os.str();
}

std::ostream& operator<<(std::ostream& os, const Module& m) { return os << m.description(); }

ModuleValueAndGradFn value_and_grad(
    Module& model, std::function<std::vector<array>(const std::vector<array>&)> loss_fn) {
  return [&model, loss_fn = std::move(loss_fn)](const std::vector<array>& inputs) {
    auto trainable = model.trainable_parameters();
    auto params = trainable.flattened_values();
    if (params.empty()) {
      return std::make_pair(loss_fn(inputs), ModuleParameters{});
    }
    size_t n = params.size();
    std::vector<array> args = params;
    args.insert(args.end(), inputs.begin(), inputs.end());
    // Puts the model's own arrays back however the traced call ends.
    struct Restore {
      Module& model;
      const ModuleParameters& params;
      ~Restore() { model.update(params); }
    } restore{model, trainable};
    auto traced = [&](const std::vector<array>& a) {
      model.update(trainable.replacing_values(std::vector<array>(a.begin(), a.begin() + n)));
      return loss_fn(std::vector<array>(a.begin() + n, a.end()));
    };
    std::vector<int> argnums(n);
    for (size_t i = 0; i < n; ++i) argnums[i] = static_cast<int>(i);
    auto [values, grads] = core::value_and_grad(traced, argnums)(args);
    return std::make_pair(std::move(values), trainable.replacing_values(grads));
  };
}

SimpleModuleValueAndGradFn value_and_grad(Module& model,
                                          std::function<array(const std::vector<array>&)> loss_fn) {
  auto vg = value_and_grad(model, [loss_fn = std::move(loss_fn)](const std::vector<array>& x) {
    return std::vector<array>{loss_fn(x)};
  });
  return [vg = std::move(vg)](const std::vector<array>& inputs) {
    auto [values, grads] = vg(inputs);
    return std::make_pair(values.front(), std::move(grads));
  };
}

}  // namespace mlx::nn
