//! Lowering of a [`GoldenModel`] to Verilog: one module per layer plus a top module, all
//! `valid`-pipelined. A layer at reuse factor R accepts a new input every R cycles; the model's
//! initiation interval is the largest layer's, and faster layers simply idle between inputs.
//!
//! Every module has the ports `clk`, `rst` (synchronous, active high; clears only the valid
//! pipeline), `in_valid`, `in_data`, `out_valid`, `out_data`. A bus packs element `i` of a vector
//! at bits `[i·W + W − 1 : i·W]` (element 0 in the least significant bits) as the raw W-bit
//! mantissa of the element's fixed-point type.

mod activation;
mod builder;
mod cast;
mod dense;
pub mod dense_tm;
mod encoding;
pub mod estimate;
mod image;
mod logic;
mod merge;
mod netlist;
mod norm;
mod pool;
mod quantizer;
mod relu;
pub mod requant;
mod softmax;
pub mod stream;
mod thresholds;
pub mod timing;
pub mod verilog;
mod xnor;

use crate::diag::Result;
use crate::fixed::FixedType;
use crate::golden::{GoldenModel, Layer};
use builder::{ModuleBuilder, Signal};
use dense::Out;
pub use encoding::Encoding;
use netlist::*;

/// The primitives generated designs instantiate, as (file name, text).
pub const PRIMITIVES: &[(&str, &str)] = &[
    (
        "rtlgen_valid_pipe.v",
        include_str!("../../rtl_primitives/rtlgen_valid_pipe.v"),
    ),
    (
        "rtlgen_fifo.v",
        include_str!("../../rtl_primitives/rtlgen_fifo.v"),
    ),
    (
        "rtlgen_delay_line.v",
        include_str!("../../rtl_primitives/rtlgen_delay_line.v"),
    ),
];

/// A generated design.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Design {
    /// Name of the top module.
    pub top: String,
    /// `(file name, contents)`, the top module first, then layers, then primitives.
    #[serde(skip)]
    pub files: Vec<(String, String)>,
    pub layers: Vec<LayerInfo>,
    /// Clock cycles from an input accepted (`in_valid` high at a rising edge) to its output
    /// presented (`out_valid` high after a rising edge).
    pub latency: u32,
    /// Initiation interval in cycles.
    pub ii: u32,
    pub in_elements: usize,
    pub in_type: FixedType,
    pub out_elements: usize,
    pub out_type: FixedType,
    /// For an io_stream design, the beats of an image: `in_elements`/`out_elements` are then
    /// the elements of one beat.
    pub stream: Option<StreamIo>,
    /// The clock period the pipeline was scheduled for.
    pub clock_period_ns: f64,
    /// The slowest stage by the delay model ([`timing`]).
    pub estimated_stage_ns: f64,
}

/// Beats per image of an io_stream design's input and output.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StreamIo {
    pub in_beats: usize,
    pub out_beats: usize,
    /// The cycle model's cycle of each image's first input beat for images fed back to back
    /// with the output always ready, from image 0 at 0, for enough images to show the steady
    /// pace (the first images may come faster while buffers fill).
    pub first_in: Vec<u64>,
}

