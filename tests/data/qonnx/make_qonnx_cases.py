#!/usr/bin/env python3
"""Generate the QONNX peer cases: `python make_qonnx_cases.py <case>...|all|list|readme`.

Each case folder <case>/ gets
  model.onnx       the QONNX model after qonnx.util.cleanup.cleanup_model (NCHW, batch size 1, as exported)
  X.npy            float32 inputs, batch-first; row i is fed as X[i:i+1]
  Y.npy            qonnx.core.onnx_exec.execute_onnx(model, {input: X[i:i+1]}) stacked over the rows (float32)
  graph.txt        a human-readable dump of the committed graph (nodes, attributes, small initializers)
  Y_brevitas.npy   (Brevitas cases only) the Brevitas torch module's output on the same X
and README.md is regenerated from every case folder present.

Environment (see README.md): qonnx 1.0.0, brevitas 0.13.4, torch 2.15, onnx 1.22.0 (NOT 1.23: qonnx's
per-node onnxruntime sessions are built with onnx.helper.make_model's default IR version, and onnx 1.23
writes IR 14, which onnxruntime 1.31 rejects), onnxruntime 1.31.1, numpy 2.4.
"""
import io
import os
import sys
import warnings
from collections import OrderedDict

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
DOMAIN = "qonnx.custom_op.general"
N_ROWS = 200

warnings.filterwarnings("ignore")
os.environ.setdefault("PYTHONWARNINGS", "ignore")


def f32(a):
    return np.asarray(a, dtype=np.float32)


# --------------------------------------------------------------------------------------------------
# hand-built graphs
# --------------------------------------------------------------------------------------------------
class Builder:
    """Tiny onnx.helper graph builder. Every branch reads the graph input 'x'; the branch outputs are
    concatenated along axis 1 into 'y' (a Concat node; a single branch is still concatenated so that
    the graph output is never a custom-op output)."""

    def __init__(self, in_shape, qonnx_opset=1):
        self.in_shape = list(in_shape)
        self.nodes = []
        self.inits = []
        self.k = 0
        self.qonnx_opset = qonnx_opset

    def const(self, arr, hint="c"):
        name = "%s%d" % (hint, len(self.inits))
        self.inits.append(numpy_helper.from_array(f32(arr), name))
        return name

    def node(self, op, ins, domain=DOMAIN, **attrs):
        out = "t%d" % self.k
        self.nodes.append(helper.make_node(op, ins, [out], domain=domain, name="%s_%d" % (op, self.k), **attrs))
        self.k += 1
        return out

    def quant(self, x, scale, zeropt, bitwidth, signed, narrow, mode):
        return self.node(
            "Quant",
            [x, self.const(scale, "scale"), self.const(zeropt, "zeropt"), self.const(bitwidth, "bitwidth")],
            signed=int(signed),
            narrow=int(narrow),
            rounding_mode=mode,
        )

    def model(self, branches, out_shape):
        y = "y"
        self.nodes.append(helper.make_node("Concat", branches, [y], axis=1, name="Concat_out"))
        graph = helper.make_graph(
            self.nodes,
            "qonnx_case",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, self.in_shape)],
            [helper.make_tensor_value_info(y, TensorProto.FLOAT, list(out_shape))],
            self.inits,
        )
        return helper.make_model(
            graph,
            opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid(DOMAIN, self.qonnx_opset)],
            ir_version=8,
            producer_name="rtlgen make_qonnx_cases.py",
        )


def ulp_neighbours(v):
    v = f32(v)
    return np.concatenate([np.nextafter(v, f32(-np.inf)), np.nextafter(v, f32(np.inf))])


# Scales used by the Quant branches (float32 values are what ends up in the model).
PC_SCALE = f32([0.3, 0.07, 0.11, 0.013, 0.5, 0.2, 0.0625, 1.7]).reshape(1, 8)  # non-power-of-two per channel
PC_SCALE_PO2 = f32([2.0**-3, 2.0**-2, 2.0**-1, 1.0, 2.0, 2.0**-4, 2.0**-3, 4.0]).reshape(1, 8)
PC_ZP = f32([0, 1, -1, 2, -2, 0, 1, -1]).reshape(1, 8)


def quant_branches():
    """(label, scale, zeropt, bitwidth, signed, narrow) for the per-rounding-mode cases."""
    return [
        ("s1n0b4 scale=2^-3", 2.0**-3, 0.0, 4, 1, 0),
        ("s1n1b4 scale=0.3", 0.3, 0.0, 4, 1, 1),
        ("s0n0b2 scale=0.3", 0.3, 0.0, 2, 0, 0),
        ("s0n1b4 scale=2^-2 (unsigned narrow: max 14)", 2.0**-2, 0.0, 4, 0, 1),
        ("s1n0b8 per-channel non-po2 scale[1,8]", PC_SCALE, 0.0, 8, 1, 0),
        ("s1n0b4 scale=2^-3 zeropt=3", 2.0**-3, 3.0, 4, 1, 0),
        ("s0n0b4 scale=0.3 zeropt=5", 0.3, 5.0, 4, 0, 0),
        ("s1n0b1 scale=0.5 (1-bit signed special case)", 0.5, 0.0, 1, 1, 0),
        ("s0n0b1 scale=0.25 (1-bit unsigned)", 0.25, 0.0, 1, 0, 0),
        ("s1n1b2 per-channel po2 scale[1,8], per-channel zeropt[1,8]", PC_SCALE_PO2, PC_ZP, 2, 1, 1),
        ("s1n1b8 scale=2^-3", 2.0**-3, 0.0, 8, 1, 1),
    ]


