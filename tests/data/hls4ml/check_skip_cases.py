"""Independent check of the skip-connection peer cases (numpy only; no hls4ml needed).

    python check_skip_cases.py [<case> ...]        # default: every skip_*/ folder with a layers.json

Reads only the committed files of each case (layers.json, hls4ml_firmware/weights/*.txt, X.npy, Y.npy,
trace.npz) and re-implements every layer with exact integer arithmetic (see SKIP.md and
/work/shared/REFERENCE.md §1, §3.1):
  * cast(): exact value -> ap_fixed/ap_ufixed<W,I,Q,O> with every quantization mode (TRN, TRN_ZERO, RND,
    RND_ZERO, RND_MIN_INF, RND_INF, RND_CONV) and overflow mode WRAP (N=0), SAT, SAT_ZERO, SAT_SYM;
  * Merge(add): y = cast(a + b -> result_t), the sum exact (io_parallel and io_stream alike);
  * Concatenate: each element cast into result_t, operand 1 first; channels-last, so concatenating torch
    channels (dim=1) is concatenating the last axis (hls4ml axis attribute 3 / -1), per pixel;
  * Clone (io_stream): a copy into each output stream;
  * Dense/Conv2D/PointwiseConv2D: acc = cast(bias -> accum_t); acc = cast(acc + cast(x*w -> accum_t) ->
    accum_t) over the window in (fh, fw, c) order; y = cast(acc -> result_t);
  * ReLU: x > 0 ? cast(x -> result_t) : 0; MaxPool: max of the window elements cast to accum_t;
    Transpose / ZeroPadding2D / Reshape move values only.
Each traced layer is checked twice: fed with hls4ml's own traced inputs (layer-local) and fed with this
script's previous outputs (end to end); the end-to-end output must equal Y.npy.
"""
import sys, os, re, json, glob
from fractions import Fraction
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
G = 64  # values are Python ints m meaning m / 2^G (object arrays): exact for every type here


def parse_type(s):
    m = re.fullmatch(r'(u?)fixed<(\d+),(-?\d+)(?:,(\w+),(\w+),(\d+))?>', s)
    if m:
        return {'W': int(m.group(2)), 'I': int(m.group(3)), 'signed': m.group(1) != 'u', 'int': False,
                'Q': m.group(4) or 'TRN', 'O': m.group(5) or 'WRAP', 'N': int(m.group(6) or 0)}
    m = re.fullmatch(r'(u?)int<(\d+)>', s)
    assert m, s
    W = int(m.group(2))
    return {'W': W, 'I': W, 'signed': m.group(1) != 'u', 'int': True, 'Q': 'TRN_ZERO', 'O': 'WRAP', 'N': 0}


def cast_int(m, t):
    """One exact value m (scale 2^-G) into type t (dict from parse_type); returns the new value at scale 2^-G."""
    W, F = t['W'], t['W'] - t['I']
    d = G - F
    assert d >= 0, 'type finer than 2^-G'
    base = m >> d  # floor
    if d > 0:
        qb = (m >> (d - 1)) & 1
        r = (m & ((1 << (d - 1)) - 1)) != 0
        s = m < 0
        inc = {'TRN': 0, 'TRN_ZERO': s and (qb or r), 'RND': qb, 'RND_ZERO': qb and (s or r),
               'RND_MIN_INF': qb and r, 'RND_INF': qb and ((not s) or r), 'RND_CONV': qb and ((base & 1) or r)}[t['Q']]
        base += int(bool(inc))
    lo, hi = (-(1 << (W - 1)), (1 << (W - 1)) - 1) if t['signed'] else (0, (1 << W) - 1)
    if not lo <= base <= hi:
        O = t['O']
        if O == 'WRAP':
            assert t['N'] == 0, 'WRAP with saturation bits not modelled'
            base %= 1 << W
            if t['signed'] and base > hi:
                base -= 1 << W
        elif O == 'SAT':
            base = min(max(base, lo), hi)
        elif O == 'SAT_ZERO':
            base = 0
        elif O == 'SAT_SYM':
            base = min(max(base, -hi if t['signed'] else lo), hi)
        else:
            raise SystemExit(f'overflow mode {O} not modelled')
    return base << d


