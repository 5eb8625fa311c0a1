"""Regenerates the activation peer cases in tests/data/hls4ml/act_<case>/ (io_parallel, Vivado backend).

    python make_act_case.py <case> [<case> ...]      # or: all

Needs torch, onnx, PyYAML and hls4ml 1.3.0 (plus g++ for hls4ml's compile() and the table dump).
Every case is the same network: x (16 inputs) -> nn.Linear(16,16) with the IDENTITY weight and a zero
bias -> the activation -> y. The Linear's result type is set explicitly (ap_fixed<16,6>, or
ap_fixed<8,3> for softmax_narrow), so the activation input is exactly the input cast to that type.
For every case the script
  * exports the torch module to model.onnx (legacy exporter, opset 13, input x, output y, dynamic batch);
  * writes config.yml: the dict given to hls4ml as hls_config (config_from_pytorch_model with
    granularity='name', backend='Vivado', default_precision='ap_fixed<16,6>', then the case's edits;
    the unserialisable 'PytorchModel' key is left out; IOType: io_parallel is recorded);
  * converts the same module with hls4ml's PyTorch frontend (io_parallel, Vivado), compiles it and runs
    predict() on X.npy (float64, already on the ap_fixed<16,6> grid) -> Y.npy;
  * builds a second project with Trace on fc1 and the activation and saves what enters the activation
    (fc1's traced output, exactly as hls4ml holds it) as pre.npy;
  * compiles a small C++ program against the generated firmware that calls hls4ml's own table
    initialisers (init_sigmoid_table, init_exp_table, ...) with the case's config struct and saves the
    tables as integer mantissas in tables.npz (value = mantissa * 2^-F of the table type);
  * writes layers.json (hls4ml's layer list after all passes, resolved types, attributes, the C++ call and
    the C++ config struct as generated, typedefs resolved), README.md, meta.json and copies
    firmware/myproject.cpp, defines.h, parameters.h to hls4ml_firmware/.
Scratch projects go to /tmp/peer/act/prj/<case>.

ReLU6 and Hardtanh: hls4ml 1.3.0's PyTorch frontend has no handler for them ("Unsupported layer ReLU6"),
and its ONNX frontend has no Clip handler. The script records that exception, then registers its own
handlers through hls4ml's public hook hls4ml.converters.register_pytorch_layer_handler:
  ReLU6            -> class Activation, activation 'relu6'  (nnet::relu6 = relu_max<6>)
  Hardtanh(-1, 1)  -> class HardActivation, activation 'hard_tanh', slope 0.5, shift 0.5
                      (nnet::hard_tanh computes 2*clip(0.5*x + 0.5, 0, 1) - 1 = clip(x, -1, 1))
so the peer data of those two cases comes from hls4ml's own C++ kernels, but the mapping is ours.
"""
import sys, os, copy, time, json, re, shutil, subprocess, warnings, traceback
import numpy as np, torch, torch.nn as nn, yaml, hls4ml, onnx

warnings.simplefilter('ignore')
HERE = os.path.dirname(os.path.abspath(__file__))
SCRATCH = '/tmp/peer/act/prj'
LSB = 2.0 ** -10          # ap_fixed<16,6>
LO, HI = -32.0, 32.0 - LSB
N_IN = 16


# ------------------------------------------------------------------ model
class Net(nn.Module):
    def __init__(s, act):
        super().__init__()
        s.fc1 = nn.Linear(N_IN, N_IN)
        s.act = act
        with torch.no_grad():
            s.fc1.weight.copy_(torch.eye(N_IN))
            s.fc1.bias.zero_()

    def forward(s, x):
        return s.act(s.fc1(x))


# case -> activation factory, input family, fc1 result type, edits of the act layer config,
#         what rows to generate, extra flag
def _softmax():
    return nn.Softmax(dim=-1)


CASES = {
    'sigmoid': dict(act=nn.Sigmoid, rows='table', table=(16.0, 1024)),
    'tanh': dict(act=nn.Tanh, rows='table', table=(8.0, 1024)),
    'softmax': dict(act=_softmax, rows='softmax'),
    'softmax_latency': dict(act=_softmax, rows='softmax', edit={'Implementation': 'latency'}),
    # ap_fixed<8,3> input: fix_softmax_table_size shrinks table_size to 2^8 = 256, and the stable
    # config template clamps exp_table_size to 2^(8-1) = 128 (inp_norm_t = ap_ufixed<7,2>)
    'softmax_narrow': dict(act=_softmax, rows='softmax_narrow', pre='ap_fixed<8,3>'),
    'leaky_relu': dict(act=lambda: nn.LeakyReLU(0.1), rows='pwl', edges=[0.0]),
    'relu6': dict(act=nn.ReLU6, rows='pwl', edges=[0.0, 6.0], custom=True),
    'hardtanh': dict(act=lambda: nn.Hardtanh(-1.0, 1.0), rows='pwl', edges=[-1.0, 0.0, 1.0], custom=True),
    # the table type is set with the layer key 'table_t' (Precision: {table: ...} is ignored by
    # hls4ml 1.3.0, see probe_precision_table below)
    'sigmoid_small_table': dict(act=nn.Sigmoid, rows='table', table=(16.0, 256),
                                edit={'TableSize': 256, 'table_t': 'ap_fixed<12,4>'}),
    # extras
    # softmax with no 'accum' / 'inv_inp' in its Precision: accum_t falls back to the MODEL default
    # ap_fixed<16,6> (TRN, WRAP); inv_inp_t resolves to model_default_t, which the config template
    # replaces by exp_table_t
    'softmax_accum_default': dict(act=_softmax, rows='softmax', drop_prec=['accum', 'inv_inp']),
    'softmax_legacy': dict(act=_softmax, rows='softmax', edit={'Implementation': 'legacy'}),
    'softmax_argmax': dict(act=_softmax, rows='softmax', edit={'Implementation': 'argmax'}),
}