def quant_x():
    """[N,8] float32 rows: ties for every scale in quant_branches, ulp neighbours of the 0.3 ties,
    values beyond the clamp range, zeros and -0.0, the HALF_UP float32 trap 0.49999997, random rows."""
    rows = []
    # 1/16 grid over [-3, 3): ties for 2^-3, 2^-2, 2^-1 scales and integers
    rows += list(np.arange(-48, 48, dtype=np.float32).reshape(-1, 8) / 16)
    # ties k+1/2 for scale 0.3 (f32 product), their ulp neighbours, and the exact grid k*0.3
    t03 = (np.arange(-8, 8, dtype=np.float32) + f32(0.5)) * f32(0.3)
    rows += list(t03.reshape(-1, 8))
    rows += list(ulp_neighbours(t03).reshape(-1, 8))
    rows += list((np.arange(-8, 8, dtype=np.float32) * f32(0.3)).reshape(-1, 8))
    # zero point 5, unsigned, scale 0.3: ties at (k+0.5-5)*0.3
    rows += list(((np.arange(-8, 8, dtype=np.float32) + f32(0.5)) * f32(0.3) - f32(1.5)).reshape(-1, 8))
    # per-channel non-po2 scale: ties (k+1/2)*s_c and grid k*s_c for k around 0 and the clamp edges
    for k in [-130, -128.5, -127.5, -3.5, -1.5, -0.5, 0.5, 1.5, 2.5, 126.5, 127.5, 3, -3, 127, -128]:
        rows.append((f32(k) * PC_SCALE).ravel())
    # per-channel po2 scale with zero points: (k+1/2 - z)*s and k*s
    for k in [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, -1, 1]:
        rows.append(((f32(k) - PC_ZP) * PC_SCALE_PO2).ravel())
    # the HALF_UP trap: x/s = +-0.49999997 (largest float32 below 1/2) for po2 scales; and +-(k+1/2)*2^-3
    h = np.nextafter(f32(0.5), f32(0))
    rows.append(f32([h / 8, -h / 8, h / 4, -h / 4, h / 2, -h / 2, h, -h]))
    rows.append(f32([(h + 1) / 8, -(h + 1) / 8, (h + 2) / 8, -(h + 2) / 8, 0.5 / 8, -0.5 / 8, 1.5 / 8, -1.5 / 8]))
    # zeros, negative zeros, tiny, huge, clamp edges
    rows.append(np.zeros(8, np.float32))
    rows.append(-np.zeros(8, np.float32))
    rows.append(f32([1e-30, -1e-30, 1e-45, -1e-45, 100, -100, 1e6, -1e6]))
    rows.append(f32([0.875, -1.0, 0.9375, -1.0625, 15.875, -16, 3.5, -3.5]))
    rng = np.random.default_rng(7)
    while len(rows) < N_ROWS:
        sc = [0.5, 1.0, 2.0, 8.0][len(rows) % 4]
        rows.append((rng.standard_normal(8) * sc).astype(np.float32))
    return np.stack(rows[:N_ROWS]).astype(np.float32)


def case_quant(mode):
    def make():
        b = Builder([1, 8])
        outs = []
        for _label, s, z, bw, sg, nr in quant_branches():
            outs.append(b.quant("x", s, z, bw, sg, nr, mode))
        return b.model(outs, [1, 8 * len(outs)]), quant_x()

    return make


def case_quant_misc():
    """Spelling and broadcasting variants: lower-case 'half_even' alias, scale of shape [8] (numpy
    trailing-axis broadcast), a [8]-shaped zeropt, 1-bit unsigned narrow (max_int = 0: everything
    quantizes to 0), 3-bit signed narrow, and a scale that is not exactly representable in binary
    (0.1)."""
    b = Builder([1, 8])
    outs = [
        b.quant("x", 0.3, 0.0, 4, 1, 0, "half_even"),
        b.quant("x", PC_SCALE.ravel(), PC_ZP.ravel(), 4, 1, 0, "ROUND"),
        b.quant("x", 0.25, 0.0, 1, 0, 1, "ROUND"),
        b.quant("x", 0.1, 0.0, 3, 1, 1, "HALF_UP"),
        b.quant("x", 0.1, 0.0, 3, 0, 0, "floor"),
    ]
    X = quant_x()
    t01 = (np.arange(-8, 8, dtype=np.float32) + f32(0.5)) * f32(0.1)
    X[-8:-6] = t01.reshape(-1, 8)
    X[-6:-2] = ulp_neighbours(t01).reshape(-1, 8)
    return b.model(outs, [1, 8 * len(outs)]), X


def case_quant_nchw():
    """Quant on an NCHW tensor [1,3,2,2] with per-channel scale/zeropt shaped [1,3,1,1] (Brevitas style)
    and [3,1,1]."""
    b = Builder([1, 3, 2, 2])
    s = f32([0.3, 2.0**-3, 0.07]).reshape(1, 3, 1, 1)
    z = f32([0, 2, -1]).reshape(1, 3, 1, 1)
    outs = [
        b.quant("x", s, 0.0, 4, 1, 0, "ROUND"),
        b.quant("x", s.reshape(3, 1, 1), z.reshape(3, 1, 1), 4, 0, 0, "HALF_UP"),
    ]
    rng = np.random.default_rng(11)
    X = []
    for k in np.arange(-9.5, 10.5, 1.0):
        X.append(np.broadcast_to(f32(k) * s, (1, 3, 2, 2)).reshape(3, 2, 2) + np.zeros((3, 2, 2), np.float32))
    for k in np.arange(-9.5, 10.5, 1.0):
        X.append(np.broadcast_to((f32(k) - z) * s, (1, 3, 2, 2)).reshape(3, 2, 2) + np.zeros((3, 2, 2), np.float32))
    while len(X) < N_ROWS:
        X.append((rng.standard_normal((3, 2, 2)) * [0.5, 1.0, 2.0][len(X) % 3]).astype(np.float32))
    X = np.stack(X).astype(np.float32)
    return b.model(outs, [1, 6, 2, 2]), X


def case_bipolar():
    """BipolarQuant with scale 1, 0.5 and a per-channel scale [1,8]; X has +0.0, -0.0, denormals."""
    b = Builder([1, 8])
    outs = [
        b.node("BipolarQuant", ["x", b.const(1.0, "scale")]),
        b.node("BipolarQuant", ["x", b.const(0.5, "scale")]),
        b.node("BipolarQuant", ["x", b.const(PC_SCALE, "scale")]),
    ]
    rows = [np.zeros(8, np.float32), -np.zeros(8, np.float32),
            f32([1e-45, -1e-45, 1e-38, -1e-38, 1, -1, 0.5, -0.5]),
            f32([0, -0.0, 0, -0.0, 1e-45, -1e-45, 0, -0.0])]
    rng = np.random.default_rng(3)
    while len(rows) < N_ROWS:
        r = rng.standard_normal(8).astype(np.float32)
        r[rng.random(8) < 0.2] = 0.0
        rows.append(r)
    return b.model(outs, [1, 24]), np.stack(rows).astype(np.float32)


def trunc_x():
    """Rows on the 2^-4 grid covering the 8-bit signed range [-8, 7.9375] (all tie patterns of a 4-bit
    truncation), multiples of 0.3, off-grid values and values beyond the 8-bit range."""
    rows = list((np.arange(-128, 128, dtype=np.float32) / 16).reshape(-1, 8))
    rows += list((np.arange(-128, 128, 4, dtype=np.float32) * f32(0.3)).reshape(-1, 8))
    rows += list(((np.arange(-64, 64, 4, dtype=np.float32) + f32(0.5)) / 16).reshape(-1, 8))
    rows.append(f32([100, -100, 8, -8.03125, 7.96875, -7.96875, 0, -0.0]))
    rng = np.random.default_rng(5)
    while len(rows) < N_ROWS:
        rows.append((rng.standard_normal(8) * [1.0, 3.0, 6.0][len(rows) % 3]).astype(np.float32))
    return np.stack(rows).astype(np.float32)


