import sys, os, copy, time, json, re, warnings, logging
import numpy as np, torch, torch.nn as nn, yaml, hls4ml, onnx

# (no captureWarnings: let warnings print to stderr)
warnings.simplefilter('always')

class MLP(nn.Module):
    def __init__(s):
        super().__init__()
        s.fc1 = nn.Linear(16, 64); s.relu1 = nn.ReLU()
        s.fc2 = nn.Linear(64, 32); s.relu2 = nn.ReLU()
        s.fc3 = nn.Linear(32, 32); s.relu3 = nn.ReLU()
        s.fc4 = nn.Linear(32, 5)
    def forward(s, x):
        x = s.relu1(s.fc1(x)); x = s.relu2(s.fc2(x)); x = s.relu3(s.fc3(x)); return s.fc4(x)

class MNIST(nn.Module):
    def __init__(s):
        super().__init__()
        s.fc1 = nn.Linear(784, 16); s.relu1 = nn.ReLU(); s.fc2 = nn.Linear(16, 10)
    def forward(s, x):
        return s.fc2(s.relu1(s.fc1(x)))

case = sys.argv[1]
root = '/tmp/peer/cases/' + case
os.makedirs(root, exist_ok=True)
notes = []

torch.manual_seed(0)
if case == 'mnist_like':
    model = MNIST(); n_in = 784
else:
    model = MLP(); n_in = 16
model.eval()

# ---- ONNX export
dummy = torch.randn(1, n_in)
torch.onnx.export(model, dummy, root + '/model.onnx', dynamo=False, opset_version=13,
                  input_names=['x'], output_names=['y'],
                  dynamic_axes={'x': {0: 'batch'}, 'y': {0: 'batch'}})
om = onnx.load(root + '/model.onnx')
print('ONNX nodes:', [(n.name, n.op_type) for n in om.graph.node])

# ---- config
if case == 'model_default':
    cfg = hls4ml.utils.config_from_pytorch_model(model, input_shape=(16,), granularity='model', default_precision='ap_fixed<16,6>')
elif case == 'name_auto':
    cfg = hls4ml.utils.config_from_pytorch_model(model, input_shape=(16,), granularity='name', default_precision='ap_fixed<16,6>')
elif case == 'name_custom':
    cfg = hls4ml.utils.config_from_pytorch_model(model, input_shape=(16,), granularity='name', default_precision='ap_fixed<16,6>')
    LN = cfg['LayerName']
    print('LayerName keys from config_from_pytorch_model:', list(LN.keys()))
    print('fc1 config before edits:', LN['fc1'])
    LN['x']['Precision']['result'] = 'ap_fixed<10,4,AP_RND_CONV,AP_SAT>'
    LN['fc1']['Precision']['weight'] = 'ap_fixed<8,2,AP_RND,AP_SAT>'
    LN['fc1']['Precision']['bias'] = 'ap_fixed<8,3>'
    LN['fc1']['Precision']['accum'] = 'ap_fixed<14,6,AP_RND,AP_SAT>'   # key not present originally -> added
    LN['fc1']['Precision']['result'] = 'ap_fixed<12,5,AP_RND_ZERO,AP_SAT_SYM>'
    LN['relu1']['Precision']['result'] = 'ap_ufixed<8,3,AP_RND_INF,AP_SAT>'
    LN['fc2']['Precision']['accum'] = 'ap_fixed<18,8,AP_TRN_ZERO,AP_WRAP>'  # added
    LN['fc2']['Precision']['result'] = 'ap_fixed<16,6,AP_RND_MIN_INF,AP_SAT_ZERO>'
    LN['fc4']['Precision']['result'] = 'ap_fixed<12,4,AP_RND,AP_WRAP>'
elif case == 'mnist_like':
    cfg = hls4ml.utils.config_from_pytorch_model(model, input_shape=(784,))
else:
    raise SystemExit('unknown case')

cfg_dump = {k: v for k, v in cfg.items() if k != 'PytorchModel'}
cfg_dump = copy.deepcopy(cfg_dump)
if isinstance(cfg_dump.get('InputShape'), tuple):
    cfg_dump['InputShape'] = list(cfg_dump['InputShape'])
with open(root + '/config.yml', 'w') as f:
    yaml.safe_dump(cfg_dump, f, sort_keys=False)
cfg_before = copy.deepcopy(cfg_dump)