# ------------------------------------------------------------------ custom handlers (ReLU6, Hardtanh)
def parse_relu6(operation, layer_name, input_names, input_shapes, node, class_object, data_reader, config):
    layer = {'class_name': 'Activation', 'activation': 'relu6', 'name': layer_name, 'inputs': input_names}
    return layer, input_shapes[0]


def parse_hardtanh(operation, layer_name, input_names, input_shapes, node, class_object, data_reader, config):
    if (float(class_object.min_val), float(class_object.max_val)) != (-1.0, 1.0):
        raise Exception('only Hardtanh(-1, 1) maps onto nnet::hard_tanh (2*clip(x/2 + 1/2, 0, 1) - 1)')
    layer = {'class_name': 'HardActivation', 'activation': 'hard_tanh', 'slope': 0.5, 'shift': 0.5,
             'name': layer_name, 'inputs': input_names}
    return layer, input_shapes[0]


CUSTOM = {'ReLU6': parse_relu6, 'Hardtanh': parse_hardtanh}


def stock_attempt(m):
    """Tries the stock frontend (before our handlers are registered); returns the error text."""
    from hls4ml.converters.pytorch_to_hls import layer_handlers
    saved = {k: layer_handlers.pop(k) for k in CUSTOM if k in layer_handlers}
    try:
        hls4ml.utils.config_from_pytorch_model(m, input_shape=(N_IN,), granularity='name', backend='Vivado')
        return 'converted (unexpectedly)'
    except Exception as e:
        return f'{type(e).__name__}: {e}'
    finally:
        layer_handlers.update(saved)


def register_custom():
    from hls4ml.converters.pytorch_to_hls import layer_handlers
    for k, f in CUSTOM.items():
        if k not in layer_handlers:
            hls4ml.converters.register_pytorch_layer_handler(k, f)


# ------------------------------------------------------------------ config
def hls_config(m, spec):
    cfg = hls4ml.utils.config_from_pytorch_model(m, input_shape=(N_IN,), granularity='name', backend='Vivado',
                                                 default_precision='ap_fixed<16,6>')
    cfg['IOType'] = 'io_parallel'  # ignored by hls4ml inside hls_config; recorded for rtlgen
    LN = cfg['LayerName']
    LN['fc1']['Precision']['weight'] = 'ap_fixed<16,6>'
    LN['fc1']['Precision']['bias'] = 'ap_fixed<16,6>'
    LN['fc1']['Precision']['result'] = spec.get('pre', 'ap_fixed<16,6>')
    for k, v in spec.get('edit', {}).items():
        LN['act'][k] = v
    for k in spec.get('drop_prec', []):
        LN['act']['Precision'].pop(k, None)
    return cfg


def dumpable(cfg):
    d = copy.deepcopy({k: v for k, v in cfg.items() if k != 'PytorchModel'})
    if isinstance(d.get('InputShape'), tuple):
        d['InputShape'] = list(d['InputShape'])
    return d


def convert(m, cfg, outdir):
    return hls4ml.converters.convert_from_pytorch_model(m, hls_config=cfg, output_dir=outdir, backend='Vivado',
                                                        io_type='io_parallel')


def probe_precision_table(m, spec):
    """Shows which spelling of the table type hls4ml 1.3.0 honours (convert only, nothing compiled)."""
    out = {}
    for how in ['Precision.table', 'table_t']:
        cfg = hls_config(m, {k: v for k, v in spec.items() if k != 'edit'})
        if how == 'Precision.table':
            cfg['LayerName']['act']['Precision']['table'] = 'ap_fixed<12,4>'
        else:
            cfg['LayerName']['act']['table_t'] = 'ap_fixed<12,4>'
        hm = convert(m, cfg, f'{SCRATCH}/probe_{how}')
        act = [l for l in hm.get_layers() if l.name == 'act'][0]
        out[how] = str(act.get_attr('table_t').precision)
    return out


