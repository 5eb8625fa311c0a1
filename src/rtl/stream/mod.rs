//! io_stream lowering: every layer is a stage module with a valid/ready handshake (see
//! [`stage`]), chained by a top module with the same ports.
//!
//! A tensor streams as beats: an image `[H, W, C]` as `H·W` beats of its `C` channels in raster
//! order, any other tensor as one beat holding all of it. Convolutions and elementwise layers
//! work on pixel beats; a Transpose (the Flatten of an image) collects an image into one beat,
//! after which layers are the io_parallel modules wrapped in the same handshake.
//!
//! Timing: [`timing::simulate`] replays the stages' handshakes for back-to-back images with the
//! output always ready. The model latency is the cycles from the edge accepting an image's first
//! input beat to the edge transferring its last output beat; the II is the spacing of
//! consecutive images' first input beats.

mod stage;
pub mod timing;
mod window;

use super::builder::ModuleBuilder;
use super::netlist::*;
use super::timing::Timing;
use super::{estimate, layer_module, verilog, Bus, Design, LayerInfo};
use crate::config::ConvImplementation;
use crate::diag::{Error, Result};
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
    fn beat_bits(&self) -> u32 {
        self.beat_elements() as u32 * self.ty.width
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
    let image = model.input_order.is_some();
    let input = Tensor {
        shape: if image {
            crate::ir::channels_last(&model.input_shape)
        } else {
            model.input_shape.clone()
        },
        image,
        ty: model.input_type,
    };
    if model.layers.is_empty() {
        return Err(Error::Internal("an io_stream design needs a layer".into()));
    }
    let mut x = input.clone();
    let mut stages = Vec::new();
    for layer in &model.layers {
        let (stage, y) = lower(layer, &x, top, origins(layer.name()), timing)?;
        stages.push(stage);
        x = y;
    }
    let behaviours: Vec<Behaviour> = stages.iter().map(|s| s.behaviour.clone()).collect();
    let measured = timing::simulate(&behaviours, input.beats(), x.beats(), MODEL_IMAGES)
        .ok_or_else(|| Error::Internal("the stream stages deadlock in the cycle model".into()))?;
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
    let top_module = top_module(top, &input, &x, &stages, latency, ii)?;
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
        out_elements: x.beat_elements(),
        out_type: x.ty,
        stream: Some(super::StreamIo {
            in_beats: input.beats(),
            out_beats: x.beats(),
        }),
        clock_period_ns: timing.clock_period_ns,
        estimated_stage_ns,
    })
}

