"""Regenerates the skip-connection peer cases in tests/data/hls4ml/skip_<case>/ (Vivado backend).

    python make_skip_case.py <case> [<case> ...]      # or: all
    python make_skip_case.py probe                    # axis / shared-input probes, printed only

Cases: dense_add, dense_add_auto, dense_concat, dense_concat_auto (io_parallel), cnn_add, cnn_concat
(io_stream); extras dense_add_narrow (io_parallel) and cnn_add_auto (io_stream). Needs torch, onnx,
PyYAML and hls4ml 1.3.0 (plus g++ for hls4ml's compile()). For every case it
  * builds a small torch module with torch.manual_seed(0) weights rounded to a 2^-8 grid (exact in
    ap_fixed<16,6>); the skip is torch.add(a, b) / torch.cat([a, b], dim=1) (dim as a keyword: a
    positional dim breaks hls4ml's parser);
  * exports it to model.onnx (legacy exporter, opset 13, input x, output y, dynamic batch);
  * writes config.yml: the dict given to hls4ml as hls_config (config_from_pytorch_model plus the per-case
    edits below, plus IOType; the unserialisable 'PytorchModel' key is left out);
  * converts the same module with hls4ml's PyTorch frontend, compiles it and runs predict() on X.npy
    (float64, exactly on the input type's grid) -> Y.npy; torch's float outputs -> Y_float.npy;
  * writes README.md (hls4ml's layer list after all passes), layers.json (the same, machine-readable,
    with each layer's output variable names and, in io_stream, FIFO depths), and copies the generated
    firmware (myproject.cpp, defines.h, parameters.h, weights/*.txt) to hls4ml_firmware/;
  * traces every layer with a separate Trace build (trace.npz, channels-last as hls4ml holds it);
  * also tries the variants that are expected to fail (torch.cat with a positional dim) and records
    the error in meta.json / README.md.
Scratch projects go to /tmp/peer/skip/prj/<case>.
"""
import sys, os, copy, time, json, re, shutil, glob, warnings, traceback
import numpy as np, torch, torch.nn as nn, yaml, hls4ml, onnx

warnings.simplefilter('ignore')
HERE = os.path.dirname(os.path.abspath(__file__))
SCRATCH = '/tmp/peer/skip/prj'
GRID = 2.0 ** -8  # weight grid


# ------------------------------------------------------------------ models
class DenseAdd(nn.Module):
    shape = (16,)

    def __init__(s):
        super().__init__()
        s.fc1 = nn.Linear(16, 16)
        s.relu1 = nn.ReLU()
        s.fc2 = nn.Linear(16, 16)
        s.relu2 = nn.ReLU()
        s.fc3 = nn.Linear(16, 5)

    def forward(s, x):
        h = s.fc2(s.relu1(s.fc1(x)))
        return s.fc3(s.relu2(torch.add(h, x)))


class DenseConcat(nn.Module):
    shape = (16,)

    def __init__(s, positional_dim=False):
        super().__init__()
        s.positional_dim = positional_dim
        s.fc1 = nn.Linear(16, 8)
        s.relu1 = nn.ReLU()
        s.fc2 = nn.Linear(16, 6)
        s.relu2 = nn.ReLU()
        s.fc3 = nn.Linear(14, 4)

    def forward(s, x):
        a = s.relu1(s.fc1(x))
        b = s.relu2(s.fc2(x))
        c = torch.cat([a, b], 1) if s.positional_dim else torch.cat([a, b], dim=1)
        return s.fc3(c)


class CnnAdd(nn.Module):
    shape = (3, 8, 8)

    def __init__(s):
        super().__init__()
        s.conv1 = nn.Conv2d(3, 4, 3, padding=1)
        s.relu1 = nn.ReLU()
        s.conv2 = nn.Conv2d(4, 4, 3, padding=1)
        s.relu2 = nn.ReLU()
        s.pool = nn.MaxPool2d(2)
        s.flatten = nn.Flatten()
        s.fc = nn.Linear(64, 3)

    def forward(s, x):
        r = s.relu1(s.conv1(x))
        h = torch.add(s.conv2(r), r)
        return s.fc(s.flatten(s.pool(s.relu2(h))))