impl StreamIo {
    /// The largest spacing of the first input beats of `images` images fed back to back (the
    /// design's II once `images` reaches past [`StreamIo::first_in`]); `None` for one image.
    pub fn expected_ii(&self, images: usize) -> Option<u32> {
        let modelled = images.min(self.first_in.len());
        let gaps = self.first_in[..modelled]
            .windows(2)
            .map(|w| (w[1] - w[0]) as u32);
        (images > 1).then(|| gaps.max().unwrap_or(0))
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct LayerInfo {
    pub name: String,
    pub module: String,
    pub kind: String,
    pub n_in: usize,
    pub n_out: usize,
    pub latency: u32,
    pub ii: u32,
    /// Multipliers: at R = 1 one per non-zero weight that is not ±2^k (constant coefficient);
    /// at R > 1 the shared multipliers of the schedule.
    pub multipliers: usize,
    /// At R = 1 the non-zero weights that became wires or shifts (±2^k); at R > 1 the shifter
    /// slots that replace multipliers (Latency strategy).
    pub shifts: usize,
    /// Zero weights removed.
    pub zero_weights: usize,
    pub accum_plan: Option<crate::analysis::accumulation::AccumPlan>,
    pub input_type: FixedType,
    pub result_type: FixedType,
    /// How the output's elements travel to the next layers.
    pub encoding: Encoding,
    /// `weight`, `bias`, `accum` types of a Dense.
    pub precision: Option<crate::ir::DensePrecision>,
    /// The slowest stage of the layer by the delay model (ns).
    pub estimated_stage_ns: f64,
    /// Counted elements and estimated resources of the target family ([`estimate`]).
    pub estimate: estimate::Estimate,
}

impl LayerInfo {
    /// The row of a layer without weights, `n_out = n_in`, one input per cycle; latency and
    /// estimates are filled in when its module is finished.
    pub fn elementwise(
        name: &str,
        module: &str,
        kind: &str,
        n_in: usize,
        input_type: FixedType,
        result_type: FixedType,
    ) -> Self {
        LayerInfo {
            name: name.to_owned(),
            module: module.to_owned(),
            kind: kind.to_owned(),
            n_in,
            n_out: n_in,
            latency: 0,
            ii: 1,
            multipliers: 0,
            shifts: 0,
            zero_weights: 0,
            accum_plan: None,
            input_type,
            result_type,
            encoding: Encoding::Mantissa,
            precision: None,
            estimated_stage_ns: 0.0,
            estimate: estimate::Estimate::default(),
        }
    }
}

/// Verilog-2005 and SystemVerilog-2017 reserved words (IEEE 1800-2017 Annex B), which a model
/// name must not become: Verilator and other tools parse Verilog files with SystemVerilog keywords.
const KEYWORDS: &[&str] = &[
    "alias",
    "always",
    "always_comb",
    "always_ff",
    "always_latch",
    "and",
    "assert",
    "assign",
    "assume",
    "automatic",
    "before",
    "begin",
    "bind",
    "bins",
    "binsof",
    "bit",
    "break",
    "buf",
    "bufif0",
    "bufif1",
    "byte",
    "case",
    "casex",
    "casez",
    "cell",
    "chandle",
    "checker",
    "class",
    "clocking",
    "cmos",
    "config",
    "const",
    "constraint",
    "context",
    "continue",
    "cover",
    "covergroup",
    "coverpoint",
    "cross",
    "deassign",
    "default",
    "defparam",
    "design",
    "disable",
    "dist",
    "do",
    "edge",
    "else",
    "end",
    "endcase",
    "endchecker",
    "endclass",
    "endclocking",
    "endconfig",
    "endfunction",
    "endgenerate",
    "endgroup",
    "endinterface",
    "endmodule",
    "endpackage",
    "endprimitive",
    "endprogram",
    "endproperty",
    "endsequence",
    "endspecify",
    "endtable",
    "endtask",
    "enum",
    "event",
    "expect",
    "export",
    "extends",
    "extern",
    "final",
    "first_match",
    "for",
    "force",
    "foreach",
    "forever",
    "fork",
    "forkjoin",
    "function",
    "generate",
    "genvar",
    "global",
    "highz0",
    "highz1",
    "if",
    "iff",
    "ifnone",
    "ignore_bins",
    "illegal_bins",
    "implies",
    "import",
    "incdir",
    "include",
    "initial",
    "inout",
    "input",
    "inside",
    "instance",
    "int",
    "integer",
    "interface",
    "intersect",
    "join",
    "join_any",
    "join_none",
    "large",
    "let",
    "liblist",
    "library",
    "local",
    "localparam",
    "logic",
    "longint",
    "macromodule",
    "matches",
    "medium",
    "modport",
    "module",
    "nand",
    "negedge",
    "new",
    "nmos",
    "nor",
    "noshowcancelled",
    "not",
    "notif0",
    "notif1",
    "null",
    "or",
    "output",
    "package",
    "packed",
    "parameter",
    "pmos",
    "posedge",
    "primitive",
    "priority",
    "program",
    "property",
    "protected",
    "pull0",
    "pull1",
    "pulldown",
    "pullup",
    "pulsestyle_ondetect",
    "pulsestyle_onevent",
    "pure",
    "rand",
    "randc",
    "randcase",
    "randsequence",
    "rcmos",
    "real",
    "realtime",
    "ref",
    "reg",
    "release",
    "repeat",
    "restrict",
    "return",
    "rnmos",
    "rpmos",
    "rtran",
    "rtranif0",
    "rtranif1",
    "s_always",
    "s_eventually",
    "s_nexttime",
    "s_until",
    "s_until_with",
    "scalared",
    "sequence",
    "shortint",
    "shortreal",
    "showcancelled",
    "signed",
    "small",
    "solve",
    "specify",
    "specparam",
    "static",
    "string",
    "strong",
    "strong0",
    "strong1",
    "struct",
    "super",
    "supply0",
    "supply1",
    "sync_accept_on",
    "sync_reject_on",
    "table",
    "tagged",
    "task",
    "this",
    "throughout",
    "time",
    "timeprecision",
    "timeunit",
    "tran",
    "tranif0",
    "tranif1",
    "tri",
    "tri0",
    "tri1",
    "triand",
    "trior",
    "trireg",
    "type",
    "typedef",
    "union",
    "unique",
    "unique0",
    "unsigned",
    "until",
    "until_with",
    "untyped",
    "use",
    "uwire",
    "var",
    "vectored",
    "virtual",
    "void",
    "wait",
    "wait_order",
    "wand",
    "weak",
    "weak0",
    "weak1",
    "while",
    "wildcard",
    "wire",
    "with",
    "within",
    "wor",
    "xnor",
    "xor",
];

/// A legal, non-keyword Verilog identifier derived from a model name.
pub fn module_name(model_stem: &str) -> String {
    let mut id: String = model_stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if id.is_empty() || id.starts_with(|c: char| c.is_ascii_digit()) {
        id.insert_str(0, "model_");
    }
    if KEYWORDS.contains(&id.as_str()) {
        id.push_str("_net");
    }
    id
}

/// Generates the design. `header` lines start every file; `origins` gives each layer's ONNX
/// provenance for comments.
pub fn generate(
    model: &GoldenModel,
    top: &str,
    header: &[String],
    origins: &dyn Fn(&str) -> String,
    timing: &timing::Timing,
) -> Result<Design> {
    model.check_single_entry()?;
    let mut files = Vec::new();
    let mut layers = Vec::new();
    let encodings = encoding::plan(model);
    let mut values = vec![Bus {
        ty: model.input_type,
        elements: model.n_inputs(),
        encoding: encodings[0],
    }];
    for (k, (layer, operands)) in model.layers.iter().zip(&model.operands).enumerate() {
        let module = format!("{top}_{}", layer.name());
        let buses: Vec<Bus> = operands.iter().map(|&v| values[v]).collect();
        let out = encodings[k + 1];
        let (m, info) = layer_module(
            layer,
            &module,
            &buses,
            out,
            Registers::UnlessWiring,
            origins(layer.name()),
            timing,
        )?;
        files.push((format!("{module}.v"), verilog::print(&m, header)?));
        values.push(Bus {
            ty: info.result_type,
            elements: info.n_out,
            encoding: out,
        });
        layers.push(info);
    }
    let ready = ReadyCycles::of(model, &layers);
    let top_module = top_module(top, model, &layers, encodings[0], &ready)?;
    files.insert(
        0,
        (format!("{top}.v"), verilog::print(&top_module, header)?),
    );
    for (name, text) in PRIMITIVES {
        files.push((name.to_string(), text.to_string()));
    }
    let estimated_stage_ns = layers
        .iter()
        .map(|l| l.estimated_stage_ns)
        .fold(timing.model.register_ns, f64::max);
    let out = values[model.output];
    Ok(Design {
        top: top.to_owned(),
        files,
        latency: ready.cycle[model.output],
        ii: layers.iter().map(|l| l.ii).max().unwrap_or(1),
        layers,
        in_elements: model.n_inputs(),
        in_type: model.input_type,
        out_elements: out.elements,
        out_type: out.ty,
        stream: None,
        clock_period_ns: timing.clock_period_ns,
        estimated_stage_ns,
    })
}

/// An operand of a layer module: `elements` values of `ty` in `encoding`, element i at bits
/// `[i·W + W − 1 : i·W]` (W the encoding's element bits). A module's `in_data` holds its
/// operands one after another, operand 0 in the low bits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bus {
    pub ty: FixedType,
    pub elements: usize,
    pub encoding: Encoding,
}

impl Bus {
    fn element_bits(&self) -> u32 {
        self.encoding.element_bits(&self.ty)
    }
    fn bits(&self) -> u32 {
        self.elements as u32 * self.element_bits()
    }
}

/// When each value of an io_parallel design is ready, in cycles after `in_valid`: the input one
/// cycle after (its register), a layer's output its latency after its latest operand.
struct ReadyCycles {
    /// `cycle[v]` for value `v` (0: the input, `k + 1`: layer `k`'s output).
    cycle: Vec<u32>,
}

impl ReadyCycles {
    fn of(model: &GoldenModel, layers: &[LayerInfo]) -> Self {
        let mut cycle = vec![1];
        for (operands, info) in model.operands.iter().zip(layers) {
            let start = operands.iter().map(|&v| cycle[v]).max().unwrap_or(1);
            cycle.push(start + info.latency);
        }
        ReadyCycles { cycle }
    }

