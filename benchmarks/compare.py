#!/usr/bin/env python3
"""Runs bench_core and the same workloads in NumPy and PyTorch, one after the other in one run,
and prints a table of median milliseconds with ratios (peer time / our time: > 1 means we are
faster) and our fraction of the machine's bandwidth or BLAS rate.

Usage: python3 benchmarks/compare.py [path/to/bench_core] [--repeat N]
Each program is run N times (default 3) interleaved, and the median of the medians is kept, as
the machine is shared and noisy.
"""
import os
import statistics
import subprocess
import sys
import time

import numpy as np

try:
    import torch
except ImportError:  # PyTorch is optional: its column is left empty.
    torch = None

N24 = 1 << 24
NUMPY_F16_MS = {}  # NumPy's float16 matmul, timed once per process


def median_ms(fn, repeats):
    times = []
    for r in range(repeats + 2):
        t0 = time.perf_counter()
        fn()
        t1 = time.perf_counter()
        if r >= 2:
            times.append((t1 - t0) * 1e3)
    return statistics.median(times)


def ramp(lib, shape):
    n = 1
    for d in shape:
        n *= d
    if lib == "numpy":
        return (np.arange(n, dtype=np.float32) * np.float32(1.0 / n)).reshape(shape)
    return (torch.arange(n, dtype=torch.float32) * (1.0 / n)).reshape(shape)


def gelu(tanh, x):
    # The tanh form, written op by op exactly as bench_core does (x * x * x, not a power).
    return 0.5 * x * (1.0 + tanh(0.7978845608 * (x + 0.044715 * (x * x * x))))


