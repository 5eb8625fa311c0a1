//! hls4ml-shaped configuration (YAML or JSON), so an hls4ml user's config carries over unchanged.
//!
//! Accepted shapes: the `HLSConfig` dict (`Model`, `LayerType`, `LayerName`, optionally `IOType`)
//! or a whole hls4ml project file with that dict under `HLSConfig`. Keys hls4ml defines that mean
//! nothing to rtlgen yet are kept in [`Config::ignored`] and reported once; keys neither tool
//! knows and malformed values are user errors naming the key and listing the valid choices.
//!
//! Precision lookup follows hls4ml (REFERENCE §2.1): layer name + variable → layer name `default`
//! → layer type + variable → layer type `default` → model + variable → model `default`; the model
//! default itself defaults to `ap_fixed<16,6>` (TRN, WRAP).

use crate::diag::{Diagnostic, Diagnostics, Error, Result};
use crate::fixed::FixedType;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// A precision setting: a type, or `auto` (inferred by the precision pass).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Prec {
    Auto,
    Type(FixedType),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Strategy {
    Latency,
    Resource,
    ResourceUnrolled,
    DistributedArithmetic,
}

/// How a layer's multiplications map to FPGA resources (rtlgen's own `Multiplier` key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum MultiplierStyle {
    /// DSP blocks where both operands are wide enough to be worth one (see the RTL docs).
    Auto,
    Dsp,
    Lut,
}

/// How a streaming convolution builds its windows (hls4ml's `ConvImplementation` key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum ConvImplementation {
    /// A precomputed mask-instruction ROM routes each pixel into per-tap FIFOs (REFERENCE §6.3;
    /// hls4ml's `Encoded`).
    Encoded,
    /// `K_h − 1` line delays and a shifting window register (REFERENCE §6.2); the default, as in
    /// hls4ml, and the smaller of the two in every shape measured so far.
    LineBuffer,
}

/// hls4ml's softmax variants (layer key `Implementation`); the arithmetic of each is
/// documented on [`crate::ir::Softmax`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum SoftmaxImplementation {
    Stable,
    Latency,
    Argmax,
    Legacy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum IoType {
    Parallel,
    Stream,
}

/// The settings of one config section (`Model`, a `LayerType` entry or a `LayerName` entry).
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Precision variables; `default` holds a single `Precision: <type>`.
    pub precision: BTreeMap<String, Prec>,
    pub reuse_factor: Option<u64>,
    pub strategy: Option<Strategy>,
    pub multiplier: Option<MultiplierStyle>,
    pub conv_implementation: Option<ConvImplementation>,
    /// `table_size` / `TableSize`: entries of an activation's lookup tables.
    pub table_size: Option<u64>,
    /// `implementation` / `Implementation` of a softmax.
    pub softmax_implementation: Option<SoftmaxImplementation>,
    /// `skip` / `Skip`: a softmax configured to be removed.
    pub skip: Option<bool>,
    /// Layer keys naming a type, by hls4ml's snake-case name (`table_t` for `TableT`):
    /// `table_t`, `exp_table_t`, `inv_table_t`, `inv_inp_t`, `inp_norm_t`, `accum_t`.
    pub types: BTreeMap<String, FixedType>,
}

/// A parsed configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub model: Settings,
    /// `Model.Precision.maximum`: caps the width and integer bits of inferred types separately.
    pub maximum: Option<FixedType>,
    pub layer_type: BTreeMap<String, Settings>,
    pub layer_name: BTreeMap<String, Settings>,
    pub io_type: IoType,
    /// Ignored keys: key name → the places it appeared.
    pub ignored: BTreeMap<String, Vec<String>>,
}

/// The model default precision when a config gives none: `ap_fixed<16,6>` TRN/WRAP.
pub const DEFAULT_PRECISION: FixedType = FixedType::fixed(16, 6, true);