class CnnConcat(nn.Module):
    shape = (3, 8, 8)

    def __init__(s, positional_dim=False):
        super().__init__()
        s.positional_dim = positional_dim
        s.conv1 = nn.Conv2d(3, 4, 3, padding=1)
        s.relu1 = nn.ReLU()
        s.conv2 = nn.Conv2d(4, 2, 1)
        s.conv3 = nn.Conv2d(6, 3, 3)
        s.flatten = nn.Flatten()
        s.fc = nn.Linear(108, 3)

    def forward(s, x):
        r = s.relu1(s.conv1(x))
        c = torch.cat([r, s.conv2(r)], 1) if s.positional_dim else torch.cat([r, s.conv2(r)], dim=1)
        return s.fc(s.flatten(s.conv3(c)))


def edit_add_auto(LN):
    LN['x']['Precision']['result'] = 'ap_fixed<12,5>'
    LN['fc1']['Precision']['result'] = 'ap_fixed<10,4,AP_RND,AP_SAT>'
    LN['fc2']['Precision']['result'] = 'ap_fixed<10,4,AP_RND,AP_SAT>'
    # LN['add']['Precision']['result'] stays 'auto' (config_from_pytorch_model writes 'auto' there)


def edit_concat_auto(LN):
    LN['relu1']['Precision']['result'] = 'ap_ufixed<8,3>'
    LN['relu2']['Precision']['result'] = 'ap_fixed<10,4,AP_RND,AP_SAT>'
    # LN['cat']['Precision']['result'] stays 'auto'


def edit_add_narrow(LN):
    edit_add_auto(LN)
    # an explicit add result narrower than both operands (fewer fraction AND integer bits), with RND and SAT:
    # shows that the sum is exact and rounded/saturated once
    LN['add']['Precision']['result'] = 'ap_fixed<8,3,AP_RND,AP_SAT>'


# case -> (model factory, io_type, granularity, config edit, failing variants to record)
CASES = {
    'dense_add': (DenseAdd, 'io_parallel', 'model', None, {}),
    'dense_add_auto': (DenseAdd, 'io_parallel', 'name', edit_add_auto, {}),
    'dense_concat': (DenseConcat, 'io_parallel', 'model', None,
                     {'torch.cat([a, b], 1) (positional dim)': lambda: DenseConcat(positional_dim=True)}),
    'dense_concat_auto': (DenseConcat, 'io_parallel', 'name', edit_concat_auto, {}),
    'cnn_add': (CnnAdd, 'io_stream', 'model', None, {}),
    # extras: an explicit narrow add result (io_parallel); cnn_add under 'name' granularity (auto types)
    'dense_add_narrow': (DenseAdd, 'io_parallel', 'name', edit_add_narrow, {}),
    'cnn_add_auto': (CnnAdd, 'io_stream', 'name', None, {}),
    'cnn_concat': (CnnConcat, 'io_stream', 'model', None,
                   {'torch.cat([r, c], 1) (positional dim)': lambda: CnnConcat(positional_dim=True)}),
}


def round_weights(m):
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, (nn.Conv1d, nn.Conv2d, nn.Linear)):
                mod.weight.copy_(torch.round(mod.weight / GRID) * GRID)
                if mod.bias is not None:
                    mod.bias.copy_(torch.round(mod.bias / GRID) * GRID)
    return m.eval()


def build(factory):
    torch.manual_seed(0)
    return round_weights(factory())


def hls_config(m, case):
    _, io_type, gran, edit, _ = CASES[case]
    cfg = hls4ml.utils.config_from_pytorch_model(m, input_shape=m.shape, granularity=gran,
                                                 default_precision='ap_fixed<16,6>')
    if edit is not None:
        edit(cfg['LayerName'])
    cfg['IOType'] = io_type  # ignored by hls4ml inside hls_config; recorded for rtlgen
    return cfg


def dumpable(cfg):
    d = copy.deepcopy({k: v for k, v in cfg.items() if k != 'PytorchModel'})
    if isinstance(d.get('InputShape'), tuple):
        d['InputShape'] = list(d['InputShape'])
    return d


def convert(m, cfg, outdir, io_type):
    return hls4ml.converters.convert_from_pytorch_model(m, hls_config=cfg, output_dir=outdir, backend='Vivado',
                                                        io_type=io_type)


