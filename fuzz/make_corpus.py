#!/usr/bin/env python3
"""Writes the seed corpus of each fuzz target (small valid files of every kind the loaders read)."""
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def put(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def npy(descr, fortran, shape, data, version=1):
    shape_s = "(" + "".join(f"{s}, " for s in shape).rstrip(" ")
    shape_s = shape_s.rstrip(",") + ("," if len(shape) == 1 else "") + ")"
    header = f"{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': {shape_s}, }}"
    size = 2 if version == 1 else 4
    pad = 64 - (8 + size + len(header) + 1) % 64
    header = header + " " * (pad % 64) + "\n"
    length = struct.pack("<H" if version == 1 else "<I", len(header))
    return b"\x93NUMPY" + bytes([version, 0]) + length + header.encode() + data


put("fuzz_npy", "f4_2x3", npy("<f4", False, (2, 3), struct.pack("<6f", *range(6))))
put("fuzz_npy", "i4_be_fortran", npy(">i4", True, (2, 2), struct.pack(">4i", 0, 2, 1, 3)))
put("fuzz_npy", "c8_scalar", npy("<c8", False, (), struct.pack("<2f", 1, 2)))
put("fuzz_npy", "b1_v2", npy("|b1", False, (3,), b"\x01\x00\x01", version=2))
put("fuzz_npy", "bf16", npy("<V2", False, (2,), b"\x80\x3f\x00\x40"))


def safetensors(tensors, metadata=None):
    header, data = {}, b""
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


put("fuzz_safetensors", "two", safetensors(
    {"a": ("F32", [2], struct.pack("<2f", 1, 2)), "b": ("I8", [1, 3], b"\x01\x02\x03")},
    {"format": "mlx"}))
put("fuzz_safetensors", "dtypes", safetensors(
    {"h": ("F16", [1], b"\x00\x3c"), "bf": ("BF16", [1], b"\x80\x3f"), "c": ("C64", [], b"\0" * 8),
     "u": ("U64", [1], b"\0" * 8), "e": ("BOOL", [0], b""), "f8": ("F8_E4M3", [2], b"\x38\x45")}))


def gstr(s):
    return struct.pack("<Q", len(s)) + s.encode()


def gguf(kvs, tensors, version=3):
    out = b"GGUF" + struct.pack("<IQQ", version, len(tensors), len(kvs))
    for key, raw in kvs:
        out += gstr(key) + raw
    data = b""
    for name, dims, ttype, raw in tensors:
        data += b"\0" * ((32 - len(data) % 32) % 32)
        out += gstr(name) + struct.pack("<I", len(dims)) + struct.pack(f"<{len(dims)}Q", *dims)
        out += struct.pack("<IQ", ttype, len(data))
        data += raw
    out += b"\0" * ((32 - len(out) % 32) % 32)
    return out + data


kvs = [("general.name", struct.pack("<I", 8) + gstr("tiny")),
       ("general.alignment", struct.pack("<II", 4, 32)),
       ("tokens", struct.pack("<IIQ", 9, 8, 2) + gstr("a") + gstr("bc")),
       ("ints", struct.pack("<IIQ", 9, 5, 2) + struct.pack("<2i", -1, 7)),
       ("nested", struct.pack("<IIQ", 9, 9, 1) + struct.pack("<IQ", 0, 1) + b"x"),
       ("flag", struct.pack("<IB", 7, 1)), ("pi", struct.pack("<Id", 12, 3.14))]
q4_0 = b"\x00\x38" + bytes(range(16))
q4_1 = b"\x00\x40\x00\xbc" + bytes(range(16))
q8_0 = b"\x00\x34" + bytes(range(32))
put("fuzz_gguf", "plain", gguf(kvs, [("f", [3, 2], 0, struct.pack("<6f", *range(6))),
                                     ("h", [2], 1, b"\x00\x3c\x00\x40"),
                                     ("i", [1], 26, struct.pack("<i", 5))]))
put("fuzz_gguf", "quantized", gguf(kvs[:2], [("a.weight", [32, 1], 2, q4_0),
                                             ("b.weight", [32, 1], 3, q4_1),
                                             ("c", [32], 8, q8_0)]))
put("fuzz_gguf", "v2", gguf([], [("bf", [1], 30, b"\x80\x3f")], version=2))