def softmax_numpy(m):
    e = np.exp(m - m.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def hashed_u32(n):
    # Knuth's multiplicative hash of the index (wrapping in uint32).
    return np.arange(n, dtype=np.uint32) * np.uint32(2654435761)


def hashed_f32(n):
    # The hash in [0, 1): the same values bench_core sorts.
    return hashed_u32(n).astype(np.float32) * np.float32(1.0 / 4294967296.0)


# Bytes each workload must move at least (read + written), for the "of limit" column: W2 is
# counted per op as written (nine ops: four over three arrays, five over two).
BYTES = {
    "W1": 3 * N24 * 4,
    "W2": 22 * N24 * 4,
    # W2c fused: one read of the input and one write of the output.
    "W2c": 2 * N24 * 4,
    "W4": 2 * 4096 * 4096 * 4,
    "W11": 2 * 4096 * 4096 * 4,
    # Packed 4-bit weights, then float32 scales and biases (one each per group of 64).
    "W13": 4096 * 4096 // 2 + 2 * 4096 * (4096 // 64) * 4,
    "FAST_rms_norm": 2 * 4096 * 4096 * 4,
}


def bytes_key(key):
    # The BYTES entry naming the workload: its whole name or a prefix of it up to an underscore.
    return next((b for b in BYTES if key == b or key.startswith(b + "_")), None)


def workloads(lib):
    out = {}
    a, b = ramp(lib, (N24,)), ramp(lib, (N24,))
    m = ramp(lib, (4096, 4096))
    # The libraries differ only in how a reduction names its axis.
    axis_kw = {"axis": -1} if lib == "numpy" else {"dim": -1}
    out["W1_add_f32_2^24"] = median_ms(lambda: a + b, 20)
    out["W3_sum_f32_2^24"] = median_ms(lambda: a.sum(), 20)
    out["W3_rowsum_f32_4096x4096"] = median_ms(lambda: m.sum(**axis_kw), 20)
    if lib == "numpy":
        out["W2_gelu_f32_2^24"] = median_ms(lambda: gelu(np.tanh, a), 10)
        out["W4_softmax_f32_4096x4096"] = median_ms(lambda: softmax_numpy(m), 10)
        v = hashed_f32(1 << 22)
        out["W10_sort_f32_2^22"] = median_ms(lambda: np.sort(v), 10)
        out["W11_transpose_copy_f32_4096x4096"] = median_ms(lambda: np.ascontiguousarray(m.T), 10)
    else:
        out["W2_gelu_f32_2^24"] = median_ms(lambda: gelu(torch.tanh, a), 10)
        # W7 in PyTorch eager: the same 1,000 chained adds on 16 floats (issue 7).
        x16, y16 = ramp(lib, (16,)), ramp(lib, (16,))

        def chain():
            z = x16
            for _ in range(1000):
                z = z + y16
            return z

        out["W7_chain_add_1000x16"] = median_ms(chain, 50)
        out["W4_softmax_f32_4096x4096"] = median_ms(lambda: torch.softmax(m, -1), 10)
        v = torch.from_numpy(hashed_f32(1 << 22))
        out["W10_sort_f32_2^22"] = median_ms(lambda: torch.sort(v), 10)
        out["W11_transpose_copy_f32_4096x4096"] = median_ms(lambda: m.t().contiguous(), 10)
    for n in (1024, 2048):
        x, y = ramp(lib, (n, n)), ramp(lib, (n, n))
        out[f"W5_matmul_f32_{n}"] = median_ms(lambda: x @ y, 10 if n == 1024 else 5)

    # W5h/W5b: 1024^2 matmul in float16 and bfloat16 (issue 6, products). NumPy has no
    # bfloat16, so both rows get its float16 time; its float16 matmul has no BLAS (about a
    # minute here), so it is timed once per process. PyTorch's CPU float16 matmul may be missing.
    x = ramp(lib, (1024, 1024))
    if lib == "numpy":
        if "f16" not in NUMPY_F16_MS:
            xh = x.astype(np.float16)
            t0 = time.perf_counter()
            xh @ xh
            NUMPY_F16_MS["f16"] = (time.perf_counter() - t0) * 1e3
        out["W5h_matmul_f16_1024"] = out["W5b_matmul_bf16_1024"] = NUMPY_F16_MS["f16"]
    else:
        for key, dtype in (("W5h_matmul_f16_1024", torch.float16),
                           ("W5b_matmul_bf16_1024", torch.bfloat16)):
            xh = x.to(dtype)
            try:
                out[key] = median_ms(lambda: xh @ xh, 10)
            except RuntimeError:
                out[key] = float("nan")

    # W6: conv2d, (32, 64, 64, 64) NHWC input, 3x3 64->64 kernel, padding 1 (issue 6, convolution).
    # NumPy has no convolution. PyTorch's own layout is NCHW (its weight (out, in, kh, kw)); the
    # channels_last variant runs on NHWC memory as we do.
    if lib == "torch":
        x = ramp(lib, (32, 64, 64, 64))
        w = ramp(lib, (64, 64, 3, 3))
        conv = torch.nn.functional.conv2d
        out["W6_conv2d_f32_32x64x64x64"] = median_ms(lambda: conv(x, w, padding=1), 5)
        xc = x.contiguous(memory_format=torch.channels_last)
        wc = w.contiguous(memory_format=torch.channels_last)
        out["W6_conv2d_f32_32x64x64x64_channels_last"] = median_ms(
            lambda: conv(xc, wc, padding=1), 5)

    # W12: take of 2^20 random indices from 2^24 float32 (issue 6, gather), the indices
    # bench_core takes (PyTorch indexes with int64 only).
    idx = hashed_u32(1 << 20) >> np.uint32(8)
    if lib == "numpy":
        out["W12_take_f32_2^20_of_2^24"] = median_ms(lambda: np.take(a, idx), 20)
    else:
        tidx = torch.from_numpy(idx.astype(np.int64))
        out["W12_take_f32_2^20_of_2^24"] = median_ms(lambda: a[tidx], 20)

    # W13: 4-bit affine quantized_matmul, 1x4096 by 4096x4096, group 64 (issue 6, quantization).
    # NumPy and PyTorch have no equivalent: their columns stay empty.

    # FAST: causal attention (batch 4, heads 8, 1024 tokens, head dim 64) written with matmul
    # and softmax, the same inputs as bench_core; both of our rows compare with it. rms_norm of
    # 4096x4096 as its composition (issue 8).
    q = ramp(lib, (4, 8, 1024, 64)) - 0.5
    v = ramp(lib, (4, 8, 1024, 64))
    scale = 0.125
    if lib == "numpy":
        k = np.ascontiguousarray(q[:, :, ::-1, :])
        keep = np.tril(np.ones((1024, 1024), dtype=bool))

        def sdpa():
            s = np.matmul(q * np.float32(scale), np.swapaxes(k, -1, -2))
            s = np.where(keep, s, np.float32(-np.inf))
            return np.matmul(softmax_numpy(s), v)

        out["FAST_rms_norm_4096x4096"] = median_ms(
            lambda: m / np.sqrt((m * m).mean(axis=-1, keepdims=True) + np.float32(1e-5)), 10)
    else:
        k = torch.flip(q, (2,)).contiguous()
        keep = torch.ones(1024, 1024, dtype=torch.bool).tril()

        def sdpa():
            s = torch.matmul(q * scale, k.transpose(-1, -2))
            s = s.masked_fill(~keep, float("-inf"))
            return torch.matmul(torch.softmax(s, -1), v)

        out["FAST_rms_norm_4096x4096"] = median_ms(
            lambda: m * torch.rsqrt((m * m).mean(-1, keepdim=True) + 1e-5), 10)
    out["FAST_sdpa_causal_4x8x1024x64"] = median_ms(sdpa, 10)
    out["FAST_sdpa_unfused_4x8x1024x64"] = out["FAST_sdpa_causal_4x8x1024x64"]
    if lib == "torch":
        out.update(torch_training())

    # fft of 2^20 complex64 points, re = ramp, im = 1 - ramp, as bench_core (issue 8). NumPy 2
    # keeps complex64 (NumPy 1 computes in complex128).
    re = ramp(lib, (1 << 20,))
    if lib == "numpy":
        x = (re + 1j * (1 - re)).astype(np.complex64)
        out["fft_c64_2^20"] = median_ms(lambda: np.fft.fft(x), 20)
    else:
        x = torch.complex(re, 1 - re)
        out["fft_c64_2^20"] = median_ms(lambda: torch.fft.fft(x), 20)

    return out


def train_flops():
    """Matrix-multiply FLOPs of one training step of W8 and W9: forward + 2x forward backward."""
    mlp = 2 * 256 * (784 * 512 + 512 * 512 + 512 * 10)
    batch, tokens, d, heads, vocab, layers = 16, 128, 256, 4, 256, 4
    n = batch * tokens
    per_layer = (4 * 2 * n * d * d  # query, key, value, out projections
                 + 2 * 2 * n * d * 4 * d  # the MLP
                 + 2 * 2 * batch * heads * tokens * tokens * (d // heads))  # q k^T and a v
    transformer = layers * per_layer + 2 * n * d * vocab
    return {"W8": 3 * mlp, "W9": 3 * transformer}


def torch_training():
    """W8 and W9 with torch.nn and torch.optim: the same models (bench_core's nn.Sequential MLP
    and pre-norm nn.TransformerEncoder), data and optimizers, eager."""
    nn, F = torch.nn, torch.nn.functional
    out = {}
    torch.manual_seed(8)
    mlp = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                        nn.Linear(512, 10))
    adam = torch.optim.Adam(mlp.parameters(), lr=1e-3)
    x, y = ramp("torch", (256, 784)), torch.arange(256) % 10

    def step_mlp():
        adam.zero_grad(set_to_none=True)
        loss = F.cross_entropy(mlp(x), y)
        loss.backward()
        adam.step()

    out["W8_train_mlp_adam"] = median_ms(step_mlp, 20)

    batch, tokens, d, heads, vocab = 16, 128, 256, 4, 256
    causal = torch.ones(tokens, tokens, dtype=torch.bool).tril()

    def attention(q, k, v):
        if hasattr(F, "scaled_dot_product_attention"):
            return F.scaled_dot_product_attention(q, k, v, is_causal=True)
        s = (q @ k.transpose(-1, -2)) * (q.shape[-1] ** -0.5)
        return torch.softmax(s.masked_fill(~causal, float("-inf")), -1) @ v

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
            self.query_proj = nn.Linear(d, d, bias=False)
            self.key_proj = nn.Linear(d, d, bias=False)
            self.value_proj = nn.Linear(d, d, bias=False)
            self.out_proj = nn.Linear(d, d, bias=False)
            self.fc1, self.fc2 = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)

        def forward(self, x):
            b, t, _ = x.shape
            split = lambda a: a.view(b, t, heads, d // heads).transpose(1, 2)
            h = self.ln1(x)
            att = attention(split(self.query_proj(h)), split(self.key_proj(h)),
                            split(self.value_proj(h)))
            x = x + self.out_proj(att.transpose(1, 2).reshape(b, t, d))
            return x + self.fc2(F.relu(self.fc1(self.ln2(x))))

    class Transformer(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(vocab, d)
            self.positions = nn.Parameter(torch.randn(tokens, d) * 0.02)
            self.layers = nn.ModuleList([Block() for _ in range(4)])
            self.norm = nn.LayerNorm(d)
            self.out = nn.Linear(d, vocab, bias=False)

        def forward(self, tok):
            x = self.embedding(tok) + self.positions[: tok.shape[1]]
            for layer in self.layers:
                x = layer(x)
            return self.out(self.norm(x)).view(-1, vocab)

    torch.manual_seed(9)
    model = Transformer()
    adamw = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    seq = (torch.arange(batch * tokens) * 7) % vocab
    inputs = seq.view(batch, tokens)
    targets = ((inputs + 1) % vocab).view(-1)

    def step_transformer():
        adamw.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(inputs), targets)
        loss.backward()
        adamw.step()

    out["W9_train_transformer_adamw"] = median_ms(step_transformer, 5)
    return out


def run_ours(path, workloads_only):
    cmd = [path] + (["--workloads"] if workloads_only else [])
    text = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return {k: float(v) for k, v in (line.split() for line in text.splitlines() if line.strip())}


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    path = args[0] if args else "build/release/benchmarks/bench_core"
    repeat = 3
    if "--repeat" in sys.argv:
        repeat = int(sys.argv[sys.argv.index("--repeat") + 1])
    if torch is not None:
        torch.set_num_threads(os.cpu_count())

    limits = run_ours(path, False)
    ours, numpy_, torch_ = [], [], []
    for _ in range(repeat):
        ours.append(run_ours(path, True))
        numpy_.append(workloads("numpy"))
        if torch is not None:
            torch_.append(workloads("torch"))

    def med(runs, key):
        vals = [r[key] for r in runs if key in r]
        return statistics.median(vals) if vals else float("nan")

    print(f"machine: {os.cpu_count()} cores; copy {limits['limit_copy_gbs']:.1f} GB/s, "
          f"read {limits['limit_read_gbs']:.1f} GB/s, triad {limits['limit_triad_gbs']:.1f} GB/s; "
          f"cblas_sgemm 1024: {limits['cblas_sgemm_1024_ms']:.2f} ms, "
          f"2048: {limits['cblas_sgemm_2048_ms']:.2f} ms")
    print(f"numpy {np.__version__}" + (f", torch {torch.__version__}" if torch else ", no torch"))
    header = f"{'workload':28} {'mlx ms':>9} {'numpy ms':>9} {'torch ms':>9} {'vs numpy':>9} {'vs torch':>9}  of limit"
    print(header)
    for key in ours[0]:
        if key.startswith(("MLP", "TRAIN", "IO", "W8", "W9")):
            continue
        o, n, t = med(ours, key), med(numpy_, key), med(torch_, key) if torch_ else float("nan")
        prefix = key.split("_", 1)[0]
        if bytes_key(key):
            limit = f"{BYTES[bytes_key(key)] / (o * 1e-3) / 1e9 / limits['limit_copy_gbs'] * 100:.0f}% of copy bw"
        elif key.startswith("FAST_sdpa_causal"):
            limit = f"{med(ours, 'FAST_sdpa_unfused_4x8x1024x64') / o:.2f}x faster than our unfused"
        elif key.startswith("fft_"):
            # fft 2^20 complex64, in the customary 5 n log2(n) flops.
            limit = f"{5 * (1 << 20) * 20 / (o * 1e-3) / 1e9:.1f} GFLOP/s (5 n log2 n)"
        elif prefix == "W10":
            limit = ""
        elif prefix == "W7":
            limit = f"{o:.3f} µs per op"  # 1,000 ops: total ms = µs per op
        elif key.startswith("W3_sum"):
            limit = f"{N24 * 4 / (o * 1e-3) / 1e9 / limits['limit_read_gbs'] * 100:.0f}% of read bw"
        elif key.startswith("W3_rowsum"):
            limit = f"{4096 * 4096 * 4 / (o * 1e-3) / 1e9 / limits['limit_read_gbs'] * 100:.0f}% of read bw"
        elif key.startswith(("W5h_", "W5b_")):
            limit = f"{o / med(ours, 'W5_matmul_f32_1024'):.2f}x our f32 time"
        elif key.startswith("W5_"):
            n_ = key.rsplit("_", 1)[1]
            limit = f"{limits[f'cblas_sgemm_{n_}_ms'] / o * 100:.0f}% of cblas_sgemm"
        else:
            limit = ""
        print(f"{key:28} {o:9.3f} {n:9.3f} {t:9.3f} {n / o:8.2f}x {t / o:8.2f}x  {limit}")
    # W6's second PyTorch figure: the same convolution on channels_last (NHWC) memory.
    w6, w6_cl = "W6_conv2d_f32_32x64x64x64", "W6_conv2d_f32_32x64x64x64_channels_last"
    if torch_ and w6 in ours[0]:
        o, t = med(ours, w6), med(torch_, w6_cl)
        print(f"{'  torch channels_last':28} {o:9.3f} {'':9} {t:9.3f} {'':9} {t / o:8.2f}x")


    # W2c (GELU through compile; the peers have no equivalent run) against our uncompiled W2.
    w2, w2c = med(ours, "W2_gelu_f32_2^24"), med(ours, "W2c_gelu_compiled_f32_2^24")
    print(f"W2c GELU compiled: {w2c:.3f} ms, {w2 / w2c:.2f}x faster than uncompiled W2, "
          f"{BYTES['W2c'] / (w2c * 1e-3) / 1e9 / limits['limit_copy_gbs'] * 100:.0f}% of copy bw")
    # [train spot] the compiled training step against the uncompiled one (issue 7).
    for tag, batch in (("TRAIN_", 256), ("TRAIN_b128_", 128), ("TRAIN_b64_", 64)):
        step, step_c = med(ours, f"{tag}step_ms"), med(ours, f"{tag}step_compiled_ms")
        print(f"training step (MLP, value_and_grad, Adam), batch {batch}: {step:.3f} ms, compiled "
              f"{step_c:.3f} ms ({step / step_c:.2f}x faster compiled; target 1.2x)")
    parts = [(name, med(ours, f"TRAIN_{name}_ms"), med(ours, f"TRAIN_{name}_compiled_ms"))
             for name in ("grads", "adam")]
    print("  its parts apart: " + ", ".join(
        f"{name} {u:.3f} ms, compiled {c:.3f} ({u / c:.2f}x)" for name, u, c in parts))
    # W8/W9: training steps with nn and optimizers, compiled, against torch.nn + torch.optim, and
    # the step's matmul FLOP rate against the same-run cblas_sgemm (2048) rate.
    sgemm_gflops = 2 * 2048**3 / (limits["cblas_sgemm_2048_ms"] * 1e-3) / 1e9
    flops = train_flops()
    for key, label in (("W8_train_mlp_adam", "W8 MLP 784-512-512-10, batch 256, Adam"),
                       ("W9_train_transformer_adamw",
                        "W9 transformer 4x256, 4 heads, 16x128 tokens, AdamW")):
        o = med(ours, key)
        t = med(torch_, key) if torch_ else float("nan")
        gflops = flops[key[:2]] / (o * 1e-3) / 1e9
        print(f"{label}: {o:.3f} ms, torch {t:.3f} ms ({t / o:.2f}x); {gflops:.1f} GFLOP/s = "
              f"{gflops / sgemm_gflops * 100:.0f}% of cblas_sgemm ({sgemm_gflops:.1f} GFLOP/s)")
    w8u = med(ours, "W8u_train_mlp_adam_uncompiled")
    print(f"  W8 uncompiled: {w8u:.3f} ms ({w8u / med(ours, 'W8_train_mlp_adam'):.2f}x compiled)")
    fwd, both = med(ours, "MLP_forward_ms"), med(ours, "MLP_value_and_grad_ms")
    print(f"MLP 3 layers: forward {fwd:.3f} ms, value_and_grad {both:.3f} ms ({both / fwd:.2f}x forward)")
    # [io] a 1 GiB safetensors load from the page cache against `cat` of the same file; both are
    # timed by bench_core in one run, as the file only exists for that run (issue 8).
    load, cat = med(ours, "IO_safetensors_load_1GiB"), med(ours, "IO_cat_1GiB")
    print(f"safetensors load 1 GiB: {load:.1f} ms ({(1 << 30) / (load * 1e-3) / 1e9:.2f} GB/s), "
          f"cat {cat:.1f} ms ({(1 << 30) / (cat * 1e-3) / 1e9:.2f} GB/s): "
          f"{cat / load:.2f}x the speed of cat (target 1x)")


if __name__ == "__main__":
    main()