const TOP_USED: &[&str] = &["HLSConfig", "Model", "LayerType", "LayerName", "IOType"];
const TOP_IGNORED: &[&str] = &[
    "Backend",
    "Part",
    "ClockPeriod",
    "ClockUncertainty",
    "ProjectName",
    "OutputDir",
    "Stamp",
    "Version",
    "KerasModel",
    "KerasJson",
    "KerasH5",
    "OnnxModel",
    "PytorchModel",
    "InputShape",
    "InputData",
    "OutputPredictions",
    "WriterConfig",
    "ChannelsLastConversion",
    "TransposeOutputs",
    "Board",
];
const MODEL_USED: &[&str] = &[
    "Precision",
    "ReuseFactor",
    "Strategy",
    "IOType",
    "Multiplier",
    "ConvImplementation",
];
const MODEL_IGNORED: &[&str] = &[
    "BramFactor",
    "TraceOutput",
    "Compression",
    "PipelineStyle",
    "BitExact",
    "ChannelsLastConversion",
    "TransposeOutputs",
    "InputShape",
    "Trace",
    "MergeNodes",
];
const LAYER_USED: &[&str] = &[
    "Precision",
    "ReuseFactor",
    "Strategy",
    "Multiplier",
    "ConvImplementation",
    "table_size",
    "TableSize",
    "Implementation",
    "implementation",
    "Skip",
    "skip",
];
/// Layer keys holding a type, in both spellings hls4ml accepts (it snake-cases layer keys).
const LAYER_TYPE_KEYS: &[(&str, &str)] = &[
    ("table_t", "TableT"),
    ("exp_table_t", "ExpTableT"),
    ("inv_table_t", "InvTableT"),
    ("inv_inp_t", "InvInpT"),
    ("inp_norm_t", "InpNormT"),
    ("accum_t", "AccumT"),
];
const LAYER_IGNORED: &[&str] = &[
    "Trace",
    "BramFactor",
    "ParallelizationFactor",
    "Compression",
    "TargetCycles",
    "exp_range",
    "axis",
    "InputShape",
    "ChannelsLastConversion",
    "TransposeOutputs",
    "n_in",
    "n_out",
];
const PREC_USED: &[&str] = &[
    "default", "weight", "bias", "accum", "result", "maximum", "scale", "param",
];
/// Precision variables hls4ml 1.3.0 accepts and never reads (the layer keys `<var>_t` set those
/// types); rtlgen ignores them too, so one configuration gives the same numbers in both.
pub const PREC_IGNORED_BY_HLS4ML: &[&str] =
    &["table", "exp_table", "inv_table", "inv_inp", "inp_norm"];
const PREC_IGNORED: &[&str] = &[
    "table",
    "exp_table",
    "inv_table",
    "inv_inp",
    "inp_norm",
    "recurrent_weight",
    "recurrent_bias",
    "slope",
    "shift",
    "pointwise",
    "depthwise",
    "depthwise_result",
];
/// hls4ml layer classes accepted under `LayerType`; rtlgen uses the first group.
pub const LAYER_TYPES_USED: &[&str] = &[
    "Dense",
    "Activation",
    "ReLU",
    "Input",
    "InputLayer",
    "Conv1D",
    "Conv2D",
    "ZeroPadding1D",
    "ZeroPadding2D",
    "Transpose",
    "Pooling1D",
    "Pooling2D",
    "GlobalPooling1D",
    "GlobalPooling2D",
    "BatchNormalization",
    "Softmax",
    "LeakyReLU",
];
const LAYER_TYPES_IGNORED: &[&str] = &[
    "DepthwiseConv1D",
    "DepthwiseConv2D",
    "SeparableConv1D",
    "SeparableConv2D",
    "MaxPooling1D",
    "MaxPooling2D",
    "AveragePooling1D",
    "AveragePooling2D",
    "Merge",
    "Concatenate",
    "Reshape",
    "ELU",
    "PReLU",
    "ThresholdedReLU",
    "Embedding",
    "SimpleRNN",
    "LSTM",
    "GRU",
    "Resize",
    "Dot",
];

