//! A builder of small QONNX graphs for the tests: [`GraphBuilder`] nodes plus QONNX quantizers
//! whose parameters become initializers.

use proptest::prelude::*;
use rtlgen::modelgen::{float_attr, int_attr, string_attr, GraphBuilder};
use rtlgen::onnx_proto::{tensor_proto::DataType, ModelProto, OperatorSetIdProto, TensorProto};

const DOMAIN: &str = "qonnx.custom_op.general";
const QONNX_OPS: [&str; 4] = ["Quant", "BipolarQuant", "Trunc", "MultiThreshold"];

/// A float32 parameter: its shape and values.
#[derive(Debug, Clone)]
pub struct P(pub Vec<usize>, pub Vec<f32>);

pub fn scalar(v: f32) -> P {
    P(vec![1], vec![v])
}

/// `[1, C]`: one value per channel of a vector.
pub fn per_channel(v: &[f32]) -> P {
    P(vec![1, v.len()], v.to_vec())
}

/// A QONNX `Quant`'s attributes and bit width.
#[derive(Debug, Clone, Copy)]
pub struct Q {
    pub bits: u32,
    pub signed: bool,
    pub narrow: bool,
    pub mode: &'static str,
}

pub const fn q(bits: u32, signed: bool, narrow: bool, mode: &'static str) -> Q {
    Q {
        bits,
        signed,
        narrow,
        mode,
    }
}

/// Nodes written with [`GraphBuilder`] plus QONNX quantizers, whose parameters become
/// initializers; the model imports the QONNX domain at `version` (Trunc's class).
pub struct Qonnx {
    pub g: GraphBuilder,
    params: Vec<TensorProto>,
    version: i64,
}

impl Qonnx {
    pub fn new(input_shape: &[usize], version: i64) -> Self {
        Qonnx {
            g: GraphBuilder::new(input_shape),
            params: vec![],
            version,
        }
    }

    pub fn param(&mut self, node: &str, k: usize, p: P) -> String {
        let name = format!("{node}_param{k}");
        self.params.push(TensorProto {
            name: Some(name.clone()),
            dims: p.0.iter().map(|&d| d as i64).collect(),
            data_type: Some(DataType::Float as i32),
            raw_data: Some(p.1.iter().flat_map(|v| v.to_le_bytes()).collect()),
            ..Default::default()
        });
        name
    }

    pub fn quant(&mut self, name: &str, x: &str, scale: P, zero: P, q: Q) -> String {
        let s = self.param(name, 0, scale);
        let z = self.param(name, 1, zero);
        let b = self.param(name, 2, scalar(q.bits as f32));
        let attrs = vec![
            int_attr("signed", q.signed as i64),
            int_attr("narrow", q.narrow as i64),
            string_attr("rounding_mode", q.mode),
        ];
        self.g.op(name, "Quant", &[x, &s, &z, &b], attrs)
    }

    /// The model's input quantizer: 8 bits signed, scale 2^-4 (levels −8 … 7.9375).
    pub fn input(&mut self) -> String {
        self.quant(
            "qin",
            "x",
            scalar(0.0625),
            scalar(0.0),
            q(8, true, false, "ROUND"),
        )
    }

    pub fn bipolar(&mut self, name: &str, x: &str, scale: P) -> String {
        let s = self.param(name, 0, scale);
        self.g.op(name, "BipolarQuant", &[x, &s], vec![])
    }

    /// `Trunc` v1 (`out_scale` `None`) or v2 (`signed`, `narrow` of the output range).
    #[allow(clippy::too_many_arguments)]
    pub fn trunc(
        &mut self,
        name: &str,
        x: &str,
        (scale, zero): (f32, f32),
        (in_bits, out_bits): (u32, u32),
        out_scale: Option<f32>,
        (signed, narrow): (bool, bool),
        mode: &str,
    ) -> String {
        let mut inputs = vec![
            x.to_owned(),
            self.param(name, 0, scalar(scale)),
            self.param(name, 1, scalar(zero)),
            self.param(name, 2, scalar(in_bits as f32)),
        ];
        let mut attrs = vec![string_attr("rounding_mode", mode)];
        if let Some(s) = out_scale {
            inputs.push(self.param(name, 3, scalar(s)));
            attrs.push(int_attr("signed", signed as i64));
            attrs.push(int_attr("narrow", narrow as i64));
        }
        inputs.push(self.param(name, 4, scalar(out_bits as f32)));
        let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
        self.g.op(name, "Trunc", &inputs, attrs)
    }

    pub fn multithreshold(
        &mut self,
        name: &str,
        x: &str,
        thresholds: P,
        (out_scale, out_bias): (f32, f32),
        layout: &str,
    ) -> String {
        let t = self.param(name, 0, thresholds);
        let attrs = vec![
            string_attr("out_dtype", "INT8"),
            float_attr("out_scale", out_scale),
            float_attr("out_bias", out_bias),
            string_attr("data_layout", layout),
        ];
        self.g.op(name, "MultiThreshold", &[x, &t], attrs)
    }

    pub fn finish(self, output: &str, output_shape: &[usize]) -> ModelProto {
        let mut m = self.g.finish(output, output_shape);
        let graph = m.graph.as_mut().unwrap();
        for node in &mut graph.node {
            if QONNX_OPS.contains(&node.op_type()) {
                node.domain = Some(DOMAIN.into());
            }
        }
        graph.initializer.extend(self.params);
        m.opset_import.push(OperatorSetIdProto {
            domain: Some(DOMAIN.into()),
            version: Some(self.version),
        });
        m
    }
}

/// QONNX's seven rounding modes.
pub const MODES: [&str; 7] = [
    "ROUND",
    "FLOOR",
    "CEIL",
    "UP",
    "DOWN",
    "HALF_UP",
    "HALF_DOWN",
];

/// One of [`MODES`].
pub fn strategy_mode() -> impl Strategy<Value = &'static str> {
    prop::sample::select(&MODES[..])
}
