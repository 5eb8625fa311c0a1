//! io_stream lowering: every layer is a stage module with a valid/ready handshake (see
//! [`stage`]), chained by a top module with the same ports.
//!
//! A tensor streams as beats: an image `[H, W, C]` as `H·W` beats of its `C` channels in raster
//! order, any other tensor as one beat holding all of it. Convolutions and elementwise layers
//! work on pixel beats; a Transpose (the Flatten of an image) collects an image into one beat,
//! after which layers are the io_parallel modules wrapped in the same handshake.
//!
//! Skip connections: a tensor read by several stages is forked in the top module (a beat moves
//! to all readers at one edge); an Add or Concat is a join stage that takes one beat of each
//! operand at a time from per-operand FIFOs. A FIFO's depth is the most beats it holds when the
//! cycle model runs with unbounded FIFOs ([`size_join_fifos`]): with it the timing is unchanged,
//! and the shorter branch can run ahead by as many beats as the longer one absorbs before its
//! first result, which the full-rate run reaches, so backpressure cannot deadlock the fork.
//!
//! Timing: [`timing::simulate`] replays the stages' handshakes for back-to-back images with the
//! output always ready, for enough images to reach the steady pace ([`steady`]). The model
//! latency is the cycles from the edge accepting an image's first input beat to the edge
//! transferring its last output beat; the II is the largest spacing of consecutive images' first
//! input beats. The first images may be accepted faster, while buffers fill; the design carries
//! the modelled cycle of every image's first beat, which co-simulation checks.

mod stage;
pub mod timing;
mod window;

use super::builder::ModuleBuilder;
use super::netlist::*;
use super::timing::Timing;
use super::{
    encoding, estimate, layer_module, verilog, Bus, Design, Encoding, LayerInfo, Registers,
};
use crate::config::ConvImplementation;
use crate::diag::{Diagnostic, Error, Result};
use crate::fixed::FixedType;
use crate::golden::{GoldenModel, Layer};
use crate::ir::Window;
use stage::Core;
use timing::Behaviour;
use window::Front;

/// Images the cycle model streams to measure latency and II.
const MODEL_IMAGES: usize = 4;

/// A tensor as it streams.
#[derive(Debug, Clone)]
struct Tensor {
    shape: Vec<usize>,
    image: bool,
    ty: FixedType,
    encoding: Encoding,
}

impl Tensor {
    fn beats(&self) -> usize {
        if self.image {
            self.shape[0] * self.shape[1]
        } else {
            1
        }
    }
    fn beat_elements(&self) -> usize {
        if self.image {
            self.shape[2]
        } else {
            self.shape.iter().product()
        }
    }
    fn element_bits(&self) -> u32 {
        self.encoding.element_bits(&self.ty)
    }
    fn beat_bits(&self) -> u32 {
        self.beat_elements() as u32 * self.element_bits()
    }
    /// One beat as a module operand.
    fn beat_bus(&self, elements: usize) -> Bus {
        Bus {
            ty: self.ty,
            elements,
            encoding: self.encoding,
        }
    }
}

/// A generated stage: its module, the core module it instantiates (if any), its report row and
/// handshake behaviour.
struct Stage {
    module: Module,
    core: Option<Module>,
    info: LayerInfo,
    behaviour: Behaviour,
    out_beat_bits: u32,
}