# ------------------------------------------------------------------ inputs
def row_layout(n_rows):
    """200 rows for the dense cases, 100 for the CNN cases (keeps trace.npz small)."""
    small, mid, full = (100, 40, 40) if n_rows == 200 else (40, 20, 20)
    edges = [small, small + mid, small + mid + full, small + mid + full + 12]
    assert edges[-1] + 8 == n_rows
    return {'grid in [-2,2]': [0, edges[0]], 'grid in [-8,8] (clipped to the range)': [edges[0], edges[1]],
            'grid over the whole input range': [edges[1], edges[2]],
            'elementwise edges (max, min, max-lsb, min+lsb, +-range/2, +-lsb, 0)': [edges[2], edges[3]],
            'all max / all min / alternating max,min / alternating min,max': [edges[3], edges[3] + 4],
            'all 0 / all lsb / all -lsb / all range/2': [edges[3] + 4, n_rows]}


def parse_input_type(s):
    m = re.search(r'fixed<(\d+),(-?\d+)', s)
    return int(m.group(1)), int(m.group(2))


def make_inputs(shape, in_type, n_rows, rng):
    """Every value exactly on the input type's grid and inside its range (W, I signed); the row groups are
    those of row_layout(): uniform grid values in [-2,2], in [-8,8], over the whole range (accumulators, the
    add and saturating results overflow), elementwise picks from {max, min, max-lsb, min+lsb, +-range/2,
    +-lsb, 0}, then all max, all min, max/min alternating, min/max alternating, all 0, all lsb, all -lsb,
    all +range/2."""
    W, I = parse_input_type(in_type)
    lsb = 2.0 ** -(W - I)
    kmin, kmax = -(1 << (W - 1)), (1 << (W - 1)) - 1  # mantissa range
    n = int(np.prod(shape))
    K = np.zeros((n_rows, n), dtype=np.int64)
    R = list(row_layout(n_rows).values())

    def unif(lim, r):
        lo, hi = r
        return rng.integers(max(kmin, int(-lim / lsb)), min(kmax, int(lim / lsb)) + 1, size=(hi - lo, n))
    K[R[0][0]:R[0][1]] = unif(2, R[0])
    K[R[1][0]:R[1][1]] = unif(8, R[1])
    K[R[2][0]:R[2][1]] = rng.integers(kmin, kmax + 1, size=(R[2][1] - R[2][0], n))
    half = 1 << (W - 2)
    K[R[3][0]:R[3][1]] = rng.choice(np.array([kmax, kmin, kmax - 1, kmin + 1, half, -half, 1, -1, 0]),
                                    size=(R[3][1] - R[3][0], n))
    alt = np.arange(n) % 2 == 0
    s = R[4][0]
    K[s], K[s + 1], K[s + 2], K[s + 3] = kmax, kmin, np.where(alt, kmax, kmin), np.where(alt, kmin, kmax)
    s = R[5][0]
    K[s], K[s + 1], K[s + 2], K[s + 3] = 0, 1, -1, half
    X = K.astype(np.float64) * lsb
    return np.ascontiguousarray(X.reshape((n_rows,) + tuple(shape)))


# ------------------------------------------------------------------ report helpers
def typedefs(outdir):
    d = {}
    for mm in re.finditer(r'typedef\s+(.+?)\s+(\w+);', open(f'{outdir}/firmware/defines.h').read()):
        d[mm.group(2)] = mm.group(1)
    return d


def fifo_depths(outdir):
    src = open(f'{outdir}/firmware/myproject.cpp').read()
    return {v: int(d) for v, d in re.findall(r'#pragma HLS STREAM variable=(\w+) depth=(\d+)', src)}


def cpp_calls(outdir):
    calls = {}
    for line in open(f'{outdir}/firmware/myproject.cpp'):
        mm = re.match(r'\s*nnet::(\w+)<(.*)>\((.*)\);\s*//\s*(\S+)\s*$', line)
        if mm:
            calls[mm.group(4)] = {'function': mm.group(1), 'template_args': [a.strip() for a in mm.group(2).split(',')],
                                  'args': [a.strip() for a in mm.group(3).split(',')], 'line': line.strip()}
    return calls


SCALAR = (int, float, str, bool, np.integer, np.floating)
SKIP_ATTRS = {'config_cpp', 'function_cpp', 'include_header', 'name', 'class_name', 'index', 'inputs', 'outputs',
              'trace', 'target_cycles', 'input_shape', 'weight_data', 'bias_data'}