# ------------------------------------------------------------------ inputs
def q(v):
    """Floor onto the ap_fixed<16,6> grid and keep inside [-32, 32): X is exactly representable."""
    return np.clip(np.floor(np.asarray(v, dtype=np.float64) / LSB) * LSB, LO, HI)


def fill_rows(vals, nrows, rng, lo, hi, grid=LSB):
    """Packs values into nrows x 16, filling the rest with random grid values in [lo, hi]."""
    vals = list(vals)
    need = nrows * N_IN
    if len(vals) > need:
        vals = list(rng.choice(np.array(vals), size=need, replace=False))
    k = rng.integers(int(np.ceil(lo / grid)), int(np.floor(hi / grid)) + 1, size=need - len(vals))
    vals = np.concatenate([np.array(vals, dtype=np.float64), k * grid])
    rng.shuffle(vals)
    return q(vals).reshape(nrows, N_IN)


SPECIAL = [0.0, LSB, -LSB, 2 * LSB, -2 * LSB, HI, LO, HI - LSB, LO + LSB, 8.0, -8.0, 8.0 - LSB, -8.0 + LSB, 8.0 + LSB,
           -8.0 - LSB, 4.0, -4.0, 4.0 - LSB, -4.0 + LSB, 4.0 + LSB, -4.0 - LSB, 1.0, -1.0, 6.0, 6.0 + LSB, 6.0 - LSB,
           16.0, -16.0, 0.5, -0.5, 1 / 64, -1 / 64, 1 / 128, -1 / 128, 1 / 16, -1 / 16]