/// Generates the io_stream design of `model`.
pub fn generate(
    model: &GoldenModel,
    top: &str,
    header: &[String],
    origins: &dyn Fn(&str) -> String,
    timing: &Timing,
) -> Result<Design> {
    model.check_single_entry()?;
    let encodings = encoding::plan(model);
    let input = Tensor {
        shape: model.held_input_shape(),
        image: model.input_layout.is_image(),
        ty: model.input_type,
        encoding: encodings[0],
    };
    if model.layers.is_empty() {
        return Err(Error::Internal("an io_stream design needs a layer".into()));
    }
    let mut values = vec![input.clone()];
    let mut stages = Vec::new();
    for (k, (layer, operands)) in model.layers.iter().zip(&model.operands).enumerate() {
        let xs: Vec<&Tensor> = operands.iter().map(|&v| &values[v]).collect();
        let unsized_fifos = vec![1; xs.len()];
        let (stage, y) = lower(
            layer,
            &xs,
            &unsized_fifos,
            encodings[k + 1],
            top,
            origins(layer.name()),
            timing,
        )?;
        stages.push(stage);
        values.push(y);
    }
    let output = values[model.output].clone();
    let beats = (input.beats(), output.beats());
    let relower = |k: usize, xs: &[&Tensor], depths: &[usize]| {
        let layer = &model.layers[k];
        let out = encodings[k + 1];
        Ok(lower(layer, xs, depths, out, top, origins(layer.name()), timing)?.0)
    };
    let measured = if stages
        .iter()
        .any(|s| matches!(s.behaviour, Behaviour::Join { .. }))
    {
        size_join_fifos(model, &values, &mut stages, beats, &relower)?
    } else {
        let behaviours: Vec<Behaviour> = stages.iter().map(|s| s.behaviour.clone()).collect();
        steady(model, &behaviours, beats)?
    };
    let (latency, ii) = (measured.latency(), measured.ii());
    let mut files = vec![];
    for s in &stages {
        files.push((
            format!("{}.v", s.module.name),
            verilog::print(&s.module, header)?,
        ));
        if let Some(core) = &s.core {
            files.push((format!("{}.v", core.name), verilog::print(core, header)?));
        }
    }
    let top_module = top_module(top, model, &values, &stages, latency, ii)?;
    files.insert(
        0,
        (format!("{top}.v"), verilog::print(&top_module, header)?),
    );
    for (name, text) in super::PRIMITIVES {
        files.push((name.to_string(), text.to_string()));
    }
    let estimated_stage_ns = stages
        .iter()
        .map(|s| s.info.estimated_stage_ns)
        .fold(timing.model.register_ns, f64::max);
    Ok(Design {
        top: top.to_owned(),
        files,
        layers: stages.into_iter().map(|s| s.info).collect(),
        latency,
        ii,
        in_elements: input.beat_elements(),
        in_type: input.ty,
        out_elements: output.beat_elements(),
        out_type: output.ty,
        stream: Some(super::StreamIo {
            in_beats: input.beats(),
            out_beats: output.beats(),
            first_in: measured
                .first_in
                .iter()
                .map(|&t| t - measured.first_in[0])
                .collect(),
        }),
        clock_period_ns: timing.clock_period_ns,
        estimated_stage_ns,
    })
}

/// The most images the cycle model streams looking for the steady state.
const MAX_MODEL_IMAGES: usize = 256;

/// The cycle model's run of `stages` long enough to show their steady state: the image count
/// doubles from [`MODEL_IMAGES`] until doubling it once more changes the largest spacing of
/// images no more. (Buffers can let the first images in faster than the steady pace.)
fn steady(
    model: &GoldenModel,
    stages: &[Behaviour],
    beats: (usize, usize),
) -> Result<timing::Measured> {
    let mut images = MODEL_IMAGES;
    let mut run = measure(model, stages, beats, images)?;
    while images < MAX_MODEL_IMAGES {
        let longer = measure(model, stages, beats, 2 * images)?;
        if longer.ii() == run.ii() {
            return Ok(longer);
        }
        (images, run) = (2 * images, longer);
    }
    Err(Error::Internal(format!(
        "the stream stages reach no steady pace within {MAX_MODEL_IMAGES} images"
    )))
}

/// Rebuilds stage `k` reading the given operands with join FIFOs of the given depths.
type Relower<'a> = dyn Fn(usize, &[&Tensor], &[usize]) -> Result<Stage> + 'a;