def layer_attrs(l):
    return {k: (v.item() if isinstance(v, (np.integer, np.floating)) else v) for k, v in l.attributes.items()
            if k not in SKIP_ATTRS
            and (isinstance(v, SCALAR) or (isinstance(v, list) and all(isinstance(e, SCALAR) for e in v)))}


def layer_json(hm, outdir):
    calls, depths, tds = cpp_calls(outdir), fifo_depths(outdir), typedefs(outdir)
    out = []
    for l in hm.get_layers():
        outs = {}
        for o in l.outputs:
            v = l.variables[o] if o in l.variables else l.get_output_variable(o)
            outs[o] = {'cpp_var': v.name, 'shape': [int(s) for s in v.shape], 'type': str(v.type.precision),
                       'cpp_type': v.type.name, 'cpp_typedef': tds.get(v.type.name)}
            if v.name in depths:
                outs[o]['fifo_depth'] = depths[v.name]
        c = calls.get(l.name)
        out.append({'name': l.name, 'class_name': l.class_name, 'python_class': type(l).__name__,
                    'inputs': list(l.inputs), 'outputs': outs,
                    'output_shape': [int(v) for v in l.get_output_variable().shape],
                    'types': {k: str(t.precision) for k, t in l.types.items()},
                    'weights': {k: {'file': f'hls4ml_firmware/weights/{w.name}.txt', 'type': str(w.type.precision),
                                    'shape': list(w.data.shape)} for k, w in l.weights.items()},
                    'attributes': layer_attrs(l), 'cpp': ({k: v for k, v in c.items() if k != 'line'} if c else None)})
    return out


def layer_table(hm, outdir):
    tds, calls, depths = typedefs(outdir), cpp_calls(outdir), fifo_depths(outdir)
    out = []
    for l in hm.get_layers():
        ov = l.get_output_variable()
        outs = []
        for o in l.outputs:
            v = l.variables[o] if o in l.variables else l.get_output_variable(o)
            dep = f', FIFO depth {depths[v.name]}' if v.name in depths else ''
            outs.append(f'`{o}` → C++ `{v.name}` {list(v.shape)} of `{v.type.name}` = `{tds.get(v.type.name, "?")}`{dep}')
        out.append(f'* **{l.name}** — class `{l.class_name}` ({type(l).__name__}), inputs {list(l.inputs)}, '
                   f'outputs: {"; ".join(outs)}')
        for k, t in l.types.items():
            if k != 'result_t':
                out.append(f'  * `{k}` = `{t.precision}` (C++ `{t.name}` = `{tds.get(t.name, "?")}`)')
        out.append(f'  * `result_t` = `{ov.type.precision}`')
        for k, w in l.weights.items():
            out.append(f'  * weight `{k}`: `{w.type.precision}`, shape {list(w.data.shape)}, file weights/{w.name}.txt')
        out.append(f'  * attributes: `{layer_attrs(l)}`')
        if l.name in calls:
            out.append(f'  * C++: `{calls[l.name]["line"]}`')
    return out


def onnx_forward(path, X):
    from onnx.reference import ReferenceEvaluator
    return ReferenceEvaluator(onnx.load(path)).run(None, {'x': X.astype(np.float32)})[0]


def torch_forward(m, X):
    with torch.no_grad():
        return m(torch.tensor(X, dtype=torch.float32)).numpy().astype(np.float64)


def add_overflow_stats(hm, tr, X):
    """For each Merge(add): how many elements of hls4ml's result differ from the exact sum of its traced
    inputs (i.e. were wrapped/saturated by the cast into result_t)."""
    stats = {}
    layers = {l.name: l for l in hm.get_layers()}
    prod = {o: l.name for l in hm.get_layers() for o in l.outputs}

    def value(out_name, shape):
        src = layers[prod[out_name]]
        if src.class_name == 'Input':
            return X.reshape(shape)  # X is on the input type's grid, so it is the input layer's value
        if src.name in tr and src.class_name != 'Clone':
            return tr[src.name].reshape(shape)
        return value(src.inputs[0], shape)  # Clone (untraced): a copy of its input

    for l in hm.get_layers():
        if l.class_name != 'Merge' or l.name not in tr:
            continue
        ins = [value(i, tr[l.name].shape) for i in l.inputs]
        exact = ins[0] + ins[1]
        bad = exact != tr[l.name]
        stats[l.name] = {'elements': int(bad.size), 'changed_by_result_cast': int(bad.sum()),
                         'rows_with_change': [int(r) for r in np.nonzero(bad.reshape(len(X), -1).any(axis=1))[0]]}
    return stats