    /// When layer `k` starts: its latest operand's ready cycle.
    fn start(&self, model: &GoldenModel, k: usize) -> u32 {
        model.operands[k]
            .iter()
            .map(|&v| self.cycle[v])
            .max()
            .unwrap_or(1)
    }
}

fn bus_comment(what: &str, bus: &Bus) -> String {
    format!("{what}: {}", bus_layout(bus))
}

/// A bus's elements as every module port packs them.
fn bus_layout(bus: &Bus) -> String {
    let (n, t) = (bus.elements, &bus.ty);
    match bus.encoding {
        Encoding::Mantissa => format!(
            "{n} x {t} ({} bits each), element i at bits [i*{w}+{}:i*{w}]",
            t.width,
            t.width - 1,
            w = t.width
        ),
        Encoding::Bipolar => {
            format!(
                "{n} x {t} valued -1 or +1, as one bit each (1 = +1, 0 = -1), element i at bit i"
            )
        }
    }
}

/// The comment lines describing `in_data` holding `buses`.
fn buses_comment(buses: &[Bus]) -> Vec<String> {
    if let [bus] = buses {
        return vec![bus_comment("in_data", bus)];
    }
    let mut lo = 0;
    buses
        .iter()
        .enumerate()
        .map(|(k, bus)| {
            let line = format!(
                "in_data operand {k} at bits [{}:{lo}]: {}",
                lo + bus.bits() - 1,
                bus_layout(bus)
            );
            lo += bus.bits();
            line
        })
        .collect()
}

/// Whether a module whose outputs are its inputs rearranged (or constants) registers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Registers {
    /// Always: a core inside an io_stream stage has a latency of at least 1.
    Always,
    /// Not for such wiring (a Pad or Transpose in io_parallel): latency 0.
    UnlessWiring,
}