/// Sizes every join's operand FIFOs (rebuilding its stage with `relower(k, operands, depths)`)
/// at the peak occupancy each reaches when the cycle model runs the design with unbounded join
/// FIFOs (at least 1), and returns the sized design's steady run, checked equal to the
/// unbounded design's.
fn size_join_fifos(
    model: &GoldenModel,
    values: &[Tensor],
    stages: &mut [Stage],
    beats: (usize, usize),
    relower: &Relower,
) -> Result<timing::Measured> {
    let unbounded: Vec<Behaviour> = stages
        .iter()
        .map(|s| match &s.behaviour {
            Behaviour::Join {
                fifo_depths,
                latency,
                depth,
            } => Behaviour::Join {
                fifo_depths: vec![usize::MAX; fifo_depths.len()],
                latency: *latency,
                depth: *depth,
            },
            other => other.clone(),
        })
        .collect();
    let free = steady(model, &unbounded, beats)?;
    for (k, peaks) in free.fifo_peaks.iter().enumerate() {
        if !peaks.is_empty() {
            let xs: Vec<&Tensor> = model.operands[k].iter().map(|&v| &values[v]).collect();
            let depths: Vec<usize> = peaks.iter().map(|&p| p.max(1)).collect();
            stages[k] = relower(k, &xs, &depths)?;
        }
    }
    let sized: Vec<Behaviour> = stages.iter().map(|s| s.behaviour.clone()).collect();
    let measured = measure(model, &sized, beats, free.first_in.len())?;
    if (&measured.first_in, &measured.last_out) != (&free.first_in, &free.last_out) {
        return Err(Error::Internal(
            "join FIFOs sized at their peak occupancy change the stream timing".into(),
        ));
    }
    Ok(measured)
}

/// Runs the cycle model of `stages`, wired as `model`'s layers, on `images` images of
/// `(in, out)` beats.
fn measure(
    model: &GoldenModel,
    stages: &[Behaviour],
    (in_beats, out_beats): (usize, usize),
    images: usize,
) -> Result<timing::Measured> {
    let net = timing::Network {
        stages,
        operands: &model.operands,
        output: model.output,
    };
    timing::simulate(&net, in_beats, out_beats, images)
        .ok_or_else(|| Error::Internal("the stream stages deadlock in the cycle model".into()))
}

