"""Regenerates the CNN peer cases in tests/data/hls4ml/<case>/ (io_stream, Vivado backend).

    python make_cnn_case.py <case> [<case> ...]      # or: all

Needs torch, onnx, PyYAML and hls4ml 1.3.0 (plus g++ for hls4ml's compile()). For every case it
  * builds a small torch module with torch.manual_seed weights rounded to a 2^-8 grid (exact in
    ap_fixed<16,6>; BatchNorm statistics are random, see below);
  * exports it to model.onnx (legacy exporter, opset 13, input x, output y, dynamic batch);
  * writes config.yml: the dict given to hls4ml as hls_config (config_from_pytorch_model plus
    IOType: io_stream; the unserialisable 'PytorchModel' key is left out);
  * converts the same module with hls4ml's PyTorch frontend (io_stream, Vivado), compiles it and
    runs predict() on X.npy (NCHW / NCL float64) -> Y.npy; torch's float outputs -> Y_float.npy;
  * writes README.md with hls4ml's layer list after all its passes (classes, resolved types,
    reuse factors, implementations, inserted layers), and copies the generated C++ that shows it
    (firmware/myproject.cpp, defines.h, parameters.h, weights/*.txt) to hls4ml_firmware/, and the
    same layer list machine-readable to layers.json;
  * traces every layer with a separate Trace build (trace.npz, channels-last as hls4ml holds it).
Scratch projects go to /tmp/peer/cnn/prj/<case>.
"""
import sys, os, copy, time, json, re, shutil, glob, warnings, traceback
import numpy as np, torch, torch.nn as nn, yaml, hls4ml, onnx

warnings.simplefilter('ignore')
HERE = os.path.dirname(os.path.abspath(__file__))
SCRATCH = '/tmp/peer/cnn/prj'
GRID = 2.0 ** -8  # weight grid


# ------------------------------------------------------------------ models
class CnnSmall(nn.Module):
    shape = (3, 8, 8)

    def __init__(s):
        super().__init__()
        s.conv1 = nn.Conv2d(3, 4, 3, stride=1, padding=0, bias=True)
        s.relu1 = nn.ReLU()
        s.pool1 = nn.MaxPool2d(2)
        s.flatten = nn.Flatten()
        s.fc1 = nn.Linear(4 * 3 * 3, 5)

    def forward(s, x):
        return s.fc1(s.flatten(s.pool1(s.relu1(s.conv1(x)))))


class CnnPadStride(nn.Module):
    shape = (2, 9, 7)

    def __init__(s):
        super().__init__()
        s.conv1 = nn.Conv2d(2, 3, (3, 2), stride=2, padding=1, bias=True)  # 9x7 -> 5x4
        s.relu1 = nn.ReLU()
        s.conv2 = nn.Conv2d(3, 4, 1)
        s.flatten = nn.Flatten()
        s.fc1 = nn.Linear(4 * 5 * 4, 3)

    def forward(s, x):
        return s.fc1(s.flatten(s.conv2(s.relu1(s.conv1(x)))))


class CnnBn(nn.Module):
    shape = (1, 10, 10)

    def __init__(s):
        super().__init__()
        s.conv1 = nn.Conv2d(1, 4, 3, bias=False)  # 10x10 -> 8x8
        s.pool1 = nn.MaxPool2d(2)                  # -> 4x4
        s.bn1 = nn.BatchNorm2d(4)
        s.relu1 = nn.ReLU()
        s.flatten = nn.Flatten()
        s.fc1 = nn.Linear(4 * 4 * 4, 4)
        s.bn2 = nn.BatchNorm1d(4)
        s.relu2 = nn.ReLU()
        s.fc2 = nn.Linear(4, 3)

    def forward(s, x):
        x = s.relu1(s.bn1(s.pool1(s.conv1(x))))
        return s.fc2(s.relu2(s.bn2(s.fc1(s.flatten(x)))))


