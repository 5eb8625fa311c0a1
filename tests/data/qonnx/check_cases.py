#!/usr/bin/env python3
"""Independent numpy model of the committed QONNX cases: `python check_cases.py [case ...]`.

Uses numpy only: the ONNX protobuf is decoded by the small reader below (no onnx, qonnx or
onnxruntime import). Every node is re-implemented from the semantics written in SEMANTICS.md:

* QONNX custom ops (Quant/IntQuant, BipolarQuant, Trunc v1/v2, MultiThreshold) literally, in float32
  numpy, exactly as qonnx 1.0.0 computes them (X/scale is a float32 division, the rounding helpers are
  evaluated in float32, clamp happens before rounding);
* the standard ops as onnxruntime 1.31's CPU kernels compute them in float32 on x86-64 with AVX-512
  (this is what qonnx's execute_onnx calls for every non-custom node, each in its own session, so
  weights arrive as runtime inputs and are never prepacked): Gemm/MatMul with M = 1 use MLAS' M1
  AVX kernels (separate multiply and add; 8 lanes and a fixed reduction tree for transposed B; see
  m1_transb / m1_notrans), other GEMMs and Conv (im2col, K order c,kh,kw) accumulate every output with
  a chain of fused multiply-adds in ascending k order starting from +0 (MLAS' FMA kernels); the bias
  is added once at the end; BatchNormalization is Y = X*s + (B - mean*s) with s = scale * (1/sqrt(var+eps));
  Relu, MaxPool, Reshape, Flatten, Unsqueeze, Squeeze, Transpose, Identity, Concat, Add/Sub/Mul/Div are
  exact or single-rounding.

The QKeras graphs (qonnx 0.4.0's from_keras via tf2onnx) add no new kind of arithmetic: MatMul (M = 1:
m1_notrans) followed by a separate Add of the quantized bias, Mul + Add for a Keras BatchNormalization,
Transpose / Reshape (shape [-1, n], int64) around the NHWC conv, and a trailing Identity pair. A Keras
Conv1D or MaxPooling1D runs as the 2-D op between Unsqueeze and Squeeze (axes as int64 inputs, opset 15);
the Conv1D bias is a separate Add after the Squeeze. Their Quant parameters are float64 (scale) and int64
(zeropt, bitwidth; binary's scale) scalars; op_quant computes in their common numpy type, as qonnx 1.0.0
does under NumPy 2 (float64 here, then cast to float32).

For every case the output is compared bit for bit (float32 bit patterns) with Y.npy. The script also
reports, for every Quant node on an activation, how many elements would change if X/scale and the
rounding were done in exact arithmetic instead of qonnx's float32 numpy (informational: where a
hardware golden model must emulate float32).

Exit status 0 iff every case matches bit for bit.
"""
import os
import struct
import sys
from fractions import Fraction

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


# ----------------------------------------------------------------------------------------------
# minimal protobuf reader for the ONNX messages we need
# ----------------------------------------------------------------------------------------------
def _varint(b, i):
    r = 0
    s = 0
    while True:
        c = b[i]
        i += 1
        r |= (c & 0x7F) << s
        s += 7
        if c < 0x80:
            return r, i


def pb_fields(b):
    """Decode one message into {field_number: [values]} (varint -> int, 64/32-bit -> bytes, len -> bytes)."""
    out = {}
    i = 0
    n = len(b)
    while i < n:
        key, i = _varint(b, i)
        fno, wt = key >> 3, key & 7
        if wt == 0:
            v, i = _varint(b, i)
        elif wt == 1:
            v = b[i:i + 8]
            i += 8
        elif wt == 2:
            ln, i = _varint(b, i)
            v = b[i:i + ln]
            i += ln
        elif wt == 5:
            v = b[i:i + 4]
            i += 4
        else:
            raise ValueError("unsupported wire type %d" % wt)
        out.setdefault(fno, []).append((wt, v))
    return out


def _s64(v):
    return v - (1 << 64) if v >= (1 << 63) else v