impl Default for Config {
    fn default() -> Self {
        Config {
            model: Settings::default(),
            maximum: None,
            layer_type: BTreeMap::new(),
            layer_name: BTreeMap::new(),
            io_type: IoType::Parallel,
            ignored: BTreeMap::new(),
        }
    }
}

impl Config {
    /// Reads a YAML (`.yml`, `.yaml`) or JSON (`.json`) configuration file.
    pub fn load(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::file(path, "a readable configuration file", e.to_string()))?;
        let is_json = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        let value: Value = if is_json {
            serde_json::from_str(&text)
                .map_err(|e| Error::file(path, "a JSON configuration", e.to_string()))?
        } else {
            serde_yaml_ng::from_str(&text)
                .map_err(|e| Error::file(path, "a YAML configuration", e.to_string()))?
        };
        Config::from_value(&value)
    }

    /// Parses a configuration tree; reports every problem at once.
    pub fn from_value(value: &Value) -> Result<Config> {
        let mut p = Parser::default();
        let mut cfg = Config::default();
        let Some(top) = p.object(value, "config") else {
            return p.diags.finish().map(|_| cfg);
        };
        let hls = match top.get("HLSConfig") {
            Some(inner) => {
                p.keys(top, "config", TOP_USED, TOP_IGNORED);
                if let Some(io) = top.get("IOType") {
                    cfg.io_type = p.io_type(io, "IOType").unwrap_or(cfg.io_type);
                }
                p.object(inner, "HLSConfig")
            }
            None => Some(top),
        };
        if let Some(hls) = hls {
            let at = if top.contains_key("HLSConfig") {
                "HLSConfig"
            } else {
                "config"
            };
            if at == "HLSConfig" {
                p.keys(hls, at, &["Model", "LayerType", "LayerName", "IOType"], &[]);
            } else {
                p.keys(hls, at, TOP_USED, TOP_IGNORED);
            }
            if let Some(io) = hls.get("IOType") {
                cfg.io_type = p.io_type(io, "IOType").unwrap_or(cfg.io_type);
            }
            if let Some(model) = hls.get("Model") {
                if let Some(m) = p.object(model, "Model") {
                    p.keys(m, "Model", MODEL_USED, MODEL_IGNORED);
                    if let Some(io) = m.get("IOType") {
                        cfg.io_type = p.io_type(io, "Model.IOType").unwrap_or(cfg.io_type);
                    }
                    cfg.model = p.settings(m, "Model", true, &mut cfg.maximum);
                    if let Some(Prec::Auto) = cfg.model.precision.get("default") {
                        p.err(
                            "Model.Precision.default",
                            "a fixed-point type for the model default",
                            "auto",
                        );
                    }
                }
            }
            for (section, target, is_types) in [
                ("LayerType", &mut cfg.layer_type, true),
                ("LayerName", &mut cfg.layer_name, false),
            ] {
                let Some(v) = hls.get(section) else { continue };
                if v.is_null() {
                    continue;
                }
                let Some(entries) = p.object(v, section) else {
                    continue;
                };
                for (name, entry) in entries {
                    let at = format!("{section}.{name}");
                    if is_types && !LAYER_TYPES_USED.contains(&name.as_str()) {
                        if LAYER_TYPES_IGNORED.contains(&name.as_str()) {
                            p.ignore(name, &at);
                        } else {
                            let mut all: Vec<&str> = LAYER_TYPES_USED.to_vec();
                            all.extend(LAYER_TYPES_IGNORED);
                            p.err(
                                &at,
                                format!("an hls4ml layer type ({})", all.join(", ")),
                                format!("'{name}'"),
                            );
                        }
                        continue;
                    }
                    if let Some(obj) = p.object(entry, &at) {
                        let used: Vec<&str> = LAYER_USED
                            .iter()
                            .copied()
                            .chain(
                                LAYER_TYPE_KEYS
                                    .iter()
                                    .flat_map(|&(snake, camel)| [snake, camel]),
                            )
                            .collect();
                        p.keys(obj, &at, &used, LAYER_IGNORED);
                        let s = p.settings(obj, &at, false, &mut None);
                        target.insert(name.clone(), s);
                    }
                }
            }
        }
        cfg.ignored = p.ignored;
        p.diags.finish().map(|_| cfg)
    }

    /// The model default precision (`Model.Precision` or its `default`).
    pub fn model_default(&self) -> FixedType {
        match self.model.precision.get("default") {
            Some(Prec::Type(t)) => *t,
            _ => DEFAULT_PRECISION,
        }
    }

    /// Looks a precision variable up in hls4ml's order; returns the setting and where it came from.
    pub fn precision(&self, var: &str, names: &[String], types: &[&str]) -> (Prec, String) {
        let named = names.iter().filter_map(|n| {
            self.layer_name
                .get(n)
                .map(|s| (format!("LayerName.{n}"), s))
        });
        let typed = types.iter().filter_map(|t| {
            self.layer_type
                .get(*t)
                .map(|s| (format!("LayerType.{t}"), s))
        });
        let sections: Vec<(String, &Settings)> = named.chain(typed).collect();
        for (at, s) in &sections {
            for key in [var, "default"] {
                if let Some(p) = s.precision.get(key) {
                    return (*p, format!("{at}.Precision.{key}"));
                }
            }
        }
        if let Some(p) = self.model.precision.get(var) {
            return (*p, format!("Model.Precision.{var}"));
        }
        (
            Prec::Type(self.model_default()),
            "Model.Precision.default".into(),
        )
    }

    /// A per-layer setting, looked up by name, then type, then model.
    pub fn setting<T: Copy>(
        &self,
        names: &[String],
        types: &[&str],
        get: impl Fn(&Settings) -> Option<T>,
    ) -> Option<T> {
        names
            .iter()
            .filter_map(|n| self.layer_name.get(n))
            .chain(types.iter().filter_map(|t| self.layer_type.get(*t)))
            .chain(std::iter::once(&self.model))
            .find_map(get)
    }

    /// One line per ignored key, for the CLI to print once.
    pub fn ignored_summary(&self) -> Vec<String> {
        self.ignored
            .iter()
            .map(|(key, places)| {
                let places = places.join(", ");
                match key.strip_prefix("Precision.") {
                    Some(var) if PREC_IGNORED_BY_HLS4ML.contains(&var) => format!(
                        "configuration key '{key}' is ignored, as hls4ml 1.3.0 ignores it (the layer key '{var}_t' sets that type); at {places}"
                    ),
                    _ => format!(
                        "configuration key '{key}' is not used by rtlgen yet; ignored at {places}"
                    ),
                }
            })
            .collect()
    }
}