def case_trunc_v1():
    """Trunc v1 (model imports qonnx.custom_op.general opset 1 -> qonnx executes Trunc_v1).
    Inputs (X, scale, zeropt, in_bitwidth, out_bitwidth)."""
    b = Builder([1, 8], qonnx_opset=1)
    outs = []
    q8 = b.quant("x", 2.0**-4, 0.0, 8, 1, 0, "ROUND")
    for mode in ["FLOOR", "ROUND", "CEIL", "HALF_UP"]:
        outs.append(b.node("Trunc", [q8, b.const(2.0**-4, "scale"), b.const(0.0, "zeropt"),
                                     b.const(8.0, "in_bw"), b.const(4.0, "out_bw")], rounding_mode=mode))
    q03 = b.quant("x", 0.3, 0.0, 8, 1, 0, "ROUND")
    outs.append(b.node("Trunc", [q03, b.const(0.3, "scale"), b.const(0.0, "zeropt"),
                                 b.const(8.0, "in_bw"), b.const(5.0, "out_bw")], rounding_mode="FLOOR"))
    qu = b.quant("x", 2.0**-4, 5.0, 8, 0, 0, "ROUND")
    outs.append(b.node("Trunc", [qu, b.const(2.0**-4, "scale"), b.const(5.0, "zeropt"),
                                 b.const(8.0, "in_bw"), b.const(4.0, "out_bw")], rounding_mode="FLOOR"))
    # Trunc straight on the float input: exercises Trunc's own inner round-half-even of X/scale
    outs.append(b.node("Trunc", ["x", b.const(2.0**-4, "scale"), b.const(0.0, "zeropt"),
                                 b.const(8.0, "in_bw"), b.const(6.0, "out_bw")], rounding_mode="FLOOR"))
    return b.model(outs, [1, 8 * len(outs)]), trunc_x()


def case_trunc_v2():
    """Trunc v2 (model imports qonnx.custom_op.general opset 2 -> qonnx executes Trunc_v2, which is
    also what Brevitas 0.13 exports). Inputs (X, scale, zeropt, in_bitwidth, out_scale, out_bitwidth),
    attributes signed, narrow, rounding_mode."""
    b = Builder([1, 8], qonnx_opset=2)
    outs = []
    q8 = b.quant("x", 2.0**-4, 0.0, 8, 1, 0, "ROUND")

    def tr(inp, scale, zp, in_bw, out_scale, out_bw, mode, signed, narrow):
        return b.node("Trunc", [inp, b.const(scale, "scale"), b.const(zp, "zeropt"), b.const(in_bw, "in_bw"),
                                b.const(out_scale, "out_scale"), b.const(out_bw, "out_bw")],
                      rounding_mode=mode, signed=int(signed), narrow=int(narrow))

    outs.append(tr(q8, 2.0**-4, 0.0, 8, 2.0**-1, 4, "FLOOR", 1, 0))   # drop 3 bits, clamp to [-8, 7]
    outs.append(tr(q8, 2.0**-4, 0.0, 8, 2.0**-1, 4, "ROUND", 1, 0))
    outs.append(tr(q8, 2.0**-4, 0.0, 8, 2.0**-1, 4, "FLOOR", 1, 1))   # narrow: clamp to [-7, 7]
    outs.append(tr(q8, 2.0**-4, 0.0, 8, 2.0**-1, 4, "FLOOR", 0, 0))   # unsigned: clamp to [0, 15]
    outs.append(tr(q8, 2.0**-4, 0.0, 8, 2.0**-4, 8, "FLOOR", 1, 0))   # out_scale == scale: t = 1
    outs.append(tr(q8, 2.0**-4, 0.0, 8, 3 * 2.0**-4, 4, "FLOOR", 1, 0))  # ratio 3: t = 2^round(log2 3) = 4
    q03 = b.quant("x", 0.3, 0.0, 8, 1, 0, "ROUND")
    outs.append(tr(q03, 0.3, 0.0, 8, f32(0.3) * 4, 6, "FLOOR", 1, 0))  # non-po2 scale, t = 4
    qz = b.quant("x", 2.0**-4, 6.0, 8, 0, 0, "ROUND")
    outs.append(tr(qz, 2.0**-4, 6.0, 8, 2.0**-2, 4, "FLOOR", 0, 0))    # zeropt 6 -> out zeropt 6/4 = 1.5
    return b.model(outs, [1, 8 * len(outs)]), trunc_x()


MT_T = f32([
    [-1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5],        # sorted, uniform
    [-0.25, -0.25, 0.0, 0.0, 0.75, 0.75, 2.0],     # duplicates
    [1.0, -1.0, 0.5, -0.5, 0.0, 2.0, -2.0],        # unsorted
])
MT_BIP = f32([[0.0], [0.25], [-0.125]])
MT_GLOBAL = f32([[-0.75, 0.0, 0.3, 1.25]])


def mt_values(shape, rng_seed):
    """Rows of the given per-sample shape: the 1/8 grid (hits every threshold exactly), the f32 value
    0.3 and its neighbours, and random values."""
    n = int(np.prod(shape))
    grid = np.arange(-2.5, 2.5 + 1e-9, 0.125, dtype=np.float32)
    vals = list(grid) + [f32(0.3), np.nextafter(f32(0.3), f32(0)), np.nextafter(f32(0.3), f32(1)),
                         f32(-0.0), f32(1e-45), f32(-1e-45), f32(5), f32(-5)]
    vals = np.array(vals, np.float32)
    rows = []
    rng = np.random.default_rng(rng_seed)
    for i in range(0, 120):  # every value appears in every channel position several times
        rows.append(vals[(np.arange(n) * 5 + i * 3) % len(vals)].reshape(shape))
    while len(rows) < N_ROWS:
        rows.append((rng.standard_normal(n) * 1.5).astype(np.float32).reshape(shape))
    return np.stack(rows).astype(np.float32)