# ---- convert + compile
outdir = f'/tmp/peer/prj/{case}'
t0 = time.time()
hm = hls4ml.converters.convert_from_pytorch_model(model, hls_config=cfg, output_dir=outdir, backend='Vivado', io_type='io_parallel')
t1 = time.time()
hm.compile()
t2 = time.time()
print(f'TIMING convert={t1-t0:.2f}s compile={t2-t1:.2f}s')

# was hls_config mutated by hls4ml?
after = {k: v for k, v in cfg.items() if k != 'PytorchModel'}
after = copy.deepcopy(after)
if isinstance(after.get('InputShape'), tuple):
    after['InputShape'] = list(after['InputShape'])
if after != cfg_before:
    print('NOTE: hls_config dict was MUTATED by hls4ml during conversion')
    with open(root + '/config_after_convert.yml', 'w') as f:
        yaml.safe_dump(after, f, sort_keys=False)

# ---- inputs
inl = hm.get_layers()
inp_layer = [l for l in hm.get_layers() if l.class_name == 'Input'][0]
ip = inp_layer.get_output_variable().type.precision
W, I, S = ip.width, ip.integer, ip.signed
lsb = 2.0 ** -(W - I)
lo = -(2.0 ** (I - 1)) if S else 0.0
hi = (2.0 ** (I - 1) if S else 2.0 ** I) - lsb
print(f'input type {ip}: lsb={lsb} range=[{lo},{hi}]')
rng = np.random.default_rng(12345)

def grid(n):
    k = rng.integers(int(round(lo / lsb)), int(round(hi / lsb)) + 1, size=n)
    return k * lsb
def ties(n):
    k = rng.integers(int(round(lo / lsb)), int(round(hi / lsb)), size=n)
    return (k + 0.5) * lsb
def edges(n):
    cands = np.array([hi, lo, hi - lsb, lo + lsb, hi + lsb / 2, lo - lsb / 2, hi - lsb / 2, lo + lsb / 2,
                      hi + lsb, lo - lsb, hi + 1e-9, lo - 1e-9, hi + 0.25 * lsb, lo - 0.25 * lsb,
                      hi + 0.75 * lsb, lo - 0.75 * lsb, hi + 1, lo - 1, 2 * hi, 2 * lo, 0.0, lsb / 2, -lsb / 2, -lsb,
                      2 ** (I - 1) * 1.5 if S else 2 ** I * 1.5])
    return rng.choice(cands, size=n)

if case == 'mnist_like':
    N = 500
    layout = {'uniform[-2,2]': (0, 300), 'ties(grid+lsb/2) in [-2,2]': (300, 400), 'grid in [-2,2]': (400, 450), 'elementwise mix': (450, 500)}
    X = np.empty((N, n_in))
    X[0:300] = rng.uniform(-2, 2, size=(300, n_in))
    def ties2(shape):
        k = rng.integers(int(-2 / lsb), int(2 / lsb), size=shape); return (k + 0.5) * lsb
    def grid2(shape):
        k = rng.integers(int(-2 / lsb), int(2 / lsb) + 1, size=shape); return k * lsb
    X[300:400] = ties2((100, n_in))
    X[400:450] = grid2((50, n_in))
    sel = rng.integers(0, 3, size=(50, n_in))
    X[450:500] = np.where(sel == 0, rng.uniform(-2, 2, size=(50, n_in)), np.where(sel == 1, ties2((50, n_in)), grid2((50, n_in))))
else:
    N = 2000
    layout = {'uniform[-40,40]': (0, 500), 'on input grid': (500, 1000), 'ties (grid+lsb/2)': (1000, 1500),
              'near range edges': (1500, 1800), 'elementwise mix of all four': (1800, 2000)}
    X = np.empty((N, n_in))
    X[0:500] = rng.uniform(-40, 40, size=(500, n_in))
    X[500:1000] = grid(500 * n_in).reshape(500, n_in)
    X[1000:1500] = ties(500 * n_in).reshape(500, n_in)
    X[1500:1800] = edges(300 * n_in).reshape(300, n_in)
    sel = rng.integers(0, 4, size=(200, n_in))
    mix = [rng.uniform(-40, 40, size=(200, n_in)), grid(200 * n_in).reshape(200, n_in),
           ties(200 * n_in).reshape(200, n_in), edges(200 * n_in).reshape(200, n_in)]
    X[1800:2000] = np.choose(sel, mix)
X = np.ascontiguousarray(X.astype(np.float64))
np.save(root + '/X.npy', X)

