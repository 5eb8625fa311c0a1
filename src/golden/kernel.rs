use super::activation::{ClipKernel, LeakyReluKernel, LutKernel, SoftmaxKernel};
use super::quantizer::QuantizerKernel;
use crate::analysis::accumulation::{bias_in_accum, plan, AccumPlan};
use crate::diag::{Diagnostic, Error, Result};
use crate::fixed::{cast, from_f64, quantize, to_f64, CastPlan, FixedType, Quant};
use crate::ir::quantizer::PerElement;
use crate::ir::thresholds::Steps;
use crate::ir::{
    BatchNormPrecision, DensePrecision, DenseSettings, Graph, Layout, Op, Padding, Phase, PoolKind,
    PoolPrecision, Window,
};
use ndarray::{Array2, ArrayView2, Axis};

/// A compiled, bit-accurate model of a quantized graph.
#[derive(Debug, Clone)]
pub struct GoldenModel {
    /// Per-sample input shape as in the ONNX model.
    pub input_shape: Vec<usize>,
    /// How the layers hold the input: an image arrives pixel by pixel in io_stream.
    pub input_layout: Layout,
    /// For a channels-first image input: `input_order[i]` is the ONNX element that becomes
    /// element `i` of the channels-last tensor the layers see.
    pub input_order: Option<Vec<usize>>,
    /// The per-sample shape of the last layer's output as the layers see it.
    pub output_shape: Vec<usize>,
    /// For an image output: `output_order[j]` is the element of the channels-last output that
    /// is element `j` of the ONNX (channels-first) output.
    pub output_order: Option<Vec<usize>>,
    /// The type of the values the layers read from the input: of the one entry's output.
    pub input_type: FixedType,
    pub output_type: FixedType,
    /// How the float input becomes the values the layers read: one entry per QONNX quantizer
    /// reading the model input, and a [`Entry::Cast`] first if any other layer reads it.
    /// Hardware takes the output of a single entry as its input.
    pub entries: Vec<Entry>,
    /// The layers in a topological order.
    pub layers: Vec<Layer>,
    /// The values layer `k` reads, in operand order: value `e` is the output of entry `e`,
    /// value `entries.len() + j` the output of layer `j`.
    pub operands: Vec<Vec<usize>>,
    /// The value that is the model output.
    pub output: usize,
}

/// A conversion of the float model input into values the layers read.
#[derive(Debug, Clone)]
pub enum Entry {
    /// Each element converted into the input edge's type by [`from_f64`].
    Cast { ty: FixedType },
    /// A QONNX quantizer on the float input, evaluated as qonnx does
    /// ([`QuantizerKernel::run_float`]).
    Quantizer(QuantizerKernel),
}

impl Entry {
    /// The type of the values the entry produces.
    pub fn ty(&self) -> FixedType {
        match self {
            Entry::Cast { ty } => *ty,
            Entry::Quantizer(k) => k.result,
        }
    }
}

/// One layer, ready to run.
#[derive(Debug, Clone)]
pub enum Layer {
    Dense(DenseKernel),
    Relu {
        name: String,
        x_ty: FixedType,
        result: FixedType,
        to_result: CastPlan,
    },
    /// Every output pixel is `kernel` applied to its window (see [`Op::Conv`]).
    Conv {
        name: String,
        window: Window,
        kernel: DenseKernel,
        /// How io_stream hardware builds the windows (does not change what it computes).
        implementation: crate::config::ConvImplementation,
    },
    /// Pixels of `fill` around a channels-last image `[h, w, channels]`.
    Pad {
        name: String,
        h: usize,
        w: usize,
        channels: usize,
        padding: Padding,
        fill: i128,
    },
    /// See [`Op::Pool`].
    Pool(PoolKernel),
    /// See [`Op::GlobalPool`]; `pixels` per channel.
    GlobalPool {
        name: String,
        kind: PoolKind,
        pixels: usize,
        channels: usize,
        x_ty: FixedType,
        precision: PoolPrecision,
    },
    /// See [`Op::BatchNorm`].
    BatchNorm(BatchNormKernel),
    /// `y[i] = x[perm[i]]`.
    Transpose {
        name: String,
        perm: Vec<usize>,
    },
    /// See [`Op::Add`]: operand `k` shifted left by `shifts[k]` to a common fraction, the exact
    /// sum cast to the result.
    Add {
        name: String,
        shifts: Vec<u32>,
        result: FixedType,
        to_result: CastPlan,
    },
    /// See [`Op::Concat`]: `outer` times, a block of `blocks[k]` elements of each operand `k`,
    /// cast to the result by `casts[k]`.
    Concat {
        name: String,
        /// Whether the axis is the last one (an image's channels).
        last_axis: bool,
        outer: usize,
        blocks: Vec<usize>,
        result: FixedType,
        casts: Vec<CastPlan>,
    },
    /// See [`Op::Lut`].
    Lut(LutKernel),
    /// See [`crate::ir::Softmax`].
    Softmax(SoftmaxKernel),
    /// See [`Op::LeakyRelu`].
    LeakyRelu(LeakyReluKernel),
    /// See [`Op::Clip`].
    Clip(ClipKernel),
    /// See [`Op::Linear`].
    Linear {
        name: String,
        x_ty: FixedType,
        result: FixedType,
        to_result: CastPlan,
    },
    /// See [`Op::Quantizer`].
    Quantizer(QuantizerKernel),
    /// See [`Op::Thresholds`].
    Thresholds {
        name: String,
        steps: PerElement<Steps>,
        x_ty: FixedType,
        result: FixedType,
    },
}