def case_mt_nchw():
    """MultiThreshold on [1,3,2,2] with data_layout='NCHW'."""
    b = Builder([1, 3, 2, 2])
    outs = [
        b.node("MultiThreshold", ["x", b.const(MT_T, "thr")], out_dtype="UINT3", data_layout="NCHW"),
        b.node("MultiThreshold", ["x", b.const(MT_T, "thr")], out_dtype="UINT3", data_layout="NCHW",
               out_scale=0.5, out_bias=-1.5),
        b.node("MultiThreshold", ["x", b.const(MT_BIP, "thr")], out_dtype="BIPOLAR", data_layout="NCHW",
               out_scale=2.0, out_bias=-1.0),
        b.node("MultiThreshold", ["x", b.const(MT_GLOBAL, "thr")], out_dtype="UINT3", data_layout="NCHW",
               out_scale=0.3, out_bias=0.1),
    ]
    return b.model(outs, [1, 12, 2, 2]), mt_values((3, 2, 2), 21)


def case_mt_nhwc():
    """MultiThreshold on [1,2,2,3] with data_layout='NHWC' (channels last); outputs concatenated on
    axis 1 (H)."""
    b = Builder([1, 2, 2, 3])
    outs = [
        b.node("MultiThreshold", ["x", b.const(MT_T, "thr")], out_dtype="UINT3", data_layout="NHWC"),
        b.node("MultiThreshold", ["x", b.const(MT_BIP, "thr")], out_dtype="BIPOLAR", data_layout="NHWC",
               out_scale=2.0, out_bias=-1.0),
        b.node("MultiThreshold", ["x", b.const(MT_GLOBAL, "thr")], out_dtype="UINT3", data_layout="NHWC",
               out_scale=-0.5, out_bias=0.25),
    ]
    return b.model(outs, [1, 6, 2, 3]), mt_values((2, 2, 3), 22)


def case_mt_nc():
    """MultiThreshold on a rank-2 [1,8] tensor: without data_layout (rank 2 -> 'NC') and with an
    explicit 'NC'; thresholds [8,3]."""
    b = Builder([1, 8])
    t8 = np.concatenate([MT_T[:, [0, 3, 6]], MT_T[:, [1, 2, 5]], MT_T[:2, [4, 5, 6]]]).astype(np.float32)
    outs = [
        b.node("MultiThreshold", ["x", b.const(t8, "thr")], out_dtype="UINT2"),
        b.node("MultiThreshold", ["x", b.const(t8, "thr")], out_dtype="UINT2", data_layout="NC",
               out_scale=2.0, out_bias=-3.0),
    ]
    return b.model(outs, [1, 16]), mt_values((8,), 23)


def case_mt_nwc_default():
    """MultiThreshold on a rank-3 [1,4,3] tensor WITHOUT data_layout: qonnx 1.0.0 guesses 'NWC' from
    the rank, i.e. the channel axis is the LAST one (3 channels, thresholds [3,7]). Older qonnx
    (default 'NCHW') would use axis 1 (size 4) and fail the threshold-shape assertion."""
    b = Builder([1, 4, 3])
    outs = [b.node("MultiThreshold", ["x", b.const(MT_T, "thr")], out_dtype="UINT3")]
    return b.model(outs, [1, 4, 3]), mt_values((4, 3), 24)


# --------------------------------------------------------------------------------------------------
# Brevitas models
# --------------------------------------------------------------------------------------------------
def brevitas_x(shape, tie_scale, seed, sigma=0.6):
    """N rows: random normal(0, sigma), plus rows on the k+1/2 grid of the input quantizer's scale."""
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    rows = []
    for i in range(24):
        k = rng.integers(-10, 10, n) + 0.5
        rows.append((k * tie_scale).astype(np.float32).reshape(shape))
    while len(rows) < N_ROWS:
        rows.append((rng.standard_normal(n) * sigma).astype(np.float32).reshape(shape))
    rows[-1] = np.zeros(shape, np.float32)
    return np.stack(rows).astype(np.float32)


def export_brevitas(module, in_shape):
    import torch
    from brevitas.export import export_qonnx

    module.eval()
    buf = os.path.join(HERE, ".export_tmp.onnx")
    with torch.no_grad():
        export_qonnx(module, torch.zeros(in_shape), export_path=buf)  # Brevitas 0.13.4 + torch >= 2.9: dynamo
    mp = onnx.load(buf)
    for f in [buf, buf + ".data"]:
        if os.path.exists(f):
            os.remove(f)
    return mp


def brevitas_out(module, X):
    import torch

    with torch.no_grad():
        y = module(torch.from_numpy(X))
    if hasattr(y, "value"):
        y = y.value
    return y.detach().numpy().astype(np.float32)


def case_brevitas_mlp_w4a4():
    import torch
    import brevitas.nn as qnn

    torch.manual_seed(0)
    m = torch.nn.Sequential(
        qnn.QuantIdentity(bit_width=4, return_quant_tensor=True),
        qnn.QuantLinear(16, 32, bias=True, weight_bit_width=4),
        qnn.QuantReLU(bit_width=4, return_quant_tensor=True),
        qnn.QuantLinear(32, 16, bias=True, weight_bit_width=4),
        qnn.QuantReLU(bit_width=4, return_quant_tensor=True),
        qnn.QuantLinear(16, 5, bias=True, weight_bit_width=4),
    ).eval()
    X = brevitas_x((16,), 0.125, 31)
    return export_brevitas(m, (1, 16)), X, brevitas_out(m, X)


def case_brevitas_mlp_w4a4_po2():
    import torch
    import brevitas.nn as qnn
    from brevitas.quant import Int8ActPerTensorFixedPoint, Int8WeightPerTensorFixedPoint, Uint8ActPerTensorFixedPoint

    torch.manual_seed(0)
    W = dict(weight_quant=Int8WeightPerTensorFixedPoint, weight_bit_width=4)
    m = torch.nn.Sequential(
        qnn.QuantIdentity(act_quant=Int8ActPerTensorFixedPoint, bit_width=4, return_quant_tensor=True),
        qnn.QuantLinear(16, 32, bias=True, **W),
        qnn.QuantReLU(act_quant=Uint8ActPerTensorFixedPoint, bit_width=4, return_quant_tensor=True),
        qnn.QuantLinear(32, 16, bias=True, **W),
        qnn.QuantReLU(act_quant=Uint8ActPerTensorFixedPoint, bit_width=4, return_quant_tensor=True),
        qnn.QuantLinear(16, 5, bias=True, **W),
    ).eval()
    X = brevitas_x((16,), 0.125, 32)
    return export_brevitas(m, (1, 16)), X, brevitas_out(m, X)