#[derive(Default)]
struct Parser {
    diags: Diagnostics,
    ignored: BTreeMap<String, Vec<String>>,
}

impl Parser {
    fn err(&mut self, at: &str, expected: impl Into<String>, found: impl Into<String>) {
        self.diags.push(Diagnostic::new(
            at,
            Some("config"),
            "value",
            expected,
            found,
        ));
    }

    fn ignore(&mut self, key: &str, at: &str) {
        self.ignored
            .entry(key.to_owned())
            .or_default()
            .push(at.to_owned());
    }

    fn object<'v>(&mut self, v: &'v Value, at: &str) -> Option<&'v serde_json::Map<String, Value>> {
        match v {
            Value::Object(m) => Some(m),
            other => {
                self.err(at, "a mapping", describe(other));
                None
            }
        }
    }

    /// Checks every key of a section against the used and ignored lists.
    fn keys(
        &mut self,
        obj: &serde_json::Map<String, Value>,
        at: &str,
        used: &[&str],
        ignored: &[&str],
    ) {
        for key in obj.keys() {
            if used.contains(&key.as_str()) {
                continue;
            }
            if ignored.contains(&key.as_str()) {
                self.ignore(key, at);
                continue;
            }
            let mut valid: Vec<&str> = used.to_vec();
            valid.extend(ignored);
            self.diags.push(Diagnostic::new(
                format!("{at}.{key}"),
                Some("config"),
                "key",
                format!("one of {}", valid.join(", ")),
                format!("unknown key '{key}'"),
            ));
        }
    }

    fn settings(
        &mut self,
        obj: &serde_json::Map<String, Value>,
        at: &str,
        is_model: bool,
        maximum: &mut Option<FixedType>,
    ) -> Settings {
        let mut s = Settings::default();
        if let Some(p) = obj.get("Precision") {
            let here = format!("{at}.Precision");
            match p {
                Value::Object(vars) => {
                    for (var, v) in vars {
                        let there = format!("{here}.{var}");
                        if PREC_IGNORED.contains(&var.as_str()) {
                            self.ignore(&format!("Precision.{var}"), &here);
                            continue;
                        }
                        if !PREC_USED.contains(&var.as_str()) || (var == "maximum" && !is_model) {
                            let mut valid: Vec<&str> = PREC_USED
                                .iter()
                                .copied()
                                .filter(|k| is_model || *k != "maximum")
                                .collect();
                            valid.extend(PREC_IGNORED);
                            self.diags.push(Diagnostic::new(
                                there,
                                Some("config"),
                                "precision variable",
                                format!("one of {}", valid.join(", ")),
                                if var.contains('>') {
                                    format!("'{var}' (in a YAML {{…}} mapping, quote precisions: the comma in ap_fixed<16,6> splits them)")
                                } else {
                                    format!("'{var}'")
                                },
                            ));
                            continue;
                        }
                        if let Some(prec) = self.prec(v, &there) {
                            if var == "maximum" {
                                match prec {
                                    Prec::Type(t) => *maximum = Some(t),
                                    Prec::Auto => self.err(&there, "a fixed-point type", "auto"),
                                }
                            } else {
                                s.precision.insert(var.clone(), prec);
                            }
                        }
                    }
                }
                other => {
                    if let Some(prec) = self.prec(other, &here) {
                        s.precision.insert("default".into(), prec);
                    }
                }
            }
        }
        if let Some(r) = obj.get("ReuseFactor") {
            match r.as_u64() {
                Some(v) if v >= 1 => s.reuse_factor = Some(v),
                _ => self.err(
                    &format!("{at}.ReuseFactor"),
                    "a positive integer",
                    describe(r),
                ),
            }
        }
        if let Some(v) = obj.get("Strategy") {
            let text = v.as_str().unwrap_or_default().to_ascii_lowercase();
            s.strategy = match text.as_str() {
                "latency" => Some(Strategy::Latency),
                "resource" => Some(Strategy::Resource),
                "resource_unrolled" => Some(Strategy::ResourceUnrolled),
                "distributed_arithmetic" | "da" => Some(Strategy::DistributedArithmetic),
                _ => {
                    self.err(
                        &format!("{at}.Strategy"),
                        "Latency, Resource, Resource_Unrolled or distributed_arithmetic",
                        describe(v),
                    );
                    None
                }
            };
        }
        if let Some(v) = obj.get("Multiplier") {
            s.multiplier = match v.as_str().map(str::to_ascii_lowercase).as_deref() {
                Some("auto") => Some(MultiplierStyle::Auto),
                Some("dsp") => Some(MultiplierStyle::Dsp),
                Some("lut") => Some(MultiplierStyle::Lut),
                _ => {
                    self.err(&format!("{at}.Multiplier"), "auto, dsp or lut", describe(v));
                    None
                }
            };
        }
        if let Some((key, v)) = either(obj, "table_size", "TableSize") {
            match v.as_u64() {
                Some(n) if n >= 1 => s.table_size = Some(n),
                _ => self.err(&format!("{at}.{key}"), "a positive integer", describe(v)),
            }
        }
        if let Some((key, v)) = either(obj, "implementation", "Implementation") {
            s.softmax_implementation = match v.as_str().map(str::to_ascii_lowercase).as_deref() {
                Some("stable") => Some(SoftmaxImplementation::Stable),
                Some("latency") => Some(SoftmaxImplementation::Latency),
                Some("argmax") => Some(SoftmaxImplementation::Argmax),
                Some("legacy") => Some(SoftmaxImplementation::Legacy),
                _ => {
                    self.err(
                        &format!("{at}.{key}"),
                        "stable, latency, argmax or legacy",
                        describe(v),
                    );
                    None
                }
            };
        }
        if let Some((key, v)) = either(obj, "skip", "Skip") {
            match v.as_bool() {
                Some(b) => s.skip = Some(b),
                None => self.err(&format!("{at}.{key}"), "true or false", describe(v)),
            }
        }
        for &(snake, camel) in LAYER_TYPE_KEYS {
            let Some((key, v)) = either(obj, snake, camel) else {
                continue;
            };
            match self.prec(v, &format!("{at}.{key}")) {
                Some(Prec::Type(t)) => {
                    s.types.insert(snake.to_owned(), t);
                }
                Some(Prec::Auto) => self.err(&format!("{at}.{key}"), "a fixed-point type", "auto"),
                None => {}
            }
        }
        if let Some(v) = obj.get("ConvImplementation") {
            s.conv_implementation = match v.as_str().map(str::to_ascii_lowercase).as_deref() {
                Some("encoded") => Some(ConvImplementation::Encoded),
                Some("linebuffer") => Some(ConvImplementation::LineBuffer),
                _ => {
                    self.err(
                        &format!("{at}.ConvImplementation"),
                        "Encoded or LineBuffer",
                        describe(v),
                    );
                    None
                }
            };
        }
        s
    }

    fn prec(&mut self, v: &Value, at: &str) -> Option<Prec> {
        let Some(text) = v.as_str() else {
            self.err(
                at,
                "a precision string such as ap_fixed<16,6> or auto",
                describe(v),
            );
            return None;
        };
        if text.trim().eq_ignore_ascii_case("auto") {
            return Some(Prec::Auto);
        }
        match text.parse::<FixedType>() {
            Ok(t) => Some(Prec::Type(t)),
            Err(why) => {
                self.diags.push(Diagnostic::new(
                    at,
                    Some("config"),
                    "precision",
                    "a precision such as ap_fixed<16,6,AP_RND,AP_SAT>, or auto",
                    why,
                ));
                None
            }
        }
    }

    fn io_type(&mut self, v: &Value, at: &str) -> Option<IoType> {
        match v.as_str().map(str::to_ascii_lowercase).as_deref() {
            Some("io_parallel") => Some(IoType::Parallel),
            Some("io_stream") => Some(IoType::Stream),
            _ => {
                self.err(at, "io_parallel or io_stream", describe(v));
                None
            }
        }
    }
}

/// The value of a key hls4ml accepts in two spellings (it snake-cases layer keys), with the
/// spelling found; the snake-case one wins when both are given.
fn either<'v>(
    obj: &'v serde_json::Map<String, Value>,
    snake: &'static str,
    camel: &'static str,
) -> Option<(&'static str, &'v Value)> {
    obj.get(snake)
        .map(|v| (snake, v))
        .or_else(|| obj.get(camel).map(|v| (camel, v)))
}

fn describe(v: &Value) -> String {
    match v {
        Value::String(s) => format!("'{s}'"),
        Value::Null => "nothing".into(),
        other => other.to_string(),
    }
}
