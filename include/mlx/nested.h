// Nested trees of values (MLX Swift's NestedItem / NestedDictionary): parameter trees of modules,
// gradients and optimizer states. Flattening gives "."-joined keys (dictionary keys in sorted
// order, list items by index); unflattening rebuilds the tree from such keys.
#pragma once

#include <charconv>
#include <cstddef>
#include <map>
#include <optional>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

namespace mlx::core {

namespace detail {

template <class T, class = void>
struct is_streamable : std::false_type {};
template <class T>
struct is_streamable<T, std::void_t<decltype(std::declval<std::ostream&>() << std::declval<T>())>>
    : std::true_type {};

template <class K>
std::string key_string(const K& key) {
  if constexpr (std::is_convertible_v<const K&, std::string>) {
    return std::string(key);
  } else {
    return std::to_string(key);
  }
}

inline std::string join_path(const std::string& prefix, const std::string& key) {
  return prefix.empty() ? key : prefix + "." + key;
}

// Parses a whole path component as a list index; nullopt for dictionary keys.
inline std::optional<size_t> parse_index(const std::string& s) {
  size_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) {
    return std::nullopt;
  }
  return v;
}

// Writes `text` with every line after the first indented by `indent` spaces.
inline void write_indented(std::ostream& os, const std::string& text, int indent) {
  for (char c : text) {
    os << c;
    if (c == '\n') {
      os << std::string(indent, ' ');
    }
  }
}

}  // namespace detail

/**
 * A node of a nested tree: none, a value, a list of items or a dictionary of items (std::map, so
 * keys are sorted as flattening requires). Accessors throw std::invalid_argument on the wrong kind.
 */
template <class K, class V>
class NestedItem {
 public:
  using value_type = V;
  using List = std::vector<NestedItem>;
  using Dictionary = std::map<K, NestedItem>;

  NestedItem() = default;
  NestedItem(V value) : item_(std::in_place_index<1>, std::move(value)) {}
  NestedItem(List list) : item_(std::in_place_index<2>, std::move(list)) {}
  NestedItem(Dictionary dictionary) : item_(std::in_place_index<3>, std::move(dictionary)) {}

  bool is_none() const { return item_.index() == 0; }
  bool is_value() const { return item_.index() == 1; }
  bool is_list() const { return item_.index() == 2; }
  bool is_dictionary() const { return item_.index() == 3; }

  const V& value() const { return get<1>("a value"); }
  V& value() { return const_cast<V&>(std::as_const(*this).value()); }
  const List& list() const { return get<2>("a list"); }
  List& list() { return const_cast<List&>(std::as_const(*this).list()); }
  const Dictionary& dictionary() const { return get<3>("a dictionary"); }
  Dictionary& dictionary() { return const_cast<Dictionary&>(std::as_const(*this).dictionary()); }

  /** The value of a value item, nullopt for the other kinds. */
  std::optional<V> unwrap() const {
    return is_value() ? std::optional<V>(std::get<1>(item_)) : std::nullopt;
  }

  /** "none", "value", "list" or "dictionary". */
  const char* kind_name() const {
    static constexpr const char* names[] = {"none", "value", "list", "dictionary"};
    return names[item_.index()];
  }

  /** The same structure with f(value) at every value. */
  template <class F>
  auto map_values(F&& f) const -> NestedItem<K, std::decay_t<std::invoke_result_t<F&, const V&>>> {
    using R = NestedItem<K, std::decay_t<std::invoke_result_t<F&, const V&>>>;
    switch (item_.index()) {
      case 1:
        return R(f(value()));
      case 2: {
        typename R::List out;
        out.reserve(list().size());
        for (auto& item : list()) out.push_back(item.map_values(f));
        return R(std::move(out));
      }
      case 3: {
        typename R::Dictionary out;
        for (auto& [k, item] : dictionary()) out.emplace(k, item.map_values(f));
        return R(std::move(out));
      }
      default:
        return R();
    }
  }