def case_brevitas_cnn_w4a4():
    import torch
    import brevitas.nn as qnn
    from brevitas.quant import (Int8ActPerTensorFixedPoint, Int8WeightPerTensorFixedPoint, Int16Bias,
                                Uint8ActPerTensorFixedPoint)

    torch.manual_seed(0)
    W = dict(weight_quant=Int8WeightPerTensorFixedPoint, weight_bit_width=4, bias_quant=Int16Bias)
    m = torch.nn.Sequential(
        qnn.QuantIdentity(act_quant=Int8ActPerTensorFixedPoint, bit_width=4, return_quant_tensor=True),
        qnn.QuantConv2d(1, 4, 3, bias=True, **W),
        qnn.QuantReLU(act_quant=Uint8ActPerTensorFixedPoint, bit_width=4, return_quant_tensor=True),
        torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        qnn.QuantLinear(36, 5, bias=True, **W),
    ).eval()
    X = brevitas_x((1, 8, 8), 0.125, 33)
    return export_brevitas(m, (1, 1, 8, 8)), X, brevitas_out(m, X)


def case_binary_mlp():
    import torch
    import brevitas.nn as qnn
    from brevitas.quant import SignedBinaryActPerTensorConst, SignedBinaryWeightPerTensorConst

    torch.manual_seed(0)
    BW = dict(weight_quant=SignedBinaryWeightPerTensorConst, weight_scaling_const=1.0, bias=False)
    BA = dict(act_quant=SignedBinaryActPerTensorConst, return_quant_tensor=True)
    m = torch.nn.Sequential(
        qnn.QuantIdentity(**BA),
        qnn.QuantLinear(16, 32, **BW),
        torch.nn.BatchNorm1d(32),
        qnn.QuantIdentity(**BA),
        qnn.QuantLinear(32, 32, **BW),
        torch.nn.BatchNorm1d(32),
        qnn.QuantIdentity(**BA),
        qnn.QuantLinear(32, 10, **BW),
    )
    g = torch.Generator().manual_seed(1)
    for bn in [m[2], m[5]]:
        c = bn.num_features
        with torch.no_grad():
            bn.running_mean.copy_(torch.randn(c, generator=g) * 3.0)
            bn.running_var.copy_(torch.rand(c, generator=g) * 8.0 + 0.5)
            gamma = torch.rand(c, generator=g) * 1.5 + 0.25
            gamma[torch.rand(c, generator=g) < 0.3] *= -1  # some negative gamma
            bn.weight.copy_(gamma)
            bn.bias.copy_(torch.randn(c, generator=g) * 0.5)
    m.eval()
    X = brevitas_x((16,), 1.0, 34, sigma=1.0)
    X[0:4, :] = 0.0  # exact zeros -> +1
    X[1, ::2] = -0.0
    return export_brevitas(m, (1, 16)), X, brevitas_out(m, X)


def case_binary_cnn():
    import torch
    import brevitas.nn as qnn
    from brevitas.quant import (Int8WeightPerTensorFixedPoint, SignedBinaryActPerTensorConst,
                                SignedBinaryWeightPerTensorConst)

    torch.manual_seed(0)
    BW = dict(weight_quant=SignedBinaryWeightPerTensorConst, weight_scaling_const=1.0, bias=False)
    BA = dict(act_quant=SignedBinaryActPerTensorConst, return_quant_tensor=True)
    # ternary: 2-bit signed narrow -> codes {-1, 0, +1} times a power-of-two scale
    TW = dict(weight_quant=Int8WeightPerTensorFixedPoint, weight_bit_width=2, weight_narrow_range=True, bias=False)
    m = torch.nn.Sequential(
        qnn.QuantIdentity(**BA),
        qnn.QuantConv2d(1, 8, 3, **BW),
        torch.nn.BatchNorm2d(8),
        qnn.QuantIdentity(**BA),
        qnn.QuantConv2d(8, 8, 3, **TW),
        torch.nn.BatchNorm2d(8),
        qnn.QuantIdentity(**BA),
        torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        qnn.QuantLinear(32, 10, **BW),
    )
    m.eval()
    X = brevitas_x((1, 8, 8), 1.0, 35, sigma=1.0)
    X[0:4] = 0.0  # exact zeros -> +1
    X[1, :, ::2, :] = -0.0
    # Random BN stats (some gamma < 0), but fitted to each conv's pre-BN values on X so that the signs
    # vary (stats drawn like binary_mlp's saturate the ternary conv, whose outputs are multiples of 2^-4):
    # per channel, the sign threshold t (where BN crosses 0) is a random quantile of the pre-BN values,
    # moved half a grid step off the attainable values (conv1: integers, conv2: multiples of 2^-4) so no
    # value sits on it; the second layer aims at fewer +1 (P(+1) in [0.1, 0.45]) because MaxPool follows.
    g = torch.Generator().manual_seed(2)
    for i_bn, step, (plo, phi) in [(2, 1.0, (0.3, 0.7)), (5, 0.0625, (0.1, 0.45))]:
        bn = m[i_bn]
        c = bn.num_features
        pre = torch.from_numpy(brevitas_out(m[:i_bn], X)).transpose(0, 1).reshape(c, -1).double()
        with torch.no_grad():
            gamma = torch.rand(c, generator=g) * 1.5 + 0.25
            gamma[torch.rand(c, generator=g) < 0.3] *= -1  # some negative gamma
            beta = torch.randn(c, generator=g) * 0.5
            var = (pre.std(dim=1) * (torch.rand(c, generator=g) * 1.5 + 0.5)).clamp(min=step) ** 2
            p_plus = torch.rand(c, generator=g) * (phi - plo) + plo
            q = torch.where(gamma > 0, 1 - p_plus, p_plus).double()
            t = torch.stack([torch.quantile(pre[k], q[k]) for k in range(c)])
            t = (torch.floor(t / step) * step + step / 2).float()  # midway between grid points
            bn.running_var.copy_(var)
            bn.running_mean.copy_(t + beta * torch.sqrt(var + bn.eps) / gamma)
            bn.weight.copy_(gamma)
            bn.bias.copy_(beta)
    with torch.no_grad():
        qw = m[4].quant_weight()
        codes = torch.round(qw.value / qw.scale)
    print("binary_cnn: conv2 ternary weight scale %g, codes -1/0/+1: %s" % (
        float(qw.scale), "/".join(str(int((codes == v).sum())) for v in (-1, 0, 1))))
    return export_brevitas(m, (1, 1, 8, 8)), X, brevitas_out(m, X)