def make_inputs(spec, rng):
    """About 400 rows x 16, float64, every value on the ap_fixed<16,6> grid (multiples of 2^-10 in
    [-32, 32)). Returns X and a dict of row ranges."""
    kind = spec['rows']
    rows = {}
    blocks = []

    def add(name, block):
        start = sum(len(b) for b in blocks)
        blocks.append(block)
        rows[name] = [start, start + len(block)]

    if kind in ('table', 'pwl'):
        add('uniform [-12,12] on the 2^-10 grid', q(rng.uniform(-12, 12, size=(160, N_IN))))
        if kind == 'table':
            R, N = spec['table']
            step = R / N
            kk = np.arange(-int(R / 2 / step) - 8, int(R / 2 / step) + 9)
            edges = kk * step
            neigh = np.concatenate([edges + LSB, edges - LSB])
            neigh = rng.choice(neigh, size=min(len(neigh), 120 * N_IN - len(edges)), replace=False)
            add(f'every bin edge k*{step:g} (R={R:g}, N={N}) in [-{R / 2 + 8 * step:g}, {R / 2 + 8 * step:g}], '
                'edges +-2^-10, rest random', fill_rows(list(edges) + list(neigh), 120, rng, -R / 2 - 1, R / 2 + 1))
        else:
            vals = [e + k * LSB for e in spec['edges'] for k in range(-8, 9)] + list(np.arange(-12, 12, 1 / 16))
            add('thresholds +-k*2^-10 (k<=8) and the 2^-4 grid in [-12,12)', fill_rows(vals, 120, rng, -8, 8))
        sp = np.array(SPECIAL)
        spec_rows = np.stack([np.zeros(N_IN), np.full(N_IN, HI), np.full(N_IN, LO)] +
                             [rng.permutation(np.resize(sp, N_IN)) for _ in range(17)])
        add('specials: zeros, all max, all min, then mixes of min/max/+-lsb/+-8/+-4/+-1/6 and neighbours', q(spec_rows))
        add('uniform over the whole ap_fixed<16,6> range', q(rng.uniform(LO, 32, size=(100, N_IN))))
        return np.ascontiguousarray(np.concatenate(blocks)), rows

    if kind == 'softmax':
        add('uniform [-12,12]', q(rng.uniform(-12, 12, size=(100, N_IN))))
        add('uniform [-4,4]', q(rng.uniform(-4, 4, size=(80, N_IN))))
        # ties: k equal maxima
        t = q(rng.uniform(-4, 4, size=(40, N_IN)))
        for r in range(40):
            k = 2 + r % 15
            pos = rng.choice(N_IN, size=k, replace=False)
            t[r, pos] = q(t[r].max() + rng.integers(0, 64) * LSB)
        t[39] = t[39, 0]
        add('ties: 2..16 equal maxima (last row all equal)', t)
        # one huge, others tiny
        h = q(rng.uniform(-32, -8, size=(40, N_IN)))
        for r in range(40):
            h[r, rng.integers(N_IN)] = q(rng.uniform(8, 32) if r < 30 else rng.uniform(-2, 2))
        add('one large value (8..32, last 10 rows -2..2), the others in [-32,-8]', h)
        # wrap of inp_norm_t: m - x_i >= 32
        w = q(rng.uniform(-2, 2, size=(40, N_IN)))
        for r in range(40):
            M = q(rng.uniform(10, 31.9))
            w[r, 0] = M
            u = np.array([0.0, LSB, 1.0, 32 * LSB, rng.uniform(0, M), rng.uniform(0, M)])
            w[r, 1:7] = q(np.maximum(M - 32.0 - u, LO))
            w[r, 7] = q(M - 32.0 + LSB)   # m - x = 32 - lsb: the largest value inp_norm_t holds
        add('inp_norm wrap: max M in [10,32), x_i = M-32-u (m-x_i >= 32 wraps mod 32), one at m-x = 32-2^-10', w)
        # exact exp-table bin edges: x_i = m - k/32 (ap_ufixed<15,5> with 1024 entries -> bins of 1/32)
        e = np.zeros((40, N_IN))
        for r in range(40):
            M = q(rng.uniform(-8, 8))
            kk = rng.integers(0, 300, size=N_IN)
            off = rng.choice([0.0, LSB, -LSB], size=N_IN)
            e[r] = q(M - kk / 32.0 + off)
            e[r, 0] = M + (0 if r % 2 else 0)
            e[r] = np.minimum(e[r], M)
        add('exp-table bin edges: x_i = m - k/32 (+-2^-10)', q(e))
        # exact sums: k maxima, the others at m - 12 (exp table entry 0) -> S = k exactly
        s = np.zeros((30, N_IN))
        for r in range(30):
            M = q(rng.uniform(-15, 15))
            k = 1 + r % 16
            s[r] = M - 12.0
            s[r, rng.choice(N_IN, size=k, replace=False)] = M
            if r >= 16:  # plus some elements at m - d_j for small d_j (sum lands between grid points)
                s[r, rng.choice(N_IN, size=3, replace=False)] = q(M - rng.integers(1, 64, size=3) / 32.0)
        add('sums at inverse-table bin edges: k = 1..16 maxima, rest at m-12 (rows 16+: three more at m - j/32)', q(s))
        sp = np.stack([np.zeros(N_IN), np.full(N_IN, HI), np.full(N_IN, LO), np.resize([LO, HI], N_IN),
                       np.resize([HI, LO + LSB], N_IN), np.resize([LSB, -LSB, 0.0], N_IN)] +
                      [rng.permutation(np.resize(np.array(SPECIAL), N_IN)) for _ in range(14)])
        add('specials: zeros, all max, all min, alternating min/max, lsb patterns, mixes', q(sp))
        add('uniform over the whole ap_fixed<16,6> range', q(rng.uniform(LO, 32, size=(10, N_IN))))
        return np.ascontiguousarray(np.concatenate(blocks)), rows

    if kind == 'softmax_narrow':
        g = 2.0 ** -5   # ap_fixed<8,3> grid, range [-4, 4)
        add('uniform [-4,4) on the 2^-5 grid', np.floor(rng.uniform(-4, 4, size=(120, N_IN)) / g) * g)
        add('uniform [-1,1) on the 2^-5 grid', np.floor(rng.uniform(-1, 1, size=(80, N_IN)) / g) * g)
        t = np.floor(rng.uniform(-4, 4, size=(40, N_IN)) / g) * g
        for r in range(40):
            k = 2 + r % 15
            t[r, rng.choice(N_IN, size=k, replace=False)] = t[r].max()
        add('ties: 2..16 equal maxima', t)
        s = np.zeros((40, N_IN))
        for r in range(40):
            M = np.floor(rng.uniform(-4, 4) / g) * g
            k = 1 + r % 16
            s[r] = M - rng.choice([1.0, 2.0, 3.0, 4.0 - g, 4.0, 5.0, 7.0], size=N_IN)
            s[r, rng.choice(N_IN, size=k, replace=False)] = M
        s = np.where(s < -4, s + 8, s)  # keep inside [-4,4) so the input cast does not wrap
        add('m - x_i of 1,2,3,4-2^-5,4 (wraps),5,7 (mod 8 into range): k maxima', s)
        add('values off the 2^-5 grid and outside [-4,4) (the fc1 cast floors and wraps; see pre.npy)',
            q(rng.uniform(-12, 12, size=(30, N_IN))))
        sp = np.stack([np.zeros(N_IN), np.full(N_IN, 4 - g), np.full(N_IN, -4.0), np.resize([-4.0, 4 - g], N_IN),
                       np.resize([g, -g, 0.0], N_IN)] + [np.resize(rng.permutation(
                           [0.0, g, -g, 4 - g, -4.0, 1.0, -1.0, 2.0, -2.0, 3.96875, -3.96875, 0.5]), N_IN) for _ in range(5)])
        add('specials', sp)
        return np.ascontiguousarray(np.concatenate(blocks)), rows
    raise ValueError(kind)


