#!/usr/bin/env python3
"""Generate the QONNX peer cases: `python make_qonnx_cases.py <case>...|all|list|readme|verify [<case>...]`.

Each case folder <case>/ gets
  model.onnx       the QONNX model after qonnx.util.cleanup.cleanup_model (batch size 1, as exported: NCHW for
                   Brevitas and the hand-built graphs, the Keras NHWC input for the QKeras CNN)
  X.npy            float32 inputs, batch-first; row i is fed as X[i:i+1]
  Y.npy            qonnx.core.onnx_exec.execute_onnx(model, {input: X[i:i+1]}) stacked over the rows (float32)
  graph.txt        a human-readable dump of the committed graph (nodes, attributes, small initializers)
  Y_brevitas.npy   (Brevitas cases only) the Brevitas torch module's output on the same X
  Y_keras.npy      (QKeras cases only) the QKeras model's predict() on the same X
and README.md is regenerated from every case folder present.

Two environments (README.md has the versions):
* every case except qkeras_*: qonnx 1.0.0, brevitas 0.13.4, torch 2.15, onnx 1.22.0 (NOT 1.23: qonnx's per-node
  onnxruntime sessions are built with onnx.helper.make_model's default IR version, and onnx 1.23 writes IR 14,
  which onnxruntime 1.31 rejects), onnxruntime 1.31.1, numpy 2.4:
      pip install qonnx brevitas torch onnxruntime onnxoptimizer "onnx==1.22.0" numpy
* qkeras_*: qonnx's QKeras converter (qonnx.converters.from_keras) exists only up to qonnx 0.4.0 (it was removed
  before 1.0.0), whose qkeras extra caps TensorFlow at 2.14.1 (QKeras 0.9.0 needs Keras 2):
      pip install "qonnx[qkeras]==0.4.0" "tensorflow==2.14.1" "tf2onnx==1.16.1" "qkeras==0.9.0" \
          "tensorflow-model-optimization==0.7.5" "numpy==1.26.4" "onnx==1.17.0" "onnxruntime==1.20.1" "protobuf==3.20.3"
  Then, in the qonnx 1.0.0 environment, `python make_qonnx_cases.py verify qkeras_mlp qkeras_cnn qkeras_conv1d
  qkeras_binary` checks that qonnx 1.0.0's cleanup_model leaves those graphs unchanged and its execute_onnx
  reproduces Y.npy.
TensorFlow, QKeras, torch and Brevitas are imported inside the case functions only. `all` makes the cases the
running environment can make and names the ones it skips; a case named explicitly in the wrong one is refused.
"""
import io
import logging
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
# QKeras models (qonnx.converters.from_keras: qonnx <= 0.4.0, the second environment of the docstring)
# --------------------------------------------------------------------------------------------------
def _tf():
    """Import tensorflow lazily (only the QKeras cases need it), quietly."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")
    logging.getLogger("tf2onnx").setLevel(logging.ERROR)
    return tf


def export_qkeras(model):
    """qonnx's QKeras converter: strips the QKeras layers to Keras ones, converts with tf2onnx (its default
    opset) and inserts Quant nodes; from_keras itself sets batch 1 and runs cleanup_model.

    Its output is the same graph on every run, but the order of the independent weight Quant nodes and of
    the initializers varies between runs (even with PYTHONHASHSEED fixed), and cleanup_model numbers the
    nodes in graph order. So that regenerating gives the same files, the graph is put into one canonical
    order (weight/bias Quant nodes first, sorted by the position and input slot of the node they feed,
    then the activation path in data-flow order), renamed again by cleanup_model, and its initializers,
    value_info and quantization annotations are sorted by name. Nothing else changes."""
    from qonnx.converters import from_keras  # removed from qonnx after 0.4.0
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.util.cleanup import cleanup_model

    mp, _ = from_keras(model, name=model.name)
    g = mp.graph
    inits = {i.name for i in g.initializer}
    nodes = list(g.node)
    params = [n for n in nodes if all(i in inits for i in n.input if i)]
    rest, avail = [], {g.input[0].name} | inits
    todo = [n for n in nodes if n not in params]
    while todo:  # data-flow order of the activation path (a chain here, so unique)
        ready = [n for n in todo if all(i in avail or i == "" or any(i in p.output for p in params) for i in n.input)]
        assert ready, "graph is not a DAG"
        rest.append(ready[0])
        todo.remove(ready[0])
        avail.update(ready[0].output)

    def feeds(n):
        return min((k, j) for k, c in enumerate(rest) for j, i in enumerate(c.input) if i in n.output)

    order = sorted(params, key=feeds) + rest
    del g.node[:]
    g.node.extend(order)
    mp = cleanup_model(ModelWrapper(mp)).model
    g = mp.graph
    for field in (g.initializer, g.value_info, g.quantization_annotation):
        items = sorted(field, key=lambda t: t.tensor_name if hasattr(t, "tensor_name") else t.name)
        del field[:]
        field.extend(items)
    return mp


def keras_out(model, X):
    return np.asarray(model.predict(X, batch_size=len(X), verbose=0), dtype=np.float32)


X_GRID = 2.0**-8  # every QKeras input lies on this grid with |x| < 8, so ap_fixed<16,6> (and any wider type) holds it


def qkeras_x(shape, grid, k_max, seed, n_grid=48, sigmas=(0.5, 1.0, 1.5)):
    """n_grid rows with every input on the grid k*grid (|k| <= k_max; chosen so that the first layer's
    products and sums are exact and land on the ties of the next quantizer), then normal(0, sigma)
    rows rounded to the X_GRID = 2^-8 grid and clipped to (-8, 8) (the models have no input quantizer,
    so an input that a fixed-point input type cannot hold exactly could not be compared bit for bit);
    the last row is all zeros."""
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    rows = [(rng.integers(-k_max, k_max + 1, n) * grid).astype(np.float32).reshape(shape) for _ in range(n_grid)]
    kmax = 8 / X_GRID - 1
    while len(rows) < N_ROWS:
        v = rng.standard_normal(n) * sigmas[len(rows) % len(sigmas)]
        rows.append((np.clip(np.round(v / X_GRID), -kmax, kmax) * X_GRID).astype(np.float32).reshape(shape))
    rows[-1] = np.zeros(shape, np.float32)
    X = np.stack(rows).astype(np.float32)
    assert np.all(np.round(X / X_GRID) * X_GRID == X) and np.all(np.abs(X) < 8)
    return X


def _ties_hit(pre, scale, hi):
    """How many values of pre (float64, exact) lie on a tie (k+1/2)*scale inside [0, hi]."""
    q = pre / scale - 0.5
    return int(np.sum((q == np.round(q)) & (pre >= 0) & (pre <= hi)))


def case_qkeras_mlp():
    """hls4ml jet-tagging style MLP, 16 -> 32 -> 16 -> 5, 6-bit po2 quantizers, no input quantizer."""
    tf = _tf()
    from qkeras import QActivation, QDense, quantized_bits, quantized_relu

    def q():  # alpha=1 is required: QDense turns alpha=None into 'auto_po2', which the converter drops
        return dict(kernel_quantizer=quantized_bits(6, 0, alpha=1), bias_quantizer=quantized_bits(6, 0, alpha=1))

    x = x_in = tf.keras.layers.Input(shape=(16,), name="x")
    x = QDense(32, name="fc1", **q())(x)
    x = QActivation(quantized_relu(6, 0), name="relu1")(x)
    x = QDense(16, name="fc2", **q())(x)
    x = QActivation(quantized_relu(6, 0), name="relu2")(x)
    x = QDense(5, name="fc3", **q())(x)
    m = tf.keras.Model(x_in, x, name="qkeras_mlp")
    rng = np.random.default_rng(41)
    w1 = rng.standard_normal((16, 32)) * 0.3
    # ties of the 2^-5 weight grid (both round half to even) and the clamp edges [-1, 31/32]
    w1[0, :8] = np.array([3.5, -3.5, 0.5, -0.5, 31.5, -32.5, 40.0, -48.0]) / 32
    ws = [w1, rng.standard_normal(32) * 0.2, rng.standard_normal((32, 16)) * 0.25, rng.standard_normal(16) * 0.2,
          rng.standard_normal((16, 5)) * 0.4, rng.standard_normal(5) * 0.2]
    m.set_weights([f32(w) for w in ws])
    X = qkeras_x((16,), 0.25, 6, 42)
    W1 = np.clip(np.round(f32(w1) * 32), -32, 31) / 32
    B1 = np.clip(np.round(f32(ws[1]) * 32), -32, 31) / 32
    print("qkeras_mlp: fc1 outputs on a tie of quantized_relu(6,0) (2^-6 grid): %d" % _ties_hit(
        X.astype(np.float64) @ W1 + B1, 2.0**-6, 63 / 64))
    return export_qkeras(m), X, keras_out(m, X)


def case_qkeras_cnn():
    """Channels-last CNN on 8x8x2 (2 channels so that tf2onnx needs a real Transpose; with 1 channel it
    writes a Reshape instead)."""
    tf = _tf()
    from qkeras import QActivation, QConv2D, QDense, quantized_bits, quantized_relu

    def q():
        return dict(kernel_quantizer=quantized_bits(4, 0, alpha=1), bias_quantizer=quantized_bits(4, 0, alpha=1))

    x = x_in = tf.keras.layers.Input(shape=(8, 8, 2), name="x")
    x = QConv2D(4, (3, 3), name="conv1", **q())(x)
    x = QActivation(quantized_relu(4, 0), name="relu1")(x)
    x = tf.keras.layers.MaxPooling2D(2, name="pool1")(x)
    x = tf.keras.layers.Flatten(name="flatten")(x)
    x = QDense(5, name="fc1", **q())(x)
    m = tf.keras.Model(x_in, x, name="qkeras_cnn")
    rng = np.random.default_rng(43)
    wc = rng.standard_normal((3, 3, 2, 4)) * 0.3
    wc[0, 0, 0, :] = np.array([2.5, -2.5, 7.5, -8.5]) / 8  # ties and clamp edges of the 2^-3 grid
    ws = [wc, rng.standard_normal(4) * 0.15, rng.standard_normal((36, 5)) * 0.4, rng.standard_normal(5) * 0.2]
    m.set_weights([f32(w) for w in ws])
    X = qkeras_x((8, 8, 2), 0.25, 4, 44)
    Wc = np.clip(np.round(f32(wc) * 8), -8, 7) / 8
    Bc = np.clip(np.round(f32(ws[1]) * 8), -8, 7) / 8
    Xd = X.astype(np.float64)
    pre = sum(Xd[:, i:i + 6, j:j + 6, :] @ Wc[i, j] for i in range(3) for j in range(3)) + Bc
    print("qkeras_cnn: conv outputs on a tie of quantized_relu(4,0) (2^-4 grid): %d" % _ties_hit(pre, 2.0**-4, 15 / 16))
    return export_qkeras(m), X, keras_out(m, X)


def case_qkeras_conv1d():
    """Channels-last 1-D CNN on 16x2 (L = 16, C = 2): QConv1D(3, 3) -> QActivation(quantized_relu(4,0)) ->
    MaxPooling1D(2) -> Flatten -> QDense(4). Keras runs Conv1D and MaxPooling1D as their 2-D ops on an
    inserted axis (ExpandDims ... Squeeze), and tf2onnx writes that out (SEMANTICS.md §9)."""
    tf = _tf()
    from qkeras import QActivation, QConv1D, QDense, quantized_bits, quantized_relu

    def q():
        return dict(kernel_quantizer=quantized_bits(4, 0, alpha=1), bias_quantizer=quantized_bits(4, 0, alpha=1))

    x = x_in = tf.keras.layers.Input(shape=(16, 2), name="x")
    x = QConv1D(3, 3, name="conv1", **q())(x)
    x = QActivation(quantized_relu(4, 0), name="relu1")(x)
    x = tf.keras.layers.MaxPooling1D(2, name="pool1")(x)
    x = tf.keras.layers.Flatten(name="flatten")(x)
    x = QDense(4, name="fc1", **q())(x)
    m = tf.keras.Model(x_in, x, name="qkeras_conv1d")
    rng = np.random.default_rng(47)
    wc = rng.standard_normal((3, 2, 3)) * 0.4
    wc[0, 0, :] = np.array([2.5, -8.5, 7.5]) / 8  # a tie and both clamp edges of the 2^-3 grid
    wc[2, 1, :] = np.array([-2.5, 1.5, -0.5]) / 8  # ties (round half to even: -2, 2, -0)
    ws = [wc, rng.standard_normal(3) * 0.15, rng.standard_normal((21, 4)) * 0.4, rng.standard_normal(4) * 0.2]
    m.set_weights([f32(w) for w in ws])
    X = qkeras_x((16, 2), 0.25, 4, 48)
    Wc = np.clip(np.round(f32(wc) * 8), -8, 7) / 8
    Bc = np.clip(np.round(f32(ws[1]) * 8), -8, 7) / 8
    pre = sum(X.astype(np.float64)[:, i:i + 14, :] @ Wc[i] for i in range(3)) + Bc
    print("qkeras_conv1d: conv outputs on a tie of quantized_relu(4,0) (2^-4 grid): %d of %d (%d in the tie-grid rows)"
          % (_ties_hit(pre, 2.0**-4, 15 / 16), pre.size, _ties_hit(pre[:48], 2.0**-4, 15 / 16)))
    return export_qkeras(m), X, keras_out(m, X)


def case_qkeras_binary():
    """Binary / ternary weights with Keras BatchNormalization. QKeras binary ACTIVATIONS cannot be
    converted (QActivation('binary') becomes a linear Activation and no Quant node: silently dropped),
    so the activations are quantized_relu(2,1)."""
    tf = _tf()
    from qkeras import QActivation, QDense, binary, quantized_relu, ternary

    x = x_in = tf.keras.layers.Input(shape=(16,), name="x")
    x = QDense(32, kernel_quantizer=binary(alpha=1), use_bias=False, name="fc1")(x)
    x = tf.keras.layers.BatchNormalization(name="bn1")(x)
    x = QActivation(quantized_relu(2, 1), name="act1")(x)
    x = QDense(32, kernel_quantizer=ternary(alpha=1, threshold=0.5), use_bias=False, name="fc2")(x)
    x = tf.keras.layers.BatchNormalization(name="bn2")(x)
    x = QActivation(quantized_relu(2, 1), name="act2")(x)
    x = QDense(10, kernel_quantizer=binary(alpha=1), use_bias=False, name="fc3")(x)
    m = tf.keras.Model(x_in, x, name="qkeras_binary")
    rng = np.random.default_rng(45)
    w1 = rng.standard_normal((16, 32))
    w1[0, :4] = [0.0, -0.0, 1e-30, -1e-30]  # binary: sign, 0 -> +1
    w2 = rng.standard_normal((32, 32)) * 0.6
    w2[0, :4] = [0.5, -0.5, 0.49999997, -0.50000006]  # ternary threshold 0.5 vs Quant's round-half-even
    w3 = rng.standard_normal((32, 10))

    def bn(c):  # gamma, beta, moving_mean, moving_variance
        gamma = rng.uniform(0.25, 1.25, c) * np.where(rng.random(c) < 0.25, -1, 1)
        return [gamma, rng.standard_normal(c) * 0.5 + 0.5, rng.standard_normal(c) * 1.5, rng.uniform(2.0, 12.0, c)]

    m.set_weights([f32(w) for w in [w1] + bn(32) + [w2] + bn(32) + [w3]])
    X = qkeras_x((16,), 1.0, 2, 46, n_grid=24, sigmas=(1.0,))
    return export_qkeras(m), X, keras_out(m, X)


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
CASES["qkeras_mlp"] = case_qkeras_mlp
DESC["qkeras_mlp"] = ("QKeras (qonnx.converters.from_keras): Input(16) -> QDense(32) -> QActivation(quantized_relu(6,0)) -> "
                      "QDense(16) -> QActivation(quantized_relu(6,0)) -> QDense(5); kernels and biases quantized_bits(6,0,alpha=1); "
                      "no input quantizer; some fc1 weights on the ties and clamp edges of the 2^-5 grid")
CASES["qkeras_cnn"] = case_qkeras_cnn
DESC["qkeras_cnn"] = ("QKeras channels-last 8x8x2: QConv2D(4,3x3) -> QActivation(quantized_relu(4,0)) -> MaxPooling2D(2) -> "
                      "Flatten -> QDense(5); kernels and biases quantized_bits(4,0,alpha=1); tf2onnx keeps the NHWC graph input "
                      "and adds Transpose(0,3,1,2) before the Conv and Transpose(0,2,3,1) before the Reshape (Keras flattens HWC)")
CASES["qkeras_conv1d"] = case_qkeras_conv1d
DESC["qkeras_conv1d"] = ("QKeras channels-last 1-D CNN on 16x2 (L=16, C=2): QConv1D(3, kernel 3) -> QActivation(quantized_relu(4,0)) -> "
                         "MaxPooling1D(2) -> Flatten -> QDense(4); kernels and biases quantized_bits(4,0,alpha=1); the conv is a 2-D "
                         "Conv (kernel [1,3]) on [1,2,1,16] between Unsqueeze(axes -3) + Transpose(0,3,1,2) and Squeeze(axes 2), "
                         "its bias a separate Add of Reshape([1,1,3]) + Transpose(0,2,1), the pool a MaxPool [2,1] on [1,3,14,1] "
                         "(Unsqueeze(axes 1) + Reshape([-1,3,14,1]) before, Squeeze(axes 3) after), and Keras' LC Flatten "
                         "Transpose(0,2,1) + Reshape([-1,21])")
CASES["qkeras_binary"] = case_qkeras_binary
DESC["qkeras_binary"] = ("QKeras: QDense(32, binary(alpha=1), no bias) -> BatchNormalization -> QActivation(quantized_relu(2,1)) -> "
                         "QDense(32, ternary(alpha=1, threshold=0.5), no bias) -> BatchNormalization -> "
                         "QActivation(quantized_relu(2,1)) -> QDense(10, binary(alpha=1)); binary weights become 1-bit "
                         "signed Quant, ternary 2-bit signed narrow Quant, each BatchNormalization a Mul and an Add; "
                         "fc2 has weights +-0.5 where QKeras (|w| >= 0.5 -> +-1) and Quant (round half to even -> 0) differ")


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
        params = [inits[i] for i in n.input[1:] if i in inits]
        # only named when not all float32 (the QKeras converter writes float64 / int64 scalars)
        dts = "" if all(p.dtype == np.float32 for p in params) else " (%s)" % "/".join(str(p.dtype) for p in params)
        if n.op_type == "BipolarQuant":
            out.append("%s %s→%s BipolarQuant s=%s (%s)%s" % (n.name, role, feeds, scs, po2, dts))
        else:
            z = inits[n.input[2]]
            bw = inits[n.input[3]]
            out.append("%s %s→%s s=%s (%s) z=%s b=%g signed=%d narrow=%d %s%s" % (
                n.name, role, feeds, scs, po2, ("%g" % z.item()) if z.size == 1 else "shape%s" % list(z.shape),
                bw.item(), a.get("signed", -1), a.get("narrow", -1), a.get("rounding_mode", "ROUND"), dts))
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


def ref_name(name):
    """Suffix of the exporting framework's own output file: Y_keras.npy or Y_brevitas.npy."""
    return "keras" if name.startswith("qkeras_") else "brevitas"