/// The io_parallel module of `layer` over its operands `buses`, its output in `out`.
fn layer_module(
    layer: &Layer,
    module: &str,
    buses: &[Bus],
    out: Encoding,
    registers: Registers,
    origin: String,
    timing: &timing::Timing,
) -> Result<(Module, LayerInfo)> {
    let x_ty = buses[0].ty;
    let mut lower = |b: &mut ModuleBuilder, xs: &Inputs, in_valid| {
        lower_layer(b, layer, module, x_ty, xs, in_valid, timing)
    };
    parallel_module(module, buses, out, registers, origin, timing, &mut lower)
}

/// A module's input elements: the operands' elements one after another, in stage 0.
pub struct Inputs {
    /// Each element's mantissa in its type.
    pub values: Vec<Signal>,
    /// Each element's XNOR bit (1 ≙ +1) when its operand is bipolar-encoded.
    pub codes: Vec<Option<NetId>>,
}

impl Inputs {
    /// `Bipolar` when every element arrives as an XNOR bit.
    pub fn encoding(&self) -> Encoding {
        if !self.codes.is_empty() && self.codes.iter().all(Option::is_some) {
            Encoding::Bipolar
        } else {
            Encoding::Mantissa
        }
    }
}

/// Lowers a layer's arithmetic: its outputs and its report row (latency and estimates are
/// filled in by [`parallel_module`]).
type Lowering<'a> =
    dyn FnMut(&mut ModuleBuilder, &Inputs, NetId) -> Result<(Vec<Out>, LayerInfo)> + 'a;

/// A module with the io_parallel ports whose arithmetic `lower` builds from the input elements
/// and `in_valid`; the outputs are registered in `out`'s encoding in the stage after the latest
/// of them.
fn parallel_module(
    module: &str,
    buses: &[Bus],
    out: Encoding,
    registers: Registers,
    origin: String,
    timing: &timing::Timing,
    lower: &mut Lowering,
) -> Result<(Module, LayerInfo)> {
    let mut b = ModuleBuilder::new(module);
    let clk = b.input("clk", 1);
    let rst = b.input("rst", 1);
    let in_valid = b.input("in_valid", 1);
    let in_data = b.input("in_data", buses.iter().map(Bus::bits).sum());
    let mut inputs = Inputs {
        values: vec![],
        codes: vec![],
    };
    let mut lo = 0;
    for bus in buses {
        let w = bus.ty.width;
        let bits = bus.element_bits();
        for _ in 0..bus.elements {
            let i = inputs.values.len();
            let field = Expr::Concat(vec![Part::Bits {
                net: in_data,
                hi: lo + bits - 1,
                lo,
            }]);
            let (net, code) = match bus.encoding {
                Encoding::Mantissa => (b.wire(&format!("x{i}"), w, bus.ty.signed, field, 0)?, None),
                Encoding::Bipolar => {
                    let code = b.wire(&format!("x{i}_code"), 1, false, field, 0)?;
                    let negative = b.wire(&format!("x{i}_neg"), 1, false, Expr::Not(code), 0)?;
                    let decoded = Expr::Concat(vec![
                        Part::Repeat {
                            net: negative,
                            bit: 0,
                            count: w - 1,
                        },
                        Part::Fill {
                            ones: true,
                            count: 1,
                        },
                    ]);
                    (b.wire(&format!("x{i}"), w, true, decoded, 0)?, Some(code))
                }
            };
            inputs.values.push(Signal {
                net,
                width: w,
                signed: bus.ty.signed,
                frac: bus.ty.frac_bits(),
            });
            inputs.codes.push(code);
            lo += bits;
        }
    }
    let (outs, mut info) = lower(&mut b, &inputs, in_valid)?;
    info.encoding = out;
    let wiring = outs.iter().all(|o| match o {
        Out::Sig(s) => inputs.values.iter().any(|x| x.net == s.net),
        Out::Const(_) => true,
    });
    let latency = match registers {
        Registers::UnlessWiring if wiring => 0,
        _ => outs
            .iter()
            .filter_map(|o| match o {
                Out::Sig(s) => Some(b.stage_of(s.net) + 1),
                Out::Const(_) => None,
            })
            .max()
            .unwrap_or(1),
    };
    let ports = (clk, rst, in_valid);
    finish_parallel_module(b, outs, info, latency, ports, buses, origin, timing)
}

