"""Independent integer model of hls4ml 1.3.0's activation layers (io_parallel, Vivado), checked against the
committed peer data in act_<case>/.

    python check_act_cases.py [<case> ...]        # default: every act_* folder

It reads only committed files: config.yml, layers.json, X.npy, pre.npy and Y.npy (tables.npz only to compare
with the tables it builds itself; it never uses them to compute Y). Fixed-point values are Python integers
(mantissas) with explicit fractional bits; casts implement ap_fixed's quantisation and overflow modes.
Host-side floating point follows the C++ exactly: float32 where hls4ml's table initialisers use float,
float64 where they use double, and glibc's expf/tanhf through ctypes (what the emulation library calls).

For every case it prints: the derived sizes/types vs the generated C++ config, pre.npy vs X cast to the
activation's input type, its tables vs hls4ml's (tables.npz), the libm sensitivity of every table (entries
whose float value lies within 1 float32 ulp of a quantisation boundary of the table type, and how many
entries a different exp/tanh would change), and the number of output elements that differ from Y.npy.
Exit code 0 iff every case reproduces Y.npy bit for bit.
"""
import sys, os, re, json, math, ctypes, glob
from fractions import Fraction
import numpy as np
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
# --mutants: deliberately wrong variants of single details, to show which details the data pins down
MUTANTS = {
    'idx_floor': 'sigmoid/tanh: index by floor(x*N/R) instead of truncation toward zero',
    'lut_rnd': 'sigmoid/tanh: table entries rounded (RND) instead of table_t\'s TRN (floor)',
    'lut_no_f32': 'sigmoid: 1.0/(1+expf(-x)) kept in double (no rounding to float) before the cast',
    'out_rnd': 'every output cast into result_t rounds (RND) instead of result_t\'s TRN',
    'norm_sat': 'softmax stable: m - x_i saturates in inp_norm_t instead of wrapping',
    'exp_center': 'softmax: exp table evaluated at the bin centre instead of the lower edge',
    'inv_center': 'softmax: inverse table evaluated at the bin centre instead of the lower edge',
    'inv0_zero': 'softmax: inverse-table entry 0 (1/0) = 0 instead of saturating to the maximum',
    'sum_exact': 'softmax: exact sum, one cast at the end (no cast at every tree node)',
    'sum_linear': 'softmax: left-to-right sum with a cast per step instead of the balanced tree',
    'argmax_last': 'softmax argmax: the last maximum wins instead of the first',
    'alpha_exact': 'leaky_relu: alpha = 0.1 exactly instead of 0.1 floored into param_t',
    'legacy_inv_f32': 'softmax legacy: inverse table 1.0f/x in float instead of 1.0/x in double',
}
MUT = set()
_libm = ctypes.CDLL('libm.so.6')
for _f in ('expf', 'tanhf'):
    getattr(_libm, _f).restype = ctypes.c_float
    getattr(_libm, _f).argtypes = [ctypes.c_float]
f32 = np.float32


def expf(x):
    return f32(_libm.expf(float(x)))


def tanhf(x):
    return f32(_libm.tanhf(float(x)))


# ------------------------------------------------------------------ fixed-point types
class T:
    """ap_[u]fixed<W, I, Q, O> (or ap_[u]int<W>)."""

    def __init__(s, W, I, signed, Q='TRN', O='WRAP'):
        s.W, s.I, s.signed, s.Q, s.O = W, I, signed, Q, O
        s.F = W - I

    @staticmethod
    def parse(txt):
        txt = txt.strip()
        m = re.fullmatch(r'(?:ap_)?(u?)(fixed|int)<\s*(-?\d+)\s*(?:,\s*(-?\d+))?\s*(?:,\s*(?:AP_)?(\w+))?'
                         r'\s*(?:,\s*(?:AP_)?(\w+))?\s*(?:,\s*(\d+))?\s*>', txt)
        if not m:
            raise ValueError(txt)
        u, kind, W = m.group(1), m.group(2), int(m.group(3))
        I = W if kind == 'int' else int(m.group(4))
        return T(W, I, u != 'u', m.group(5) or 'TRN', m.group(6) or 'WRAP')

    @property
    def lo(s):
        return -(1 << (s.W - 1)) if s.signed else 0

    @property
    def hi(s):
        return (1 << (s.W - 1)) - 1 if s.signed else (1 << s.W) - 1

    def __repr__(s):
        return f'{"" if s.signed else "u"}fixed<{s.W},{s.I},{s.Q},{s.O}>'

    def same(s, o):
        return (s.W, s.I, s.signed, s.Q, s.O) == (o.W, o.I, o.signed, o.Q, o.O)