/// A pooling layer ready to run: the arithmetic of one window is [`PoolKernel::reduce`].
#[derive(Debug, Clone)]
pub struct PoolKernel {
    pub name: String,
    pub kind: PoolKind,
    pub window: Window,
    pub x_ty: FixedType,
    pub precision: PoolPrecision,
    /// How io_stream hardware builds windows when the pool differs from its stride.
    pub implementation: crate::config::ConvImplementation,
}

/// A batch normalization ready to run: [`BatchNormKernel::apply`].
#[derive(Debug, Clone)]
pub struct BatchNormKernel {
    pub name: String,
    pub x_ty: FixedType,
    pub precision: BatchNormPrecision,
    /// Mantissas of `scale` and `bias` per channel.
    pub scale: Vec<i128>,
    pub bias: Vec<i128>,
}

#[derive(Debug, Clone)]
pub struct DenseKernel {
    pub name: String,
    pub n_in: usize,
    pub n_out: usize,
    pub x_ty: FixedType,
    pub precision: DensePrecision,
    pub plan: AccumPlan,
    /// How the hardware schedules the layer (does not change what it computes).
    pub settings: DenseSettings,
    /// `(n_out, n_in)` row-major weight mantissas (the transpose of the IR's layout).
    w_t: Vec<i128>,
    /// The same in `i64` when the plan's values provably fit.
    w_t64: Option<Vec<i64>>,
    /// The same in `i32` when the plan's values provably fit (vectorizes well).
    w_t32: Option<Vec<i32>>,
    /// `cast(b_j → accum)`.
    bias_acc: Vec<i128>,
    /// A sum at accum's scale into accum (reduces wrapped sums modulo 2^W; the identity otherwise).
    to_accum: CastPlan,
    /// accum into result.
    to_result: CastPlan,
    /// `(n_in, n_out)` weights, kept for the reference schedule.
    pub weights: Array2<i128>,
    pub bias: Vec<i128>,
}