/// One layer as a stage reading `xs`; returns the stage and the tensor it produces in `out`. A
/// join's operand FIFOs are `fifo_depths` beats deep.
fn lower(
    layer: &Layer,
    xs: &[&Tensor],
    fifo_depths: &[usize],
    out: Encoding,
    top: &str,
    origin: String,
    timing: &Timing,
) -> Result<(Stage, Tensor)> {
    let name = layer.name();
    let module = format!("{top}_{name}");
    let mut b = ModuleBuilder::new(&module);
    if let Layer::Add { .. } | Layer::Concat { .. } = layer {
        return lower_join(layer, xs, fifo_depths, out, b, origin, timing);
    }
    let x = xs[0];
    let p = stage::ports(&mut b, x.beat_bits());
    let (behaviour, core, y, kind) = match layer {
        Layer::Dense(d) => {
            let y = Tensor {
                shape: vec![d.n_out],
                image: false,
                ty: d.precision.result,
                encoding: out,
            };
            let (core, info) =
                core_module(layer, &module, x, x.beat_elements(), out, &origin, timing)?;
            let r = d.settings.reuse_factor;
            let behaviour = stage::core_stage(&mut b, &p, &Front::Beat, &core_of(&core, &info), r)?;
            let kind = super::xnor::kind(d, x.encoding).to_owned();
            (behaviour, Some((core, info)), y, kind)
        }
        Layer::Relu { result, .. } => {
            let y = Tensor {
                ty: *result,
                encoding: out,
                ..x.clone()
            };
            let (core, info) =
                core_module(layer, &module, x, x.beat_elements(), out, &origin, timing)?;
            let behaviour = stage::core_stage(&mut b, &p, &Front::Beat, &core_of(&core, &info), 1)?;
            (behaviour, Some((core, info)), y, "ReLU".to_owned())
        }
        Layer::Lut(_)
        | Layer::Softmax(_)
        | Layer::LeakyRelu(_)
        | Layer::Clip(_)
        | Layer::Linear { .. }
        | Layer::Quantizer(_)
        | Layer::Thresholds { .. } => {
            if let Layer::Thresholds { steps, .. } = layer {
                let beat = x.beat_elements();
                if (0..steps.len()).any(|i| steps.index[i] != steps.index[i % beat]) {
                    return Err(Error::Internal(format!(
                        "'{name}' has thresholds that differ between pixels of a channel"
                    )));
                }
            }
            let (core, info) =
                core_module(layer, &module, x, x.beat_elements(), out, &origin, timing)?;
            let y = Tensor {
                ty: info.result_type,
                encoding: out,
                ..x.clone()
            };
            let kind = info.kind.clone();
            let behaviour = stage::core_stage(&mut b, &p, &Front::Beat, &core_of(&core, &info), 1)?;
            (behaviour, Some((core, info)), y, kind)
        }
        Layer::Conv {
            window,
            kernel,
            implementation,
            ..
        } => {
            let y = Tensor {
                shape: vec![window.out_h(), window.out_w(), kernel.n_out],
                image: true,
                ty: kernel.precision.result,
                encoding: out,
            };
            let dense = Layer::Dense(kernel.clone());
            let (core, info) = core_module(
                &dense,
                &module,
                x,
                window.window_elements(),
                out,
                &origin,
                timing,
            )?;
            let front = window_front(*implementation, *window, x.element_bits());
            let r = kernel.settings.reuse_factor;
            let behaviour = stage::core_stage(&mut b, &p, &front, &core_of(&core, &info), r)?;
            let counting = if super::xnor::applies(kernel, x.encoding) {
                ", XNOR-popcount"
            } else {
                ""
            };
            let kind = format!(
                "Conv {}x{} /{}x{} ({implementation:?}{counting})",
                window.kernel_h, window.kernel_w, window.stride_h, window.stride_w
            );
            (behaviour, Some((core, info)), y, kind)
        }
        Layer::Pad { h, w, padding, .. } => {
            let y = Tensor {
                shape: vec![
                    h + padding.top + padding.bottom,
                    w + padding.left + padding.right,
                    x.beat_elements(),
                ],
                encoding: out,
                ..x.clone()
            };
            let behaviour = stage::pad_stage(&mut b, &p, *h, *w, *padding);
            (behaviour, None, y, "ZeroPad".to_owned())
        }
        Layer::Add { .. } | Layer::Concat { .. } => {
            return Err(Error::Internal(format!(
                "'{name}' is a join, lowered by lower_join"
            )))
        }
        Layer::Transpose { perm, .. } => {
            let y = Tensor {
                shape: vec![perm.len()],
                image: false,
                ty: x.ty,
                encoding: out,
            };
            let behaviour = stage::collect_stage(&mut b, &p, x.beats(), x.element_bits(), perm);
            (behaviour, None, y, "Collect".to_owned())
        }
        Layer::BatchNorm(bn) => {
            let y = Tensor {
                ty: bn.precision.result,
                encoding: out,
                ..x.clone()
            };
            let (core, info) =
                core_module(layer, &module, x, x.beat_elements(), out, &origin, timing)?;
            let behaviour = stage::core_stage(&mut b, &p, &Front::Beat, &core_of(&core, &info), 1)?;
            (behaviour, Some((core, info)), y, "BatchNorm".to_owned())
        }
        Layer::Pool(pk) => {
            let w = pk.window;
            let y = Tensor {
                shape: vec![w.out_h(), w.out_w(), w.channels],
                image: true,
                ty: pk.precision.result,
                encoding: out,
            };
            let element_bits = x.element_bits();
            let front = if w.kernel_h == w.stride_h && w.kernel_w == w.stride_w {
                Front::PoolTaps {
                    window: w,
                    element_bits,
                }
            } else {
                window_front(pk.implementation, w, element_bits)
            };
            let (kind, precision) = (pk.kind, pk.precision);
            let (core, info) = custom_core(
                &module,
                x.beat_bus(w.window_elements()),
                w.channels,
                pk.precision.result,
                out,
                &origin,
                timing,
                &mut |b, xs| super::pool::lower_window(b, xs, w.channels, kind, &precision),
            )?;
            let behaviour = stage::core_stage(&mut b, &p, &front, &core_of(&core, &info), 1)?;
            let kind = format!(
                "{:?}Pool {}x{} /{}x{} ({})",
                pk.kind,
                w.kernel_h,
                w.kernel_w,
                w.stride_h,
                w.stride_w,
                match front {
                    Front::PoolTaps { .. } => "tap tables".to_owned(),
                    _ => format!("{:?}", pk.implementation),
                }
            );
            (behaviour, Some((core, info)), y, kind)
        }
        Layer::GlobalPool {
            kind,
            pixels,
            channels,
            x_ty,
            precision,
            ..
        } => {
            let y = Tensor {
                shape: vec![1, 1, *channels],
                image: true,
                ty: precision.result,
                encoding: out,
            };
            let front = Front::Accumulate {
                pixels: *pixels,
                channels: *channels,
                kind: *kind,
                x_ty: *x_ty,
                accum: precision.accum,
            };
            let (kind, pixels, precision) = (*kind, *pixels, *precision);
            let accumulated = Bus {
                ty: precision.accum,
                elements: *channels,
                encoding: Encoding::Mantissa,
            };
            let (core, info) = custom_core(
                &module,
                accumulated,
                *channels,
                precision.result,
                out,
                &origin,
                timing,
                &mut |b, xs| {
                    xs.iter()
                        .enumerate()
                        .map(|(c, &acc)| {
                            let y = super::pool::finish(
                                b,
                                acc,
                                kind,
                                pixels,
                                &precision,
                                &format!("y{c}"),
                            )?;
                            Ok(super::dense::Out::Sig(y))
                        })
                        .collect()
                },
            )?;
            let behaviour = stage::core_stage(&mut b, &p, &front, &core_of(&core, &info), 1)?;
            (
                behaviour,
                Some((core, info)),
                y,
                format!("Global{kind:?}Pool"),
            )
        }
    };
    let built = Built {
        module: b.m,
        core,
        behaviour,
        kind,
    };
    Ok((finish(layer, &[x], &y, built, &origin, timing), y))
}