  /**
   * f(value, other_value) over two trees of the same structure (a none in either tree gives none);
   * a structure mismatch throws std::invalid_argument naming the path.
   */
  template <class W, class F>
  auto map_values(const NestedItem<K, W>& other, F&& f) const
      -> NestedItem<K, std::decay_t<std::invoke_result_t<F&, const V&, const W&>>> {
    return zip_map("", f, *this, other);
  }

  /** f(value, value1, value2) over three trees of the same structure. */
  template <class W, class X, class F>
  auto map_values(const NestedItem<K, W>& other1, const NestedItem<K, X>& other2, F&& f) const
      -> NestedItem<K, std::decay_t<std::invoke_result_t<F&, const V&, const W&, const X&>>> {
    return zip_map("", f, *this, other1, other2);
  }

  /**
   * f(value) returning std::optional<U>: values mapped to nullopt are dropped, and so are the
   * dictionary entries and list items they leave empty (so list indices may shift).
   */
  template <class F>
  auto compact_map_values(F&& f) const
      -> NestedItem<K, typename std::decay_t<std::invoke_result_t<F&, const V&>>::value_type> {
    using R = NestedItem<K, typename std::decay_t<std::invoke_result_t<F&, const V&>>::value_type>;
    switch (item_.index()) {
      case 1: {
        auto r = f(value());
        return r ? R(std::move(*r)) : R();
      }
      case 2: {
        typename R::List out;
        for (auto& item : list()) {
          auto r = item.compact_map_values(f);
          if (!r.is_none()) out.push_back(std::move(r));
        }
        return R(std::move(out));
      }
      case 3: {
        typename R::Dictionary out;
        for (auto& [k, item] : dictionary()) {
          auto r = item.compact_map_values(f);
          if (!r.is_none()) out.emplace(k, std::move(r));
        }
        return R(std::move(out));
      }
      default:
        return R();
    }
  }

  /** Folds f(accumulator, value) over the values in flattened order. */
  template <class T, class F>
  T reduce(T init, F&& f) const {
    switch (item_.index()) {
      case 1:
        return f(std::move(init), value());
      case 2:
        for (auto& item : list()) init = item.reduce(std::move(init), f);
        return init;
      case 3:
        for (auto& [k, item] : dictionary()) init = item.reduce(std::move(init), f);
        return init;
      default:
        return init;
    }
  }

  /** (path, value) pairs: "."-joined keys, list items by index, dictionary keys sorted. */
  std::vector<std::pair<std::string, V>> flattened(const std::string& prefix = "") const {
    std::vector<std::pair<std::string, V>> out;
    flatten_into(prefix, out);
    return out;
  }

  std::vector<V> flattened_values() const {
    return reduce(std::vector<V>{}, [](std::vector<V> acc, const V& v) {
      acc.push_back(v);
      return acc;
    });
  }

  /**
   * The tree whose flattened() gives `entries`. A level is a list when its first key parses as an
   * integer (missing list slots become none), a dictionary otherwise; no entries give an empty
   * dictionary. A path that is both a value and a container throws std::invalid_argument.
   */
  static NestedItem unflattened(const std::vector<std::pair<std::string, V>>& entries) {
    static_assert(std::is_same_v<K, std::string>, "unflattened needs string keys");
    std::vector<std::pair<std::string, const V*>> refs;
    refs.reserve(entries.size());
    for (auto& [k, v] : entries) refs.emplace_back(k, &v);
    return unflatten_level(refs, "");
  }

  void write(std::ostream& os, int indent = 0) const {
    std::string pad(indent + 2, ' ');
    switch (item_.index()) {
      case 0:
        os << "none";
        return;
      case 1:
        if constexpr (detail::is_streamable<const V&>::value) {
          std::ostringstream value_os;
          value_os << value();
          detail::write_indented(os, value_os.str(), indent);
        } else {
          os << "<value>";
        }
        return;
      case 2:
        os << "[";
        for (auto& item : list()) {
          os << "\n" << pad;
          item.write(os, indent + 2);
          os << ",";
        }
        os << (list().empty() ? "" : "\n" + std::string(indent, ' ')) << "]";
        return;
      default:
        os << "{";
        for (auto& [k, item] : dictionary()) {
          os << "\n" << pad << detail::key_string(k) << ": ";
          item.write(os, indent + 2);
          os << ",";
        }
        os << (dictionary().empty() ? "" : "\n" + std::string(indent, ' ')) << "}";
    }
  }