def cast(a, ts):
    t = parse_type(ts) if isinstance(ts, str) else ts
    return np.vectorize(lambda m: cast_int(int(m), t), otypes=[object])(a)


def to_obj(x):
    """float64 values (exact binary numbers) -> object array at scale 2^-G."""
    def one(v):
        f = Fraction(float(v)) * (1 << G)
        assert f.denominator == 1, f'{v} not exact at 2^-{G}'
        return int(f)
    return np.vectorize(one, otypes=[object])(np.asarray(x, dtype=np.float64))


def floor_obj(vals):
    """Doubles -> exact floor at 2^-G (every type here has F <= G, so the later cast sees the exact double)."""
    return np.array([int(np.floor(Fraction(float(v)) * (1 << G))) for v in vals], dtype=object)


def mul(a, b):
    p = np.vectorize(lambda u, v: int(u) * int(v), otypes=[object])(a, b)
    assert all(int(v) % (1 << G) == 0 for v in np.ravel(p)), 'product finer than 2^-G'
    return p // (1 << G)


def to_float(a):
    return np.vectorize(lambda m: float(Fraction(int(m), 1 << G)), otypes=[np.float64])(a)


def load_weight(case, w):
    """The C++ parses hls4ml's decimal text to double, then casts it into the weight type."""
    with open(f'{HERE}/{case}/{w["file"]}') as f:
        vals = f.read().replace(',', ' ').split()
    return cast(floor_obj([float(v) for v in vals]), w['type']).reshape(w['shape'])


def dense_rule(win, w, b, t):
    """win (N, n), w (n, o), b (o,): object arrays already in their types; Latency order."""
    acc = np.empty((win.shape[0], w.shape[1]), dtype=object)
    acc[:] = cast(b, t['accum_t'])[None, :]
    for i in range(w.shape[0]):
        acc = cast(acc + cast(mul(win[:, i:i + 1], w[i][None, :]), t['accum_t']), t['accum_t'])
    return cast(acc, t['result_t'])


def run_layer(case, L, xs):
    """xs: the layer's input values (object arrays, batch first, hls4ml's channels-last shapes)."""
    c, a, t = L['class_name'], L['attributes'], L['types']
    x = xs[0]
    if c == 'Input':
        return cast(x, t['result_t'])
    if c == 'Clone':
        return cast(x, t['result_t'])  # one copy; every output stream gets the same values
    if c == 'Merge':
        assert a['op'] == 'add', a['op']
        assert xs[0].shape == xs[1].shape
        return cast(xs[0] + xs[1], t['result_t'])  # exact sum, one cast
    if c == 'Concatenate':
        rank = x.ndim - 1
        ax = a['axis']
        if rank == 1:
            ax = -1  # concatenate1d ignores the axis
        else:
            ax = {1: 1, 2: 2, 3: 3, -1: rank, -2: rank - 1}[ax] if ax != 0 else 1  # batch-inclusive axis
        return cast(np.concatenate([xs[0], xs[1]], axis=ax), t['result_t'])
    if c == 'Transpose':
        return cast(x.transpose([0] + [p + 1 for p in a['perm']]), t['result_t'])
    if c == 'Reshape':
        return x.reshape((x.shape[0],) + tuple(a['target_shape']))
    if c == 'ZeroPadding2D':
        pads = [(0, 0), (a['pad_top'], a['pad_bottom']), (a['pad_left'], a['pad_right']), (0, 0)]
        return cast(np.pad(x, pads, constant_values=0), t['result_t'])
    if c == 'Activation':
        assert a['activation'] == 'relu'
        return np.where(x > 0, cast(x, t['result_t']), 0)
    if c in ('Conv2D', 'PointwiseConv2D', 'Dense'):
        w = load_weight(case, L['weights']['weight'])
        b = load_weight(case, L['weights']['bias'])
        if c == 'Dense':
            return dense_rule(x.reshape(x.shape[0], -1), w, b, t)
        sh, sw = a['stride_height'], a['stride_width']
        N, H, Wd, C = x.shape
        if c == 'PointwiseConv2D' and w.ndim == 2:
            w = w.reshape(1, 1, *w.shape)
        kh, kw, _, Fo = w.shape
        oh, ow = (H - kh) // sh + 1, (Wd - kw) // sw + 1
        out = np.empty((N, oh, ow, Fo), dtype=object)
        wf = w.reshape(kh * kw * C, Fo)
        for i in range(oh):
            for j in range(ow):
                out[:, i, j] = dense_rule(x[:, i * sh:i * sh + kh, j * sw:j * sw + kw, :].reshape(N, -1), wf, b, t)
        return out
    if c == 'Pooling2D':
        assert a['pool_op'] == 'Max' and a['padding'] == 'valid'
        ph, pw, sh, sw = a['pool_height'], a['pool_width'], a['stride_height'], a['stride_width']
        assert (ph, pw) == (sh, sw)
        N, H, Wd, C = x.shape
        oh, ow = H // ph, Wd // pw
        win = x[:, :oh * ph, :ow * pw].reshape(N, oh, ph, ow, pw, C).transpose(0, 1, 3, 5, 2, 4).reshape(N, oh, ow, C, -1)
        vals = cast(win, t['accum_t'])
        return cast(vals.max(axis=-1), t['result_t'])
    raise SystemExit(f'{case}: no model for layer class {c}')