/// A stage's modules and handshake, before its report row.
struct Built {
    module: Module,
    core: Option<(Module, LayerInfo)>,
    behaviour: Behaviour,
    kind: String,
}

/// The stage of `layer` reading `xs` and producing `y`: its module's comments, estimate and
/// report row.
fn finish(
    layer: &Layer,
    xs: &[&Tensor],
    y: &Tensor,
    built: Built,
    origin: &str,
    timing: &Timing,
) -> Stage {
    let Built {
        module: mut m,
        core,
        behaviour,
        kind,
    } = built;
    let name = layer.name();
    let x = xs[0];
    let (layer_latency, layer_ii) = match &behaviour {
        Behaviour::Core { latency, reuse, .. } => (*latency, (x.beats() * reuse) as u32),
        Behaviour::Pad { interior, .. } => (1, interior.len() as u32),
        Behaviour::Collect { beats } => (1, *beats as u32),
        Behaviour::Join { latency, .. } => (*latency, x.beats() as u32),
    };
    let inputs: Vec<String> = xs
        .iter()
        .map(|x| format!("{} beats of {}", x.beats(), beat_text(x)))
        .collect();
    m.comment = vec![
        format!(
            "Layer '{name}' ({origin}): {kind}, streaming; {} in, {} beats of {} out per image.",
            inputs.join(" and "),
            y.beats(),
            beat_text(y)
        ),
        format!("A result is at out_valid {layer_latency} cycles after the beat that completes it is accepted; an image takes {layer_ii} cycles."),
        "Handshake: a beat moves at a rising edge where valid and ready are both high; valid and data are held while ready is low.".into(),
    ];
    verilog::prune(&mut m);
    let kernel = match layer {
        Layer::Dense(d) => Some(d),
        Layer::Conv { kernel, .. } => Some(kernel),
        _ => None,
    };
    let mut est = estimate::estimate(&m, timing.family);
    let (core_module, core_stage_ns, multipliers, shifts) = match core {
        Some((core, info)) => {
            est += info.estimate;
            (
                Some(core),
                info.estimated_stage_ns,
                info.multipliers,
                info.shifts,
            )
        }
        None => (None, 0.0, 0, 0),
    };
    let info = LayerInfo {
        name: name.to_owned(),
        module: m.name.clone(),
        kind,
        n_in: xs.iter().map(|x| x.shape.iter().product::<usize>()).sum(),
        n_out: y.shape.iter().product(),
        latency: layer_latency,
        ii: layer_ii,
        multipliers,
        shifts,
        zero_weights: kernel.map_or(0, |k| k.weights.iter().filter(|&&w| w == 0).count()),
        accum_plan: kernel.map(|k| k.plan),
        input_type: x.ty,
        result_type: y.ty,
        encoding: y.encoding,
        precision: kernel.map(|k| k.precision),
        estimated_stage_ns: core_stage_ns.max(timing.model.register_ns),
        estimate: est,
    };
    Stage {
        module: m,
        core: core_module,
        info,
        behaviour,
        out_beat_bits: y.beat_bits(),
    }
}