  /** The tree printed with nested levels indented by two spaces (starting at `indent`). */
  std::string description(int indent = 0) const {
    std::ostringstream os;
    write(os, indent);
    return os.str();
  }

 private:
  template <class, class>
  friend class NestedItem;

  template <size_t I>
  const auto& get(const char* wanted) const {
    if (item_.index() != I) {
      throw std::invalid_argument(std::string("[NestedItem] Expected ") + wanted +
                                  " but the item is " +
                                  (is_none() ? "none" : std::string("a ") + kind_name()) + ".");
    }
    return std::get<I>(item_);
  }

  void flatten_into(const std::string& prefix, std::vector<std::pair<std::string, V>>& out) const {
    switch (item_.index()) {
      case 1:
        out.emplace_back(prefix, value());
        return;
      case 2:
        for (size_t i = 0; i < list().size(); ++i) {
          list()[i].flatten_into(detail::join_path(prefix, std::to_string(i)), out);
        }
        return;
      case 3:
        for (auto& [k, item] : dictionary()) {
          item.flatten_into(detail::join_path(prefix, detail::key_string(k)), out);
        }
        return;
      default:
        return;
    }
  }

  template <class F, class First, class... Rest>
  static auto
  zip_map(const std::string& path, F& f, const First& first, const Rest&... rest) -> NestedItem<
      K, std::decay_t<std::invoke_result_t<F&, const V&, const typename Rest::value_type&...>>> {
    using R = NestedItem<
        K, std::decay_t<std::invoke_result_t<F&, const V&, const typename Rest::value_type&...>>>;
    if (first.is_none() || (rest.is_none() || ...)) {
      return R();
    }
    auto where = [&] { return path.empty() ? std::string("the root") : "'" + path + "'"; };
    if (((rest.item_.index() != first.item_.index()) || ...)) {
      std::string kinds = first.kind_name();
      ((kinds += std::string(" vs ") + rest.kind_name()), ...);
      throw std::invalid_argument("[NestedItem::map_values] The trees differ at " + where() + ": " +
                                  kinds + ".");
    }
    switch (first.item_.index()) {
      case 1:
        return R(f(first.value(), rest.value()...));
      case 2: {
        if (((rest.list().size() != first.list().size()) || ...)) {
          std::string sizes = std::to_string(first.list().size());
          ((sizes += " vs " + std::to_string(rest.list().size())), ...);
          throw std::invalid_argument("[NestedItem::map_values] The lists at " + where() +
                                      " have different sizes: " + sizes + ".");
        }
        typename R::List out;
        for (size_t i = 0; i < first.list().size(); ++i) {
          out.push_back(zip_map(detail::join_path(path, std::to_string(i)), f, first.list()[i],
                                rest.list()[i]...));
        }
        return R(std::move(out));
      }
      default: {
        typename R::Dictionary out;
        for (auto& entry : first.dictionary()) {
          // Named, not a structured binding: clang before 16 cannot capture bindings in lambdas.
          const auto& k = entry.first;
          const auto& item = entry.second;
          auto child = detail::join_path(path, detail::key_string(k));
          auto find = [&](const auto& other) -> const auto& {
            auto it = other.dictionary().find(k);
            if (it == other.dictionary().end()) {
              throw std::invalid_argument("[NestedItem::map_values] The trees differ at '" + child +
                                          "': the key is missing from one of them.");
            }
            return it->second;
          };
          out.emplace(k, zip_map(child, f, item, find(rest)...));
        }
        if (((rest.dictionary().size() != first.dictionary().size()) || ...)) {
          throw std::invalid_argument("[NestedItem::map_values] The trees differ at " + where() +
                                      ": the dictionaries have different keys.");
        }
        return R(std::move(out));
      }
    }
  }