# ------------------------------------------------------------------ one case
def run(case):
    factory, io_type, gran, edit, variants = CASES[case]
    root = f'{HERE}/skip_{case}'
    os.makedirs(root, exist_ok=True)
    outdir = f'{SCRATCH}/{case}'
    shutil.rmtree(outdir, ignore_errors=True)
    shutil.rmtree(outdir + '_trace', ignore_errors=True)
    meta = {'hls4ml': hls4ml.__version__, 'torch': torch.__version__, 'backend': 'Vivado', 'io_type': io_type,
            'granularity': gran, 'rng': 'numpy default_rng(12345)', 'weight_grid': GRID}

    failures = []
    for vname, vf in variants.items():
        vm = build(vf)
        try:
            convert(vm, hls_config(vm, case), f'{SCRATCH}/{case}_variant', io_type)
            failures.append((vname, 'converted'))
        except Exception as e:
            failures.append((vname, f'{type(e).__name__}: {e}'))
        print('VARIANT', failures[-1])
    if failures:
        meta['variants'] = failures

    m = build(factory)
    print(m)
    dummy = torch.zeros((1,) + m.shape)
    torch.onnx.export(m, dummy, root + '/model.onnx', dynamo=False, opset_version=13, input_names=['x'],
                      output_names=['y'], dynamic_axes={'x': {0: 'batch'}, 'y': {0: 'batch'}})
    om = onnx.load(root + '/model.onnx')
    onnx_nodes = [(n.name, n.op_type) + tuple(f'{a.name}={onnx.helper.get_attribute_value(a)}' for a in n.attribute
                                              if n.op_type in ('Concat', 'Add')) for n in om.graph.node]
    print('ONNX nodes:', onnx_nodes)

    cfg = hls_config(m, case)
    cfg_given = dumpable(cfg)
    with open(root + '/config.yml', 'w') as f:
        yaml.safe_dump(cfg_given, f, sort_keys=False)

    t0 = time.time()
    hm = convert(m, cfg, outdir, io_type)
    t1 = time.time()
    hm.compile()
    t2 = time.time()
    if dumpable(cfg) != cfg_given:
        print('NOTE: hls_config was mutated by hls4ml')
        meta['config_mutated'] = True

    in_type = str(list(hm.get_layers())[0].get_output_variable().type.precision)
    rng = np.random.default_rng(12345)
    n_rows = 200 if io_type == 'io_parallel' else 100
    ROWS = row_layout(n_rows)
    meta['rows'] = ROWS
    X = make_inputs(m.shape, in_type, n_rows, rng)
    np.save(root + '/X.npy', X)
    t3 = time.time()
    Y = np.asarray(hm.predict(X), dtype=np.float64).reshape(len(X), -1)
    t4 = time.time()
    np.save(root + '/Y.npy', Y)
    Yf = torch_forward(m, X)
    np.save(root + '/Y_float.npy', Yf)
    d = np.abs(Y - Yf)
    d_onnx = float(np.abs(onnx_forward(root + '/model.onnx', X) - Yf).max())
    small = np.r_[ROWS['grid in [-2,2]'][0]:ROWS['grid in [-2,2]'][1]]
    meta.update({'input_type': in_type, 'convert_s': t1 - t0, 'compile_s': t2 - t1, 'predict_s': t4 - t3,
                 'onnx_nodes': onnx_nodes, 'max_abs_diff_onnx_vs_torch': d_onnx,
                 'max_abs_diff_all': float(d.max()), 'max_abs_diff_rows_grid_in_-2_2': float(d[small].max())})
    print(f'max |Y - torch| all rows {d.max():.6g}; rows {small[0]}-{small[-1]} {d[small].max():.6g}; onnx vs torch {d_onnx:.2g}')

    fw = root + '/hls4ml_firmware'
    shutil.rmtree(fw, ignore_errors=True)
    os.makedirs(fw + '/weights')
    for fn in ['myproject.cpp', 'defines.h', 'parameters.h']:
        shutil.copy(f'{outdir}/firmware/{fn}', fw)
    for p in sorted(glob.glob(f'{outdir}/firmware/weights/*.txt')):
        shutil.copy(p, fw + '/weights')

    trace_note, ovf = '', {}
    try:
        tcfg = copy.deepcopy({k: v for k, v in cfg.items() if k != 'PytorchModel'})  # InputShape stays a tuple
        LN = tcfg.setdefault('LayerName', {})
        for l in hm.get_layers():
            # hls4ml 1.3.0's trace() crashes on a traced Clone (it counts 2 variables, the C++ saves both
            # copies under one name), so Clone layers stay untraced; they only copy.
            LN.setdefault(l.name, {})['Trace'] = l.class_name != 'Clone'
        thm = convert(m, tcfg, outdir + '_trace', io_type)
        thm.compile()
        ty, tr = thm.trace(X)
        ty = np.asarray(ty, dtype=np.float64).reshape(len(X), -1)
        same = np.array_equal(ty, Y)
        tr = {k: np.asarray(v, dtype=np.float64) for k, v in tr.items()}
        np.savez_compressed(root + '/trace.npz', **tr)
        trace_note = (f'trace.npz: per-layer outputs of a Trace build (every layer but Clone Trace: true), rows = X rows, '
                      f'each layer in hls4ml\'s own (channels-last) shape; keys {sorted(tr)} '
                      f'(shapes {", ".join(f"{k} {list(v.shape[1:])}" for k, v in sorted(tr.items()))}); '
                      f'its final output equals Y.npy: {same}.')
        print(trace_note)
        for a, b in zip(hm.get_layers(), thm.get_layers()):
            ta = {k: str(v.precision) for k, v in a.types.items()}
            tb = {k: str(v.precision) for k, v in b.types.items()}
            if ta != tb or a.name != b.name:
                print('TRACE MODEL TYPE MISMATCH', a.name, ta, b.name, tb)
                trace_note += f' TYPE MISMATCH in trace build at {a.name}.'
        ovf = add_overflow_stats(hm, tr, X)
        meta['add_result_cast_changes'] = ovf
        print('add overflow stats', {k: (v['changed_by_result_cast'], v['elements']) for k, v in ovf.items()})
    except Exception as e:
        traceback.print_exc()
        trace_note = f'trace failed: {type(e).__name__}: {e}'

    json.dump(layer_json(hm, outdir), open(root + '/layers.json', 'w'), indent=1)

    readme = [f'# skip_{case}', '',
              f'hls4ml {hls4ml.__version__} PyTorch frontend, backend Vivado, **{io_type}**, '
              f'`config_from_pytorch_model(granularity={gran!r}, default_precision=\'ap_fixed<16,6>\')`'
              + (' plus the edits below' if edit else '') + '; weights = torch.manual_seed(0) init rounded to a '
              f'2^-8 grid. Regenerate with `python make_skip_case.py {case}`.', '',
              '```', str(m), '```', '',
              f'forward: see `{factory.__name__}.forward` in make_skip_case.py.', '',
              'ONNX nodes: ' + ', '.join(f'{n[0]} ({", ".join(n[1:])})' for n in onnx_nodes), '']
    if edit:
        import inspect
        readme += ['Config edits (LayerName, after config_from_pytorch_model):', '', '```',
                   inspect.getsource(edit).strip(), '```', '']
    if failures:
        readme += ['Variants tried first (not used):', ''] + [f'* {v}: {msg}' for v, msg in failures] + ['']
    readme += ['## Layers after all hls4ml passes', ''] + layer_table(hm, outdir)
    readme += ['', '## Data', '',
               f'* X.npy: {X.shape} float64 (' + ('NCHW, fed to hls4ml as is; its input Transpose makes it '
                                                  'channels-last' if len(m.shape) == 3 else 'fed to hls4ml as is')
               + f'), every value exactly on the input type `{in_type}` grid and in its range. Rows: '
               + '; '.join(f'{k}: {v[0]}-{v[1] - 1}' for k, v in ROWS.items()),
               f'* Y.npy: {Y.shape} float64, hls_model.predict(X) (C++ emulation).',
               f'* Y_float.npy: torch float32 forward of the same module (model.onnx through onnx\'s reference '
               f'evaluator agrees within {d_onnx:.2g}).',
               f'* max |Y - Y_float| = {d.max():.6g} over all rows, {d[small].max():.6g} over rows {small[0]}-{small[-1]} '
               '(the larger rows overflow by design).',
               f'* {trace_note}',
               ]
    for k, v in ovf.items():
        readme.append(f'* Merge `{k}`: {v["changed_by_result_cast"]} of {v["elements"]} elements differ from the '
                      f'exact sum of the traced inputs (wrapped by the cast into result_t), in '
                      f'{len(v["rows_with_change"])} rows.')
    readme += ['* hls4ml_firmware/: myproject.cpp, defines.h, parameters.h and weights/*.txt exactly as hls4ml '
               'generated them.',
               '* layers.json: the layer list above, machine-readable (types, attributes, outputs with C++ variable '
               'names and FIFO depths, C++ call, weight files).', '']
    open(root + '/README.md', 'w').write('\n'.join(readme))
    json.dump(meta, open(root + '/meta.json', 'w'), indent=1)
    print('\n'.join(readme))
    print('DONE', case)