/// An Add or Concat as a join stage: its core is the io_parallel layer over one beat of each
/// operand. An image Concat joins channels (hls4ml's default axis); along rows or columns it
/// would interleave whole operand rows, which this stage does not do.
fn lower_join(
    layer: &Layer,
    xs: &[&Tensor],
    fifo_depths: &[usize],
    out: Encoding,
    mut b: ModuleBuilder,
    origin: String,
    timing: &Timing,
) -> Result<(Stage, Tensor)> {
    let name = layer.name();
    let x = xs[0];
    let (beat_layer, y) = match layer {
        Layer::Add { result, .. } => (
            layer.clone(),
            Tensor {
                ty: *result,
                encoding: out,
                ..x.clone()
            },
        ),
        Layer::Concat {
            name,
            last_axis,
            outer,
            blocks,
            result,
            casts,
        } => {
            let channels: usize = blocks.iter().sum();
            if !x.image {
                let y = Tensor {
                    shape: vec![outer * channels],
                    image: false,
                    ty: *result,
                    encoding: out,
                };
                (layer.clone(), y)
            } else if *last_axis {
                let beat_layer = Layer::Concat {
                    name: name.clone(),
                    last_axis: true,
                    outer: 1,
                    blocks: blocks.clone(),
                    result: *result,
                    casts: casts.clone(),
                };
                let y = Tensor {
                    shape: vec![x.shape[0], x.shape[1], channels],
                    image: true,
                    ty: *result,
                    encoding: out,
                };
                (beat_layer, y)
            } else {
                return Err(Error::user(Diagnostic::new(
                    name,
                    None,
                    "hardware",
                    "an io_stream Concat of images along the channel axis",
                    "a Concat of images along their rows or columns",
                )));
            }
        }
        _ => return Err(Error::Internal(format!("'{name}' is not a join"))),
    };
    let buses: Vec<Bus> = xs.iter().map(|x| x.beat_bus(x.beat_elements())).collect();
    let core_name = format!("{}_core", b.m.name);
    let (core, info) = layer_module(
        &beat_layer,
        &core_name,
        &buses,
        out,
        Registers::Always,
        origin.clone(),
        timing,
    )?;
    let operand_bits: Vec<u32> = xs.iter().map(|x| x.beat_bits()).collect();
    let behaviour = stage::join_stage(&mut b, &operand_bits, fifo_depths, &core_of(&core, &info))?;
    let depths: Vec<String> = fifo_depths.iter().map(|d| d.to_string()).collect();
    let kind = format!(
        "{} (operand FIFOs of {} beats)",
        if matches!(layer, Layer::Add { .. }) {
            "Add"
        } else {
            "Concat"
        },
        depths.join(", ")
    );
    let built = Built {
        module: b.m,
        core: Some((core, info)),
        behaviour,
        kind,
    };
    Ok((finish(layer, xs, &y, built, &origin, timing), y))
}

fn beat_text(t: &Tensor) -> String {
    match t.encoding {
        Encoding::Mantissa => format!("{} x {}", t.beat_elements(), t.ty),
        Encoding::Bipolar => format!("{} x {} as 1-bit codes", t.beat_elements(), t.ty),
    }
}

/// The io_parallel module computing one core input of `n_in` elements of `x`, its output in
/// `out`, named `<stage>_core`.
fn core_module(
    layer: &Layer,
    stage: &str,
    x: &Tensor,
    n_in: usize,
    out: Encoding,
    origin: &str,
    timing: &Timing,
) -> Result<(Module, LayerInfo)> {
    layer_module(
        layer,
        &format!("{stage}_core"),
        &[x.beat_bus(n_in)],
        out,
        Registers::Always,
        origin.to_owned(),
        timing,
    )
}