def qonnx_version():
    from importlib.metadata import version

    return version("qonnx")


def env_problem(name):
    """None if this interpreter can make the case, else why not. The QKeras cases need qonnx's QKeras
    converter (qonnx <= 0.4.0, venv QKERAS_ENV); every other case must be made with qonnx 1.0.0, whose
    MultiThreshold differs from 0.4.0's (see SEMANTICS.md §4)."""
    v = qonnx_version()
    if name.startswith("qkeras_"):
        try:
            _tf()
            import qkeras  # noqa: F401
            import qonnx.converters  # noqa: F401
        except ImportError as e:
            return "needs qkeras and qonnx.converters (qonnx <= 0.4.0; this is qonnx %s): %s" % (v, e)
        return None
    if v != "1.0.0":
        return "needs qonnx 1.0.0 (this is qonnx %s)" % v
    return None


def verify_case(name):
    """Re-run this interpreter's qonnx on a committed case: cleanup_model must leave model.onnx's graph
    unchanged and execute_onnx must reproduce Y.npy bit for bit. Used to confirm, under qonnx 1.0.0, the
    QKeras cases that were made under qonnx 0.4.0."""
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.util.cleanup import cleanup_model

    d = os.path.join(HERE, name)
    path = os.path.join(d, "model.onnx")
    before = graph_dump(onnx.load(path))
    after = graph_dump(cleanup_model(ModelWrapper(path)).model)
    Y = np.load(os.path.join(d, "Y.npy"))
    P = run_qonnx(path, np.load(os.path.join(d, "X.npy")))
    same = bool(np.array_equal(P.view(np.uint32), Y.view(np.uint32)))
    print("%-24s qonnx %s: cleanup leaves the graph unchanged: %s; execute_onnx == Y.npy bit for bit: %s" % (
        name, qonnx_version(), before == after, same))
    return before == after and same


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
        ref = ref_name(name)
        np.save(os.path.join(d, "Y_%s.npy" % ref), Yb)
        msg = "max|Y-Y_%s| = %.3g" % (ref, float(np.max(np.abs(Y - Yb))))
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
        ref = ref_name(name)
        if os.path.exists(os.path.join(d, "Y_%s.npy" % ref)):
            Yb = np.load(os.path.join(d, "Y_%s.npy" % ref))
            extra = " max\\|Y−Y_%s\\| = %.3g." % (ref, float(np.max(np.abs(Y - Yb))))
        ops = ", ".join("%s=%d" % (o.domain or "ai.onnx", o.version) for o in mp.opset_import)
        lines.append("* **`%s`** — %s. Nodes: %s. X %s → Y %s. Opsets: %s.%s" % (
            name, DESC[name], node_summary(mp), list(X.shape), list(Y.shape), ops, extra))
        if name.startswith(("brevitas", "binary", "residual", "qkeras")):
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
(the Brevitas torch module's float output on the same X). The QKeras cases (`qkeras_*`) have
`Y_keras.npy` instead (the Keras model's `predict` on the same X). `qkeras_cnn` keeps Keras'
channels-last NHWC graph input and `qkeras_conv1d` its channels-last `[1, L, C]` input (tf2onnx
transposes to channels-first inside the graph).

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

**QKeras cases: a second environment.** qonnx's QKeras converter (`qonnx.converters.from_keras`)
is not in qonnx 1.0.0: qonnx removed it before 1.0.0 (commit d305369, 2025-11-27: "QKeras export
will move to a separate repo"), and the last release with it is **qonnx 0.4.0**. Its `qkeras` extra
requires tensorflow ≤ 2.14.1, and QKeras 0.9.0 (the only release) needs Keras 2. The `qkeras_*`
cases were made with Python 3.11, qonnx 0.4.0, tensorflow 2.14.1 (Keras 2.14), qkeras 0.9.0,
tf2onnx 1.16.1, tensorflow-model-optimization 0.7.5, numpy 1.26.4, onnx 1.17.0, onnxruntime 1.20.1
and protobuf 3.20.3, in a fresh venv (about 100 s to install, 2.2 GB):
`pip install "qonnx[qkeras]==0.4.0" "tensorflow==2.14.1" "tf2onnx==1.16.1" "qkeras==0.9.0"
"tensorflow-model-optimization==0.7.5" "numpy==1.26.4" "onnx==1.17.0" "onnxruntime==1.20.1"
"protobuf==3.20.3"`. The onnx pin is forced: onnx ≥ 1.18 needs protobuf ≥ 4.25 (qonnx 0.4.0 pins
3.20.3) and ml_dtypes ≥ 0.5 (TF 2.14 pins 0.2.0).
* Pipeline: `from_keras` (which itself sets batch 1 and runs cleanup_model), then this script's
  cleanup_model and execute_onnx, all under qonnx 0.4.0.
* Canonical order: the converter's order of the independent weight Quant nodes and of the
  initializers varies from run to run. So `export_qkeras` sorts them into one canonical order (weight
  and bias Quants first, by the node they feed) and renames with cleanup_model. Regenerating
  therefore writes the same bytes.
* Check under 1.0.0: in the qonnx 1.0.0 environment, `python make_qonnx_cases.py verify qkeras_mlp
  qkeras_cnn qkeras_conv1d qkeras_binary` confirms that qonnx 1.0.0's cleanup_model leaves all four
  graphs unchanged and that its execute_onnx (onnxruntime 1.31.1, NumPy 2.4) reproduces `Y.npy` bit
  for bit. The Quant code is the same in both versions (0.4.0's `Quant` is 1.0.0's `IntQuant`).
* The converted graphs import ai.onnx opset 15 (tf2onnx's default) and an unused ai.onnx.ml=2. They
  do not import `qonnx.custom_op.general`, so Quant runs as opset 1.
* Every Dense is a `MatMul` with an `[in,out]` weight plus an `Add` of the bias (never Gemm). The
  output passes through two `Identity` nodes.
* The Quant parameters are scalar initializers of other types than float32: scale is **float64**
  (int64 for binary), zeropt and bitwidth are **int64**.

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
* QKeras cases: they have no input quantizer (the converter cannot export one; see `SEMANTICS.md` §9),
  so the graph reads the float32 x directly into MatMul/Conv.
  * Every input therefore lies on the 2^-8 grid with |x| < 8. A fixed-point input type such as
    ap_fixed<16,6> (resolution 2^-10, range [−32, 32)) holds every row exactly, so a fixed-point
    implementation can match `Y.npy` bit for bit on all 200 rows.
  * `qkeras_mlp` and `qkeras_cnn` start with 48 rows whose inputs all lie on the 1/4 grid (|x| ≤ 1.5
    and ≤ 1), chosen so that the first layer's outputs land on the ties of the next quantized_relu:
    226 of fc1's 1536 outputs are ties (k+½)·2^-6 in [0, 63/64], and 1257 of the conv's 6912 are
    ties (k+½)·2^-4 in [0, 15/16].
  * `qkeras_conv1d` does the same with 48 rows on the 1/4 grid with |x| ≤ 1: 408 of its conv's 2016
    outputs are ties (k+½)·2^-4 in [0, 15/16].
  * Then come normal(0, σ) rows, with σ cycling through 0.5, 1 and 1.5, rounded to the 2^-8 grid and
    clipped to ±(8 − 2^-8). On them, 12 more fc1 outputs (of 4864) and 41 more conv outputs (of
    21888) are exact ties, and 21 more of `qkeras_conv1d`'s conv outputs (of 6384).
  * `qkeras_binary` has 24 rows of integers in [−2, 2], then normal(0, 1) rows rounded to the 2^-8
    grid in the same way.
  * The last row is all zeros.
* `qkeras_binary`: max\|Y−Y_keras\| = 1.5 comes entirely from the two fc2 weights +0.5 and −0.5.
  * QKeras' ternary(threshold=0.5) maps them to ±1. The converter's Quant (2-bit signed narrow,
    ROUND, scale 1) rounds half to even, to 0.
  * They change 711 elements in 81 rows.
  * With those two weights set to 0 in the Keras model, `predict` equals `Y.npy` exactly.

`Y.npy` was produced on x86-64 with AVX-512. For the one case with non-power-of-two scales
(`brevitas_mlp_w4a4`), the float32 results of onnxruntime's Gemm depend on the MLAS kernel (see
`SEMANTICS.md` §5), so qonnx on another CPU family (e.g. ARM64) can differ in the last ulp there. All
other cases are exact in float32 except the single bias rounding, and they do not depend on the machine.
That includes the QKeras cases:
* `qkeras_mlp`, `qkeras_cnn` and `qkeras_conv1d` are exact in float32 on every row, whatever the
  summation order.
  * An input is a·2^-8 with |a| ≤ 2047 (11 bits). A weight is b·2^-5 with |b| ≤ 32 (mlp) or
    b·2^-3 with |b| ≤ 8 (cnn, conv1d), and a bias lies on the same grid as the weights.
  * fc1's 16 products and its bias are multiples of 2^-13, and their absolute values sum to less than
    16·2047·32 + 32·2^8 < 2^21 units. The conv's 18 products and its bias are multiples of 2^-11
    and sum to less than 18·2047·8 + 8·2^8 < 2^19 units. The 1-D conv's 6 products (kernel 3 × 2
    channels) and its bias (a separate Add) are multiples of 2^-11 and sum to less than
    6·2047·8 + 8·2^8 < 2^17 units.
  * So every partial sum, in any order, fits float32's 24-bit significand. The later layers have
    inputs on the 2^-6 or 2^-4 activation grid and at most 36 terms, so they fit too.
  * Checked in numpy: a float64 re-computation (exact products, sums and Quant) gives `Y.npy` bit for
    bit, and every float32 MatMul, Conv and Add output equals its float64 value. The largest sums of
    |terms| seen are 87508·2^-13 (fc1), 22007·2^-11 (conv) and 16646·2^-11 (1-D conv).
  * So a tie is an exact tie, and Quant and QKeras both round it half to even.
* `qkeras_binary`'s MatMuls are exact too (±1 or 0 weights, at most 32 terms on the 2^-8 or 2^-1 grid).
  * Its BatchNormalization Mul and Add constants are arbitrary float32, so those two nodes are single
    elementwise float32 roundings. They do not depend on the machine.
  * The closest any value feeding a quantized_relu(2,1) comes to a tie (0.25, 0.75, 1.25) is 2160
    float32 ulps: 0.749871254 (row 69, bn1 channel 30), 1.3e-4 below 0.75. Exact arithmetic with the
    same constants falls on the same side of every tie.

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
    if argv[1] == "verify":
        names = argv[2:] or [n for n in CASES if os.path.exists(os.path.join(HERE, n, "model.onnx"))]
        ok = [verify_case(n) for n in names]
        return 0 if all(ok) else 1
    names = list(CASES) if argv[1] == "all" else argv[1:]
    for n in names:
        if n not in CASES:
            print("unknown case %s; known: %s" % (n, " ".join(CASES)))
            return 1
    if argv[1] == "all":  # the cases this environment can make; the others are left as they are
        for n in [n for n in names if env_problem(n)]:
            print("%-24s skipped: %s" % (n, env_problem(n)))
        names = [n for n in names if not env_problem(n)]
    for n in names:
        if env_problem(n):
            print("%s %s" % (n, env_problem(n)))
            return 1
    for n in names:
        make_case(n)
    write_readme()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