/// The arithmetic of the layers that have an io_parallel lowering.
fn lower_layer(
    b: &mut ModuleBuilder,
    layer: &Layer,
    module: &str,
    x_ty: FixedType,
    inputs: &Inputs,
    in_valid: NetId,
    timing: &timing::Timing,
) -> Result<(Vec<Out>, LayerInfo)> {
    let xs = &inputs.values[..];
    let n_in = xs.len();
    Ok(match layer {
        Layer::Dense(d) => {
            let r = d.settings.reuse_factor;
            let input = inputs.encoding();
            let codes: Option<Vec<NetId>> = inputs.codes.iter().copied().collect();
            let (outs, multipliers, shifts) = match codes {
                Some(codes) if xnor::applies(d, input) => {
                    let (outs, multipliers) = xnor::lower(b, d, &codes, timing)?;
                    (outs, multipliers, 0)
                }
                _ if r > 1 => {
                    let sched = dense_tm::layer_schedule(d, timing.family);
                    (
                        dense_tm::lower(b, d, xs, in_valid, timing)?,
                        sched.multipliers(),
                        sched.shifters(),
                    )
                }
                _ => {
                    let (multipliers, shifts) = dense::product_counts(d);
                    (dense::lower(b, d, xs, timing)?, multipliers, shifts)
                }
            };
            let info = LayerInfo {
                name: d.name.clone(),
                module: module.to_owned(),
                kind: xnor::kind(d, input).into(),
                n_in,
                n_out: d.n_out,
                latency: 0,
                ii: r as u32,
                multipliers,
                shifts,
                zero_weights: d.weights.iter().filter(|&&w| w == 0).count(),
                accum_plan: Some(d.plan),
                input_type: x_ty,
                result_type: d.precision.result,
                encoding: Encoding::Mantissa,
                precision: Some(d.precision),
                estimated_stage_ns: 0.0,
                estimate: estimate::Estimate::default(),
            };
            (outs, info)
        }
        Layer::Relu { name, result, .. } => (
            relu::lower(b, xs, result, name)?,
            LayerInfo::elementwise(name, module, "ReLU", n_in, x_ty, *result),
        ),
        Layer::Lut(k) => (
            activation::lower_lut(b, k, xs, timing)?,
            LayerInfo::elementwise(
                &k.name,
                module,
                match k.function {
                    crate::ir::LutFunction::Sigmoid => "Sigmoid",
                    crate::ir::LutFunction::Tanh => "Tanh",
                },
                n_in,
                x_ty,
                k.result,
            ),
        ),
        Layer::Softmax(k) => (
            softmax::lower(b, k, xs, timing)?,
            LayerInfo::elementwise(
                &k.name,
                module,
                &format!("Softmax {}", k.softmax.name()),
                n_in,
                x_ty,
                k.result,
            ),
        ),
        Layer::LeakyRelu(k) => (
            activation::lower_leaky_relu(b, k, xs, timing)?,
            LayerInfo::elementwise(&k.name, module, "LeakyReLU", n_in, x_ty, k.result),
        ),
        Layer::Clip(k) => (
            activation::lower_clip(b, k, xs, timing)?,
            LayerInfo::elementwise(&k.name, module, "Clip", n_in, x_ty, k.result),
        ),
        Layer::Linear { name, result, .. } => (
            activation::lower_linear(b, xs, result, name, timing)?,
            LayerInfo::elementwise(name, module, "Linear", n_in, x_ty, *result),
        ),
        Layer::Add { name, result, .. } => (
            merge::lower_add(b, xs, result, name, timing)?,
            LayerInfo {
                n_out: n_in / 2,
                ..LayerInfo::elementwise(name, module, "Add", n_in, x_ty, *result)
            },
        ),
        Layer::Concat {
            name,
            outer,
            blocks,
            result,
            ..
        } => (
            merge::lower_concat(b, xs, &concat_order(*outer, blocks), result, name, timing)?,
            LayerInfo::elementwise(name, module, "Concat", n_in, x_ty, *result),
        ),
        Layer::BatchNorm(bn) => (
            norm::lower(b, bn, xs, timing)?,
            LayerInfo::elementwise(
                &bn.name,
                module,
                "BatchNorm",
                n_in,
                x_ty,
                bn.precision.result,
            ),
        ),
        Layer::Quantizer(k) => (
            quantizer::lower(b, k, xs, timing)?,
            LayerInfo::elementwise(&k.name, module, k.op.op_type(), n_in, x_ty, k.result),
        ),
        Layer::Thresholds {
            name,
            steps,
            result,
            ..
        } => (
            thresholds::lower(b, xs, steps, result, name, timing)?,
            LayerInfo::elementwise(name, module, "Thresholds", n_in, x_ty, *result),
        ),
        Layer::Conv { window, kernel, .. } => {
            let (outs, multipliers, shifts) = image::lower_conv(b, window, kernel, inputs, timing)?;
            let counting = if xnor::applies(kernel, inputs.encoding()) {
                " (XNOR-popcount)"
            } else {
                ""
            };
            let info = LayerInfo {
                name: kernel.name.clone(),
                module: module.to_owned(),
                kind: format!(
                    "Conv {}x{} /{}x{}{counting}",
                    window.kernel_h, window.kernel_w, window.stride_h, window.stride_w
                ),
                n_in,
                n_out: outs.len(),
                latency: 0,
                ii: 1,
                multipliers,
                shifts,
                zero_weights: kernel.weights.iter().filter(|&&w| w == 0).count(),
                accum_plan: Some(kernel.plan),
                input_type: x_ty,
                result_type: kernel.precision.result,
                encoding: Encoding::Mantissa,
                precision: Some(kernel.precision),
                estimated_stage_ns: 0.0,
                estimate: estimate::Estimate::default(),
            };
            (outs, info)
        }
        Layer::Pool(pk) => {
            let outs = image::lower_pool(b, pk, xs)?;
            let w = pk.window;
            let kind = format!(
                "{:?}Pool {}x{} /{}x{}",
                pk.kind, w.kernel_h, w.kernel_w, w.stride_h, w.stride_w
            );
            let info = LayerInfo {
                n_out: outs.len(),
                ..LayerInfo::elementwise(&pk.name, module, &kind, n_in, x_ty, pk.precision.result)
            };
            (outs, info)
        }
        Layer::Pad {
            name,
            h,
            w,
            channels,
            padding,
            fill,
        } => {
            let outs = image::pad(xs, (*h, *w, *channels), padding, *fill);
            let info = LayerInfo {
                n_out: outs.len(),
                ..LayerInfo::elementwise(name, module, "ZeroPad", n_in, x_ty, x_ty)
            };
            (outs, info)
        }
        Layer::Transpose { name, perm } => (
            image::transpose(xs, perm),
            LayerInfo::elementwise(name, module, "Transpose", n_in, x_ty, x_ty),
        ),
        other => {
            return Err(crate::diag::Error::Internal(format!(
                "layer '{}' has no io_parallel lowering",
                other.name()
            )))
        }
    })
}