/// The window front a Conv (or a pooling whose size differs from its stride) uses.
fn window_front(implementation: ConvImplementation, window: Window, element_bits: u32) -> Front {
    match implementation {
        ConvImplementation::Encoded => Front::Encoded {
            window,
            element_bits,
        },
        ConvImplementation::LineBuffer => Front::LineBuffer {
            window,
            element_bits,
        },
    }
}

/// Builds a core's outputs from its input elements (as mantissas).
type CoreArithmetic<'a> = dyn FnMut(
        &mut super::builder::ModuleBuilder,
        &[super::builder::Signal],
    ) -> Result<Vec<super::dense::Out>>
    + 'a;

/// A core module `<stage>_core` over `input` giving `n_out` outputs of `result` in `out`, whose
/// arithmetic `lower` builds.
#[allow(clippy::too_many_arguments)]
fn custom_core(
    stage: &str,
    input: Bus,
    n_out: usize,
    result: FixedType,
    out: Encoding,
    origin: &str,
    timing: &Timing,
    lower: &mut CoreArithmetic,
) -> Result<(Module, LayerInfo)> {
    let module = format!("{stage}_core");
    super::parallel_module(
        &module,
        &[input],
        out,
        Registers::Always,
        origin.to_owned(),
        timing,
        &mut |b, inputs, _| {
            let outs = lower(b, &inputs.values)?;
            let mut info =
                LayerInfo::elementwise(stage, &module, "core", input.elements, input.ty, result);
            info.n_out = n_out;
            Ok((outs, info))
        },
    )
}

fn core_of(m: &Module, info: &LayerInfo) -> Core {
    Core {
        module: m.name.clone(),
        latency: info.latency,
        out_bits: info.n_out as u32 * info.encoding.element_bits(&info.result_type),
    }
}