class Cnn1d(nn.Module):
    shape = (3, 16)

    def __init__(s):
        super().__init__()
        s.conv1 = nn.Conv1d(3, 4, 5, stride=1, padding=2)
        s.relu1 = nn.ReLU()
        s.pool1 = nn.AvgPool1d(2)
        s.flatten = nn.Flatten()
        s.fc1 = nn.Linear(4 * 8, 3)

    def forward(s, x):
        return s.fc1(s.flatten(s.pool1(s.relu1(s.conv1(x)))))


class CnnAvgGlobal(nn.Module):
    """gap = 'adaptive' (AdaptiveAvgPool2d(1)), 'mean' (x.mean((2,3), keepdim=True)) or
    'avgpool' (AvgPool2d(2): the last feature map is 2x2, so this IS the global average)."""
    shape = (3, 8, 8)

    def __init__(s, gap='avgpool'):
        super().__init__()
        s.gap_kind = gap
        s.conv1 = nn.Conv2d(3, 4, 3, padding=1)  # 8x8
        s.relu1 = nn.ReLU()
        s.pool1 = nn.AvgPool2d(2)                # 4x4
        s.conv2 = nn.Conv2d(4, 4, 3)             # 2x2
        if gap == 'adaptive':
            s.gap = nn.AdaptiveAvgPool2d(1)
        elif gap == 'avgpool':
            s.gap = nn.AvgPool2d(2)
        s.flatten = nn.Flatten()
        s.fc1 = nn.Linear(4, 3)

    def forward(s, x):
        x = s.conv2(s.pool1(s.relu1(s.conv1(x))))
        x = x.mean((2, 3), keepdim=True) if s.gap_kind == 'mean' else s.gap(x)
        return s.fc1(s.flatten(x))


# case -> (model factory, granularity, notes)
CASES = {
    'cnn_small': (CnnSmall, 'model'),
    'cnn_pad_stride': (CnnPadStride, 'model'),
    'cnn_bn': (CnnBn, 'model'),
    'cnn1d': (Cnn1d, 'model'),
    'cnn_avgpool_global': (lambda: CnnAvgGlobal('avgpool'), 'model'),
    # extra: the same network as cnn_bn with granularity='name' ('auto' types): conv/dense accum
    # inference, BN fusion into fc1, BN2d after the pool stays standalone.
    'cnn_bn_auto': (CnnBn, 'name'),
}
GAP_ATTEMPTS = ['adaptive', 'mean']  # tried first for cnn_avgpool_global, expected to fail


def build(case):
    factory, gran = CASES[case]
    torch.manual_seed(0)
    m = factory()
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, (nn.Conv1d, nn.Conv2d, nn.Linear)):
                mod.weight.copy_(torch.round(mod.weight / GRID) * GRID)
                if mod.bias is not None:
                    mod.bias.copy_(torch.round(mod.bias / GRID) * GRID)
            if isinstance(mod, (nn.BatchNorm1d, nn.BatchNorm2d)):
                n = mod.num_features
                g = torch.empty(n).uniform_(0.5, 1.5)
                g[1] = -g[1]  # one negative scale
                mod.weight.copy_(g)
                mod.bias.copy_(torch.empty(n).uniform_(-0.5, 0.5))
                mod.running_mean.copy_(torch.empty(n).uniform_(-0.5, 0.5))
                mod.running_var.copy_(torch.empty(n).uniform_(0.25, 2.0))
    m.eval()
    return m, gran


def hls_config(m, gran):
    cfg = hls4ml.utils.config_from_pytorch_model(m, input_shape=m.shape, granularity=gran,
                                                 default_precision='ap_fixed<16,6>')
    cfg['IOType'] = 'io_stream'  # ignored by hls4ml inside hls_config; recorded for rtlgen
    return cfg