/// For a Concat of operands of `outer · blocks[k]` elements held one after another: the input
/// index of each output element (`outer` times, a block of each operand in turn).
fn concat_order(outer: usize, blocks: &[usize]) -> Vec<usize> {
    let mut offsets = Vec::with_capacity(blocks.len());
    let mut at = 0;
    for &block in blocks {
        offsets.push(at);
        at += outer * block;
    }
    let mut order = Vec::with_capacity(at);
    for o in 0..outer {
        for (&block, &offset) in blocks.iter().zip(&offsets) {
            order.extend(offset + o * block..offset + (o + 1) * block);
        }
    }
    order
}

/// Registers the outputs of a lowered module, adds the valid pipeline, comments and estimates.
#[allow(clippy::too_many_arguments)]
fn finish_parallel_module(
    mut b: ModuleBuilder,
    outs: Vec<Out>,
    mut info: LayerInfo,
    latency: u32,
    (clk, rst, in_valid): (NetId, NetId, NetId),
    buses: &[Bus],
    origin: String,
    timing: &timing::Timing,
) -> Result<(Module, LayerInfo)> {
    let n_in: usize = buses.iter().map(|bus| bus.elements).sum();
    let wy = info.encoding.element_bits(&info.result_type);
    let mut parts = Vec::new();
    for (j, o) in outs.iter().enumerate().rev() {
        parts.push(match (o, info.encoding) {
            (Out::Sig(s), Encoding::Mantissa) => Part::Bits {
                net: b.at(s.net, latency)?,
                hi: wy - 1,
                lo: 0,
            },
            (Out::Sig(s), Encoding::Bipolar) => {
                let stage = b.stage_of(s.net);
                let sign = Expr::Concat(vec![Part::Bits {
                    net: s.net,
                    hi: s.width - 1,
                    lo: s.width - 1,
                }]);
                let sign = b.wire(&format!("y{j}_neg"), 1, false, sign, stage)?;
                let code = b.wire(&format!("y{j}_code"), 1, false, Expr::Not(sign), stage)?;
                Part::Bits {
                    net: b.at(code, latency)?,
                    hi: 0,
                    lo: 0,
                }
            }
            (Out::Const(c), Encoding::Mantissa) => Part::Const {
                value: *c,
                width: wy,
            },
            (Out::Const(c), Encoding::Bipolar) => Part::Const {
                value: i128::from(*c > 0),
                width: 1,
            },
        });
    }
    let out_valid = b.driven("out_valid", 1, latency);
    let out_data = b.wire(
        "out_data",
        outs.len() as u32 * wy,
        false,
        Expr::Concat(parts),
        latency,
    )?;
    b.output(out_valid);
    b.output(out_data);
    b.m.instances.push(valid_pipe(
        "u_valid", latency, clk, rst, in_valid, out_valid,
    ));
    info.latency = latency;
    info.estimated_stage_ns = b.max_stage_ns.max(timing.model.register_ns);
    let mut m = b.m;
    m.comment = vec![
        format!(
            "Layer '{}' ({origin}): {} {} -> {}, latency {latency} cycles, II {} (a new input at most every {} cycles).",
            info.name, info.kind, n_in, info.n_out, info.ii, info.ii
        ),
    ];
    m.comment.extend(buses_comment(buses));
    let out_bus = Bus {
        ty: info.result_type,
        elements: info.n_out,
        encoding: info.encoding,
    };
    m.comment.push(bus_comment("out_data", &out_bus));
    if let Some(p) = &info.precision {
        m.comment.push(format!(
            "Types: weight {}, bias {}, accum {}, result {}; accumulation plan {:?}.",
            p.weight,
            p.bias,
            p.accum,
            p.result,
            info.accum_plan.expect("dense")
        ));
    }
    verilog::prune(&mut m);
    info.estimate = estimate::estimate(&m, timing.family);
    Ok((m, info))
}