  static NestedItem unflatten_level(const std::vector<std::pair<std::string, const V*>>& entries,
                                    const std::string& path) {
    if (entries.empty()) {
      return NestedItem(Dictionary{});
    }
    // Group the entries by their first path component, in order of first appearance.
    std::vector<std::string> heads;
    std::map<std::string, std::vector<std::pair<std::string, const V*>>> rests;
    std::map<std::string, const V*> leaves;
    for (auto& [key, v] : entries) {
      auto dot = key.find('.');
      std::string head = key.substr(0, dot);
      if (!rests.count(head) && !leaves.count(head)) heads.push_back(head);
      auto full = detail::join_path(path, head);
      if (dot == std::string::npos) {
        if (leaves.count(head) || rests.count(head)) {
          throw std::invalid_argument("[NestedItem::unflattened] Key '" + full +
                                      "' appears more than once.");
        }
        leaves.emplace(head, v);
      } else {
        if (leaves.count(head)) {
          throw std::invalid_argument("[NestedItem::unflattened] Key '" + full +
                                      "' is both a value and a container.");
        }
        rests[head].emplace_back(key.substr(dot + 1), v);
      }
    }
    auto child = [&](const std::string& head) {
      auto leaf = leaves.find(head);
      return leaf != leaves.end() ? NestedItem(*leaf->second)
                                  : unflatten_level(rests[head], detail::join_path(path, head));
    };
    if (detail::parse_index(heads.front())) {
      List out;
      for (auto& head : heads) {
        auto index = detail::parse_index(head);
        if (!index) {
          throw std::invalid_argument("[NestedItem::unflattened] Key '" +
                                      detail::join_path(path, head) +
                                      "' is not a list index but its siblings are.");
        }
        if (*index >= out.size()) out.resize(*index + 1);
        out[*index] = child(head);
      }
      return NestedItem(std::move(out));
    }
    Dictionary out;
    for (auto& head : heads) out.emplace(head, child(head));
    return NestedItem(std::move(out));
  }

  std::variant<std::monostate, V, List, Dictionary> item_;
};

template <class K, class V>
std::ostream& operator<<(std::ostream& os, const NestedItem<K, V>& item) {
  item.write(os);
  return os;
}

/** A dictionary of nested items: the root of a parameter tree. */
template <class K, class V>
class NestedDictionary {
 public:
  using Item = NestedItem<K, V>;
  using Dictionary = typename Item::Dictionary;
  using value_type = V;
  using iterator = typename Dictionary::iterator;
  using const_iterator = typename Dictionary::const_iterator;

  NestedDictionary() = default;
  NestedDictionary(Dictionary items) : items_(std::move(items)) {}
  NestedDictionary(std::initializer_list<std::pair<const K, Item>> items) : items_(items) {}
  /** The dictionary of a dictionary item (std::invalid_argument for the other kinds). */
  explicit NestedDictionary(const Item& item) : items_(item.dictionary()) {}

  /** The item at `key`, inserted as none when absent. */
  Item& operator[](const K& key) { return items_[key]; }
  const Item& at(const K& key) const {
    auto it = items_.find(key);
    if (it == items_.end()) {
      throw std::out_of_range("[NestedDictionary::at] No key '" + detail::key_string(key) + "'.");
    }
    return it->second;
  }
  Item& at(const K& key) { return const_cast<Item&>(std::as_const(*this).at(key)); }
  /** The value at `key` when that item is a value (MLX Swift's subscript(unwrapping:)). */
  std::optional<V> unwrapping(const K& key) const {
    auto it = items_.find(key);
    return it == items_.end() ? std::nullopt : it->second.unwrap();
  }
  bool contains(const K& key) const { return items_.count(key) > 0; }
  std::vector<K> keys() const {
    std::vector<K> out;
    for (auto& [k, v] : items_) out.push_back(k);
    return out;
  }
  std::vector<Item> values() const {
    std::vector<Item> out;
    for (auto& [k, v] : items_) out.push_back(v);
    return out;
  }
  bool empty() const { return items_.empty(); }
  size_t size() const { return items_.size(); }
  iterator begin() { return items_.begin(); }
  iterator end() { return items_.end(); }
  const_iterator begin() const { return items_.begin(); }
  const_iterator end() const { return items_.end(); }
  size_t erase(const K& key) { return items_.erase(key); }