/// The top module: the stages wired as `model`'s layers. A value read by several stages (or by
/// a stage and the output) is forked: it moves to all readers at one edge, so each reader sees
/// it valid only while every other reader is ready.
fn top_module(
    top: &str,
    model: &GoldenModel,
    values: &[Tensor],
    stages: &[Stage],
    latency: u32,
    ii: u32,
) -> Result<Module> {
    let (input, output) = (&values[0], &values[model.output]);
    let mut b = ModuleBuilder::new(top);
    let clk = b.input("clk", 1);
    let rst = b.input("rst", 1);
    let in_valid = b.input("in_valid", 1);
    let elements = input.beat_elements();
    let in_data = b.input("in_data", elements as u32 * input.ty.width);
    let read = match input.encoding {
        Encoding::Mantissa => in_data,
        Encoding::Bipolar => encoding::input_codes(&mut b, in_data, elements, &input.ty)?,
    };
    let out_ready = b.input("out_ready", 1);
    let port_names: Vec<Vec<String>> = stages
        .iter()
        .zip(&model.operands)
        .map(|(s, operands)| match s.behaviour {
            Behaviour::Join { .. } => (0..operands.len()).map(|p| format!("in{p}")).collect(),
            _ => vec!["in".to_owned()],
        })
        .collect();
    let readies: Vec<Vec<NetId>> = stages
        .iter()
        .zip(&port_names)
        .map(|(s, ports)| {
            ports
                .iter()
                .map(|port| b.driven(&format!("{}_{port}_ready", s.info.name), 1, 0))
                .collect()
        })
        .collect();
    let (mut valid, mut data) = (vec![in_valid], vec![read]);
    for s in stages {
        valid.push(b.driven(&format!("{}_valid", s.info.name), 1, 0));
        data.push(b.driven(&format!("{}_data", s.info.name), s.out_beat_bits, 0));
    }
    let mut readers: Vec<Vec<(usize, usize)>> = vec![vec![]; values.len()];
    for (k, operands) in model.operands.iter().enumerate() {
        for (p, &v) in operands.iter().enumerate() {
            readers[v].push((k, p));
        }
    }
    // Per value: the `ready` its producer sees; per stage operand and for the output port: the
    // `valid` it sees.
    let mut taken = Vec::with_capacity(values.len());
    let mut reader_valid: Vec<Vec<Option<NetId>>> =
        readies.iter().map(|r| vec![None; r.len()]).collect();
    let mut output_valid = None;
    for (v, readers) in readers.iter().enumerate() {
        let mut ready: Vec<NetId> = readers.iter().map(|&(k, p)| readies[k][p]).collect();
        if v == model.output {
            ready.push(out_ready);
        }
        let producer = if v == 0 {
            "in"
        } else {
            &stages[v - 1].info.name
        };
        if ready.len() == 1 {
            taken.push(ready[0]);
        } else {
            let name = format!("{producer}_taken");
            taken.push(b.wire(&name, 1, false, Expr::And(ready.clone()), 0)?);
        }
        let fork_valid = |b: &mut ModuleBuilder, name: String, own: NetId| -> Result<NetId> {
            if ready.len() == 1 {
                return Ok(valid[v]);
            }
            let mut terms = vec![valid[v]];
            terms.extend(ready.iter().filter(|&&r| r != own));
            b.wire(&name, 1, false, Expr::And(terms), 0)
        };
        for &(k, p) in readers {
            let name = format!("{}_{}_valid", stages[k].info.name, port_names[k][p]);
            reader_valid[k][p] = Some(fork_valid(&mut b, name, readies[k][p])?);
        }
        if v == model.output {
            output_valid = Some(fork_valid(
                &mut b,
                format!("{producer}_out_valid"),
                out_ready,
            )?);
        }
    }
    for (k, s) in stages.iter().enumerate() {
        let mut connections = vec![("clk".into(), clk), ("rst".into(), rst)];
        for (p, port) in port_names[k].iter().enumerate() {
            let v = model.operands[k][p];
            let valid = reader_valid[k][p].ok_or_else(|| {
                Error::Internal(format!("operand {p} of '{}' unread", s.info.name))
            })?;
            connections.push((format!("{port}_valid"), valid));
            connections.push((format!("{port}_data"), data[v]));
        }
        connections.push(("out_ready".into(), taken[k + 1]));
        for (port, &ready) in port_names[k].iter().zip(&readies[k]) {
            connections.push((format!("{port}_ready"), ready));
        }
        connections.push(("out_valid".into(), valid[k + 1]));
        connections.push(("out_data".into(), data[k + 1]));
        b.m.instances.push(Instance {
            module: s.module.name.clone(),
            name: format!("u_{}", s.info.name),
            params: vec![],
            connections,
        });
    }
    let output_valid =
        output_valid.ok_or_else(|| Error::Internal("the output value has no producer".into()))?;
    let in_ready = b.wire("in_ready", 1, false, Expr::Copy(Operand::Net(taken[0])), 0)?;
    let out_valid = b.wire(
        "out_valid",
        1,
        false,
        Expr::Copy(Operand::Net(output_valid)),
        0,
    )?;
    let out_data = b.wire(
        "out_data",
        output.beat_bits(),
        false,
        Expr::Copy(Operand::Net(data[model.output])),
        0,
    )?;
    b.output(in_ready);
    b.output(out_valid);
    b.output(out_data);
    let mut m = b.m;
    m.comment = vec![
        format!(
            "Top module '{top}' (io_stream): {} stages. An image is {} input beats of {} and {} output beats of {}.",
            stages.len(),
            input.beats(),
            beat_text(&Tensor {
                encoding: Encoding::Mantissa,
                ..input.clone()
            }),
            output.beats(),
            beat_text(output)
        ),
        format!("With the output always ready and images back to back: latency {latency} cycles from the first input beat accepted to the last output beat transferred; a new image every {ii} cycles."),
        "Ports: clk (rising edge), rst (synchronous, active high), in_valid/in_ready/in_data, out_valid/out_ready/out_data (AXI4-Stream handshake).".into(),
        "Beats carry elements [i*W+W-1:i*W], element 0 lowest; an image streams pixels in raster order, each with all its channels.".into(),
    ];
    verilog::prune(&mut m);
    Ok(m)
}
