// Nested trees: flatten/unflatten rules, parallel maps, compact maps, reduce, printing, errors.
#include <sstream>

#include "helpers.h"
#include "mlx/nested.h"

namespace mlx::core {
namespace {

using Item = NestedItem<std::string, int>;
using Dict = NestedDictionary<std::string, int>;
using Flat = std::vector<std::pair<std::string, int>>;

// {"b": [1, none, {"y": 2, "x": 3}], "a": 4, "c": {}}
Dict sample() {
  Dict d;
  d["b"] =
      Item(Item::List{Item(1), Item(), Item(Item::Dictionary{{"y", Item(2)}, {"x", Item(3)}})});
  d["a"] = Item(4);
  d["c"] = Item(Item::Dictionary{});
  return d;
}

TEST(Nested, Kinds) {
  Item none;
  EXPECT_TRUE(none.is_none());
  EXPECT_EQ(none.unwrap(), std::nullopt);
  Item v(7);
  EXPECT_TRUE(v.is_value());
  EXPECT_EQ(v.value(), 7);
  EXPECT_EQ(v.unwrap(), 7);
  v.value() = 8;
  EXPECT_EQ(v.value(), 8);
  Item l(Item::List{Item(1)});
  EXPECT_TRUE(l.is_list());
  EXPECT_EQ(l.list().size(), 1u);
  EXPECT_EQ(l.unwrap(), std::nullopt);
  Item d(Item::Dictionary{{"k", Item(1)}});
  EXPECT_TRUE(d.is_dictionary());
  EXPECT_INVALID(d.list(), "[NestedItem] Expected a list but the item is a dictionary.");
  EXPECT_INVALID(none.value(), "[NestedItem] Expected a value but the item is none.");
  EXPECT_INVALID(v.dictionary(), "[NestedItem] Expected a dictionary but the item is a value.");
}

TEST(Nested, FlattenSortedKeysListIndices) {
  auto d = sample();
  EXPECT_EQ(d.flattened(), (Flat{{"a", 4}, {"b.0", 1}, {"b.2.x", 3}, {"b.2.y", 2}}));
  EXPECT_EQ(d.flattened("model"),
            (Flat{{"model.a", 4}, {"model.b.0", 1}, {"model.b.2.x", 3}, {"model.b.2.y", 2}}));
  EXPECT_EQ(d.flattened_values(), (std::vector<int>{4, 1, 3, 2}));
  EXPECT_EQ(d.keys(), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(d.size(), 3u);
  EXPECT_FALSE(d.empty());
  EXPECT_TRUE(d.contains("c"));
  EXPECT_FALSE(d.contains("z"));
  EXPECT_EQ(d.unwrapping("a"), 4);
  EXPECT_EQ(d.unwrapping("b"), std::nullopt);
  EXPECT_EQ(d.unwrapping("z"), std::nullopt);
  EXPECT_EQ(d.at("a").value(), 4);
  EXPECT_THROW(d.at("z"), std::out_of_range);
  EXPECT_TRUE(Dict().flattened().empty());
  EXPECT_EQ(Item(5).flattened(), (Flat{{"", 5}}));
}

TEST(Nested, Unflatten) {
  auto d = Dict::unflattened(Flat{{"b.2.y", 2}, {"a", 4}, {"b.0", 1}, {"b.2.x", 3}});
  ASSERT_TRUE(d.at("b").is_list());
  auto& list = d.at("b").list();
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].value(), 1);
  EXPECT_TRUE(list[1].is_none());  // a missing list slot
  EXPECT_EQ(list[2].dictionary().at("x").value(), 3);
  EXPECT_EQ(d.flattened(), (Flat{{"a", 4}, {"b.0", 1}, {"b.2.x", 3}, {"b.2.y", 2}}));

  // Empty input: an empty dictionary.
  auto empty = Item::unflattened({});
  EXPECT_TRUE(empty.is_dictionary());
  EXPECT_TRUE(empty.dictionary().empty());
  EXPECT_TRUE(Dict::unflattened(Flat{}).empty());