impl GoldenModel {
    /// Compiles a graph in [`Phase::Quantized`].
    pub fn compile(graph: &Graph) -> Result<Self> {
        if graph.phase < Phase::Quantized {
            return Err(Error::Internal(
                "the golden model needs a quantized graph".into(),
            ));
        }
        let order = graph.order()?;
        let Op::Input { shape, layout, .. } = &graph.g[graph.input].op else {
            return Err(Error::Internal(
                "the order does not start at the input".into(),
            ));
        };
        let ty = |e: &crate::ir::Edge| e.ty.ok_or_else(|| Error::Internal("untyped edge".into()));
        let readers: Vec<petgraph::stable_graph::NodeIndex> = graph
            .consumers(graph.input)
            .into_iter()
            .map(|e| graph.g.edge_endpoints(e).expect("edge exists").1)
            .collect();
        let is_quantizer =
            |n: &petgraph::stable_graph::NodeIndex| matches!(graph.g[*n].op, Op::Quantizer(_));
        let mut entries = Vec::new();
        let mut value_of = std::collections::BTreeMap::new();
        if !readers.iter().all(is_quantizer) {
            value_of.insert(graph.input, 0usize);
            entries.push(Entry::Cast {
                ty: ty(graph.output_edge(graph.input)?)?,
            });
        }
        for &n in order.iter().filter(|n| readers.contains(n)) {
            let Op::Quantizer(q) = &graph.g[n].op else {
                continue;
            };
            let result = ty(graph.output_edge(n)?)?;
            value_of.insert(n, entries.len());
            entries.push(Entry::Quantizer(QuantizerKernel::new(
                &graph.g[n].name,
                q,
                None,
                result,
            )?));
        }
        let input_type = entries[0].ty();
        let producers = |n,
                         value_of: &std::collections::BTreeMap<_, usize>|
         -> Result<Vec<usize>> {
            graph
                .inputs(n)
                .into_iter()
                .map(|e| {
                    let p = graph.g.edge_endpoints(e).expect("edge exists").0;
                    value_of.get(&p).copied().ok_or_else(|| {
                        Error::Internal(format!("'{}' runs before its producer", graph.g[n].name))
                    })
                })
                .collect()
        };
        let mut layers = Vec::new();
        let mut operands = Vec::new();
        for &n in &order[1..order.len() - 1] {
            if value_of.contains_key(&n) {
                continue;
            }
            let node = &graph.g[n];
            let operand_edges: Vec<&crate::ir::Edge> =
                graph.inputs(n).into_iter().map(|e| &graph.g[e]).collect();
            let x_ty = ty(operand_edges[0])?;
            let result = ty(graph.output_edge(n)?)?;
            operands.push(producers(n, &value_of)?);
            value_of.insert(n, entries.len() + layers.len());
            layers.push(match &node.op {
                Op::Relu => Layer::Relu {
                    name: node.name.clone(),
                    x_ty,
                    result,
                    to_result: CastPlan::new(x_ty.frac_bits(), &result),
                },
                Op::Dense(d) => Layer::Dense(DenseKernel::of(&node.name, x_ty, d)),
                Op::Conv(c) => Layer::Conv {
                    name: node.name.clone(),
                    window: c.window,
                    kernel: DenseKernel::of(&node.name, x_ty, &c.dense),
                    implementation: c.implementation.expect("verified"),
                },
                Op::Pad(p) => {
                    let [h, w, channels] = graph.input_edge(n)?.shape[..] else {
                        return Err(Error::Internal("pad of a non-image".into()));
                    };
                    Layer::Pad {
                        name: node.name.clone(),
                        h,
                        w,
                        channels,
                        padding: *p,
                        fill: if p.minimum { x_ty.min_mantissa() } else { 0 },
                    }
                }
                Op::Pool(p) => Layer::Pool(PoolKernel {
                    name: node.name.clone(),
                    kind: p.kind,
                    window: p.window,
                    x_ty,
                    precision: p.precision.expect("verified"),
                    implementation: p.implementation.expect("verified"),
                }),
                Op::GlobalPool(p) => {
                    let shape = &graph.input_edge(n)?.shape;
                    Layer::GlobalPool {
                        name: node.name.clone(),
                        kind: p.kind,
                        pixels: shape[0] * shape[1],
                        channels: shape[2],
                        x_ty,
                        precision: p.precision.expect("verified"),
                    }
                }
                Op::BatchNorm(b) => {
                    let (scale, bias) = b.quantized.clone().expect("verified");
                    Layer::BatchNorm(BatchNormKernel {
                        name: node.name.clone(),
                        x_ty,
                        precision: b.precision.expect("verified"),
                        scale: scale.to_vec(),
                        bias: bias.to_vec(),
                    })
                }
                Op::Transpose { perm } => Layer::Transpose {
                    name: node.name.clone(),
                    perm: perm.clone(),
                },
                Op::Add => {
                    let fracs: Vec<i32> = operand_edges
                        .iter()
                        .map(|e| ty(e).map(|t| t.frac_bits()))
                        .collect::<Result<_>>()?;
                    let frac = fracs.iter().copied().max().expect("two operands");
                    Layer::Add {
                        name: node.name.clone(),
                        shifts: fracs.iter().map(|&f| (frac - f) as u32).collect(),
                        result,
                        to_result: CastPlan::new(frac, &result),
                    }
                }
                Op::Concat { axis } => {
                    let out_shape = &graph.output_edge(n)?.shape;
                    let inner: usize = out_shape[axis + 1..].iter().product();
                    Layer::Concat {
                        name: node.name.clone(),
                        last_axis: axis + 1 == out_shape.len(),
                        outer: out_shape[..*axis].iter().product(),
                        blocks: operand_edges
                            .iter()
                            .map(|e| e.shape[*axis] * inner)
                            .collect(),
                        result,
                        casts: operand_edges
                            .iter()
                            .map(|e| ty(e).map(|t| CastPlan::new(t.frac_bits(), &result)))
                            .collect::<Result<_>>()?,
                    }
                }
                Op::Lut { function, table } => Layer::Lut(LutKernel::new(
                    &node.name,
                    *function,
                    table.expect("verified"),
                    x_ty,
                    result,
                )),
                Op::Softmax(s) => {
                    let group = *operand_edges[0].shape.last().expect("non-empty shape");
                    Layer::Softmax(SoftmaxKernel::new(
                        &node.name,
                        s.expect("verified"),
                        group,
                        x_ty,
                        result,
                    ))
                }
                Op::LeakyRelu { alpha, param } => Layer::LeakyRelu(LeakyReluKernel::new(
                    &node.name,
                    *alpha,
                    param.expect("verified"),
                    x_ty,
                    result,
                )),
                Op::Clip { min, max } => {
                    Layer::Clip(ClipKernel::new(&node.name, *min, *max, x_ty, result))
                }
                Op::Linear => Layer::Linear {
                    name: node.name.clone(),
                    x_ty,
                    result,
                    to_result: CastPlan::new(x_ty.frac_bits(), &result),
                },
                Op::Quantizer(q) => {
                    Layer::Quantizer(QuantizerKernel::new(&node.name, q, Some(x_ty), result)?)
                }
                Op::Thresholds(t) => Layer::Thresholds {
                    name: node.name.clone(),
                    steps: t.steps.clone(),
                    x_ty,
                    result,
                },
                other => {
                    return Err(Error::Internal(format!(
                        "golden model met a {} layer",
                        other.layer_type()
                    )))
                }
            });
        }
        let output = producers(graph.output, &value_of)?[0];
        let out_edge = graph.input_edge(graph.output)?;
        let output_type = ty(out_edge)?;
        let in_edge = graph.output_edge(graph.input)?;
        let channels_first = |shape: &[usize]| crate::ir::channels_first_order(shape);
        let input_order = (*layout == Layout::ChannelsFirst)
            .then(|| crate::ir::channels_last_order(&in_edge.shape));
        let output_channels_last = matches!(
            graph.g[graph.output].op,
            Op::Output {
                channels_last: true,
                ..
            }
        );
        Ok(GoldenModel {
            input_shape: shape.clone(),
            input_layout: *layout,
            input_order,
            output_shape: out_edge.shape.clone(),
            output_order: output_channels_last.then(|| channels_first(&out_edge.shape)),
            input_type,
            output_type,
            entries,
            layers,
            operands,
            output,
        })
    }