def quantize(num, den, Q):
    """Integer nearest to num/den (den > 0) by ap_fixed quantisation mode Q."""
    fl = num // den
    rem = num - fl * den          # 0 <= rem < den
    if rem == 0:
        return fl
    if Q == 'TRN':
        return fl
    if Q == 'TRN_ZERO':
        return fl if num >= 0 else fl + 1
    half = 2 * rem - den          # sign of (fraction - 1/2)
    if half > 0:
        return fl + 1
    if half < 0:
        return fl
    # exact tie
    if Q == 'RND':
        return fl + 1                       # toward +inf
    if Q == 'RND_ZERO':
        return fl + 1 if num < 0 else fl    # toward zero
    if Q == 'RND_MIN_INF':
        return fl
    if Q == 'RND_INF':
        return fl if num < 0 else fl + 1    # away from zero
    if Q == 'RND_CONV':
        return fl if fl % 2 == 0 else fl + 1
    raise ValueError(Q)


def overflow(m, t):
    if t.lo <= m <= t.hi:
        return m
    if t.O == 'WRAP':
        m &= (1 << t.W) - 1
        if t.signed and m >> (t.W - 1):
            m -= 1 << t.W
        return m
    if t.O == 'SAT':
        return min(max(m, t.lo), t.hi)
    if t.O == 'SAT_ZERO':
        return 0
    if t.O == 'SAT_SYM':
        return min(max(m, -t.hi if t.signed else 0), t.hi)
    raise ValueError(t.O)


def cast(m, F, t):
    """The value m * 2^-F assigned to type t: returns t's mantissa."""
    if F <= t.F:
        v = m << (t.F - F)
    else:
        v = quantize(m, 1 << (F - t.F), t.Q)
    return overflow(v, t)


def from_real(x, t):
    """A float/double value assigned to t (ap_fixed_base(double)): exact value, then Q and O.
    +-inf behaves as +-2^1024 (the constructor reads exponent 1024 and mantissa 1.0)."""
    x = float(x)
    if math.isinf(x):
        fr = Fraction(2 ** 1024) * (1 if x > 0 else -1)
    else:
        fr = Fraction(x)
    num, den = fr.numerator << max(t.F, 0), fr.denominator << max(-t.F, 0)
    return overflow(quantize(num, den, t.Q), t)


def val(m, F):
    return m * 2.0 ** -F


def top_bits(m, t, nbits):
    """Top nbits of t's raw W-bit word, unsigned (x(x.width-1, x.width-N) in the C++)."""
    raw = m & ((1 << t.W) - 1)
    return raw >> (t.W - nbits)


def value_from_top_bits(i, t, nbits):
    """softmax_real_val_from_idx: the value of t whose top nbits are i and whose other bits are 0."""
    raw = i << (t.W - nbits)
    if t.signed and raw >> (t.W - 1):
        raw -= 1 << t.W
    return raw   # mantissa, F = t.F


def ceillog2(n):
    return int(math.ceil(math.log2(n))) if n > 1 else 0


def reduce_tree(xs, op):
    """nnet::reduce: left = 2^floor(log2(N-1)) elements, right = the rest, recursively."""
    n = len(xs)
    if n == 1:
        return xs[0]
    if n == 2:
        return op(xs[0], xs[1])
    left = 1 << int(math.floor(math.log2(n - 1)))
    return op(reduce_tree(xs[:left], op), reduce_tree(xs[left:], op))


def trunc_div(a, b):
    """a / b rounded toward zero (b > 0)."""
    q = abs(a) // b
    return q if a >= 0 else -q