fn valid_pipe(
    name: &str,
    depth: u32,
    clk: NetId,
    rst: NetId,
    in_valid: NetId,
    out_valid: NetId,
) -> Instance {
    Instance {
        module: "rtlgen_valid_pipe".into(),
        name: name.into(),
        params: vec![("DEPTH".into(), depth as u64)],
        connections: vec![
            ("clk".into(), clk),
            ("rst".into(), rst),
            ("in_valid".into(), in_valid),
            ("out_valid".into(), out_valid),
        ],
    }
}

/// The top module: the layer modules connected as the model's operands say. A layer starts
/// when its latest operand is ready; an operand ready earlier reaches it through a delay line.
fn top_module(
    top: &str,
    model: &GoldenModel,
    layers: &[LayerInfo],
    input: Encoding,
    ready: &ReadyCycles,
) -> Result<Module> {
    let mut b = ModuleBuilder::new(top);
    let clk = b.input("clk", 1);
    let rst = b.input("rst", 1);
    let in_valid = b.input("in_valid", 1);
    let n_in = model.n_inputs();
    let in_data = b.input("in_data", n_in as u32 * model.input_type.width);
    let read = match input {
        Encoding::Mantissa => in_data,
        Encoding::Bipolar => encoding::input_codes(&mut b, in_data, n_in, &model.input_type)?,
    };
    let mut data = vec![b.at(read, 1)?];
    let input_valid = b.driven("in_valid_r1", 1, 1);
    b.m.instances
        .push(valid_pipe("u_in_valid", 1, clk, rst, in_valid, input_valid));
    let mut valid = vec![input_valid];
    let mut names = vec!["in".to_string()];
    let mut bits = vec![n_in as u32 * input.element_bits(&model.input_type)];
    let mut delayed: std::collections::BTreeMap<(usize, u32), NetId> = Default::default();
    let mut enable = None;
    for (k, l) in layers.iter().enumerate() {
        let start = ready.start(model, k);
        let mut operand_nets = Vec::new();
        for &v in &model.operands[k] {
            let delay = start - ready.cycle[v];
            if delay == 0 {
                operand_nets.push(data[v]);
                continue;
            }
            if let Some(&net) = delayed.get(&(v, delay)) {
                operand_nets.push(net);
                continue;
            }
            let one = match enable {
                Some(net) => net,
                None => {
                    let net =
                        b.wire("always_enabled", 1, false, Expr::Copy(Operand::Const(1)), 0)?;
                    enable = Some(net);
                    net
                }
            };
            let net = b.driven(&format!("{}_data_d{delay}", names[v]), bits[v], 0);
            b.m.instances.push(Instance {
                module: "rtlgen_delay_line".into(),
                name: format!("u_{}_delay{delay}", names[v]),
                params: vec![
                    ("WIDTH".into(), bits[v] as u64),
                    ("DEPTH".into(), delay as u64),
                ],
                connections: vec![
                    ("clk".into(), clk),
                    ("en".into(), one),
                    ("in_data".into(), data[v]),
                    ("out_data".into(), net),
                ],
            });
            delayed.insert((v, delay), net);
            operand_nets.push(net);
        }
        let operands_in = match operand_nets[..] {
            [net] => net,
            _ => {
                let parts = operand_nets
                    .iter()
                    .zip(&model.operands[k])
                    .rev()
                    .map(|(&net, &v)| Part::Bits {
                        net,
                        hi: bits[v] - 1,
                        lo: 0,
                    })
                    .collect();
                let width = model.operands[k].iter().map(|&v| bits[v]).sum();
                b.wire(
                    &format!("{}_operands", l.name),
                    width,
                    false,
                    Expr::Concat(parts),
                    0,
                )?
            }
        };
        let latest = model.operands[k]
            .iter()
            .copied()
            .find(|&v| ready.cycle[v] == start)
            .expect("the start is an operand's ready cycle");
        let d = b.driven(
            &format!("{}_data", l.name),
            l.n_out as u32 * l.encoding.element_bits(&l.result_type),
            0,
        );
        let v = b.driven(&format!("{}_valid", l.name), 1, 0);
        b.m.instances.push(Instance {
            module: l.module.clone(),
            name: format!("u_{}", l.name),
            params: vec![],
            connections: vec![
                ("clk".into(), clk),
                ("rst".into(), rst),
                ("in_valid".into(), valid[latest]),
                ("in_data".into(), operands_in),
                ("out_valid".into(), v),
                ("out_data".into(), d),
            ],
        });
        data.push(d);
        valid.push(v);
        names.push(l.name.clone());
        bits.push(l.n_out as u32 * l.encoding.element_bits(&l.result_type));
    }
    let (out_data_net, out_valid_net) = (data[model.output], valid[model.output]);
    let (w_out, n_out) = match model.output {
        0 => (model.input_type.width, n_in),
        v => (layers[v - 1].result_type.width, layers[v - 1].n_out),
    };
    let out_valid = b.wire(
        "out_valid",
        1,
        false,
        Expr::Copy(Operand::Net(out_valid_net)),
        0,
    )?;
    let out_data = b.wire(
        "out_data",
        n_out as u32 * w_out,
        false,
        Expr::Copy(Operand::Net(out_data_net)),
        0,
    )?;
    b.output(out_valid);
    b.output(out_data);
    let latency = ready.cycle[model.output];
    let ii = layers.iter().map(|l| l.ii).max().unwrap_or(1);
    let out_type = match model.output {
        0 => model.input_type,
        v => layers[v - 1].result_type,
    };
    let mut m = b.m;
    m.comment = vec![
        format!(
            "Top module '{top}': {} layers, latency {latency} cycles from in_valid to out_valid; II {ii}: in_valid may be high at most once every {ii} cycles.",
            layers.len()
        ),
        "Ports: clk (rising edge), rst (synchronous, active high), in_valid, in_data, out_valid, out_data.".into(),
        bus_comment(
            "in_data",
            &Bus {
                ty: model.input_type,
                elements: n_in,
                encoding: Encoding::Mantissa,
            },
        ),
        bus_comment(
            "out_data",
            &Bus {
                ty: out_type,
                elements: n_out,
                encoding: Encoding::Mantissa,
            },
        ),
    ];
    verilog::prune(&mut m);
    Ok(m)
}