  // A level is a list when its first key is an integer.
  auto l = Item::unflattened(Flat{{"1", 5}, {"0.k", 6}});
  ASSERT_TRUE(l.is_list());
  EXPECT_EQ(l.flattened(), (Flat{{"0.k", 6}, {"1", 5}}));
  auto keyed = Dict::unflattened(std::unordered_map<std::string, int>{{"x.y", 1}, {"z", 2}});
  EXPECT_EQ(keyed.flattened(), (Flat{{"x.y", 1}, {"z", 2}}));
}

TEST(Nested, UnflattenErrors) {
  EXPECT_INVALID(Item::unflattened(Flat{{"a", 1}, {"a.b", 2}}),
                 "[NestedItem::unflattened] Key 'a' is both a value and a container.");
  EXPECT_INVALID(Item::unflattened(Flat{{"a.b", 1}, {"a", 2}}),
                 "[NestedItem::unflattened] Key 'a' appears more than once.");
  EXPECT_INVALID(Item::unflattened(Flat{{"x.0", 1}, {"x.y", 2}}),
                 "[NestedItem::unflattened] Key 'x.y' is not a list index but its siblings are.");
  EXPECT_INVALID(Dict::unflattened(Flat{{"0", 1}}),
                 "[NestedDictionary::unflattened] The keys start with list indices (e.g. '0'): "
                 "the root would be a list.");
}

TEST(Nested, MapValues) {
  auto d = sample();
  auto doubled = d.map_values([](int v) { return 2.5 * v; });
  static_assert(std::is_same_v<decltype(doubled), NestedDictionary<std::string, double>>);
  EXPECT_EQ(doubled.flattened_values(), (std::vector<double>{10, 2.5, 7.5, 5}));
  EXPECT_TRUE(doubled.at("b").list()[1].is_none());
  EXPECT_TRUE(doubled.at("c").dictionary().empty());

  auto sum2 = d.map_values(doubled, [](int a, double b) { return a + b; });
  EXPECT_EQ(sum2.flattened_values(), (std::vector<double>{14, 3.5, 10.5, 7}));
  auto sum3 = d.map_values(d, doubled, [](int a, int b, double c) {
    return std::to_string(a + b) + "/" + std::to_string(int(c));
  });
  EXPECT_EQ(sum3.flattened_values(), (std::vector<std::string>{"8/10", "2/2", "6/7", "4/5"}));

  auto with_path = d.map_values_with_path(
      [](const std::string& path, int v) { return path + "=" + std::to_string(v); });
  EXPECT_EQ(with_path.flattened_values(),
            (std::vector<std::string>{"a=4", "b.0=1", "b.2.x=3", "b.2.y=2"}));
}

TEST(Nested, MapValuesMismatch) {
  auto d = sample();
  auto other = sample();
  other["a"] = Item(Item::List{});
  EXPECT_INVALID(d.map_values(other, [](int a, int b) { return a + b; }),
                 "[NestedItem::map_values] The trees differ at 'a': value vs list.");
  other = sample();
  other["b"].list().pop_back();
  EXPECT_INVALID(d.map_values(other, [](int a, int b) { return a + b; }),
                 "[NestedItem::map_values] The lists at 'b' have different sizes: 3 vs 2.");
  other = sample();
  other["b"].list()[2].dictionary().erase("x");
  EXPECT_INVALID(d.map_values(other, other, [](int a, int b, int c) { return a + b + c; }),
                 "[NestedItem::map_values] The trees differ at 'b.2.x': the key is missing from "
                 "one of them.");
  other = sample();
  other["extra"] = Item(1);
  EXPECT_INVALID(d.map_values(other, [](int a, int b) { return a + b; }),
                 "[NestedItem::map_values] The trees differ at the root: the dictionaries have "
                 "different keys.");
}

TEST(Nested, CompactMapReduceReplace) {
  auto d = sample();
  auto odd = d.compact_map_values([](int v) -> std::optional<int> {
    return v % 2 ? std::optional<int>(v * 10) : std::nullopt;
  });
  EXPECT_EQ(odd.flattened(), (Flat{{"b.0", 10}, {"b.1.x", 30}}));
  EXPECT_FALSE(odd.contains("a"));
  EXPECT_EQ(d.reduce(0, [](int acc, int v) { return acc * 10 + v; }), 4132);
  auto replaced = d.replacing_values(std::vector<int>{9, 8, 7, 6});
  EXPECT_EQ(replaced.flattened(), (Flat{{"a", 9}, {"b.0", 8}, {"b.2.x", 7}, {"b.2.y", 6}}));
  EXPECT_TRUE(replaced.at("b").list()[1].is_none());
  EXPECT_INVALID(d.replacing_values(std::vector<int>{1, 2}),
                 "[NestedDictionary::replacing_values] Got 2 values for a tree with more values.");
  EXPECT_INVALID(d.replacing_values(std::vector<int>{1, 2, 3, 4, 5}),
                 "[NestedDictionary::replacing_values] Got 5 values for a tree with 4.");
}

TEST(Nested, Printing) {
  auto d = sample();
  EXPECT_EQ(d.description(),
            "{\n"
            "  a: 4,\n"
            "  b: [\n"
            "    1,\n"
            "    none,\n"
            "    {\n"
            "      x: 3,\n"
            "      y: 2,\n"
            "    },\n"
            "  ],\n"
            "  c: {},\n"
            "}");
  std::ostringstream os;
  os << Item(Item::List{});
  EXPECT_EQ(os.str(), "[]");
}

TEST(Nested, ArraysInTrees) {
  NestedDictionary<std::string, array> params;
  params["w"] = NestedItem<std::string, array>(array({1.0f, 2.0f}));
  params["layers"] = NestedItem<std::string, array>(
      NestedItem<std::string, array>::List{NestedItem<std::string, array>(array(3.0f))});
  auto scaled = params.map_values([](const array& a) { return a * 2.0f; });
  auto summed = params.map_values(scaled, [](const array& a, const array& b) { return a + b; });
  auto flat = summed.flattened();
  ASSERT_EQ(flat.size(), 2u);
  EXPECT_EQ(flat[0].first, "layers.0");
  expect_array<float>(flat[0].second, {}, float32, {9.0f});
  EXPECT_EQ(flat[1].first, "w");
  expect_array<float>(flat[1].second, {2}, float32, {3.0f, 6.0f});
  auto back = NestedDictionary<std::string, array>::unflattened(flat);
  EXPECT_EQ(back.keys(), (std::vector<std::string>{"layers", "w"}));
  std::ostringstream os;
  os << params;
  EXPECT_EQ(
      os.str(),
      "{\n  layers: [\n    array(3, dtype=float32),\n  ],\n  w: array([1, 2], dtype=float32),\n}");
}

}  // namespace
}  // namespace mlx::core