# ------------------------------------------------------------------ libm sensitivity
def boundary_risk(vals32, t):
    """Entries whose float32 (float64 where the C++ uses double) value is within 1 ulp of a point where the
    cast into t changes, and is not itself exactly representable in t."""
    n = []
    for i, v in enumerate(vals32):
        if not np.isfinite(v):
            continue
        c = from_real(v, t)
        up, dn = np.nextafter(v, type(v)(np.inf)), np.nextafter(v, type(v)(-np.inf))   # ulp of v's own type
        if (from_real(up, t) != c or from_real(dn, t) != c) and val(c, t.F) != float(v):
            n.append(i)   # (a value exactly on the grid, e.g. sigmoid(0) = 0.5 or 1/2^k, is exact: not counted)
    return n


# ------------------------------------------------------------------ tables (as the C++ initialisers fill them)
def lut_inputs(N, R):
    """float in_val = 2 * (R/2) * (ii - float(N)/2.0) / float(N): computed in double, stored as float (exact)."""
    return [f32(R * (i - N / 2.0) / N) for i in range(N)]


def sigmoid_float(x):
    """sigmoid_fcn_float: 1.0 / (1 + std::exp(-input)); expf, float add, double divide, returned as float."""
    if 'lut_no_f32' in MUT:
        return 1.0 / float(f32(1) + expf(-x))
    return f32(1.0 / float(f32(1) + expf(-x)))


def table_sigmoid(N, t, alt=None):
    fvals = [sigmoid_float(x) if alt is None else f32(1.0 / float(f32(1) + alt(-x))) for x in lut_inputs(N, 16.0)]
    return [from_real(v, t) for v in fvals], fvals


def table_tanh(N, t, alt=None):
    fvals = [(tanhf if alt is None else alt)(x) for x in lut_inputs(N, 8.0)]   # tanh(float) -> tanhf
    return [from_real(v, t) for v in fvals], fvals


def table_softmax_exp(N, addr_t, t, negative, exp_scale=1.0, alt=None):
    nb = ceillog2(N)
    fvals = []
    for i in range(N):
        x = f32(val(value_from_top_bits(i, addr_t, nb), addr_t.F)) * f32(exp_scale)
        if 'exp_center' in MUT:
            x = x + f32(2.0 ** (addr_t.I - nb - 1))
        if negative:
            x = -x
        fvals.append((expf if alt is None else alt)(x))
    return [from_real(v, t) for v in fvals], fvals


def table_softmax_inv(N, addr_t, t):
    nb = ceillog2(N)
    fvals = []
    for i in range(N):
        x = f32(val(value_from_top_bits(i, addr_t, nb), addr_t.F))
        if 'inv_center' in MUT:
            x = x + f32(2.0 ** (addr_t.I - nb - 1))
        with np.errstate(divide='ignore'):
            fvals.append(f32(1) / x)          # int 1 / float x: float division (1/0 = +inf)
        if 'inv0_zero' in MUT and x == 0:
            fvals[-1] = f32(0)
    return [from_real(v, t) for v in fvals], fvals


def table_legacy_exp(N, t, alt=None):
    fvals = [(expf if alt is None else alt)(x) for x in lut_inputs(N, 16.0)]
    return [from_real(v, t) for v in fvals], fvals


def table_legacy_inv(N, t):
    vals = []
    for i in range(N):
        x = f32(64.0 * i / float(N))                  # double, stored as float
        vals.append(np.float64(1.0 / float(x) if x > 0 else 0.0))  # DOUBLE division, straight to table_t
        if 'legacy_inv_f32' in MUT and x > 0:
            vals[-1] = f32(1) / x
    return [from_real(v, t) for v in vals], vals


def alt_exp_cr(x):
    """Correctly rounded expf (double exp rounded to float)."""
    return f32(math.exp(float(x)))


def alt_exp_numpy(x):
    return np.exp(f32(x))


def alt_tanh_cr(x):
    return f32(math.tanh(float(x)))


def alt_tanh_numpy(x):
    return np.tanh(f32(x))