  Item as_item() const { return Item(items_); }
  const Dictionary& as_dictionary() const { return items_; }

  template <class F>
  auto map_values(F&& f) const {
    return wrap(as_item().map_values(f));
  }
  template <class W, class F>
  auto map_values(const NestedDictionary<K, W>& other, F&& f) const {
    return wrap(as_item().map_values(other.as_item(), f));
  }
  template <class W, class X, class F>
  auto map_values(const NestedDictionary<K, W>& other1, const NestedDictionary<K, X>& other2,
                  F&& f) const {
    return wrap(as_item().map_values(other1.as_item(), other2.as_item(), f));
  }
  /** f(path, value) with the value's flattened path ("layers.0.weight"). */
  template <class F>
  auto map_values_with_path(F&& f) const {
    using R = std::decay_t<std::invoke_result_t<F&, const std::string&, const V&>>;
    std::vector<R> mapped;
    for (auto& [path, v] : flattened()) mapped.push_back(f(path, v));
    return replacing_values(mapped);
  }
  template <class F>
  auto compact_map_values(F&& f) const {
    return wrap(as_item().compact_map_values(f));
  }
  template <class T, class F>
  T reduce(T init, F&& f) const {
    return as_item().reduce(std::move(init), f);
  }

  std::vector<std::pair<std::string, V>> flattened(const std::string& prefix = "") const {
    return as_item().flattened(prefix);
  }
  std::vector<V> flattened_values() const { return as_item().flattened_values(); }

  /** The tree of flattened (path, value) pairs; the root must be a dictionary. */
  static NestedDictionary unflattened(const std::vector<std::pair<std::string, V>>& entries) {
    auto item = Item::unflattened(entries);
    if (!item.is_dictionary()) {
      throw std::invalid_argument(
          "[NestedDictionary::unflattened] The keys start with list indices (e.g. '" +
          entries.front().first + "'): the root would be a list.");
    }
    return NestedDictionary(std::move(item.dictionary()));
  }
  static NestedDictionary unflattened(const std::unordered_map<std::string, V>& entries) {
    return unflattened(std::vector<std::pair<std::string, V>>(entries.begin(), entries.end()));
  }

  /** The same structure with `values` (in flattened order) in place of the values. */
  template <class W>
  NestedDictionary<K, W> replacing_values(const std::vector<W>& values) const {
    size_t next = 0;
    auto out = map_values([&](const V&) {
      if (next >= values.size()) {
        throw std::invalid_argument("[NestedDictionary::replacing_values] Got " +
                                    std::to_string(values.size()) +
                                    " values for a tree with more values.");
      }
      return values[next++];
    });
    if (next != values.size()) {
      throw std::invalid_argument("[NestedDictionary::replacing_values] Got " +
                                  std::to_string(values.size()) + " values for a tree with " +
                                  std::to_string(next) + ".");
    }
    return out;
  }

  std::string description(int indent = 0) const { return as_item().description(indent); }

 private:
  template <class W>
  static NestedDictionary<K, W> wrap(NestedItem<K, W> item) {
    return NestedDictionary<K, W>(std::move(item.dictionary()));
  }

  Dictionary items_;
};

template <class K, class V>
std::ostream& operator<<(std::ostream& os, const NestedDictionary<K, V>& dict) {
  dict.as_item().write(os);
  return os;
}

}  // namespace mlx::core