# ------------------------------------------------------------------ report helpers
def typedefs(outdir):
    d = {}
    for mm in re.finditer(r'typedef\s+(.+?)\s+(\w+);', open(f'{outdir}/firmware/defines.h').read()):
        d[mm.group(2)] = mm.group(1)
    return d


def cpp_configs(outdir):
    """The config structs of parameters.h, as {struct: {field: value}}; typedef targets resolved."""
    tds = typedefs(outdir)
    src = open(f'{outdir}/firmware/parameters.h').read()
    out = {}
    for mm in re.finditer(r'struct\s+(\w+)\s*(?::\s*[\w:]+\s*)?\{(.*?)\n\};', src, re.S):
        fields = {}
        for line in mm.group(2).splitlines():
            line = line.strip()
            a = re.match(r'static\s+(?:const|constexpr)\s+([\w:<>, ]+?)\s+(\w+)\s*=\s*(.+);$', line)
            b = re.match(r'typedef\s+(.+?)\s+(\w+);$', line)
            c = re.match(r'static\s+const\s+(\w+)\s+(\w+);$', line)
            if a:
                v = a.group(3).strip()
                v = v.split('::')[-1] if '::' in v else v
                try:
                    v = int(v)
                except ValueError:
                    try:
                        v = float(v)
                    except ValueError:
                        pass
                fields[a.group(2)] = v
            elif b:
                fields[b.group(2)] = {'typedef': b.group(1), 'resolved': tds.get(b.group(1), b.group(1))}
            elif c:
                fields[c.group(2)] = {'type': c.group(1), 'resolved': tds.get(c.group(1), c.group(1))}
        out[mm.group(1)] = fields
    for mm in re.finditer(r'const\s+(\w+)\s+(\w+)::(\w+)\s*=\s*(.+);', src):
        if mm.group(2) in out:
            out[mm.group(2)][mm.group(3)] = {'type': mm.group(1), 'resolved': tds.get(mm.group(1), mm.group(1)),
                                             'value': float(mm.group(4))}
    return out


SCALAR = (int, float, str, bool, np.integer, np.floating)


def layer_json(hm, outdir):
    calls = {}
    for line in open(f'{outdir}/firmware/myproject.cpp'):
        mm = re.match(r'\s*nnet::(\w+)<(.*)>\((.*)\);\s*//\s*(\S+)\s*$', line)
        if mm:
            calls[mm.group(4)] = {'function': mm.group(1), 'template_args': [a.strip() for a in mm.group(2).split(',')],
                                  'args': [a.strip() for a in mm.group(3).split(',')]}
    tds = typedefs(outdir)
    structs = cpp_configs(outdir)
    out = []
    for l in hm.get_layers():
        attrs = {k: (v.item() if isinstance(v, (np.integer, np.floating)) else v) for k, v in l.attributes.items()
                 if k not in ('config_cpp', 'function_cpp', 'include_header', 'name', 'class_name', 'index', 'inputs',
                              'outputs', 'trace', 'target_cycles', 'input_shape', 'weight_data', 'bias_data')
                 and (isinstance(v, SCALAR) or (isinstance(v, list) and all(isinstance(e, SCALAR) for e in v)))}
        call = calls.get(l.name)
        if call:
            call['template_args_resolved'] = [tds.get(a, a) for a in call['template_args']]
        entry = {'name': l.name, 'class_name': l.class_name, 'python_class': type(l).__name__, 'inputs': l.inputs,
                 'output_shape': [int(v) for v in l.get_output_variable().shape],
                 'input_type': (str(l.get_input_variable().type.precision)
                                if l.class_name != 'Input' and l.get_input_variable() is not None else None),
                 'types': {k: str(t.precision) for k, t in l.types.items()},
                 'type_names': {k: t.name for k, t in l.types.items()},
                 'weights': {k: {'type': str(w.type.precision), 'shape': list(w.data.shape),
                                 'data': np.asarray(w.data).tolist() if w.data.size <= 16 else None}
                             for k, w in l.weights.items()},
                 'attributes': attrs, 'cpp': call}
        if call:
            cfgname = call['template_args'][-1]
            if cfgname in structs:
                entry['cpp_config'] = {'struct': cfgname, **structs[cfgname]}
        out.append(entry)
    return out


def layer_table(layers):
    out = []
    for l in layers:
        out.append(f'* **{l["name"]}**: class `{l["class_name"]}` ({l["python_class"]}), input type '
                   f'`{l["input_type"]}`, output shape {l["output_shape"]}')
        for k, t in l['types'].items():
            out.append(f'  * `{k}` = `{t}` (C++ `{l["type_names"][k]}`)')
        out.append(f'  * attributes: `{ {k: v for k, v in l["attributes"].items() if k not in ("data_format",)} }`')
        if l.get('cpp'):
            c = l['cpp']
            out.append(f'  * C++: `nnet::{c["function"]}<{", ".join(c["template_args"])}>` = '
                       f'`<{", ".join(c["template_args_resolved"])}>`')
        if l.get('cpp_config'):
            cc = {k: (v['resolved'] if isinstance(v, dict) and 'value' not in v else v) for k, v in l['cpp_config'].items()}
            out.append(f'  * config struct: `{cc}`')
    return out


