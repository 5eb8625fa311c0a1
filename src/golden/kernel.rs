use crate::analysis::accumulation::{bias_in_accum, plan, AccumPlan};
use crate::diag::{Diagnostic, Error, Result};
use crate::fixed::{cast, from_f64, quantize, to_f64, CastPlan, FixedType, Quant};
use crate::ir::{DensePrecision, DenseSettings, Graph, Op, Phase};
use ndarray::{Array2, ArrayView2, Axis};

/// A compiled, bit-accurate model of a quantized graph.
#[derive(Debug, Clone)]
pub struct GoldenModel {
    /// Per-sample input shape as in the ONNX model.
    pub input_shape: Vec<usize>,
    pub input_type: FixedType,
    pub output_type: FixedType,
    pub layers: Vec<Layer>,
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
        let chain = graph.chain()?;
        let Op::Input { shape, .. } = &graph.g[graph.input].op else {
            return Err(Error::Internal(
                "the chain does not start at the input".into(),
            ));
        };
        let ty = |e: &crate::ir::Edge| e.ty.ok_or_else(|| Error::Internal("untyped edge".into()));
        let input_type = ty(graph.output_edge(graph.input)?)?;
        let mut layers = Vec::new();
        for &n in &chain[1..chain.len() - 1] {
            let node = &graph.g[n];
            let x_ty = ty(graph.input_edge(n)?)?;
            let result = ty(graph.output_edge(n)?)?;
            layers.push(match &node.op {
                Op::Relu => Layer::Relu {
                    name: node.name.clone(),
                    x_ty,
                    result,
                    to_result: CastPlan::new(x_ty.frac_bits(), &result),
                },
                Op::Dense(d) => {
                    let p = d.precision.expect("verified");
                    let q = d.quantized.as_ref().expect("verified");
                    let settings = d.settings.expect("verified");
                    Layer::Dense(
                        DenseKernel::new(
                            &node.name,
                            x_ty,
                            p,
                            q.weights.view(),
                            q.bias.as_slice().expect("contiguous"),
                        )
                        .with_settings(settings),
                    )
                }
                other => {
                    return Err(Error::Internal(format!(
                        "golden model met a {} layer",
                        other.layer_type()
                    )))
                }
            });
        }
        let output_type = ty(graph.input_edge(graph.output)?)?;
        Ok(GoldenModel {
            input_shape: shape.clone(),
            input_type,
            output_type,
            layers,
        })
    }

    pub fn n_inputs(&self) -> usize {
        self.input_shape.iter().product()
    }

    /// Input conversion: each value cast into the input type with its modes. Non-finite values are
    /// user errors naming the sample and element.
    pub fn quantize_input(&self, sample: usize, x: &[f64]) -> Result<Vec<i128>> {
        x.iter()
            .enumerate()
            .map(|(i, &v)| {
                if v.is_finite() {
                    Ok(from_f64(v, &self.input_type))
                } else {
                    Err(Error::user(Diagnostic::new(
                        "input data",
                        None,
                        format!("sample {sample}, element {i}"),
                        "a finite number",
                        v.to_string(),
                    )))
                }
            })
            .collect()
    }

    /// Runs one sample of input mantissas; returns output mantissas.
    pub fn run(&self, x: &[i128]) -> Vec<i128> {
        self.layers
            .iter()
            .fold(x.to_vec(), |v, layer| layer.run(&v))
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

    /// Output mantissas as exact `f64` values.
    pub fn to_values(&self, m: &Array2<i128>) -> Array2<f64> {
        let f = self.output_type.frac_bits();
        m.mapv(|v| to_f64(v, f))
    }

    pub fn output_width(&self) -> usize {
        match self.layers.last() {
            Some(Layer::Dense(d)) => d.n_out,
            _ => self.n_inputs(),
        }
    }
}

impl Layer {
    pub fn run(&self, x: &[i128]) -> Vec<i128> {
        match self {
            Layer::Dense(d) => d.run(x),
            Layer::Relu { to_result, .. } => x.iter().map(|&v| to_result.apply(v.max(0))).collect(),
        }
    }
    pub fn name(&self) -> &str {
        match self {
            Layer::Dense(d) => &d.name,
            Layer::Relu { name, .. } => name,
        }
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