    pub fn n_inputs(&self) -> usize {
        self.input_shape.iter().product()
    }

    /// The per-sample input shape as the layers hold it.
    pub fn held_input_shape(&self) -> Vec<usize> {
        self.input_layout.held_shape(&self.input_shape)
    }

    /// Input conversion: the outputs of every entry one after another (with one entry, the
    /// hardware input), in the layers' (channels-last) element order. Non-finite values are
    /// user errors naming the sample and element.
    pub fn quantize_input(&self, sample: usize, x: &[f64]) -> Result<Vec<i128>> {
        let ordered: Vec<f64>;
        let x = match &self.input_order {
            Some(order) => {
                ordered = order.iter().map(|&i| x[i]).collect();
                &ordered
            }
            None => x,
        };
        if let Some((i, v)) = x.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(Error::user(Diagnostic::new(
                "input data",
                None,
                format!("sample {sample}, element {i}"),
                "a finite number",
                v.to_string(),
            )));
        }
        let mut out = Vec::with_capacity(x.len() * self.entries.len());
        for entry in &self.entries {
            match entry {
                Entry::Cast { ty } => out.extend(x.iter().map(|&v| from_f64(v, ty))),
                Entry::Quantizer(k) => out.extend(k.run_float(x).map_err(|i| {
                    Error::user(Diagnostic::new(
                        "input data",
                        Some(k.op.op_type()),
                        format!("sample {sample}, element {i}"),
                        format!(
                            "a value within the input precision, for which '{}' outputs fit {}",
                            k.name, k.result
                        ),
                        x[i].to_string(),
                    ))
                })?),
            }
        }
        Ok(out)
    }

    /// A user error unless hardware can take the input: one entry reads the float input.
    pub fn check_single_entry(&self) -> Result<()> {
        if self.entries.len() == 1 {
            return Ok(());
        }
        let names: Vec<&str> = self
            .entries
            .iter()
            .map(|e| match e {
                Entry::Cast { .. } => "layers",
                Entry::Quantizer(k) => k.name.as_str(),
            })
            .collect();
        Err(Error::user(Diagnostic::new(
            "model input",
            None,
            "hardware",
            "the input read by one QONNX quantizer, or by layers only: hardware for several input conversions is not yet supported",
            format!("read by {}", names.join(", ")),
        )))
    }

    /// Runs one sample of input mantissas; returns output mantissas.
    pub fn run(&self, x: &[i128]) -> Vec<i128> {
        if self.is_chain() {
            return self
                .layers
                .iter()
                .fold(x.to_vec(), |v, layer| layer.run(&[&v]));
        }
        let mut values: Vec<Vec<i128>> = x
            .chunks(x.len() / self.entries.len())
            .map(<[i128]>::to_vec)
            .collect();
        for (layer, operands) in self.layers.iter().zip(&self.operands) {
            let inputs: Vec<&[i128]> = operands.iter().map(|&v| values[v].as_slice()).collect();
            let y = layer.run(&inputs);
            values.push(y);
        }
        values.swap_remove(self.output)
    }

    /// Whether each layer reads only the one before it (and the output is the last one's).
    pub fn is_chain(&self) -> bool {
        self.entries.len() == 1
            && self.output == self.layers.len()
            && self.operands.iter().enumerate().all(|(k, o)| o[..] == [k])
    }

    /// Converts a batch `(N, n_in)` of floats, runs it on every core, returns output mantissas `(N, n_out)`.
    pub fn run_batch(&self, x: ArrayView2<f64>) -> Result<Array2<i128>> {
        let n = x.nrows();
        let n_out = self.output_width();
        let inputs: Vec<Vec<i128>> = (0..n)
            .map(|s| self.quantize_input(s, x.row(s).as_slice().unwrap_or(&x.row(s).to_vec())))
            .collect::<Result<_>>()?;
        let threads = std::thread::available_parallelism()
            .map_or(1, |t| t.get())
            .min(n.max(1));
        let chunk = n.div_ceil(threads.max(1)).max(1);
        let mut out = Array2::<i128>::zeros((n, n_out));
        std::thread::scope(|s| {
            for (rows, mut block) in inputs
                .chunks(chunk)
                .zip(out.axis_chunks_iter_mut(Axis(0), chunk))
            {
                s.spawn(move || {
                    for (r, x) in rows.iter().enumerate() {
                        for (o, v) in self.run(x).into_iter().enumerate() {
                            block[[r, o]] = v;
                        }
                    }
                });
            }
        });
        Ok(out)
    }

    /// Output mantissas (rows in the layers' element order) as exact `f64` values in the ONNX
    /// output's element order.
    pub fn to_values(&self, m: &Array2<i128>) -> Array2<f64> {
        let f = self.output_type.frac_bits();
        match &self.output_order {
            Some(order) => Array2::from_shape_fn((m.nrows(), order.len()), |(r, j)| {
                to_f64(m[[r, order[j]]], f)
            }),
            None => m.mapv(|v| to_f64(v, f)),
        }
    }

    pub fn output_width(&self) -> usize {
        self.output_shape.iter().product()
    }
}