def onnx_summary(path):
    om = onnx.load(path)
    consts = {}
    nodes = []
    for n in om.graph.node:
        attrs = {}
        for a in n.attribute:
            v = onnx.helper.get_attribute_value(a)
            if isinstance(v, onnx.TensorProto):
                v = onnx.numpy_helper.to_array(v).tolist()
            attrs[a.name] = v
        if n.op_type == 'Constant':
            for o in n.output:
                consts[o] = attrs.get('value')
        nodes.append({'name': n.name, 'op_type': n.op_type, 'inputs': list(n.input), 'outputs': list(n.output),
                      'attributes': attrs})
    for nd in nodes:
        nd['constant_inputs'] = {i: consts[i] for i in nd['inputs'] if i in consts}
    return {'opset': [(o.domain, o.version) for o in om.opset_import], 'ir_version': om.ir_version, 'nodes': nodes,
            'initializers': [i.name for i in om.graph.initializer]}


def onnx_text(summary):
    parts = []
    for nd in summary['nodes']:
        s = f'{nd["op_type"]}'
        if nd['attributes'] and nd['op_type'] != 'Constant':
            s += f' {nd["attributes"]}'
        if nd['op_type'] == 'Constant':
            s += f' (value {nd["attributes"].get("value")})'
        if nd['constant_inputs']:
            s += f' (inputs {[nd["constant_inputs"].get(i, i) for i in nd["inputs"]]})'
        parts.append(s)
    return ' -> '.join(parts)


def onnx_forward(path, X):
    from onnx.reference import ReferenceEvaluator
    return ReferenceEvaluator(onnx.load(path)).run(None, {'x': X.astype(np.float32)})[0]


def torch_forward(m, X):
    with torch.no_grad():
        return m(torch.tensor(X, dtype=torch.float32)).numpy().astype(np.float64)


# ------------------------------------------------------------------ table dump (hls4ml's own initialisers)
def dump_tables(outdir, act_layer):
    """Compiles a small program against the generated firmware that fills the activation's tables with
    hls4ml's own init functions and prints them; returns {name: int mantissas}, frac bits."""
    fn = act_layer['cpp']['function']
    cfg = act_layer['cpp']['template_args'][-1]
    in_t = act_layer['cpp']['template_args'][0]
    impl = act_layer['attributes'].get('implementation')
    body = []
    if fn in ('sigmoid', 'tanh'):
        body.append(f'{{ static {cfg}::table_t t[{cfg}::table_size]; '
                    f'nnet::init_{fn}_table<{cfg}, {cfg}::table_size>(t); dump("table", t, {cfg}::table_size); }}')
    elif fn == 'softmax' and impl in ('stable', 'latency'):
        addr = f'{cfg}::inp_norm_t' if impl == 'stable' else in_t
        neg = 'true' if impl == 'stable' else 'false'
        body.append(f'{{ static {cfg}::exp_table_t t[{cfg}::exp_table_size]; '
                    f'nnet::init_exp_table<{addr}, {cfg}>(t, {neg}); dump("exp_table", t, {cfg}::exp_table_size); }}')
        body.append(f'{{ static {cfg}::inv_table_t t[{cfg}::inv_table_size]; '
                    f'nnet::init_invert_table<{cfg}::inv_inp_t, {cfg}>(t); dump("inv_table", t, {cfg}::inv_table_size); }}')
    elif fn == 'softmax' and impl == 'legacy':
        body.append(f'{{ static {cfg}::table_t t[{cfg}::exp_table_size]; '
                    f'nnet::init_exp_table_legacy<{cfg}, {cfg}::exp_table_size>(t); dump("exp_table", t, {cfg}::exp_table_size); }}')
        body.append(f'{{ static {cfg}::table_t t[{cfg}::inv_table_size]; '
                    f'nnet::init_invert_table_legacy<{cfg}, {cfg}::inv_table_size>(t); dump("inv_table", t, {cfg}::inv_table_size); }}')
    else:
        return None
    src = ('#include <cstdio>\n#include "defines.h"\n#include "parameters.h"\n'
           'template <class T> void dump(const char *name, T *t, int n) {\n'
           '  printf("%s %d %d\\n", name, n, (int)(T::width - T::iwidth));\n'
           '  for (int i = 0; i < n; i++) printf("%.17g\\n", t[i].to_double());\n}\n'
           'int main() {\n  ' + '\n  '.join(body) + '\n  return 0;\n}\n')
    open(f'{outdir}/dump_tables.cpp', 'w').write(src)
    flags = ['-O3', '-fPIC', '-std=c++23', '-fno-gnu-unique']  # as build_lib.sh on this g++
    subprocess.run(['g++', *flags, '-w', '-Ifirmware/ap_types/', '-Ifirmware', f'-DWEIGHTS_DIR="{outdir}/firmware/weights"',
                    'dump_tables.cpp', '-o', 'dump_tables'], cwd=outdir, check=True)
    txt = subprocess.run(['./dump_tables'], cwd=outdir, check=True, capture_output=True, text=True).stdout.split('\n')
    tables = {}
    i = 0
    while i < len(txt) and txt[i].strip():
        name, n, f = txt[i].split()
        n, f = int(n), int(f)
        vals = np.array([float(v) for v in txt[i + 1:i + 1 + n]])
        mant = np.round(vals * 2.0 ** f)
        assert np.array_equal(mant * 2.0 ** -f, vals)
        tables[name] = mant.astype(np.int64)
        tables[name + '_frac_bits'] = np.int64(f)
        i += 1 + n
    return tables