/// One layer as a stage; returns the stage and the tensor it produces.
fn lower(
    layer: &Layer,
    x: &Tensor,
    top: &str,
    origin: String,
    timing: &Timing,
) -> Result<(Stage, Tensor)> {
    let name = layer.name();
    let module = format!("{top}_{name}");
    let mut b = ModuleBuilder::new(&module);
    let p = stage::ports(&mut b, x.beat_bits());
    let (behaviour, core, y, kind) = match layer {
        Layer::Dense(d) => {
            let y = Tensor {
                shape: vec![d.n_out],
                image: false,
                ty: d.precision.result,
            };
            let (core, info) =
                core_module(layer, &module, x.ty, x.beat_elements(), &origin, timing)?;
            let r = d.settings.reuse_factor;
            let behaviour = stage::core_stage(&mut b, &p, &Front::Beat, &core_of(&core, &info), r)?;
            (behaviour, Some((core, info)), y, "Dense".to_owned())
        }
        Layer::Relu { result, .. } => {
            let y = Tensor {
                ty: *result,
                ..x.clone()
            };
            let (core, info) =
                core_module(layer, &module, x.ty, x.beat_elements(), &origin, timing)?;
            let behaviour = stage::core_stage(&mut b, &p, &Front::Beat, &core_of(&core, &info), 1)?;
            (behaviour, Some((core, info)), y, "ReLU".to_owned())
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
            };
            let dense = Layer::Dense(kernel.clone());
            let (core, info) = core_module(
                &dense,
                &module,
                x.ty,
                window.window_elements(),
                &origin,
                timing,
            )?;
            let front = window_front(*implementation, *window, x.ty.width);
            let r = kernel.settings.reuse_factor;
            let behaviour = stage::core_stage(&mut b, &p, &front, &core_of(&core, &info), r)?;
            let kind = format!(
                "Conv {}x{} /{}x{} ({implementation:?})",
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
                ..x.clone()
            };
            let behaviour = stage::pad_stage(&mut b, &p, *h, *w, *padding);
            (behaviour, None, y, "ZeroPad".to_owned())
        }
        Layer::Add { .. } | Layer::Concat { .. } => {
            return Err(Error::Internal(format!(
                "'{name}' joins branches, which have no stream lowering"
            )))
        }
        Layer::Transpose { perm, .. } => {
            let y = Tensor {
                shape: vec![perm.len()],
                image: false,
                ty: x.ty,
            };
            let behaviour = stage::collect_stage(&mut b, &p, x.beats(), x.ty.width, perm);
            (behaviour, None, y, "Collect".to_owned())
        }
        Layer::BatchNorm(bn) => {
            let y = Tensor {
                ty: bn.precision.result,
                ..x.clone()
            };
            let (core, info) =
                core_module(layer, &module, x.ty, x.beat_elements(), &origin, timing)?;
            let behaviour = stage::core_stage(&mut b, &p, &Front::Beat, &core_of(&core, &info), 1)?;
            (behaviour, Some((core, info)), y, "BatchNorm".to_owned())
        }
        Layer::Pool(pk) => {
            let w = pk.window;
            let y = Tensor {
                shape: vec![w.out_h(), w.out_w(), w.channels],
                image: true,
                ty: pk.precision.result,
            };
            let element_bits = x.ty.width;
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
                x.ty,
                w.window_elements(),
                w.channels,
                pk.precision.result,
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
            };
            let front = Front::Accumulate {
                pixels: *pixels,
                channels: *channels,
                kind: *kind,
                x_ty: *x_ty,
                accum: precision.accum,
            };
            let (kind, pixels, precision) = (*kind, *pixels, *precision);
            let (core, info) = custom_core(
                &module,
                precision.accum,
                *channels,
                *channels,
                precision.result,
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
    let (layer_latency, layer_ii) = match &behaviour {
        Behaviour::Core { latency, reuse, .. } => (*latency, (x.beats() * reuse) as u32),
        Behaviour::Pad { interior, .. } => (1, interior.len() as u32),
        Behaviour::Collect { beats } => (1, *beats as u32),
    };
    let mut m = b.m;
    m.comment = vec![
        format!(
            "Layer '{name}' ({origin}): {kind}, streaming; {} beats of {} in, {} beats of {} out per image.",
            x.beats(),
            beat_text(x),
            y.beats(),
            beat_text(&y)
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
        n_in: x.shape.iter().product(),
        n_out: y.shape.iter().product(),
        latency: layer_latency,
        ii: layer_ii,
        multipliers,
        shifts,
        zero_weights: kernel.map_or(0, |k| k.weights.iter().filter(|&&w| w == 0).count()),
        accum_plan: kernel.map(|k| k.plan),
        input_type: x.ty,
        result_type: y.ty,
        precision: kernel.map(|k| k.precision),
        estimated_stage_ns: core_stage_ns.max(timing.model.register_ns),
        estimate: est,
    };
    Ok((
        Stage {
            module: m,
            core: core_module,
            info,
            behaviour,
            out_beat_bits: y.beat_bits(),
        },
        y,
    ))
}

fn beat_text(t: &Tensor) -> String {
    format!("{} x {}", t.beat_elements(), t.ty)
}

/// The io_parallel module computing one core input, named `<stage>_core`.
fn core_module(
    layer: &Layer,
    stage: &str,
    x_ty: FixedType,
    n_in: usize,
    origin: &str,
    timing: &Timing,
) -> Result<(Module, LayerInfo)> {
    layer_module(
        layer,
        &format!("{stage}_core"),
        &[Bus {
            ty: x_ty,
            elements: n_in,
        }],
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

/// Builds a core's outputs from its input elements.
type CoreArithmetic<'a> = dyn FnMut(
        &mut super::builder::ModuleBuilder,
        &[super::builder::Signal],
    ) -> Result<Vec<super::dense::Out>>
    + 'a;

/// A core module `<stage>_core` over `n_in` inputs of `x_ty` giving `n_out` outputs of
/// `result`, whose arithmetic `lower` builds.
#[allow(clippy::too_many_arguments)]
fn custom_core(
    stage: &str,
    x_ty: FixedType,
    n_in: usize,
    n_out: usize,
    result: FixedType,
    origin: &str,
    timing: &Timing,
    lower: &mut CoreArithmetic,
) -> Result<(Module, LayerInfo)> {
    let module = format!("{stage}_core");
    super::parallel_module(
        &module,
        &[Bus {
            ty: x_ty,
            elements: n_in,
        }],
        origin.to_owned(),
        timing,
        &mut |b, xs, _| {
            let outs = lower(b, xs)?;
            let mut info = LayerInfo::elementwise(stage, &module, "core", n_in, x_ty, result);
            info.n_out = n_out;
            Ok((outs, info))
        },
    )
}

fn core_of(m: &Module, info: &LayerInfo) -> Core {
    Core {
        module: m.name.clone(),
        latency: info.latency,
        out_bits: info.n_out as u32 * info.result_type.width,
    }
}

/// The top module: the stages chained input to output.
fn top_module(
    top: &str,
    input: &Tensor,
    output: &Tensor,
    stages: &[Stage],
    latency: u32,
    ii: u32,
) -> Result<Module> {
    let mut b = ModuleBuilder::new(top);
    let clk = b.input("clk", 1);
    let rst = b.input("rst", 1);
    let in_valid = b.input("in_valid", 1);
    let in_data = b.input("in_data", input.beat_bits());
    let out_ready = b.input("out_ready", 1);
    let readies: Vec<NetId> = stages
        .iter()
        .map(|s| b.driven(&format!("{}_in_ready", s.info.name), 1, 0))
        .collect();
    let (mut valid, mut data) = (in_valid, in_data);
    for (k, s) in stages.iter().enumerate() {
        let bits = s.out_beat_bits;
        let v = b.driven(&format!("{}_valid", s.info.name), 1, 0);
        let d = b.driven(&format!("{}_data", s.info.name), bits, 0);
        let ready = readies.get(k + 1).copied().unwrap_or(out_ready);
        b.m.instances.push(Instance {
            module: s.module.name.clone(),
            name: format!("u_{}", s.info.name),
            params: vec![],
            connections: vec![
                ("clk".into(), clk),
                ("rst".into(), rst),
                ("in_valid".into(), valid),
                ("in_data".into(), data),
                ("out_ready".into(), ready),
                ("in_ready".into(), readies[k]),
                ("out_valid".into(), v),
                ("out_data".into(), d),
            ],
        });
        valid = v;
        data = d;
    }
    let in_ready = b.wire(
        "in_ready",
        1,
        false,
        Expr::Copy(Operand::Net(readies[0])),
        0,
    )?;
    let out_valid = b.wire("out_valid", 1, false, Expr::Copy(Operand::Net(valid)), 0)?;
    let out_data = b.wire(
        "out_data",
        output.beat_bits(),
        false,
        Expr::Copy(Operand::Net(data)),
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
            beat_text(input),
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