def dumpable(cfg):
    d = copy.deepcopy({k: v for k, v in cfg.items() if k != 'PytorchModel'})
    if isinstance(d.get('InputShape'), tuple):
        d['InputShape'] = list(d['InputShape'])
    return d


def convert(m, cfg, outdir):
    return hls4ml.converters.convert_from_pytorch_model(m, hls_config=cfg, output_dir=outdir, backend='Vivado',
                                                        io_type='io_stream')


# ------------------------------------------------------------------ inputs
def make_inputs(shape, rng):
    """24 samples, input type ap_fixed<16,6> (lsb 2^-10, range [-32, 32)).
    rows 0-7 grid 2^-10 in [-2,2]; 8-11 grid 2^-3 in [-4,4]; 12-15 off-grid uniform [-4,4]
    (floored at the input); 16-17 ties (grid + lsb/2) in [-2,2]; 18-20 grid 2^-6 over the whole
    input range [-32,32) (accumulators wrap); 21-22 elementwise edges incl. values outside the
    input range (the input conversion wraps); 23 all zero."""
    lsb, lo, hi = 2.0 ** -10, -32.0, 32.0 - 2.0 ** -10
    n = int(np.prod(shape))
    X = np.zeros((24, n))
    X[0:8] = rng.integers(-2048, 2049, size=(8, n)) * lsb
    X[8:12] = rng.integers(-32, 33, size=(4, n)) * 2.0 ** -3
    X[12:16] = rng.uniform(-4, 4, size=(4, n))
    X[16:18] = (rng.integers(-2048, 2048, size=(2, n)) + 0.5) * lsb
    X[18:21] = rng.integers(-2048, 2048, size=(3, n)) * 2.0 ** -6
    edges = np.array([hi, lo, hi - lsb, lo + lsb, hi + lsb, lo - lsb, hi + lsb / 2, lo - lsb / 2, 33.0, -33.0,
                      40.0, -40.0, 63.0, -47.5, 0.0, lsb, -lsb, lsb / 2, -lsb / 2, 1.0, -1.0])
    X[21:23] = rng.choice(edges, size=(2, n))
    X[23] = 0.0
    return np.ascontiguousarray(X.reshape((24,) + tuple(shape)).astype(np.float64))


ROWS = {'grid 2^-10 in [-2,2]': [0, 8], 'grid 2^-3 in [-4,4]': [8, 12], 'off-grid uniform [-4,4]': [12, 16],
        'ties grid+2^-11 in [-2,2]': [16, 18], 'grid 2^-6 in [-32,32) (accumulator wrap)': [18, 21],
        'edges incl. out of input range (input wrap)': [21, 23], 'zeros': [23, 24]}


# ------------------------------------------------------------------ report helpers
def typedefs(outdir):
    d = {}
    p = f'{outdir}/firmware/defines.h'
    for mm in re.finditer(r'typedef\s+(.+?)\s+(\w+);', open(p).read()):
        d[mm.group(2)] = mm.group(1)
    return d


SCALAR = (int, float, str, bool, np.integer, np.floating)


def layer_table(hm, outdir):
    tds = typedefs(outdir)
    calls = {}
    for line in open(f'{outdir}/firmware/myproject.cpp'):
        mm = re.match(r'\s*(nnet::\S+?)<.*//\s*(\S+)\s*$', line)
        if mm:
            calls[mm.group(2)] = line.strip()
    out = []
    skip = {'config_cpp', 'function_cpp', 'include_header', 'weight_data', 'bias_data', 'gamma_data', 'beta_data',
            'mean_data', 'variance_data', 'scale_data', 'name', 'class_name', 'index', 'inputs', 'outputs', 'trace',
            'target_cycles', 'data_format', 'input_shape'}
    for l in hm.get_layers():
        ov = l.get_output_variable()
        out.append(f'* **{l.name}** — class `{l.class_name}` ({type(l).__name__}), inputs {l.inputs}, '
                   f'output shape {list(ov.shape)} (stream token `{ov.type.name}` = `{tds.get(ov.type.name, "?")}`)')
        for k, t in l.types.items():
            if k == 'result_t':
                continue
            out.append(f'  * `{k}` = `{t.precision}` (C++ `{t.name}` = `{tds.get(t.name, "?")}`)')
        out.append(f'  * `result_t` = `{ov.type.precision}`')
        for k, w in l.weights.items():
            out.append(f'  * weight `{k}`: `{w.type.precision}`, shape {list(w.data.shape)}')
        attrs = {k: (v.item() if isinstance(v, (np.integer, np.floating)) else v) for k, v in l.attributes.items()
                 if k not in skip and (isinstance(v, SCALAR) or (isinstance(v, list) and all(isinstance(e, SCALAR) for e in v)))}
        out.append(f'  * attributes: `{attrs}`')
        if l.name in calls:
            out.append(f'  * C++: `{calls[l.name]}`')
    return out