def case_residual_w4a4():
    import torch
    import brevitas.nn as qnn
    from brevitas.quant import Int8ActPerTensorFixedPoint, Int8WeightPerTensorFixedPoint, Uint8ActPerTensorFixedPoint

    W = dict(weight_quant=Int8WeightPerTensorFixedPoint, weight_bit_width=4, bias=True)

    class Res(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.qin = qnn.QuantIdentity(act_quant=Int8ActPerTensorFixedPoint, bit_width=4, return_quant_tensor=False)
            self.fc1 = qnn.QuantLinear(16, 16, **W)
            self.relu1 = qnn.QuantReLU(act_quant=Uint8ActPerTensorFixedPoint, bit_width=4, return_quant_tensor=True)
            self.fc2 = qnn.QuantLinear(16, 16, **W)
            # quantize the branch output with its own 4-bit quantizer, so the Add sees two Quant outputs
            self.qbr = qnn.QuantIdentity(act_quant=Int8ActPerTensorFixedPoint, bit_width=4, return_quant_tensor=False)
            self.relu2 = qnn.QuantReLU(act_quant=Uint8ActPerTensorFixedPoint, bit_width=4, return_quant_tensor=True)
            self.fc3 = qnn.QuantLinear(16, 4, **W)

        def forward(self, x):
            xq = self.qin(x)
            h = self.fc2(self.relu1(self.fc1(xq)))
            s = self.qbr(h) + xq  # plain float add of two quantized (dequantized, float) tensors
            return self.fc3(self.relu2(s))

    torch.manual_seed(0)
    m = Res().eval()
    X = brevitas_x((16,), 0.125, 35)
    return export_brevitas(m, (1, 16)), X, brevitas_out(m, X)


# --------------------------------------------------------------------------------------------------
CASES = OrderedDict()
DESC = OrderedDict()
for _mode in ["ROUND", "FLOOR", "CEIL", "UP", "DOWN", "HALF_UP", "HALF_DOWN"]:
    CASES["quant_" + _mode.lower()] = case_quant(_mode)
    DESC["quant_" + _mode.lower()] = (
        "11 Quant nodes in parallel on x (rounding_mode=%s), concatenated: " % _mode
        + "; ".join(b[0] for b in quant_branches()))
CASES["quant_misc"] = case_quant_misc
DESC["quant_misc"] = ("Quant variants: rounding_mode 'half_even' (lower-case alias of ROUND) s=0.3; scale/zeropt shaped [8] "
                      "(trailing-axis broadcast); 1-bit unsigned narrow (max_int 0 -> all zero); HALF_UP 3-bit signed "
                      "narrow s=0.1; 'floor' 3-bit unsigned s=0.1; last rows hold the f32 ties of s=0.1 and their ulp neighbours")
CASES["quant_nchw"] = case_quant_nchw
DESC["quant_nchw"] = ("Quant on NCHW [1,3,2,2]: per-channel scale [1,3,1,1]=(0.3,2^-3,0.07) signed 4-bit ROUND; "
                      "the same scale as [3,1,1] with zeropt (0,2,-1) unsigned 4-bit HALF_UP")
CASES["bipolar"] = case_bipolar
DESC["bipolar"] = "BipolarQuant scale 1, 0.5 and per-channel [1,8]; X has +0.0, -0.0, +-denormals (all map to +1 / -1 by x>=0)"
CASES["trunc_v1"] = case_trunc_v1
DESC["trunc_v1"] = ("qonnx opset 1 -> Trunc_v1 (5 inputs): Quant(8b, 2^-4) -> Trunc(8->4 bits) FLOOR/ROUND/CEIL/HALF_UP; "
                    "Quant(8b, 0.3) -> Trunc(8->5) FLOOR; unsigned Quant zeropt 5 -> Trunc(zeropt 5) FLOOR; Trunc(8->6) directly on x")
CASES["trunc_v2"] = case_trunc_v2
DESC["trunc_v2"] = ("qonnx opset 2 -> Trunc_v2 (6 inputs, out_scale): Quant(8b, 2^-4) -> Trunc out_scale 2^-1 out_bw 4 "
                    "FLOOR/ROUND, narrow, unsigned; out_scale=scale (t=1, 8b); out_scale=3*scale (t=4!); "
                    "Quant(8b,0.3)->Trunc out_scale 1.2 6b; unsigned zeropt 6 -> out_scale 2^-2 (out zeropt 1.5)")
CASES["mt_nchw"] = case_mt_nchw
DESC["mt_nchw"] = ("MultiThreshold data_layout=NCHW on [1,3,2,2]: thresholds [3,7] (sorted / duplicated / unsorted rows), "
                   "UINT3; same with out_scale 0.5 out_bias -1.5; bipolar [3,1] out_scale 2 out_bias -1; "
                   "global thresholds [1,4] out_scale 0.3 out_bias 0.1; X on the 1/8 grid hits every threshold")
CASES["mt_nhwc"] = case_mt_nhwc
DESC["mt_nhwc"] = ("MultiThreshold data_layout=NHWC on [1,2,2,3]: thresholds [3,7] UINT3; bipolar scale 2 bias -1; "
                   "global [1,4] with out_scale -0.5 out_bias 0.25; concatenated on axis 1")
CASES["mt_nc"] = case_mt_nc
DESC["mt_nc"] = "MultiThreshold on [1,8] thresholds [8,3]: no data_layout (rank 2 -> NC) and data_layout=NC with out_scale 2 out_bias -3"
CASES["mt_nwc_default"] = case_mt_nwc_default
DESC["mt_nwc_default"] = ("MultiThreshold on rank-3 [1,4,3] with NO data_layout attribute: qonnx 1.0.0 guesses NWC, "
                          "channel axis = last (3 channels, thresholds [3,7]); older qonnx would use axis 1")
CASES["brevitas_mlp_w4a4"] = case_brevitas_mlp_w4a4
DESC["brevitas_mlp_w4a4"] = ("Brevitas defaults: QuantIdentity(4b) -> QuantLinear(16,32,w4) -> QuantReLU(4b) -> "
                             "QuantLinear(32,16,w4) -> QuantReLU(4b) -> QuantLinear(16,5,w4); float biases")
CASES["brevitas_mlp_w4a4_po2"] = case_brevitas_mlp_w4a4_po2
DESC["brevitas_mlp_w4a4_po2"] = ("same MLP with Int8ActPerTensorFixedPoint / Int8WeightPerTensorFixedPoint / "
                                 "Uint8ActPerTensorFixedPoint at 4 bits (power-of-two scales); float biases")
CASES["brevitas_cnn_w4a4"] = case_brevitas_cnn_w4a4
DESC["brevitas_cnn_w4a4"] = ("1x8x8: QuantIdentity(4b) -> QuantConv2d(1,4,3,w4) -> QuantReLU(4b) -> MaxPool2d(2) -> "
                             "Flatten -> QuantLinear(36,5,w4); FixedPoint (po2) quantizers, Int16Bias (biases quantized)")
CASES["binary_mlp"] = case_binary_mlp
DESC["binary_mlp"] = ("binarized MLP: QuantIdentity(SignedBinaryActPerTensorConst) -> QuantLinear(16,32, "
                      "SignedBinaryWeightPerTensorConst scale 1, no bias) -> BatchNorm1d -> sign -> QuantLinear(32,32) -> "
                      "BatchNorm1d -> sign -> QuantLinear(32,10); random BN stats, some gamma < 0")
CASES["binary_cnn"] = case_binary_cnn
DESC["binary_cnn"] = ("binarized CNN on 1x8x8: QuantIdentity(SignedBinaryActPerTensorConst) -> QuantConv2d(1,8,3, "
                      "SignedBinaryWeightPerTensorConst scale 1, no bias) -> BatchNorm2d -> sign -> QuantConv2d(8,8,3, "
                      "ternary: Int8WeightPerTensorFixedPoint 2-bit narrow, codes {-1,0,+1} x 2^-4, no bias) -> "
                      "BatchNorm2d -> sign -> MaxPool2d(2) -> Flatten -> QuantLinear(32,10, binary scale 1); "
                      "random BN stats fitted to the pre-BN values (every sign threshold lies midway between "
                      "attainable conv outputs), some gamma < 0")
CASES["residual_w4a4"] = case_residual_w4a4
DESC["residual_w4a4"] = ("x -> QuantIdentity(4b) -> QuantLinear(16,16) -> QuantReLU -> QuantLinear(16,16) -> QuantIdentity(4b) "
                         "-> Add(with the quantized input) -> QuantReLU -> QuantLinear(16,4); FixedPoint (po2) quantizers, float biases")


# --------------------------------------------------------------------------------------------------
def fmt_arr(a, maxn=16):
    a = np.asarray(a)
    if a.size <= maxn:
        return np.array2string(a.ravel(), precision=9, separator=",", max_line_width=10**6)
    return "%s %s min %.6g max %.6g" % (a.dtype, list(a.shape), a.min(), a.max())


def _attr(a):
    v = helper.get_attribute_value(a)
    return v.decode() if isinstance(v, bytes) else v


def graph_dump(mp):
    """Human-readable dump of a ModelProto."""
    inits = {i.name: numpy_helper.to_array(i) for i in mp.graph.initializer}
    lines = ["opset_import: " + ", ".join("%s=%d" % (o.domain or "ai.onnx", o.version) for o in mp.opset_import)]

    def vi(v):
        dims = [d.dim_value if d.HasField("dim_value") else d.dim_param for d in v.type.tensor_type.shape.dim]
        return "%s %s" % (v.name, dims)

    lines.append("inputs: " + ", ".join(vi(v) for v in mp.graph.input))
    lines.append("outputs: " + ", ".join(vi(v) for v in mp.graph.output))
    for n in mp.graph.node:
        attrs = ", ".join("%s=%s" % (a.name, _attr(a)) for a in n.attribute)
        lines.append("%s %s(%s) [%s] -> %s" % (n.name, n.op_type, n.domain or "", attrs, ", ".join(n.output)))
        for i in n.input:
            if i in inits:
                lines.append("    %-28s = %s" % (i, fmt_arr(inits[i])))
            else:
                lines.append("    %-28s (activation)" % i)
    qa = [(a.tensor_name, [(e.key, e.value) for e in a.quant_parameter_tensor_names])
          for a in mp.graph.quantization_annotation]
    if qa:
        lines.append("quantization_annotation: %s" % qa)
    return "\n".join(lines) + "\n"


def node_summary(mp):
    out = []
    for n in mp.graph.node:
        if out and out[-1][0] == n.op_type:
            out[-1][1] += 1
        else:
            out.append([n.op_type, 1])
    return " → ".join("%s×%d" % (t, c) if c > 1 else t for t, c in out)


def _is_po2(v):
    v = np.abs(np.asarray(v, np.float64)).ravel()
    return bool(np.all(v > 0) and np.all(np.log2(v) == np.round(np.log2(v))))


def quant_summary(mp):
    """One entry per Quant/BipolarQuant node: role (W = on an initializer, A = on an activation),
    scale (po2 or not), zeropt, bit width, signed/narrow, rounding mode."""
    inits = {i.name: numpy_helper.to_array(i) for i in mp.graph.initializer}
    cons = {}
    for n in mp.graph.node:
        for i in n.input:
            cons.setdefault(i, []).append(n.op_type)
    out = []
    for n in mp.graph.node:
        if n.op_type not in ("Quant", "IntQuant", "BipolarQuant"):
            continue
        a = {x.name: _attr(x) for x in n.attribute}
        role = "W" if n.input[0] in inits else "A"
        feeds = "/".join(cons.get(n.output[0], ["out"]))
        sc = inits[n.input[1]]
        scs = ("%.9g" % sc.item()) if sc.size == 1 else "shape%s" % list(sc.shape)
        po2 = "po2" if _is_po2(sc) else "NOT po2"
        if n.op_type == "BipolarQuant":
            out.append("%s %s→%s BipolarQuant s=%s (%s)" % (n.name, role, feeds, scs, po2))
        else:
            z = inits[n.input[2]]
            bw = inits[n.input[3]]
            out.append("%s %s→%s s=%s (%s) z=%s b=%g signed=%d narrow=%d %s" % (
                n.name, role, feeds, scs, po2, ("%g" % z.item()) if z.size == 1 else "shape%s" % list(z.shape),
                bw.item(), a.get("signed", -1), a.get("narrow", -1), a.get("rounding_mode", "ROUND")))
    return out


def run_qonnx(path, X):
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.core.onnx_exec import execute_onnx

    model = ModelWrapper(path)
    iname = model.graph.input[0].name
    oname = model.graph.output[0].name
    ys = []
    for i in range(X.shape[0]):
        ys.append(execute_onnx(model, {iname: X[i:i + 1]})[oname][0])
    Y = np.stack(ys)
    assert Y.dtype == np.float32, Y.dtype
    return Y


def make_case(name):
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.util.cleanup import cleanup_model

    res = CASES[name]()
    mp, X = res[0], res[1]
    Yb = res[2] if len(res) > 2 else None
    d = os.path.join(HERE, name)
    os.makedirs(d, exist_ok=True)
    model = cleanup_model(ModelWrapper(mp))
    path = os.path.join(d, "model.onnx")
    model.save(path)
    X = np.ascontiguousarray(X, dtype=np.float32)
    assert list(X.shape[1:]) == [
        d_.dim_value for d_ in model.graph.input[0].type.tensor_type.shape.dim][1:], (X.shape, model.graph.input[0])
    np.save(os.path.join(d, "X.npy"), X)
    Y = run_qonnx(path, X)
    np.save(os.path.join(d, "Y.npy"), Y)
    msg = ""
    if Yb is not None:
        np.save(os.path.join(d, "Y_brevitas.npy"), Yb)
        msg = "max|Y-Y_brevitas| = %.3g" % float(np.max(np.abs(Y - Yb)))
    with open(os.path.join(d, "graph.txt"), "w") as f:
        f.write(graph_dump(onnx.load(path)))
    print("%-24s X%s Y%s %s" % (name, list(X.shape), list(Y.shape), msg))


def write_readme():
    lines = [README_HEAD]
    for name in CASES:
        d = os.path.join(HERE, name)
        if not os.path.exists(os.path.join(d, "model.onnx")):
            continue
        mp = onnx.load(os.path.join(d, "model.onnx"))
        X = np.load(os.path.join(d, "X.npy"))
        Y = np.load(os.path.join(d, "Y.npy"))
        extra = ""
        if os.path.exists(os.path.join(d, "Y_brevitas.npy")):
            Yb = np.load(os.path.join(d, "Y_brevitas.npy"))
            extra = " max\\|Y−Y_brevitas\\| = %.3g." % float(np.max(np.abs(Y - Yb)))
        ops = ", ".join("%s=%d" % (o.domain or "ai.onnx", o.version) for o in mp.opset_import)
        lines.append("* **`%s`** — %s. Nodes: %s. X %s → Y %s. Opsets: %s.%s" % (
            name, DESC[name], node_summary(mp), list(X.shape), list(Y.shape), ops, extra))
        if name.startswith(("brevitas", "binary", "residual")):
            lines.append("  Quant nodes: " + "; ".join(quant_summary(mp)) + ".")
    lines.append(README_TAIL)
    with open(os.path.join(HERE, "README.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


README_HEAD = """# QONNX peer data

Made by `make_qonnx_cases.py <case>|all` (writes the case folders and regenerates this file). Each folder:
`model.onnx` (the graph after `qonnx.util.cleanup.cleanup_model`, NCHW, batch 1, Quant nodes on
weights kept), `X.npy` (float32 rows, batch-first; row i is fed as `X[i:i+1]`), `Y.npy` (float32,
`qonnx.core.onnx_exec.execute_onnx` run once per row), `graph.txt` (readable dump: every node with its
attributes and the values of its small initializers) and, for the Brevitas cases, `Y_brevitas.npy`
(the Brevitas torch module's float output on the same X).

`check_cases.py` re-implements every node with numpy alone (its own protobuf reader, no onnx/qonnx/
onnxruntime import) and compares with `Y.npy` bit for bit. `SEMANTICS.md` states the node semantics
as implemented in the installed qonnx and corrects `REFERENCE.md` §7–8.

Environment used: Python 3.11, qonnx 1.0.0, brevitas 0.13.4, torch 2.15.0 (CPU), onnx 1.22.0,
onnxruntime 1.31.1, onnxscript 0.7.2, onnxoptimizer (Brevitas' exporter requires it), numpy 2.4.6:
`pip install qonnx brevitas torch onnxruntime onnxoptimizer "onnx==1.22.0" numpy`. **onnx must be
< 1.23**: qonnx executes each standard node in its own onnxruntime session built by
`onnx.helper.make_model` with the default IR version; onnx 1.23 writes IR 14, which onnxruntime 1.31
rejects ("Unsupported model IR version: 14, max supported IR version: 13").
Brevitas 0.13.4 with torch ≥ 2.9 exports through the dynamo exporter (`export_qonnx(..., dynamo=True)`
is its default): standard opset 20 and `qonnx.custom_op.general` opset **2** (so a Trunc there would
run as Trunc_v2). The hand-built graphs import `qonnx.custom_op.general` opset 1 (opset 2 for
`trunc_v2`) and ai.onnx opset 13.

## Cases
"""

README_TAIL = """
(W = Quant on a weight/bias initializer, A = on an activation; →X names the consumer.)

## Inputs

* `quant_*`: rows 0–11 the 1/16 grid over [−3, 3) (ties for the scales 2^-3, 2^-2, 2^-1); then
  float32 `(k+½)·0.3` (ties after the float32 division), their ulp neighbours, the grid `k·0.3`, the
  ties of the zero-point-5 branch; the ties `(k+½)·s_c` and grid points of the per-channel scales,
  including the clamp edges (k = ±127.5, −128.5, −130); the ties of the per-channel po2 branch with
  its zero points; the HALF_UP float32 trap `±0.49999997·s`; +0.0 and −0.0 rows; ±1e−30, ±1e−45,
  ±100, ±1e6; the 4-bit and 8-bit clamp edges; random normal rows (σ = 0.5, 1, 2, 8) fill up to 200.
  `quant_misc` replaces rows 192–197 by the float32 ties of s = 0.1 and their ulp neighbours.
* `trunc_*`: the 2^-4 grid over the whole 8-bit range (every tie of a 3-, 4- and 2-bit truncation),
  multiples of 0.3, half-grid (off-grid) values, values outside the 8-bit range, random rows.
* `mt_*`: 120 rows cycling through the 1/8 grid over [−2.5, 2.5] (hits every threshold exactly), the
  float32 0.3 and its neighbours, ±0, ±denormal, ±5; then random rows.
* Brevitas cases: 24 rows with every input on the `(k+½)·s_in` tie grid of the input quantizer
  (s_in = 0.125, or 1 for `binary_mlp` and `binary_cnn`), then normal(0, 0.6) rows (σ = 1 for
  `binary_mlp` and `binary_cnn`, whose rows 0–3 are exact zeros, with −0.0 in row 1); the last row is
  all zeros.

`Y.npy` was produced on x86-64 with AVX-512. For the one case with non-power-of-two scales
(`brevitas_mlp_w4a4`), the float32 results of onnxruntime's Gemm depend on the MLAS kernel (see
`SEMANTICS.md` §5), so qonnx on another CPU family (e.g. ARM64) can differ in the last ulp there. All
other cases are exact in float32 except the single bias rounding, and they do not depend on the machine.

`Y.npy` holds −0.0 where qonnx produces it (e.g. ROUND of a small negative value); compare with `==`
if the sign of zero does not matter to you. `SANITIZE_QUANT_TENSORS` (qonnx's default rounding of
integer-annotated tensors) is a no-op on these graphs: none carries an integer datatype annotation.
"""


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__)
        print("cases:", " ".join(CASES))
        return 1
    if argv[1] == "readme":
        write_readme()
        return 0
    if argv[1] == "list":
        print("\n".join(CASES))
        return 0
    names = list(CASES) if argv[1] == "all" else argv[1:]
    for n in names:
        if n not in CASES:
            print("unknown case %s; known: %s" % (n, " ".join(CASES)))
            return 1
    for n in names:
        make_case(n)
    write_readme()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