# ------------------------------------------------------------------ one case
def run(case):
    spec = CASES[case]
    root = f'{HERE}/act_{case}'
    os.makedirs(root, exist_ok=True)
    outdir = f'{SCRATCH}/{case}'
    shutil.rmtree(outdir, ignore_errors=True)
    shutil.rmtree(outdir + '_trace', ignore_errors=True)
    meta = {'hls4ml': hls4ml.__version__, 'torch': torch.__version__, 'onnx': onnx.__version__,
            'numpy': np.__version__, 'backend': 'Vivado', 'io_type': 'io_parallel', 'rng': 'numpy default_rng(12345)'}
    torch.manual_seed(0)
    m = Net(spec['act']()).eval()
    print(m)

    if spec.get('custom'):
        meta['stock_frontend'] = stock_attempt(m)
        print('stock frontend:', meta['stock_frontend'])
        register_custom()

    # ONNX export
    torch.onnx.export(m, torch.zeros((1, N_IN)), root + '/model.onnx', dynamo=False, opset_version=13,
                      input_names=['x'], output_names=['y'], dynamic_axes={'x': {0: 'batch'}, 'y': {0: 'batch'}})
    osum = onnx_summary(root + '/model.onnx')
    meta['onnx'] = osum
    print('ONNX:', onnx_text(osum))

    cfg = hls_config(m, spec)
    cfg_given = dumpable(cfg)
    with open(root + '/config.yml', 'w') as f:
        yaml.safe_dump(cfg_given, f, sort_keys=False)

    if case == 'sigmoid_small_table':
        meta['table_type_probe'] = probe_precision_table(m, spec)
        print('table type probe:', meta['table_type_probe'])

    t0 = time.time()
    hm = convert(m, cfg, outdir)
    t1 = time.time()
    hm.compile()
    t2 = time.time()
    if dumpable(cfg) != cfg_given:
        print('NOTE: hls_config was mutated by hls4ml')
        meta['config_mutated'] = True

    rng = np.random.default_rng(12345)
    X, rows = make_inputs(spec, rng)
    assert np.array_equal(q(X), X), 'X must be on the ap_fixed<16,6> grid'
    np.save(root + '/X.npy', X)
    Y = np.asarray(hm.predict(X), dtype=np.float64).reshape(len(X), -1)
    t3 = time.time()
    np.save(root + '/Y.npy', Y)
    Yf = torch_forward(m, X)
    d_onnx = float(np.abs(onnx_forward(root + '/model.onnx', X) - Yf).max())
    d = np.abs(Y - Yf)
    meta.update({'rows': rows, 'convert_s': t1 - t0, 'compile_s': t2 - t1, 'predict_s': t3 - t2,
                 'max_abs_diff_onnx_reference_vs_torch': d_onnx, 'max_abs_diff_vs_torch': float(d.max()),
                 'mean_abs_diff_vs_torch': float(d.mean()),
                 'max_abs_diff_vs_torch_per_block': {k: float(d[a:b].max()) for k, (a, b) in rows.items()}})
    print(f'max |Y - torch| {d.max():.6g}, onnx ref vs torch {d_onnx:.2g}')

    layers = layer_json(hm, outdir)
    json.dump(layers, open(root + '/layers.json', 'w'), indent=1)
    act = [l for l in layers if l['name'] == 'act'][0]

    # firmware copies
    fw = root + '/hls4ml_firmware'
    shutil.rmtree(fw, ignore_errors=True)
    os.makedirs(fw)
    for fn in ['myproject.cpp', 'defines.h', 'parameters.h']:
        shutil.copy(f'{outdir}/firmware/{fn}', fw)

    # tables
    tables = dump_tables(outdir, act)
    if tables is not None:
        np.savez_compressed(root + '/tables.npz', **tables)
        meta['tables'] = {k: (len(v) if v.ndim else int(v)) for k, v in tables.items()}

    # trace build -> pre.npy
    tcfg = copy.deepcopy({k: v for k, v in cfg.items() if k != 'PytorchModel'})
    tcfg['PytorchModel'] = m
    for ln in ('fc1', 'act'):
        tcfg['LayerName'][ln]['Trace'] = True
    thm = convert(m, tcfg, outdir + '_trace')
    thm.compile()
    ty, tr = thm.trace(X)
    ty = np.asarray(ty, dtype=np.float64).reshape(len(X), -1)
    pre = np.asarray(tr['fc1'], dtype=np.float64).reshape(len(X), -1)
    post = np.asarray(tr['act'], dtype=np.float64).reshape(len(X), -1)
    np.save(root + '/pre.npy', pre)
    meta['trace'] = {'final_equals_Y': bool(np.array_equal(ty, Y)), 'act_trace_equals_Y': bool(np.array_equal(post, Y)),
                     'pre_equals_X': bool(np.array_equal(pre, X))}
    for a, b in zip(hm.get_layers(), thm.get_layers()):
        if {k: str(v.precision) for k, v in a.types.items()} != {k: str(v.precision) for k, v in b.types.items()}:
            meta['trace']['type_mismatch'] = a.name
    print('trace:', meta['trace'])

    # README
    pre_t = spec.get('pre', 'ap_fixed<16,6>')
    readme = [f'# act_{case}', '',
              f'hls4ml {hls4ml.__version__} PyTorch frontend, backend Vivado, io_parallel, '
              "`config_from_pytorch_model(granularity='name', backend='Vivado', default_precision='ap_fixed<16,6>')` "
              f'then the edits in `make_act_case.py` (fc1 weight/bias `ap_fixed<16,6>`, fc1 result `{pre_t}`'
              + ''.join(f', act `{k}: {v}`' for k, v in spec.get('edit', {}).items())
              + ''.join(f', act Precision `{k}` removed' for k in spec.get('drop_prec', []))
              + f'). Regenerate with `python make_act_case.py {case}`.', '',
              '```', str(m), '```', '',
              'fc1 is the 16x16 identity with zero bias, so the activation input is X cast to fc1\'s result type '
              f'(`{pre_t}`, TRN/WRAP).', '',
              f'ONNX (opset 13, legacy exporter): {onnx_text(osum)}', '']
    if spec.get('custom'):
        readme += [f'**Stock hls4ml 1.3.0 rejects this module:** `{meta["stock_frontend"]}`. The peer data below uses '
                   'the handler registered by `make_act_case.py` (see its docstring), i.e. hls4ml\'s own C++ kernel '
                   'with our mapping.', '']
    if 'table_type_probe' in meta:
        readme += [f'**Table type spelling:** `Precision: {{table: ap_fixed<12,4>}}` gives table_t = '
                   f'`{meta["table_type_probe"]["Precision.table"]}` (ignored); the layer key `table_t: ap_fixed<12,4>` '
                   f'gives `{meta["table_type_probe"]["table_t"]}`.', '']
    readme += ['## Layers after all hls4ml passes', ''] + layer_table(layers)
    readme += ['', '## Data', '',
               f'* X.npy: {X.shape} float64, every value a multiple of 2^-10 in [-32, 32) (exact in ap_fixed<16,6>). '
               'Rows: ' + '; '.join(f'{a}-{b - 1}: {k}' for k, (a, b) in rows.items()) + '.',
               f'* pre.npy: fc1\'s output from a Trace build = what enters the activation, in `{pre_t}`; '
               f'equals X: {meta["trace"]["pre_equals_X"]}. The trace build\'s output equals Y.npy: '
               f'{meta["trace"]["final_equals_Y"]}.',
               f'* Y.npy: {Y.shape} float64, hls_model.predict(X) (C++ emulation).',
               f'* max |Y - torch float| = {d.max():.6g} (mean {d.mean():.3g}); per block: '
               + ', '.join(f'{a}-{b - 1}: {d[a:b].max():.3g}' for k, (a, b) in rows.items()) + '.',
               '* tables.npz: the activation\'s lookup tables exactly as hls4ml\'s C++ initialisers fill them '
               '(integer mantissas; `<name>_frac_bits` gives the scale).' if tables is not None else
               '* (no lookup table in this activation)',
               '* layers.json: the layer list above, machine-readable, with the generated C++ config struct.',
               '* hls4ml_firmware/: myproject.cpp, defines.h, parameters.h exactly as hls4ml generated them.',
               '* meta.json: versions, timings, the ONNX graph, row blocks, distances to torch.', '']
    open(root + '/README.md', 'w').write('\n'.join(readme))
    json.dump(meta, open(root + '/meta.json', 'w'), indent=1)
    print('\n'.join(readme))
    print('DONE', case)


if __name__ == '__main__':
    cases = sys.argv[1:]
    if cases == ['all']:
        cases = list(CASES)
    os.makedirs(SCRATCH, exist_ok=True)
    for c in cases:
        try:
            run(c)
        except Exception:
            traceback.print_exc()
            print('FAILED', c)