def layer_json(hm, outdir):
    calls = {}
    for line in open(f'{outdir}/firmware/myproject.cpp'):
        mm = re.match(r'\s*nnet::(\w+)<(.*)>\((.*)\);\s*//\s*(\S+)\s*$', line)
        if mm:
            calls[mm.group(4)] = {'function': mm.group(1), 'template_args': [a.strip() for a in mm.group(2).split(',')],
                                  'args': [a.strip() for a in mm.group(3).split(',')]}
    out = []
    for l in hm.get_layers():
        attrs = {k: (v.item() if isinstance(v, (np.integer, np.floating)) else v) for k, v in l.attributes.items()
                 if k not in ('config_cpp', 'function_cpp', 'include_header', 'name', 'class_name', 'index', 'inputs',
                              'outputs', 'trace', 'target_cycles', 'input_shape')
                 and (isinstance(v, SCALAR) or (isinstance(v, list) and all(isinstance(e, SCALAR) for e in v)))}
        out.append({'name': l.name, 'class_name': l.class_name, 'python_class': type(l).__name__, 'inputs': l.inputs,
                    'output_shape': [int(v) for v in l.get_output_variable().shape],
                    'types': {k: str(t.precision) for k, t in l.types.items()},
                    'weights': {k: {'file': f'hls4ml_firmware/weights/{w.name}.txt', 'type': str(w.type.precision),
                                    'shape': list(w.data.shape)} for k, w in l.weights.items()},
                    'attributes': attrs, 'cpp': calls.get(l.name)})
    return out


def onnx_forward(path, X):
    """model.onnx through onnx's ReferenceEvaluator, with BatchNormalization forced to inference mode: the
    evaluator's opset-9..13 BatchNormalization mixes in batch statistics whenever 'momentum' is set (it
    always is, via the schema default), which is not what the exported eval-mode model means."""
    from onnx.reference import ReferenceEvaluator
    from onnx.reference.op_run import OpRun
    from onnx.reference.ops.op_batch_normalization import _batchnorm_test_mode

    class BatchNormalization(OpRun):
        op_domain = ''

        def _run(self, x, s, b, mean, var, epsilon=None, momentum=None, training_mode=None):
            return (_batchnorm_test_mode(x, s, b, mean, var, epsilon=epsilon),)

    return ReferenceEvaluator(onnx.load(path), new_ops=[BatchNormalization]).run(None, {'x': X.astype(np.float32)})[0]


def torch_forward(m, X):
    with torch.no_grad():
        return m(torch.tensor(X, dtype=torch.float32)).numpy().astype(np.float64)