def _ints(vals):
    """repeated int64, packed or not."""
    res = []
    for wt, v in vals:
        if wt == 0:
            res.append(_s64(v))
        else:
            i = 0
            while i < len(v):
                x, i = _varint(v, i)
                res.append(_s64(x))
    return res


def _floats(vals):
    res = []
    for wt, v in vals:
        if wt == 5:
            res.append(struct.unpack("<f", v)[0])
        else:
            res.extend(struct.unpack("<%df" % (len(v) // 4), v))
    return res


def _str(f, k, default=""):
    return f[k][0][1].decode() if k in f else default


_DT = {1: np.float32, 2: np.uint8, 3: np.int8, 5: np.int16, 6: np.int32, 7: np.int64, 9: np.bool_, 10: np.float16,
       11: np.float64, 12: np.uint32, 13: np.uint64}


def parse_tensor(b):
    f = pb_fields(b)
    dims = _ints(f.get(1, []))
    dt = _DT[f[2][0][1]]
    if 9 in f:
        arr = np.frombuffer(f[9][0][1], dtype=np.dtype(dt).newbyteorder("<")).astype(dt)
    elif 4 in f:
        arr = np.array(_floats(f[4]), dtype=dt)
    elif 7 in f:
        arr = np.array(_ints(f[7]), dtype=dt)
    elif 5 in f:
        arr = np.array(_ints(f[5]), dtype=dt)
    elif 10 in f:
        arr = np.array([struct.unpack("<d", v)[0] for _, v in f[10]], dtype=dt)
    else:
        arr = np.zeros(0, dtype=dt)
    return _str(f, 8), arr.reshape(dims)


def parse_attr(b):
    f = pb_fields(b)
    name = _str(f, 1)
    typ = f[20][0][1] if 20 in f else None
    if typ == 1 or (typ is None and 2 in f):
        val = struct.unpack("<f", f[2][0][1])[0]
    elif typ == 2 or (typ is None and 3 in f):
        val = _s64(f[3][0][1])
    elif typ == 3 or (typ is None and 4 in f):
        val = f[4][0][1].decode()
    elif typ == 4:
        val = parse_tensor(f[5][0][1])[1]
    elif typ == 6:
        val = _floats(f.get(7, []))
    elif typ == 7:
        val = _ints(f.get(8, []))
    else:
        raise ValueError("attribute type %s not supported (%s)" % (typ, name))
    return name, val


class Node:
    def __init__(self, b):
        f = pb_fields(b)
        self.inputs = [v.decode() for _, v in f.get(1, [])]
        self.outputs = [v.decode() for _, v in f.get(2, [])]
        self.name = _str(f, 3)
        self.op_type = _str(f, 4)
        self.domain = _str(f, 7)
        self.attrs = dict(parse_attr(v) for _, v in f.get(5, []))


def parse_value_info(b):
    f = pb_fields(b)
    name = _str(f, 1)
    shape = []
    if 2 in f:
        tt = pb_fields(f[2][0][1])
        if 1 in tt:
            tf = pb_fields(tt[1][0][1])
            if 2 in tf:
                for _, d in pb_fields(tf[2][0][1]).get(1, []):
                    df = pb_fields(d)
                    shape.append(df[1][0][1] if 1 in df else None)
    return name, shape


class Model:
    def __init__(self, path):
        with open(path, "rb") as fh:
            f = pb_fields(fh.read())
        self.opsets = {}
        for _, v in f.get(8, []):
            o = pb_fields(v)
            self.opsets[_str(o, 1)] = o[2][0][1] if 2 in o else 1
        g = pb_fields(f[7][0][1])
        self.nodes = [Node(v) for _, v in g.get(1, [])]
        self.inits = dict(parse_tensor(v) for _, v in g.get(5, []))
        self.inputs = [parse_value_info(v) for _, v in g.get(11, [])]
        self.outputs = [parse_value_info(v) for _, v in g.get(12, [])]


# ----------------------------------------------------------------------------------------------
# QONNX custom ops (qonnx 1.0.0 semantics, float32 numpy)
# ----------------------------------------------------------------------------------------------
F32 = np.float32


def min_int(signed, narrow, bw):
    if signed and narrow:
        return -(2.0 ** (bw - 1)) + 1
    if signed:
        return -(2.0 ** (bw - 1))
    return 0.0


def max_int(signed, narrow, bw):
    if not signed and not narrow:
        return 2.0**bw - 1
    if not signed and narrow:
        return 2.0**bw - 2
    return 2.0 ** (bw - 1) - 1


def rounding(mode):
    m = mode.upper()
    if m in ("ROUND", "HALF_EVEN"):
        return np.round  # ties to even
    if m == "CEIL":
        return np.ceil
    if m == "FLOOR":
        return np.floor
    if m == "UP":
        return lambda y: np.sign(y) * np.ceil(np.abs(y))
    if m == "DOWN":
        return np.trunc  # == np.fix
    if m == "HALF_UP":
        return lambda y: np.sign(y) * np.floor(np.abs(y) + F32(0.5))  # abs(y)+0.5 rounds in float32
    if m == "HALF_DOWN":
        return lambda y: np.sign(y) * np.ceil(np.abs(y) - F32(0.5))
    raise ValueError(mode)


def op_quant(x, scale, zeropt, bitwidth, signed=1, narrow=1, rounding_mode="ROUND"):
    # NOTE qonnx 1.0.0 defaults: signed=1, narrow=1 (!), rounding_mode="ROUND"
    bw = float(bitwidth)
    # qonnx does plain numpy arithmetic on the parameters as stored. Under NumPy 2 (NEP 50) a float64 or
    # int64 0-d scale/zeropt (the QKeras converter's) makes it float64; NumPy 1's value-based casting would
    # have kept float32. Promote explicitly so this model does not depend on the installed NumPy.
    dt = np.result_type(x.dtype, np.asarray(scale).dtype, np.asarray(zeropt).dtype)
    x, scale, zeropt = x.astype(dt), np.asarray(scale).astype(dt), np.asarray(zeropt).astype(dt)
    y = x / scale  # float32 / float32 (float64 for the QKeras graphs)
    y = y + zeropt
    if bw == 1 and signed:
        y = np.where(y >= 0.0, F32(1), F32(-1))
    else:
        mn, mx = F32(min_int(signed, narrow, bw)), F32(max_int(signed, narrow, bw))
        y = np.where(y > mx, mx, y)
        y = np.where(y < mn, mn, y)
        y = rounding(rounding_mode)(y)
    return ((y - zeropt) * scale).astype(F32)


def op_bipolar(x, scale):
    return (np.where(x >= 0.0, F32(1), F32(-1)) * scale).astype(F32)


def op_trunc_v1(x, scale, zeropt, in_bw, out_bw, rounding_mode="FLOOR"):
    y = np.round(x / scale + zeropt)
    y = y / (F32(2.0) ** (in_bw - out_bw))
    y = rounding(rounding_mode)(y)
    return ((y - zeropt) * scale).astype(F32)


def op_trunc_v2(x, scale, zeropt, in_bw, out_scale, out_bw, rounding_mode="FLOOR", signed=1, narrow=0):
    y = np.round(x / scale + zeropt)
    t = F32(2.0) ** np.round(np.log2(out_scale / scale))
    y = y / t
    bw = float(out_bw)
    mn, mx = F32(min_int(signed, narrow, bw)), F32(max_int(signed, narrow, bw))
    y = np.where(y > mx, mx, y)
    y = np.where(y < mn, mn, y)
    y = rounding(rounding_mode)(y)
    return ((y - zeropt / t) * out_scale).astype(F32)


def op_multithreshold(v, thr, out_dtype=None, out_scale=1.0, out_bias=0.0, data_layout=""):
    if not data_layout:
        data_layout = {2: "NC", 3: "NWC", 4: "NCHW"}.get(v.ndim)  # qonnx 1.0.0 guesses from the rank
    cdim = data_layout.index("C") if data_layout and "C" in data_layout else 1
    vm = np.moveaxis(v, cdim, -1)[..., None]  # [..., C, 1]
    assert thr.shape[0] in (1, vm.shape[-2])
    cnt = np.count_nonzero(vm >= thr, axis=-1).astype(v.dtype)  # '>=' against every threshold
    out = F32(out_scale) * cnt + F32(out_bias)
    return np.moveaxis(out, -1, cdim).astype(F32)


# exact-arithmetic Quant, for the informational float32-vs-exact report
def quant_exact_int(x, scale, zeropt, bw, signed, narrow, mode):
    xs = np.broadcast_to(x, np.broadcast_shapes(x.shape, np.shape(scale), np.shape(zeropt)))
    ss = np.broadcast_to(scale, xs.shape)
    zz = np.broadcast_to(zeropt, xs.shape)
    out = np.empty(xs.shape, np.float64)
    m = mode.upper()
    for idx in np.ndindex(xs.shape):
        q = Fraction(float(xs[idx])) / Fraction(float(ss[idx])) + Fraction(float(zz[idx]))
        if bw == 1 and signed:
            r = 1 if q >= 0 else -1
        else:
            q = min(max(q, Fraction(min_int(signed, narrow, bw))), Fraction(max_int(signed, narrow, bw)))
            fl = q.numerator // q.denominator
            fr = q - fl
            if m in ("ROUND", "HALF_EVEN"):
                r = fl + (1 if fr > Fraction(1, 2) or (fr == Fraction(1, 2) and fl % 2) else 0)
            elif m == "FLOOR":
                r = fl
            elif m == "CEIL":
                r = fl + (1 if fr else 0)
            elif m == "DOWN":
                r = fl + (1 if fr and q < 0 else 0)
            elif m == "UP":
                r = fl + (1 if fr and q > 0 else 0)
            elif m == "HALF_UP":
                r = fl + (1 if fr > Fraction(1, 2) or (fr == Fraction(1, 2) and q > 0) else 0)
            elif m == "HALF_DOWN":
                r = fl + (1 if fr > Fraction(1, 2) or (fr == Fraction(1, 2) and q < 0) else 0)
        out[idx] = float(r)
    return out


# ----------------------------------------------------------------------------------------------
# standard ops (onnxruntime 1.31 CPU float32 behaviour)
# ----------------------------------------------------------------------------------------------
def rne32_sum(p, acc):
    """float32 round-to-nearest-even of the exact p + acc (p, acc float64 arrays, p an exact product of
    two float32). Emulates one fused multiply-add step."""
    s = p + acc
    bb = s - p
    e = (p - (s - bb)) + (acc - bb)  # TwoSum: exact error of s
    r = s.astype(F32)
    r64 = r.astype(np.float64)
    up = s > r64
    nbr = np.where(up, np.nextafter(r, F32(np.inf)), np.nextafter(r, F32(-np.inf))).astype(np.float64)
    mid = (r64 + nbr) / 2
    fix = (s == mid) & (e != 0)  # s is a float32 midpoint only because of the float64 rounding
    hi, lo = np.maximum(r64, nbr), np.minimum(r64, nbr)
    r64 = np.where(fix, np.where(e > 0, hi, lo), r64)
    return r64.astype(F32)


def fma_dot(A, B):
    """A [M,K] float32, B [K,N] float32 -> [M,N]: acc = fma(A[:,k], B[k,:], acc) for k = 0..K-1, acc0 = +0."""
    M, K = A.shape
    N = B.shape[1]
    acc = np.zeros((M, N), F32)
    for k in range(K):
        p = A[:, k:k + 1].astype(np.float64) * B[k:k + 1, :].astype(np.float64)
        acc = rne32_sum(p, acc.astype(np.float64))
    return acc


def m1_transb(a, W, c):
    """MLAS MlasSgemmKernelM1TransposeBAvx (M = 1, B transposed, B not prepacked): per output n, 8 lane
    accumulators (lane l sums k = l, l+8, ...; separate float32 multiply and add, no FMA), a lane
    reduction whose tree depends on whether n falls in a block of 4, 2 or 1 rows, then + C."""
    K = a.shape[0]
    N = W.shape[0]
    Kp = -(-K // 8) * 8
    ap = np.zeros(Kp, F32)
    ap[:K] = a
    Wp = np.zeros((N, Kp), F32)
    Wp[:, :K] = W
    acc = np.zeros((N, 8), F32)
    for j in range(Kp // 8):
        acc = acc + ap[8 * j:8 * j + 8][None, :] * Wp[:, 8 * j:8 * j + 8]  # float32 mul, then float32 add
    L = [acc[:, i] for i in range(8)]
    r4 = (((L[0] + L[1]) + L[2]) + L[3]) + (((L[4] + L[5]) + L[6]) + L[7])
    r2 = ((L[0] + L[2]) + (L[4] + L[6])) + ((L[1] + L[3]) + (L[5] + L[7]))
    r1 = ((L[0] + L[1]) + (L[2] + L[3])) + ((L[4] + L[5]) + (L[6] + L[7]))
    n4 = N // 4 * 4
    grp = np.full(N, 4)
    rem = N - n4
    if rem & 2:
        grp[n4:n4 + 2] = 2
    if rem & 1:
        grp[N - 1] = 1
    r = np.where(grp == 4, r4, np.where(grp == 2, r2, r1)).astype(F32)
    return r + (c if c is not None else F32(0))


def m1_notrans(a, B, c):
    """MLAS MlasSgemmKernelM1Avx (M = 1, B not transposed): k in groups of 4: t = ((p0+p1)+p2)+p3 and
    C = t + C, then a group of 2, then 1; separate float32 multiply and add."""
    K, N = B.shape
    C = c.astype(F32) if c is not None else np.zeros(N, F32)
    k = 0
    while K - k >= 4:
        t = ((a[k] * B[k] + a[k + 1] * B[k + 1]) + a[k + 2] * B[k + 2]) + a[k + 3] * B[k + 3]
        C = t + C
        k += 4
    if (K - k) & 2:
        C = (a[k] * B[k] + a[k + 1] * B[k + 1]) + C
        k += 2
    if (K - k) & 1:
        C = a[k] * B[k] + C
    return C.astype(F32)


def op_gemm(a, b, c=None, alpha=1.0, beta=1.0, transA=0, transB=0):
    """onnxruntime Gemm: Y = broadcast(C), then MlasGemm(beta = 1 if C else 0). In qonnx's per-node
    sessions B is a graph input (never prepacked), so M = 1 takes MLAS' M1 kernels."""
    assert alpha == 1.0 and beta == 1.0
    a = a.astype(F32)
    b = b.astype(F32)
    cb = None if c is None else np.broadcast_to(c, (a.shape[1] if transA else a.shape[0],
                                                    b.shape[0] if transB else b.shape[1])).astype(F32)
    if not transA and a.shape[0] == 1:
        if transB:
            return m1_transb(a[0], b, None if cb is None else cb[0])[None, :]
        return m1_notrans(a[0], b, None if cb is None else cb[0])[None, :]
    A = a.T if transA else a
    B = b.T if transB else b
    y = fma_dot(A, B)
    if cb is not None:
        y = (y + cb).astype(F32)
    return y


def op_matmul(a, b):
    assert a.ndim == 2 and b.ndim == 2
    if a.shape[0] == 1:
        return m1_notrans(a[0].astype(F32), b.astype(F32), None)[None, :]
    return fma_dot(a, b)


def op_conv(x, w, b=None, kernel_shape=None, pads=(0, 0, 0, 0), strides=(1, 1), dilations=(1, 1), group=1,
            auto_pad="NOTSET"):
    assert group == 1 and auto_pad in ("NOTSET", b"NOTSET") and tuple(dilations) == (1, 1)
    n, c, h, wd = x.shape
    m, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    oh = (h + pads[0] + pads[2] - kh) // strides[0] + 1
    ow = (wd + pads[1] + pads[3] - kw) // strides[1] + 1
    cols = np.empty((n, c * kh * kw, oh * ow), F32)  # im2col, K order = (c, kh, kw)
    for ci in range(c):
        for i in range(kh):
            for j in range(kw):
                patch = xp[:, ci, i:i + strides[0] * oh:strides[0], j:j + strides[1] * ow:strides[1]]
                cols[:, (ci * kh + i) * kw + j, :] = patch.reshape(n, -1)
    wm = w.reshape(m, -1)
    out = np.stack([fma_dot(wm, cols[k]) for k in range(n)])  # [n, m, oh*ow]
    if b is not None:
        out = (out + b.reshape(1, m, 1)).astype(F32)
    return out.reshape(n, m, oh, ow)


def op_maxpool(x, kernel_shape, strides=None, pads=(0, 0, 0, 0), ceil_mode=0, dilations=(1, 1), storage_order=0,
               auto_pad="NOTSET"):
    assert ceil_mode == 0 and tuple(pads) == (0, 0, 0, 0) and tuple(dilations) == (1, 1)
    strides = strides or [1, 1]
    n, c, h, w = x.shape
    kh, kw = kernel_shape
    oh = (h - kh) // strides[0] + 1
    ow = (w - kw) // strides[1] + 1
    out = np.full((n, c, oh, ow), -np.inf, F32)
    for i in range(kh):
        for j in range(kw):
            out = np.maximum(out, x[:, :, i:i + strides[0] * oh:strides[0], j:j + strides[1] * ow:strides[1]])
    return out


def op_batchnorm(x, scale, bias, mean, var, epsilon=1e-5, momentum=None, training_mode=0):
    inv = F32(1) / np.sqrt(var + F32(epsilon))
    s = inv * scale
    nb = bias - mean * s
    shp = (1, -1) + (1,) * (x.ndim - 2)
    return (x * s.reshape(shp) + nb.reshape(shp)).astype(F32)


def op_reshape(x, shape, allowzero=0):
    shape = [int(d) for d in shape]
    shape = [x.shape[i] if (d == 0 and not allowzero) else d for i, d in enumerate(shape)]
    return x.reshape(shape)


def op_flatten(x, axis=1):
    return x.reshape(int(np.prod(x.shape[:axis])), -1)


def op_unsqueeze(x, axes_in=None, axes=None):
    """Unsqueeze: axes is an int64 input from opset 13 on (an attribute before); negative axes count
    in the OUTPUT rank."""
    axes = [int(a) for a in (axes_in if axes_in is not None else axes)]
    r = x.ndim + len(axes)
    shape = list(x.shape)
    for a in sorted(a + r if a < 0 else a for a in axes):
        shape.insert(a, 1)
    return x.reshape(shape)


def op_squeeze(x, axes_in=None, axes=None):
    """Squeeze: axes is an optional int64 input from opset 13 on (an attribute before); every named
    axis must have size 1; no axes squeezes all size-1 axes."""
    axes = axes_in if axes_in is not None else axes
    if axes is None:
        return np.squeeze(x)
    axes = tuple(int(a) + x.ndim if int(a) < 0 else int(a) for a in axes)
    assert all(x.shape[a] == 1 for a in axes), (x.shape, axes)
    return np.squeeze(x, axis=axes)


STD = {
    "Gemm": op_gemm,
    "MatMul": op_matmul,
    "Conv": op_conv,
    "MaxPool": op_maxpool,
    "BatchNormalization": op_batchnorm,
    "Reshape": op_reshape,
    "Flatten": op_flatten,
    "Unsqueeze": op_unsqueeze,
    "Squeeze": op_squeeze,
    "Relu": lambda x: np.where(x < 0, F32(0), x).astype(F32),  # onnxruntime keeps -0.0 (numpy maximum would not)
    "Add": lambda a, b: (a + b).astype(F32),
    "Sub": lambda a, b: (a - b).astype(F32),
    "Mul": lambda a, b: (a * b).astype(F32),
    "Div": lambda a, b: (a / b).astype(F32),
    "Identity": lambda x: x,
    "Concat": lambda *xs, axis: np.concatenate(xs, axis=axis),
    "Transpose": lambda x, perm=None: np.transpose(x, perm),
}


def run_model(model, x, info=None):
    ctx = dict(model.inits)
    ctx[model.inputs[0][0]] = x
    qopset = model.opsets.get("qonnx.custom_op.general", 1)
    for n in model.nodes:
        ins = [ctx[i] if i else None for i in n.inputs]
        a = dict(n.attrs)
        if n.op_type == "Constant":
            y = a["value"]
        elif n.domain in ("qonnx.custom_op.general", "finn.custom_op.general", "onnx.brevitas"):
            if n.op_type in ("Quant", "IntQuant"):
                y = op_quant(*ins, **a)
                if info is not None and n.inputs[0] not in model.inits:
                    ex = quant_exact_int(ins[0], ins[1], ins[2], float(ins[3]), a.get("signed", 1),
                                         a.get("narrow", 1), a.get("rounding_mode", "ROUND"))
                    exact_y = ((ex.astype(F32) - ins[2]) * ins[1]).astype(F32)
                    info[n.name] = info.get(n.name, 0) + int(np.sum(exact_y != y))
            elif n.op_type == "BipolarQuant":
                y = op_bipolar(*ins)
            elif n.op_type == "Trunc":
                y = op_trunc_v2(*ins, **a) if qopset >= 2 else op_trunc_v1(*ins, **a)
            elif n.op_type == "MultiThreshold":
                y = op_multithreshold(*ins, **a)
            else:
                raise NotImplementedError(n.op_type)
        else:
            y = STD[n.op_type](*[i for i in ins], **a)
        ctx[n.outputs[0]] = np.asarray(y)
    return ctx[model.outputs[0][0]]


def check_case(name):
    d = os.path.join(HERE, name)
    model = Model(os.path.join(d, "model.onnx"))
    X = np.load(os.path.join(d, "X.npy"))
    Y = np.load(os.path.join(d, "Y.npy"))
    info = {}
    P = np.stack([run_model(model, X[i:i + 1], info)[0] for i in range(X.shape[0])])
    bits_eq = P.view(np.uint32) == Y.view(np.uint32)
    bad_rows = np.nonzero(~bits_eq.reshape(len(Y), -1).all(axis=1))[0]
    value_eq = (P == Y) | (np.isnan(P) & np.isnan(Y))
    msg = "%-22s rows %3d  bit-exact %s" % (name, len(Y), "yes" if len(bad_rows) == 0 else
                                             "NO: %d rows differ (%d elements; %d differ in value)" %
                                             (len(bad_rows), int((~bits_eq).sum()), int((~value_eq).sum())))
    if len(bad_rows):
        r = bad_rows[0]
        j = np.nonzero(~bits_eq[r].ravel())[0][0]
        msg += "\n    first: row %d elem %d: numpy %r qonnx %r" % (r, j, P[r].ravel()[j], Y[r].ravel()[j])
    diffs = {k: v for k, v in info.items() if v}
    if diffs:
        msg += "\n    info: elements where exact-arithmetic Quant differs from qonnx float32 Quant: %s" % diffs
    print(msg)
    return len(bad_rows) == 0


def main(argv):
    names = argv[1:] or sorted(n for n in os.listdir(HERE) if os.path.exists(os.path.join(HERE, n, "model.onnx")))
    ok = [check_case(n) for n in names]
    print("%d passed, %d failed" % (sum(ok), len(ok) - sum(ok)))
    return 0 if all(ok) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