impl Layer {
    /// The layer's output for its operands (one for every layer but Add and Concat).
    pub fn run(&self, operands: &[&[i128]]) -> Vec<i128> {
        let x = operands[0];
        match self {
            Layer::Dense(d) => d.run(x),
            Layer::Relu { to_result, .. } => x.iter().map(|&v| to_result.apply(v.max(0))).collect(),
            Layer::Conv { window, kernel, .. } => {
                let mut out = Vec::with_capacity(window.out_h() * window.out_w() * kernel.n_out);
                let mut patch = vec![0; window.window_elements()];
                for oh in 0..window.out_h() {
                    for ow in 0..window.out_w() {
                        for (k, v) in patch.iter_mut().enumerate() {
                            *v = x[window.input_index(oh, ow, k)];
                        }
                        out.extend(kernel.run(&patch));
                    }
                }
                out
            }
            Layer::Pad {
                h,
                w,
                channels,
                padding: p,
                fill,
                ..
            } => {
                let wo = w + p.left + p.right;
                let mut out = vec![*fill; (h + p.top + p.bottom) * wo * channels];
                for r in 0..*h {
                    let from = r * w * channels;
                    let to = ((r + p.top) * wo + p.left) * channels;
                    out[to..to + w * channels].copy_from_slice(&x[from..from + w * channels]);
                }
                out
            }
            Layer::Transpose { perm, .. } => perm.iter().map(|&i| x[i]).collect(),
            Layer::Pool(p) => {
                let w = &p.window;
                let mut out = Vec::with_capacity(w.out_h() * w.out_w() * w.channels);
                let area = w.kernel_h * w.kernel_w;
                let mut elements = vec![0; area];
                for oh in 0..w.out_h() {
                    for ow in 0..w.out_w() {
                        for c in 0..w.channels {
                            for (k, e) in elements.iter_mut().enumerate() {
                                *e = x[w.input_index(oh, ow, k * w.channels + c)];
                            }
                            out.push(p.reduce(&elements));
                        }
                    }
                }
                out
            }
            Layer::GlobalPool {
                kind,
                pixels,
                channels,
                x_ty,
                precision,
                ..
            } => {
                let to_accum = CastPlan::new(x_ty.frac_bits(), &precision.accum);
                (0..*channels)
                    .map(|c| {
                        let acc = (1..*pixels).fold(to_accum.apply(x[c]), |acc, p| {
                            let v = to_accum.apply(x[p * channels + c]);
                            match kind {
                                PoolKind::Max => v.max(acc),
                                PoolKind::Average => {
                                    cast(acc + v, precision.accum.frac_bits(), &precision.accum)
                                }
                            }
                        });
                        finish_pool(*kind, acc, *pixels, precision)
                    })
                    .collect()
            }
            Layer::BatchNorm(b) => {
                let channels = b.scale.len();
                x.iter()
                    .enumerate()
                    .map(|(i, &v)| b.apply(v, i % channels))
                    .collect()
            }
            Layer::Add {
                shifts, to_result, ..
            } => (0..x.len())
                .map(|i| {
                    let sum = operands.iter().zip(shifts).map(|(o, &s)| o[i] << s).sum();
                    to_result.apply(sum)
                })
                .collect(),
            Layer::Lut(k) => x.iter().map(|&v| k.apply(v)).collect(),
            Layer::Softmax(k) => x.chunks(k.group).flat_map(|g| k.apply(g)).collect(),
            Layer::LeakyRelu(k) => x.iter().map(|&v| k.apply(v)).collect(),
            Layer::Clip(k) => x.iter().map(|&v| k.apply(v)).collect(),
            Layer::Linear { to_result, .. } => x.iter().map(|&v| to_result.apply(v)).collect(),
            Layer::Quantizer(k) => k.run(x),
            Layer::Thresholds { steps, .. } => x
                .iter()
                .enumerate()
                .map(|(i, &v)| steps.get(i).apply(v))
                .collect(),
            Layer::Concat {
                outer,
                blocks,
                casts,
                ..
            } => {
                let mut out = Vec::with_capacity(outer * blocks.iter().sum::<usize>());
                for o in 0..*outer {
                    for ((x, &block), cast) in operands.iter().zip(blocks).zip(casts) {
                        out.extend(x[o * block..(o + 1) * block].iter().map(|&v| cast.apply(v)));
                    }
                }
                out
            }
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Layer::Dense(d) => &d.name,
            Layer::Quantizer(k) => &k.name,
            Layer::Thresholds { name, .. } => name,
            Layer::Pool(PoolKernel { name, .. })
            | Layer::BatchNorm(BatchNormKernel { name, .. })
            | Layer::Relu { name, .. }
            | Layer::Conv { name, .. }
            | Layer::Pad { name, .. }
            | Layer::GlobalPool { name, .. }
            | Layer::Transpose { name, .. }
            | Layer::Add { name, .. }
            | Layer::Concat { name, .. }
            | Layer::Lut(LutKernel { name, .. })
            | Layer::Softmax(SoftmaxKernel { name, .. })
            | Layer::LeakyRelu(LeakyReluKernel { name, .. })
            | Layer::Clip(ClipKernel { name, .. })
            | Layer::Linear { name, .. } => name,
        }
    }
}