t3 = time.time()
Y = hm.predict(X)
t4 = time.time()
Y = np.asarray(Y, dtype=np.float64).reshape(N, -1)
print(f'TIMING predict({N})={t4-t3:.2f}s  Y shape {Y.shape} dtype {Y.dtype}')
np.save(root + '/Y.npy', Y)
with torch.no_grad():
    Yt = model(torch.tensor(X, dtype=torch.float32)).numpy().astype(np.float64)
np.save(root + '/Y_torch_float.npy', Yt)
print('max |Y - torch float| =', np.abs(Y - Yt).max(), ' median', np.median(np.abs(Y - Yt)))

# ---- resolved types
def cpp_typedefs():
    d = {}
    for fn in ["defines.h"]:
        p = f'{outdir}/firmware/{fn}'
        if os.path.exists(p):
            for m in re.finditer(r'typedef\s+(.+?)\s+(\w+);', open(p).read()):
                d[m.group(2)] = m.group(1)
    return d
tds = cpp_typedefs()
lines = []
lines.append(f'# hls4ml {hls4ml.__version__}, case {case}, backend Vivado, io_parallel')
lines.append('# format: layer | class | var | NamedType name | precision str(hls4ml) | C++ typedef in generated firmware')
for l in hm.get_layers():
    lines.append(f'LAYER {l.name} | class={l.class_name} ({type(l).__name__}) | inputs={l.inputs} | out_shape={l.get_output_variable().shape}')
    for k, t in l.types.items():
        lines.append(f'  {k:10s} | {t.name:22s} | {str(t.precision):40s} | {tds.get(t.name, "?")}')
    for k, w in l.weights.items():
        lines.append(f'  weight var {k}: type {w.type.name} = {w.type.precision}  (shape {w.data.shape})')
    ov = l.get_output_variable()
    lines.append(f'  output var {ov.name}: {ov.type.name} = {ov.type.precision}')
    extra = {a: l.get_attr(a) for a in ['activation', 'n_in', 'n_out', 'strategy', 'reuse_factor', 'table_size'] if l.get_attr(a) is not None}
    lines.append(f'  attrs: {extra}')
lines.append('')
lines.append(f'INPUT layer {inp_layer.name}: {inp_layer.get_output_variable().type.name} = {ip}  (lsb={lsb}, range=[{lo},{hi}])')
lines.append('')
lines.append('# all typedefs in firmware/defines.h:')
for k, v in tds.items():
    lines.append(f'  {k} = {v}')
open(root + '/resolved_types.txt', 'w').write('\n'.join(lines) + '\n')
print('\n'.join(lines))

json.dump({'N': N, 'row_layout': layout, 'rng': 'numpy default_rng(12345)', 'input_type': str(ip),
           'lsb': lsb, 'lo': lo, 'hi': hi, 'convert_s': t1 - t0, 'compile_s': t2 - t1, 'predict_s': t4 - t3},
          open(root + '/meta.json', 'w'), indent=1)

# ---- trace, on a separate copy so the main model/config is untouched
try:
    tcfg = copy.deepcopy({k: v for k, v in cfg.items() if k != 'PytorchModel'})
    tcfg['PytorchModel'] = model
    LN = tcfg.setdefault('LayerName', {})
    for l in hm.get_layers():
        LN.setdefault(l.name, {})['Trace'] = True
    thm = hls4ml.converters.convert_from_pytorch_model(model, hls_config=tcfg, output_dir=outdir + '_trace', backend='Vivado', io_type='io_parallel')
    thm.compile()
    ty, tr = thm.trace(X[:50])
    ty = np.asarray(ty).reshape(50, -1)
    print('trace model output == Y[:50]:', np.array_equal(ty, Y[:50]))
    tr = {k: np.asarray(v, dtype=np.float64) for k, v in tr.items()}
    tr['__final_output__'] = ty
    np.savez(root + '/trace.npz', **tr)
    print('trace keys:', {k: v.shape for k, v in tr.items()})
    # consistency: are trace types identical to main model's?
    for a, b in zip(hm.get_layers(), thm.get_layers()):
        ta = {k: str(v.precision) for k, v in a.types.items()}; tb = {k: str(v.precision) for k, v in b.types.items()}
        if ta != tb or a.name != b.name:
            print('TRACE MODEL TYPE MISMATCH', a.name, ta, b.name, tb)
except Exception as e:
    import traceback; traceback.print_exc()
    print('TRACE FAILED', e)
print('DONE')