# ------------------------------------------------------------------ the layers
def act_layer(layers):
    return [l for l in layers if l['name'] == 'act'][0]


def run_case(folder):
    case = os.path.basename(folder)
    cfg = yaml.safe_load(open(f'{folder}/config.yml'))
    layers = json.load(open(f'{folder}/layers.json'))
    X = np.load(f'{folder}/X.npy')
    pre = np.load(f'{folder}/pre.npy')
    Y = np.load(f'{folder}/Y.npy')
    ref_tables = dict(np.load(f'{folder}/tables.npz')) if os.path.exists(f'{folder}/tables.npz') else {}
    L = act_layer(layers)
    fc1 = [l for l in layers if l['name'] == 'fc1'][0]
    cc = L.get('cpp_config', {})
    notes, problems = [], []

    in_t = T.parse(L['input_type'])
    res_t = T.parse(L['types']['result_t'])
    # the fc1 result type is what config.yml asked for
    asked = T.parse(cfg['LayerName']['fc1']['Precision']['result'])
    if not asked.same(in_t):
        problems.append(f'fc1 result {in_t} != config {asked}')

    # pre.npy must be X cast to the activation's input type (identity Dense, zero bias)
    x_t = T.parse([l for l in layers if l['name'] == 'x'][0]['types']['result_t'])
    Xm = [[from_real(v, x_t) for v in row] for row in X]
    pre_m = [[cast(m, x_t.F, in_t) for m in row] for row in Xm]
    pre_calc = np.array([[val(m, in_t.F) for m in row] for row in pre_m])
    n_pre = int((pre_calc != pre).sum())
    notes.append(f'pre.npy == cast(X -> {in_t}): {n_pre == 0} ({n_pre} differ)')
    if n_pre:
        problems.append(f'{n_pre} pre values differ')
    P = [[from_real(v, in_t) for v in row] for row in pre]   # mantissas of what enters the activation

    func = L['cpp']['function']
    act = L['attributes'].get('activation')
    tables = {}
    sens = {}

    if 'out_rnd' in MUT:
        res_t = T(res_t.W, res_t.I, res_t.signed, 'RND', res_t.O)

    def out(ms, F=None):
        return [val(cast(m, res_t.F if F is None else F, res_t), res_t.F) for m in ms]

    if func in ('sigmoid', 'tanh'):
        N = int(L['attributes']['table_size'])
        tab_t = T.parse(L['types']['table_t'])
        if 'lut_rnd' in MUT:
            tab_t = T(tab_t.W, tab_t.I, tab_t.signed, 'RND', tab_t.O)
        if N != cc.get('table_size'):
            problems.append(f'table_size {N} != C++ {cc.get("table_size")}')
        R = 16 if func == 'sigmoid' else 8
        if func == 'sigmoid':
            tab, fv = table_sigmoid(N, tab_t)
            alts = {'correctly rounded exp': table_sigmoid(N, tab_t, alt_exp_cr)[0],
                    'numpy float32 exp': table_sigmoid(N, tab_t, alt_exp_numpy)[0]}
        else:
            tab, fv = table_tanh(N, tab_t)
            alts = {'correctly rounded tanh': table_tanh(N, tab_t, alt_tanh_cr)[0],
                    'numpy float32 tanh': table_tanh(N, tab_t, alt_tanh_numpy)[0],
                    'double tanh, no float rounding': [from_real(math.tanh(float(x)), tab_t)
                                                       for x in lut_inputs(N, 8.0)]}
        tables['table'] = (tab, tab_t)
        sens['table'] = (boundary_risk(fv, tab_t), {k: sum(a != b for a, b in zip(v, tab)) for k, v in alts.items()})
        Yc = []
        for row in P:
            r = []
            for m in row:
                # data * table_size / R: exact product, division truncates toward zero, int() truncates
                k = trunc_div(m * N, R << in_t.F) if 'idx_floor' not in MUT else (m * N) // (R << in_t.F)
                idx = min(max(k + N // 2, 0), N - 1)
                r.append(val(cast(tab[idx], tab_t.F, res_t), res_t.F))
            Yc.append(r)

    elif func == 'softmax':
        impl = L['attributes']['implementation']
        if cc.get('implementation') != impl:
            problems.append(f'implementation {impl} != C++ {cc.get("implementation")}')
        exp_t = T.parse(L['types']['exp_table_t'])
        inv_t = T.parse(L['types']['inv_table_t'])
        acc_t = T.parse(L['types']['accum_t'])
        inv_inp_t = T.parse(L['types']['inv_inp_t'])
        if L['type_names']['inv_inp_t'] == 'model_default_t':
            inv_inp_t = exp_t          # SoftmaxConfigTemplate substitutes exp_table_t
            notes.append('inv_inp_t is model_default_t -> the config template uses exp_table_t')
        # table sizes: fix_softmax_table_size, then (stable, signed input) the template's clamp
        ts0 = int(cfg['LayerName']['act'].get('TableSize', 1024))
        ts = ts0
        if 2 ** min(in_t.W, inv_t.W) < ts:
            ts = 2 ** min(in_t.W, inv_t.W)
        if int(L['attributes']['table_size']) != ts:
            problems.append(f'table_size after fix_softmax_table_size {L["attributes"]["table_size"]} != derived {ts}')
        n_exp, n_inv = ts, ts
        norm_t = None
        if impl == 'stable':
            w, i = in_t.W - in_t.signed, in_t.I - in_t.signed
            norm_t = T(w, i, False)
            if in_t.signed:
                n_exp = min(n_inv, 2 ** w)
            cn = T.parse(cc['inp_norm_t']['resolved'])
            if not cn.same(norm_t):
                problems.append(f'inp_norm_t {norm_t} != C++ {cn}')
        for name, t in (('exp_table_t', exp_t), ('inv_table_t', inv_t), ('accum_t', acc_t), ('inv_inp_t', inv_inp_t)):
            ct = T.parse(cc[name]['resolved'])
            if not ct.same(t):
                problems.append(f'{name} {t} != C++ {ct}')
        if (cc.get('exp_table_size'), cc.get('inv_table_size')) != (n_exp, n_inv) and not MUT:
            problems.append(f'sizes {(n_exp, n_inv)} != C++ {(cc.get("exp_table_size"), cc.get("inv_table_size"))}')
        notes.append(f'{impl}: table_size {ts0} -> {ts}, exp_table_size {n_exp}, inv_table_size {n_inv}, '
                     f'inp_norm_t {norm_t}, exp_table_t {exp_t}, inv_table_t {inv_t}, accum_t {acc_t}, inv_inp_t {inv_inp_t}')
        exp_scale = float(cc.get('exp_scale', 1.0))

        if impl in ('stable', 'latency'):
            addr_t = norm_t if impl == 'stable' else in_t
            etab, efv = table_softmax_exp(n_exp, addr_t, exp_t, impl == 'stable', exp_scale)
            itab, ifv = table_softmax_inv(n_inv, inv_inp_t, inv_t)
            tables['exp_table'] = (etab, exp_t)
            tables['inv_table'] = (itab, inv_t)
            sens['exp_table'] = (boundary_risk(efv, exp_t), {
                'correctly rounded exp': sum(a != b for a, b in zip(
                    table_softmax_exp(n_exp, addr_t, exp_t, impl == 'stable', exp_scale, alt_exp_cr)[0], etab)),
                'numpy float32 exp': sum(a != b for a, b in zip(
                    table_softmax_exp(n_exp, addr_t, exp_t, impl == 'stable', exp_scale, alt_exp_numpy)[0], etab))})
            sens['inv_table'] = (boundary_risk(ifv, inv_t), {})
            ne, ni = ceillog2(n_exp), ceillog2(n_inv)
            Yc = []
            for row in P:
                if impl == 'stable':
                    mx = reduce_tree(row, lambda a, b: a if a >= b else b)
                    d = [cast(mx - x, in_t.F, norm_t if 'norm_sat' not in MUT else T(norm_t.W, norm_t.I, False, 'TRN', 'SAT'))
                         for x in row]                               # TRN/WRAP into ap_ufixed
                    e = [cast(etab[top_bits(v, norm_t, ne)], exp_t.F, acc_t) for v in d]
                else:
                    e = [cast(etab[top_bits(x, in_t, ne)], exp_t.F, acc_t) for x in row]
                if 'sum_exact' in MUT:
                    s = cast(sum(e), acc_t.F, acc_t)
                elif 'sum_linear' in MUT:
                    s = e[0]
                    for v in e[1:]:
                        s = cast(s + v, acc_t.F, acc_t)
                else:
                    s = reduce_tree(e, lambda a, b: cast(a + b, acc_t.F, acc_t))
                s = cast(s, acc_t.F, inv_inp_t)
                inv = itab[top_bits(s, inv_inp_t, ni)]
                Yc.append(out([ei * inv for ei in e], acc_t.F + inv_t.F))
        elif impl == 'legacy':
            tab_t = T.parse(L['types']['table_t'])
            etab, efv = table_legacy_exp(n_exp, tab_t)
            itab, ifv = table_legacy_inv(n_inv, tab_t)
            tables['exp_table'] = (etab, tab_t)
            tables['inv_table'] = (itab, tab_t)
            sens['exp_table'] = (boundary_risk(efv, tab_t), {
                'correctly rounded exp': sum(a != b for a, b in zip(table_legacy_exp(n_exp, tab_t, alt_exp_cr)[0], etab)),
                'numpy float32 exp': sum(a != b for a, b in zip(table_legacy_exp(n_exp, tab_t, alt_exp_numpy)[0], etab))})
            sens['inv_table'] = (boundary_risk(ifv, tab_t), {})
            Yc = []
            for row in P:
                r = []
                for i_, xi in enumerate(row):
                    acc = 0                                         # exp_res[ii] in table_t
                    for j_, xj in enumerate(row):
                        if i_ == j_:
                            term = from_real(1.0, tab_t)
                        else:
                            k = trunc_div((xj - xi) * n_exp, 16 << in_t.F)
                            term = etab[min(max(k + n_exp // 2, 0), n_exp - 1)]
                        acc = cast(acc + term, tab_t.F, tab_t)
                    k = trunc_div(acc * n_inv, 64 << tab_t.F)
                    r.append(val(cast(itab[min(max(k, 0), n_inv - 1)], tab_t.F, res_t), res_t.F))
                Yc.append(r)
        elif impl == 'argmax':
            Yc = []
            for row in P:
                idx = 0
                for i_ in range(1, len(row)):
                    if row[i_] > row[idx] or ('argmax_last' in MUT and row[i_] == row[idx]):
                        idx = i_
                r = [0.0] * len(row)
                r[idx] = val(from_real(1.0, res_t), res_t.F)
                Yc.append(r)
        else:
            raise ValueError(impl)

    elif func == 'leaky_relu':
        par_t = T.parse(L['types']['param_t'])
        lit = L['cpp']['args'][1]                       # the C++ literal, a double
        alpha = from_real(float(lit), par_t)
        notes.append(f'alpha literal {lit} -> {par_t} mantissa {alpha} = {val(alpha, par_t.F)!r}')
        if 'alpha_exact' in MUT:   # 0.1 = 1/10 exactly: floor(m/10) at the input's F, then the cast
            Yc = [[val(cast(m, in_t.F, res_t) if m > 0 else cast(quantize(m, 10, 'TRN'), in_t.F, res_t), res_t.F)
                   for m in row] for row in P]
        else:
            Yc = [[val(cast(m, in_t.F, res_t) if m > 0 else cast(alpha * m, par_t.F + in_t.F, res_t), res_t.F)
                   for m in row] for row in P]

    elif func in ('relu6', 'relu1', 'relu'):
        M = {'relu6': 6, 'relu1': 1}.get(func)
        Yc = []
        for row in P:
            r = []
            for m in row:
                if m < 0 or (func == 'relu' and m == 0):
                    v = cast(0, 0, res_t)
                elif M is not None and m > (M << in_t.F):
                    v = cast(M, 0, res_t)
                else:
                    v = cast(m, in_t.F, res_t)
                r.append(val(v, res_t.F))
            Yc.append(r)

    elif func == 'hard_tanh':
        st, sh = cc['slope'], cc['shift']
        slope_t, shift_t = T.parse(st['resolved']), T.parse(sh['resolved'])
        slope, shift = from_real(st['value'], slope_t), from_real(sh['value'], shift_t)
        notes.append(f'slope {st["value"]} in {slope_t} = {val(slope, slope_t.F)}, shift {sh["value"]} in {shift_t} '
                     f'= {val(shift, shift_t.F)}')
        F = slope_t.F + in_t.F
        Yc = []
        for row in P:
            r = []
            for m in row:
                s = slope * m + (shift << (F - shift_t.F))       # exact (auto type)
                if s > (1 << F):
                    s = 1 << F
                elif s < 0:
                    s = 0
                r.append(val(cast(2 * s - (1 << F), F, res_t), res_t.F))
            Yc.append(r)
    else:
        raise ValueError(func)

    # tables vs hls4ml's own
    for name, (tab, t) in tables.items():
        if name in ref_tables:
            ref = ref_tables[name]
            if int(ref_tables[name + '_frac_bits']) != t.F:
                problems.append(f'{name}: frac bits {t.F} != {int(ref_tables[name + "_frac_bits"])}')
            nd = int(np.sum(np.array(tab, dtype=np.int64) != ref)) if len(ref) == len(tab) else -1
            notes.append(f'{name}: {len(tab)} entries of {t}; differ from hls4ml\'s: {nd}; within 1 ulp of a '
                         f'quantisation boundary: {len(sens[name][0])}{" (entries " + str(sens[name][0]) + ")" if 0 < len(sens[name][0]) <= 12 else ""}; entries another libm would change: {sens[name][1]}')
            if nd:
                problems.append(f'{name}: {nd} table entries differ from tables.npz')
        else:
            notes.append(f'{name}: no reference table')

    Yc = np.array(Yc, dtype=np.float64)
    bad = np.argwhere(Yc != Y)
    return case, bad, Yc, notes, problems


def mutants(folders):
    """Each mutant against every case: the number of outputs that then differ from Y.npy."""
    print('mutant: outputs differing from Y.npy per case (0 = the data cannot tell this detail apart)')
    names = [os.path.basename(f).replace('act_', '') for f in folders]
    for mname, desc in MUTANTS.items():
        MUT.clear()
        MUT.add(mname)
        counts = {}
        for f, n in zip(folders, names):
            try:
                counts[n] = len(run_case(f)[1])
            except Exception as e:
                counts[n] = f'error {type(e).__name__}'
        hit = {k: v for k, v in counts.items() if v}
        print(f'  {mname}: {desc}\n      {hit if hit else "no case distinguishes it"}')
    MUT.clear()


def main():
    args = sys.argv[1:]
    do_mut = '--mutants' in args
    args = [a for a in args if a != '--mutants']
    folders = [f'{HERE}/act_{a}' if not a.startswith('act_') else f'{HERE}/{a}' for a in args] or \
        sorted(glob.glob(f'{HERE}/act_*'))
    if do_mut:
        mutants(folders)
        return
    all_ok = True
    for folder in folders:
        case, bad, Yc, notes, problems = run_case(folder)
        Y = np.load(f'{folder}/Y.npy')
        ok = len(bad) == 0 and not problems
        all_ok &= ok
        print(f'== {case}: {"OK" if ok else "MISMATCH"}: {len(bad)} of {Y.size} outputs differ '
              f'({len(set(bad[:, 0])) if len(bad) else 0} rows)')
        for n in notes:
            print('   ', n)
        for p in problems:
            print('    PROBLEM:', p)
        for r, c in bad[:10]:
            print(f'    row {r} col {c}: model {Yc[r, c]!r} hls4ml {Y[r, c]!r}')
    print(f'{len(folders)} cases reproduced bit for bit' if all_ok else 'SOME CASES DO NOT MATCH')
    sys.exit(0 if all_ok else 1)


if __name__ == '__main__':
    main()