/// An accumulated pool value in `accum` to the result: an average is divided by `area`,
/// truncating toward zero at `accum`'s LSB (REFERENCE §1.2), then cast to `result`.
pub fn finish_pool(kind: PoolKind, acc: i128, area: usize, p: &PoolPrecision) -> i128 {
    let value = match kind {
        PoolKind::Max => acc,
        PoolKind::Average => cast(acc / area as i128, p.accum.frac_bits(), &p.accum),
    };
    cast(value, p.accum.frac_bits(), &p.result)
}

/// hls4ml's reduction tree (`nnet_common.h::reduce`, REFERENCE §4.3) over `v`: `N` elements split
/// into the first `2^floor(log2(N − 1))` and the rest, recursively; `op` combines two nodes.
pub fn reduce_tree(v: &[i128], op: &dyn Fn(i128, i128) -> i128) -> i128 {
    match v.len() {
        0 => 0,
        1 => v[0],
        2 => op(v[0], v[1]),
        n => {
            let left = 1usize << (usize::BITS - 1 - (n - 1).leading_zeros());
            op(reduce_tree(&v[..left], op), reduce_tree(&v[left..], op))
        }
    }
}

impl PoolKernel {
    /// One channel of one window (elements in `(fh, fw)` order, input mantissas): each cast to
    /// `accum`, reduced by the tree with every node cast to `accum`, finished by [`finish_pool`].
    pub fn reduce(&self, elements: &[i128]) -> i128 {
        let accum = self.precision.accum;
        let to_accum = CastPlan::new(self.x_ty.frac_bits(), &accum);
        let cast_elements: Vec<i128> = elements.iter().map(|&v| to_accum.apply(v)).collect();
        let acc = match self.kind {
            PoolKind::Max => reduce_tree(&cast_elements, &|a, b| if a >= b { a } else { b }),
            PoolKind::Average => reduce_tree(&cast_elements, &|a, b| {
                cast(a + b, accum.frac_bits(), &accum)
            }),
        };
        finish_pool(self.kind, acc, elements.len(), &self.precision)
    }
}