def check(case):
    layers = json.load(open(f'{HERE}/{case}/layers.json'))
    X = np.load(f'{HERE}/{case}/X.npy')
    Y = np.load(f'{HERE}/{case}/Y.npy')
    tr = dict(np.load(f'{HERE}/{case}/trace.npz'))
    by_name = {L['name']: L for L in layers}
    producer = {o: L['name'] for L in layers for o in L['outputs']}
    e2e = {}  # output name -> value (this script, end to end)

    def traced(out_name, shape):
        """hls4ml's own value of an output: its producer's trace; an untraced Clone copies its input."""
        L = by_name[producer[out_name]]
        if L['class_name'] == 'Input':
            return None
        if L['name'] in tr:
            return to_obj(tr[L['name']]).reshape(shape)
        if L['class_name'] == 'Clone':
            return traced(L['inputs'][0], shape)
        return None

    ok, n_checked = True, 0
    for L in layers:
        if L['class_name'] == 'Input':
            xs = [floor_obj(X.ravel()).reshape(X.shape)]
            x_loc = xs
        else:
            xs = [e2e[i] for i in L['inputs']]
            x_loc = [traced(i, v.shape) for i, v in zip(L['inputs'], xs)]
            x_loc = [v if v is not None else w for v, w in zip(x_loc, xs)]
        y = run_layer(case, L, xs)
        for o in L['outputs']:
            e2e[o] = y
        msg = ''
        if L['name'] in tr:
            ref = tr[L['name']].reshape(y.shape)
            y_loc = run_layer(case, L, x_loc)
            good_e2e = np.array_equal(to_float(y), ref)
            good_loc = np.array_equal(to_float(y_loc), ref)
            ok &= good_e2e and good_loc
            n_checked += 1
            msg = f'layer-local {"exact" if good_loc else "MISMATCH"}, end-to-end {"exact" if good_e2e else "MISMATCH"}'
        if L['class_name'] == 'Merge' and L['name'] in tr:
            # how strongly the data pin the rule down: the alternative "cast each operand to result_t, add,
            # cast again" would differ in this many elements (layer-local inputs)
            alt = cast(cast(x_loc[0], t_res := L['types']['result_t']) + cast(x_loc[1], t_res), t_res)
            msg += f'; cast-operands-first rule would differ in {int((alt != y_loc).sum())} of {y_loc.size}'
            n_wrap = int((x_loc[0] + x_loc[1] != y_loc).sum())
            msg += f'; result cast changed {n_wrap} sums'
        elif L['class_name'] == 'Clone':
            msg = 'not traced (a copy; checked through its consumers)'
        print(f'  {L["name"]:30s} {L["class_name"]:16s} {L["types"].get("result_t", ""):28s} {msg}')
    final = to_float(e2e[list(layers[-1]['outputs'])[0]]).reshape(len(X), -1)
    same = np.array_equal(final, Y)
    print(f'{case}: {n_checked} traced layers; final output == Y.npy: {same}; {"ALL OK" if ok and same else "FAILED"}')
    return ok and same


if __name__ == '__main__':
    cases = sys.argv[1:] or sorted(os.path.basename(os.path.dirname(p)) for p in glob.glob(f'{HERE}/skip_*/layers.json'))
    results = [check(c) for c in cases]
    sys.exit(0 if all(results) else 1)
