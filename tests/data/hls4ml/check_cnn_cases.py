"""Independent check of the CNN peer cases (numpy only; no hls4ml needed).

    python check_cnn_cases.py [<case> ...]        # default: every folder with a layers.json

Re-implements every layer of layers.json with exact integer arithmetic (TRN/WRAP types only, which is
all these cases use) and the rules of /work/shared/REFERENCE.md §3.1, §5.1, §6.1 and §6.4:
  * weights/biases/BN scale+bias: the decimal text hls4ml wrote (hls4ml_firmware/weights/*.txt) cast
    into their types;
  * Conv/PointwiseConv/Dense: acc = cast(bias -> accum_t); acc = cast(acc + cast(x*w -> accum_t) -> accum_t)
    over the window in (fh, fw, c) order; y = cast(acc -> result_t);
  * Pooling: window elements cast to accum_t, balanced reduce tree (each node cast to accum_t);
    Average divides by the area, truncating toward zero at accum_t's LSB; then cast to result_t;
  * BatchNormalization: y = cast(x*scale + bias -> result_t);
  * ReLU: cast(max(x, 0) -> result_t); Transpose / ZeroPadding / Reshape move values only.
Each layer is checked twice: fed with hls4ml's own traced input of the layer (layer-local) and fed
with this script's previous output (end to end); the end-to-end output must equal Y.npy.
"""
import sys, os, re, json, glob
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
G = 48  # values are held as Python ints m meaning m / 2^G (object arrays): exact for every type here


def parse_type(s):
    m = re.fullmatch(r'(u?)fixed<(\d+),(-?\d+)(?:,(\w+),(\w+),(\d+))?>', s)
    if m:
        assert m.group(4) in (None, 'TRN') and m.group(5) in (None, 'WRAP') and m.group(6) in (None, '0'), s
        return int(m.group(2)), int(m.group(3)), m.group(1) != 'u'
    m = re.fullmatch(r'(u?)int<(\d+)>', s)
    assert m, s
    return int(m.group(2)), int(m.group(2)), m.group(1) != 'u'


def cast(a, t):
    """Exact value a (object array, scale 2^-G) into fixed<W,I,signed> with TRN (floor) and WRAP."""
    W, I, signed = parse_type(t) if isinstance(t, str) else t
    F = W - I
    assert F <= G
    sh = G - F
    def one(m):
        r = (int(m) >> sh) % (1 << W)  # Python ints: floor shift, then keep the low W bits
        return (r - (1 << W) if signed and r >= 1 << (W - 1) else r) << sh
    return np.vectorize(one, otypes=[object])(a)


def to_obj(x):
    """float64 -> exact object array at scale 2^-G (inputs: exact binary values; finer bits are floored later)."""
    f = np.vectorize(lambda v: int(np.floor(np.ldexp(v, G))) if np.ldexp(v, G) == np.floor(np.ldexp(v, G)) else
                     (_ for _ in ()).throw(ValueError(f'{v} not exact at 2^-{G}')), otypes=[object])
    return f(np.asarray(x, dtype=np.float64))


def mul(a, b):
    p = np.vectorize(lambda u, v: int(u) * int(v), otypes=[object])(a, b)
    assert all(int(v) % (1 << G) == 0 for v in np.ravel(p)), 'product finer than 2^-G'
    return p // (1 << G)


def to_float(a):
    return np.vectorize(lambda m: float(m) / float(1 << G), otypes=[np.float64])(a)


def load_weight(case, w):
    """The C++ parses hls4ml's decimal text to double, then casts it into the weight type."""
    with open(f'{HERE}/{case}/{w["file"]}') as f:
        vals = f.read().replace(',', ' ').split()
    return cast(floor_obj([float(v) for v in vals]), w['type']).reshape(w['shape'])


def floor_obj(vals):
    """A double that is not exact at 2^-G: exact rational floor at 2^-G (enough: every type has F <= G)."""
    from fractions import Fraction
    return np.array([int(np.floor(Fraction(v) * (1 << G))) for v in vals], dtype=object)


def reduce_tree(vals, op):
    n = len(vals)
    if n == 1:
        return vals[0]
    if n == 2:
        return op(vals[0], vals[1])
    left = 1 << int(np.floor(np.log2(n - 1)))
    return op(reduce_tree(vals[:left], op), reduce_tree(vals[left:], op))


def dense_rule(win, w, b, L):
    """win (N, n) object, w (n, o), b (o,) already in their types."""
    t = L['types']
    acc = np.empty((win.shape[0], w.shape[1]), dtype=object)
    acc[:] = cast(b, t['accum_t'])[None, :]
    for i in range(w.shape[0]):
        acc = cast(acc + cast(mul(win[:, i:i + 1], w[i][None, :]), t['accum_t']), t['accum_t'])
    return cast(acc, t['result_t'])