impl BatchNormKernel {
    /// `cast(x·scale_c + bias_c → result)`, exact before the cast.
    pub fn apply(&self, x: i128, c: usize) -> i128 {
        let f_prod = self.x_ty.frac_bits() + self.precision.scale.frac_bits();
        let f_bias = self.precision.bias.frac_bits();
        let f = f_prod.max(f_bias);
        let sum = ((x * self.scale[c]) << (f - f_prod)) + (self.bias[c] << (f - f_bias));
        cast(sum, f, &self.precision.result)
    }
}

impl DenseKernel {
    pub fn new(
        name: &str,
        x_ty: FixedType,
        p: DensePrecision,
        weights: ArrayView2<i128>,
        bias: &[i128],
    ) -> Self {
        let (n_in, n_out) = weights.dim();
        let plan = plan(&x_ty, &p, weights, bias);
        let w_t: Vec<i128> = weights.t().iter().copied().collect();
        let fits64 = match plan {
            AccumPlan::Exact => p.accum.width <= 62,
            AccumPlan::Wrap => {
                let shift = p.accum.frac_bits() - x_ty.frac_bits() - p.weight.frac_bits();
                x_ty.width + p.weight.width <= 62 && p.accum.width <= 64 && shift.abs() < 62
            }
            AccumPlan::Sequential => false,
        };
        let w_t64 = fits64.then(|| w_t.iter().map(|&w| w as i64).collect());
        let shift = p.accum.frac_bits() - x_ty.frac_bits() - p.weight.frac_bits();
        // i32 lanes: exact sums of an accumulator of at most 31 bits, or wrapping sums of products
        // below 2^31 in magnitude.
        let fits32 = match plan {
            AccumPlan::Exact => p.accum.width <= 31,
            AccumPlan::Wrap => {
                let max_abs = |t: &FixedType| t.max_mantissa().max(-t.min_mantissa());
                max_abs(&x_ty) * max_abs(&p.weight) <= i32::MAX as i128
                    && p.accum.width <= 32
                    && shift.abs() < 31
                    && (shift >= 0 || p.accum.effective_quant() == Quant::Trn)
            }
            AccumPlan::Sequential => false,
        };
        let w_t32 = fits32.then(|| w_t.iter().map(|&w| w as i32).collect());
        let bias_acc = bias.iter().map(|&b| bias_in_accum(b, &p)).collect();
        DenseKernel {
            name: name.to_owned(),
            n_in,
            n_out,
            x_ty,
            precision: p,
            plan,
            settings: DenseSettings {
                reuse_factor: 1,
                strategy: crate::config::Strategy::Latency,
                multiplier: crate::config::MultiplierStyle::Auto,
            },
            w_t,
            w_t64,
            w_t32,
            bias_acc,
            to_accum: CastPlan::new(p.accum.frac_bits(), &p.accum),
            to_result: CastPlan::new(p.accum.frac_bits(), &p.result),
            weights: weights.to_owned(),
            bias: bias.to_vec(),
        }
    }

    /// The kernel of a quantized Dense (or a Conv's Dense) with input type `x_ty`.
    pub fn of(name: &str, x_ty: FixedType, d: &crate::ir::Dense) -> Self {
        let q = d.quantized.as_ref().expect("verified");
        DenseKernel::new(
            name,
            x_ty,
            d.precision.expect("verified"),
            q.weights.view(),
            q.bias.as_slice().expect("contiguous"),
        )
        .with_settings(d.settings.expect("verified"))
    }

    /// The same kernel scheduled with `settings`.
    pub fn with_settings(self, settings: DenseSettings) -> Self {
        DenseKernel { settings, ..self }
    }

    /// `F_accum − F_product`: positive when products are shifted left into the accumulator.
    fn shift(&self) -> i32 {
        self.precision.accum.frac_bits() - self.x_ty.frac_bits() - self.precision.weight.frac_bits()
    }

