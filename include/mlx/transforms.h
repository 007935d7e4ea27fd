// Evaluation and function transformations.
#pragma once

#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "mlx/array.h"

namespace mlx::core {

/** Computes the arrays (and what they depend on) and waits for them. Rethrows the error of a
 * failed kernel they depend on. */
void eval(std::vector<array> outputs);

template <typename... Arrays, typename = enable_for_arrays_t<Arrays...>>
void eval(Arrays&&... outputs) {
  eval(std::vector<array>{std::forward<Arrays>(outputs)...});
}

/** Schedules the computation of the arrays and returns at once. */
void async_eval(std::vector<array> outputs);

template <typename... Arrays, typename = enable_for_arrays_t<Arrays...>>
void async_eval(Arrays&&... outputs) {
  async_eval(std::vector<array>{std::forward<Arrays>(outputs)...});
}

/**
 * Computes the output and vector-Jacobian product of a function: the cotangents of the primals
 * given cotangents of the outputs (one per output, each with that output's shape).
 */
std::pair<std::vector<array>, std::vector<array>> vjp(
    const std::function<std::vector<array>(const std::vector<array>&)>& fun,
    const std::vector<array>& primals, const std::vector<array>& cotangents);

/** vjp of a unary function. */
std::pair<array, array> vjp(const std::function<array(const array&)>& fun, const array& primal,
                            const array& cotangent);

/**
 * Computes the output and Jacobian-vector product of a function: the tangents of the outputs
 * given tangents of the primals (one per primal, each with that primal's shape).
 */
std::pair<std::vector<array>, std::vector<array>> jvp(
    const std::function<std::vector<array>(const std::vector<array>&)>& fun,
    const std::vector<array>& primals, const std::vector<array>& tangents);

/** jvp of a unary function. */
std::pair<array, array> jvp(const std::function<array(const array&)>& fun, const array& primal,
                            const array& tangent);

// Return types of value_and_grad: the outputs and the gradients of the first output.
using ValueAndGradFn =
    std::function<std::pair<std::vector<array>, std::vector<array>>(const std::vector<array>&)>;
using SimpleValueAndGradFn =
    std::function<std::pair<array, std::vector<array>>(const std::vector<array>&)>;

/**
 * A function returning the outputs of `fun` and the gradient of its first output (a scalar)
 * with respect to the arguments in `argnums` (negative counts from the end). The other outputs
 * are returned but not differentiated.
 */
ValueAndGradFn value_and_grad(
    const std::function<std::vector<array>(const std::vector<array>&)>& fun,
    const std::vector<int>& argnums);

ValueAndGradFn value_and_grad(
    const std::function<std::vector<array>(const std::vector<array>&)>& fun, int argnum = 0);

/** value_and_grad of a unary scalar function. */
std::function<std::pair<array, array>(const array&)> value_and_grad(
    const std::function<array(const array&)>& fun);

SimpleValueAndGradFn value_and_grad(const std::function<array(const std::vector<array>&)>& fun,
                                    const std::vector<int>& argnums);

SimpleValueAndGradFn value_and_grad(const std::function<array(const std::vector<array>&)>& fun,
                                    int argnum = 0);

/** The gradient of a scalar function with respect to the arguments in `argnums`. */
std::function<std::vector<array>(const std::vector<array>&)> grad(
    const std::function<array(const std::vector<array>&)>& fun, const std::vector<int>& argnums);

std::function<std::vector<array>(const std::vector<array>&)> grad(
    const std::function<array(const std::vector<array>&)>& fun, int argnum = 0);

std::function<array(const array&)> grad(const std::function<array(const array&)>& fun);

/**
 * Vectorizes a function over the `in_axes` of its inputs (-1: not mapped) and stacks the results
 * along `out_axes` of the outputs.
 */
std::function<array(const array&)> vmap(const std::function<array(const array&)>& fun,
                                        int in_axis = 0, int out_axis = 0);

std::function<array(const array&, const array&)> vmap(
    const std::function<array(const array&, const array&)>& fun, int in_axis_a = 0,
    int in_axis_b = 0, int out_axis = 0);

std::function<std::vector<array>(const std::vector<array>&)> vmap(
    const std::function<std::vector<array>(const std::vector<array>&)>& fun,
    const std::vector<int>& in_axes = {}, const std::vector<int>& out_axes = {});

// The rules of a custom function (MLX's argument orders): vjp(primals, cotangents, outputs),
// jvp(primals, tangents, argnums), vmap(inputs, axes) -> (outputs, output axes).
using CustomVJPFunction = std::function<std::vector<array>(
    const std::vector<array>&, const std::vector<array>&, const std::vector<array>&)>;
using CustomJVPFunction = std::function<std::vector<array>(
    const std::vector<array>&, const std::vector<array>&, const std::vector<int>&)>;
using CustomVMapFunction = std::function<std::pair<std::vector<array>, std::vector<int>>(
    const std::vector<array>&, const std::vector<int>&)>;

/**
 * A function that computes what `fun` computes but is transformed by the given rules: vjp and
 * grad use `fun_vjp`, jvp uses `fun_jvp`, vmap uses `fun_vmap`. A rule left out falls back to
 * transforming `fun` itself.
 */
std::function<std::vector<array>(const std::vector<array>&)> custom_function(
    std::function<std::vector<array>(const std::vector<array>&)> fun,
    std::optional<CustomVJPFunction> fun_vjp = std::nullopt,
    std::optional<CustomJVPFunction> fun_jvp = std::nullopt,
    std::optional<CustomVMapFunction> fun_vmap = std::nullopt);

/** custom_function with a vjp rule only. */
std::function<std::vector<array>(const std::vector<array>&)> custom_vjp(
    std::function<std::vector<array>(const std::vector<array>&)> fun, CustomVJPFunction fun_vjp);

/**
 * A function that computes what `fun` computes but keeps none of its intermediates for the
 * backward pass: vjp recomputes them from the inputs (less memory, more compute).
 */
std::function<std::vector<array>(const std::vector<array>&)> checkpoint(
    std::function<std::vector<array>(const std::vector<array>&)> fun);

}  // namespace mlx::core