# ------------------------------------------------------------------ one case
def run(case):
    root = f'{HERE}/{case}'
    os.makedirs(root, exist_ok=True)
    outdir = f'{SCRATCH}/{case}'
    shutil.rmtree(outdir, ignore_errors=True)
    shutil.rmtree(outdir + '_trace', ignore_errors=True)
    readme = [f'# {case}', '']
    meta = {'hls4ml': hls4ml.__version__, 'torch': torch.__version__, 'backend': 'Vivado', 'io_type': 'io_stream',
            'rows': ROWS, 'rng': 'numpy default_rng(12345)', 'weight_grid': GRID}

    failures = []
    if case == 'cnn_avgpool_global':
        for gap in GAP_ATTEMPTS:
            torch.manual_seed(0)
            tm = CnnAvgGlobal(gap).eval()
            try:
                convert(tm, hls_config(tm, 'model'), f'{SCRATCH}/{case}_{gap}')
                failures.append((gap, 'converted (unexpectedly)'))
            except Exception as e:
                failures.append((gap, f'{type(e).__name__}: {e}'))
            print('GAP attempt', failures[-1])
        meta['failed_variants'] = failures

    m, gran = build(case)
    print(m)

    # ONNX export
    dummy = torch.zeros((1,) + m.shape)
    torch.onnx.export(m, dummy, root + '/model.onnx', dynamo=False, opset_version=13, input_names=['x'],
                      output_names=['y'], dynamic_axes={'x': {0: 'batch'}, 'y': {0: 'batch'}})
    om = onnx.load(root + '/model.onnx')
    onnx_nodes = [(n.name, n.op_type) for n in om.graph.node]
    print('ONNX nodes:', onnx_nodes)

    cfg = hls_config(m, gran)
    cfg_given = dumpable(cfg)
    with open(root + '/config.yml', 'w') as f:
        yaml.safe_dump(cfg_given, f, sort_keys=False)

    t0 = time.time()
    hm = convert(m, cfg, outdir)
    t1 = time.time()
    hm.compile()
    t2 = time.time()
    if dumpable(cfg) != cfg_given:
        print('NOTE: hls_config was mutated by hls4ml')
        meta['config_mutated'] = True

    rng = np.random.default_rng(12345)
    X = make_inputs(m.shape, rng)
    np.save(root + '/X.npy', X)
    t3 = time.time()
    Y = np.asarray(hm.predict(X), dtype=np.float64).reshape(len(X), -1)
    t4 = time.time()
    np.save(root + '/Y.npy', Y)
    Yf = torch_forward(m, X)
    np.save(root + '/Y_float.npy', Yf)
    d = np.abs(Y - Yf)
    d_onnx = float(np.abs(onnx_forward(root + '/model.onnx', X) - Yf).max())
    print('max |onnx reference - torch| =', d_onnx)
    meta['max_abs_diff_onnx_vs_torch'] = d_onnx
    inr = np.r_[0:18]  # rows whose inputs stay small (no intended overflow)
    meta.update({'convert_s': t1 - t0, 'compile_s': t2 - t1, 'predict_s': t4 - t3, 'onnx_nodes': onnx_nodes,
                 'max_abs_diff_all': float(d.max()), 'max_abs_diff_rows_0_17': float(d[inr].max()),
                 'max_abs_diff_per_row': [float(v) for v in d.max(axis=1)]})
    print(f'max |Y - torch| all rows {d.max():.6g}; rows 0-17 {d[inr].max():.6g}')

    # firmware copies
    fw = root + '/hls4ml_firmware'
    shutil.rmtree(fw, ignore_errors=True)
    os.makedirs(fw + '/weights')
    for fn in ['myproject.cpp', 'defines.h', 'parameters.h']:
        shutil.copy(f'{outdir}/firmware/{fn}', fw)
    for p in sorted(glob.glob(f'{outdir}/firmware/weights/*.txt')):
        shutil.copy(p, fw + '/weights')

    # trace (separate build so the main model is untouched)
    trace_note = ''
    try:
        tcfg = copy.deepcopy({k: v for k, v in cfg.items() if k != 'PytorchModel'})  # InputShape stays a tuple
        LN = tcfg.setdefault('LayerName', {})
        for l in hm.get_layers():
            LN.setdefault(l.name, {})['Trace'] = True
        thm = convert(m, tcfg, outdir + '_trace')
        thm.compile()
        ty, tr = thm.trace(X)
        ty = np.asarray(ty, dtype=np.float64).reshape(len(X), -1)
        same = np.array_equal(ty, Y)
        tr = {k: np.asarray(v, dtype=np.float64) for k, v in tr.items()}
        np.savez_compressed(root + '/trace.npz', **tr)
        trace_note = (f'trace.npz: per-layer outputs of a Trace build (every layer Trace: true), rows = X rows, '
                      f'each layer in hls4ml\'s own (channels-last, e.g. HWC) shape; keys {sorted(tr)}; '
                      f'its final output equals Y.npy: {same}.')
        print(trace_note)
        for a, b in zip(hm.get_layers(), thm.get_layers()):
            ta = {k: str(v.precision) for k, v in a.types.items()}
            tb = {k: str(v.precision) for k, v in b.types.items()}
            if ta != tb or a.name != b.name:
                print('TRACE MODEL TYPE MISMATCH', a.name, ta, b.name, tb)
                trace_note += f' TYPE MISMATCH in trace build at {a.name}.'
    except Exception as e:
        traceback.print_exc()
        trace_note = f'trace failed: {type(e).__name__}: {e}'

    json.dump(layer_json(hm, outdir), open(root + '/layers.json', 'w'), indent=1)

    # README
    readme += [f'hls4ml {hls4ml.__version__} PyTorch frontend, backend Vivado, io_stream, '
               f'`config_from_pytorch_model(granularity={gran!r}, default_precision=\'ap_fixed<16,6>\')`; '
               f'weights = torch.manual_seed(0) init rounded to a 2^-8 grid (BatchNorm statistics random, see the script). '
               f'Regenerate with `python make_cnn_case.py {case}`.', '',
               '```', str(m), '```', '',
               f'ONNX nodes: {", ".join(f"{n} ({t})" for n, t in onnx_nodes)}', '']
    if failures:
        readme += ['**Global average pooling:** the PyTorch frontend has no handler for it, so the variants below fail; '
                   'this case uses `AvgPool2d(2)`, whose window is the whole 2x2 map (numerically the global average).', '']
        readme += [f'* `{g}`: {msg}' for g, msg in failures] + ['']
    readme += ['## Layers after all hls4ml passes', '']
    readme += layer_table(hm, outdir)
    readme += ['', '## Data', '',
               f'* X.npy: {X.shape} float64, {"NCHW" if len(m.shape) == 3 else "NCL"} (fed to hls4ml as is: '
               'its input Transpose makes it channels-last). Rows: ' + '; '.join(f'{k}: {v[0]}-{v[1] - 1}' for k, v in ROWS.items()),
               f'* Y.npy: {Y.shape} float64, hls_model.predict(X) (C++ emulation).',
               f'* Y_float.npy: torch float32 forward of the same module (model.onnx through onnx\'s reference '
               f'evaluator agrees within {d_onnx:.2g}).',
               f'* max |Y - Y_float| = {d.max():.6g} over all rows, {d[inr].max():.6g} over rows 0-17 '
               f'(rows 18+ overflow by design); per row: {", ".join(f"{v:.3g}" for v in d.max(axis=1))}.',
               f'* {trace_note}',
               '* hls4ml_firmware/: myproject.cpp, defines.h, parameters.h and weights/*.txt exactly as hls4ml generated them.',
               '* layers.json: the layer list above, machine-readable (types, attributes, C++ call, weight files).',
               '']
    open(root + '/README.md', 'w').write('\n'.join(readme))
    json.dump(meta, open(root + '/meta.json', 'w'), indent=1)
    print('\n'.join(readme))
    print('DONE', case)


if __name__ == '__main__':
    cases = sys.argv[1:]
    if cases == ['all']:
        cases = list(CASES)
    for c in cases:
        run(c)