    pub fn run(&self, x: &[i128]) -> Vec<i128> {
        let p = &self.precision;
        if let Some(w) = &self.w_t32 {
            let x32: Vec<i32> = x.iter().map(|&v| v as i32).collect();
            let s = self.shift();
            return w
                .chunks_exact(self.n_in)
                .zip(&self.bias_acc)
                .map(|(row, &b)| {
                    let sum = match (self.plan, s >= 0) {
                        (AccumPlan::Exact, _) => (b + ((dot32(row, &x32) as i128) << s)) as i64,
                        (_, true) => {
                            (b as i32).wrapping_add(dot32(row, &x32).wrapping_shl(s as u32)) as i64
                        }
                        (_, false) => {
                            (b as i32).wrapping_add(dot32_shr(row, &x32, (-s) as u32)) as i64
                        }
                    };
                    self.to_result.apply(self.to_accum.apply(sum as i128))
                })
                .collect();
        }
        let acc: Vec<i128> = match (self.plan, &self.w_t64) {
            (AccumPlan::Sequential, _) => {
                return super::reference::dense(x, &self.x_ty, p, self.weights.view(), &self.bias);
            }
            (AccumPlan::Exact, Some(w)) => {
                let x64: Vec<i64> = x.iter().map(|&v| v as i64).collect();
                let s = self.shift() as u32;
                w.chunks_exact(self.n_in)
                    .zip(&self.bias_acc)
                    .map(|(row, &b)| b + ((dot64(row, &x64) as i128) << s))
                    .collect()
            }
            (AccumPlan::Exact, None) => {
                let s = self.shift() as u32;
                self.w_t
                    .chunks_exact(self.n_in)
                    .zip(&self.bias_acc)
                    .map(|(row, &b)| {
                        b + (row.iter().zip(x).map(|(&w, &v)| w * v).sum::<i128>() << s)
                    })
                    .collect()
            }
            (AccumPlan::Wrap, Some(w)) => {
                let x64: Vec<i64> = x.iter().map(|&v| v as i64).collect();
                let s = self.shift();
                let q = p.accum.effective_quant();
                w.chunks_exact(self.n_in)
                    .zip(&self.bias_acc)
                    .map(|(row, &b)| {
                        let sum = if s >= 0 {
                            dot64(row, &x64).wrapping_shl(s as u32)
                        } else if q == Quant::Trn {
                            row.iter()
                                .zip(&x64)
                                .fold(0i64, |a, (&w, &v)| a.wrapping_add((w * v) >> -s))
                        } else {
                            row.iter().zip(&x64).fold(0i64, |a, (&w, &v)| {
                                a.wrapping_add(quantize((w * v) as i128, (-s) as u32, q) as i64)
                            })
                        };
                        (b as i64).wrapping_add(sum) as i128
                    })
                    .collect()
            }
            (AccumPlan::Wrap, None) => self
                .w_t
                .chunks_exact(self.n_in)
                .zip(&self.bias_acc)
                .map(|(row, &b)| {
                    let f_prod = self.x_ty.frac_bits() + p.weight.frac_bits();
                    row.iter().zip(x).fold(b, |a, (&w, &v)| {
                        a.wrapping_add(cast(w * v, f_prod, &p.accum))
                    })
                })
                .collect(),
        };
        // Exact sums are in range; wrapped sums are reduced modulo 2^W here.
        acc.into_iter()
            .map(|a| self.to_result.apply(self.to_accum.apply(a)))
            .collect()
    }
}

/// Wrapping `i32` dot product (exact whenever the caller's bounds hold).
fn dot32(w: &[i32], x: &[i32]) -> i32 {
    dot32_shr(w, x, 0)
}

/// Σ floor(w·x / 2^d), wrapping: products cast to a coarser accumulator with TRN. Uses AVX2
/// lanes when the processor has them.
fn dot32_shr(w: &[i32], x: &[i32], d: u32) -> i32 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the processor supports AVX2, checked just above.
        return unsafe { dot32_shr_avx2(w, x, d) };
    }
    dot32_shr_portable(w, x, d)
}

#[inline(always)]
fn dot32_shr_portable(w: &[i32], x: &[i32], d: u32) -> i32 {
    w.iter()
        .zip(x)
        .fold(0i32, |a, (&w, &v)| a.wrapping_add(w.wrapping_mul(v) >> d))
}

/// The same loop compiled for AVX2, which the compiler vectorizes 8 lanes wide.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn dot32_shr_avx2(w: &[i32], x: &[i32], d: u32) -> i32 {
    dot32_shr_portable(w, x, d)
}

/// Wrapping `i64` dot product (exact whenever the caller's bounds hold).
fn dot64(w: &[i64], x: &[i64]) -> i64 {
    w.iter()
        .zip(x)
        .fold(0i64, |a, (&w, &v)| a.wrapping_add(w.wrapping_mul(v)))
}