def run_layer(case, L, x):
    c, a, t = L['class_name'], L['attributes'], L['types']
    if c == 'Input':
        return cast(x, t['result_t'])
    if c == 'Transpose':
        return cast(x.transpose([0] + [p + 1 for p in a['perm']]), t['result_t'])
    if c == 'Reshape':
        return x.reshape((x.shape[0],) + tuple(a['target_shape']))
    if c in ('ZeroPadding1D', 'ZeroPadding2D'):
        pads = [(0, 0), (a['pad_left'], a['pad_right']), (0, 0)] if c.endswith('1D') else \
               [(0, 0), (a['pad_top'], a['pad_bottom']), (a['pad_left'], a['pad_right']), (0, 0)]
        return cast(np.pad(x, pads, constant_values=0), t['result_t'])
    if c == 'Activation':
        assert a['activation'] == 'relu'
        return cast(np.where(x > 0, x, 0), t['result_t'])
    if c in ('Conv1D', 'Conv2D', 'PointwiseConv1D', 'PointwiseConv2D', 'Dense'):
        w = load_weight(case, L['weights']['weight'])
        b = load_weight(case, L['weights']['bias'])
        if c == 'Dense':
            return dense_rule(x.reshape(x.shape[0], -1), w, b, L)
        if x.ndim == 3:  # 1-D: (N, L, C)
            x4, w4 = x[:, None], w[None]
            sh, sw = 1, a['stride_width']
        else:
            x4, w4 = x, w
            sh, sw = a['stride_height'], a['stride_width']
        N, H, Wd, C = x4.shape
        kh, kw, _, Fo = w4.shape
        oh, ow = (H - kh) // sh + 1, (Wd - kw) // sw + 1
        out = np.empty((N, oh, ow, Fo), dtype=object)
        wf = w4.reshape(kh * kw * C, Fo)
        for i in range(oh):
            for j in range(ow):
                out[:, i, j] = dense_rule(x4[:, i * sh:i * sh + kh, j * sw:j * sw + kw, :].reshape(N, -1), wf, b, L)
        return out[:, 0] if x.ndim == 3 else out
    if c in ('Pooling1D', 'Pooling2D'):
        x4 = x[:, None] if x.ndim == 3 else x
        ph, pw = (1, a['pool_width']) if x.ndim == 3 else (a['pool_height'], a['pool_width'])
        sh, sw = (1, a['stride_width']) if x.ndim == 3 else (a['stride_height'], a['stride_width'])
        assert (ph, pw) == (sh, sw) and a.get('padding') == 'valid'
        N, H, Wd, C = x4.shape
        oh, ow = H // ph, Wd // pw
        win = x4[:, :oh * ph, :ow * pw].reshape(N, oh, ph, ow, pw, C).transpose(0, 1, 3, 5, 2, 4).reshape(N, oh, ow, C, ph * pw)
        acc_t = t['accum_t']
        vals = [cast(win[..., k], acc_t) for k in range(ph * pw)]
        if a['pool_op'] == 'Max':
            r = reduce_tree(vals, lambda p, q: np.where(p >= q, p, q))
        else:
            s = reduce_tree(vals, lambda p, q: cast(p + q, acc_t))
            Wa, Ia, _ = parse_type(acc_t)
            lsb = 1 << (G - (Wa - Ia))
            n = ph * pw
            # ap_fixed / int: quotient at the dividend's LSB, truncated toward zero
            r = cast(np.vectorize(lambda m: (abs(m // lsb) // n) * (1 if m >= 0 else -1) * lsb, otypes=[object])(s), acc_t)
        r = cast(r, t['result_t'])
        return r[:, 0] if x.ndim == 3 else r
    if c == 'BatchNormalization':
        s = load_weight(case, L['weights']['scale'])
        b = load_weight(case, L['weights']['bias'])
        return cast(mul(x, s) + b, t['result_t'])  # channel = last axis (channels-last), n_filt = -1 for 1-D
    raise SystemExit(f'{case}: no model for layer class {c}')


def check(case):
    layers = json.load(open(f'{HERE}/{case}/layers.json'))
    X = np.load(f'{HERE}/{case}/X.npy')
    Y = np.load(f'{HERE}/{case}/Y.npy')
    tr = dict(np.load(f'{HERE}/{case}/trace.npz'))
    outs = {}
    ok = True
    for L in layers:
        src = L['inputs'][0]
        if L['class_name'] == 'Input':
            x_e2e = x_loc = floor_obj(X.ravel()).reshape(X.shape)
        else:
            x_e2e = outs[src]
            x_loc = to_obj(tr[src]).reshape(x_e2e.shape) if src in tr else x_e2e
        y = run_layer(case, L, x_e2e)
        outs[L['name']] = y
        msg = ''
        if L['name'] in tr:
            ref = tr[L['name']].reshape(y.shape)
            y_loc = run_layer(case, L, x_loc)
            e2e = np.array_equal(to_float(y), ref)
            loc = np.array_equal(to_float(y_loc), ref)
            ok &= e2e and loc
            msg = f'layer-local {"exact" if loc else "MISMATCH"}, end-to-end {"exact" if e2e else "MISMATCH"}'
        print(f'  {L["name"]:30s} {L["class_name"]:20s} {msg}')
    final = to_float(outs[layers[-1]['name']]).reshape(len(X), -1)
    same = np.array_equal(final, Y)
    print(f'{case}: final output == Y.npy: {same}; {"ALL OK" if ok and same else "FAILED"}')
    return ok and same


if __name__ == '__main__':
    cases = sys.argv[1:] or sorted(os.path.basename(os.path.dirname(p)) for p in glob.glob(f'{HERE}/*/layers.json'))
    results = [check(c) for c in cases]
    sys.exit(0 if all(results) else 1)