# ------------------------------------------------------------------ probes (print only, nothing stored)
class _AxisProbe(nn.Module):
    """x -> conv0 1x1 -> ReLU -> cat([conv1 1x1, conv2 1x1], dim) -> Flatten -> Linear."""
    def __init__(s, dim, shape, input_twice=False):
        super().__init__()
        C, H, W = shape
        s.dim, s.shape, s.input_twice = dim, shape, input_twice
        s.c0, s.r, s.c1, s.c2 = nn.Conv2d(C, C, 1), nn.ReLU(), nn.Conv2d(C, C, 1), nn.Conv2d(C, C, 1)
        s.flat, s.fc = nn.Flatten(), nn.Linear(2 * C * H * W, 3)

    def forward(s, x):
        h = x if s.input_twice else s.r(s.c0(x))
        return s.fc(s.flat(torch.cat([s.c1(h), s.c2(h)], dim=s.dim)))


def probe():
    """Two findings that are not in the stored cases: (1) torch.cat along H or W (dim=2, 3, -1) of an NCHW
    tensor is converted to a concatenation along the other spatial axis (wrong outputs, io_parallel and
    io_stream); (2) a 3-D model input consumed by two layers gets its channels-last Transpose on one branch
    only (io_stream: wrong outputs; io_parallel: conversion error)."""
    rows = []
    for io in ['io_parallel', 'io_stream']:
        for dim, shape, twice in [(1, (2, 3, 5), False), (2, (2, 3, 5), False), (3, (2, 3, 5), False),
                                  (-1, (2, 3, 5), False), (1, (2, 4, 4), True)]:
            torch.manual_seed(0)
            m = round_weights(_AxisProbe(dim, shape, twice))
            tag = f'{io} cat dim={dim} shape={shape}' + (' (model input used twice)' if twice else '')
            try:
                cfg = hls4ml.utils.config_from_pytorch_model(m, input_shape=shape, default_precision='ap_fixed<24,10>')
                hm = convert(m, cfg, f'{SCRATCH}/probe_{io}_{dim}_{int(twice)}', io)
                hm.compile()
                X = np.round(np.random.default_rng(0).uniform(-2, 2, (8,) + shape) * 256) / 256
                Y = np.asarray(hm.predict(X)).reshape(8, -1)
                cat = [l for l in hm.get_layers() if l.class_name == 'Concatenate'][0]
                rows.append(f'{tag}: hls4ml axis {cat.get_attr("axis")}, output shape '
                            f'{list(cat.get_output_variable().shape)}, max |hls4ml - torch| = '
                            f'{np.abs(Y - torch_forward(m, X)).max():.3g}')
            except Exception as e:
                rows.append(f'{tag}: {type(e).__name__}: {str(e)[:100]}')
            print(rows[-1], flush=True)
    print('\n'.join(rows))


if __name__ == '__main__':
    cases = sys.argv[1:]
    if cases == ['probe']:
        probe()
        sys.exit(0)
    if cases == ['all']:
        cases = list(CASES)
    for c in cases:
        run(c)
