//! Writes ONNX models in the shapes exporters produce, for tests and bundled examples:
//! `torch.onnx.export` (Gemm with `transB = 1`, node names `/fc1/Gemm`, `/relu1/Relu`) and
//! tf2onnx (`MatMul` + `Add`, node names `sequential/dense/MatMul`).

use crate::onnx_proto::{
    attribute_proto::AttributeType, tensor_proto::DataType,
    tensor_shape_proto::dimension::Value as Dim, tensor_shape_proto::Dimension, type_proto,
    AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TensorProto,
    TensorShapeProto, TypeProto, ValueInfoProto,
};
use ndarray::{Array1, Array2};

/// Which exporter's graph shape to imitate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// `torch.onnx.export(..., dynamo=False)`: Gemm(transB=1) with `(n_out, n_in)` weights.
    Torch,
    /// tf2onnx: MatMul with `(n_in, n_out)` weights followed by Add.
    TfMatMulAdd,
}

/// One fully connected layer, optionally followed by a ReLU.
#[derive(Debug, Clone)]
pub struct DenseLayer {
    /// Module name (`fc1`); the ReLU is named `relu` + the layer's 1-based position.
    pub name: String,
    /// `(n_out, n_in)`, as `torch.nn.Linear.weight`.
    pub weight: Array2<f32>,
    pub bias: Option<Array1<f32>>,
    pub relu: bool,
}

fn tensor(name: &str, dims: &[usize], values: impl Iterator<Item = f32>) -> TensorProto {
    let raw: Vec<u8> = values.flat_map(f32::to_le_bytes).collect();
    TensorProto {
        name: Some(name.into()),
        dims: dims.iter().map(|&d| d as i64).collect(),
        data_type: Some(DataType::Float as i32),
        raw_data: Some(raw),
        ..Default::default()
    }
}

/// A float tensor's name and shape; `None` is a symbolic (batch) dimension.
pub fn value_info(name: &str, dims: &[Option<i64>]) -> ValueInfoProto {
    let dim = dims
        .iter()
        .map(|d| Dimension {
            value: Some(match d {
                Some(v) => Dim::DimValue(*v),
                None => Dim::DimParam("batch".into()),
            }),
            ..Default::default()
        })
        .collect();
    ValueInfoProto {
        name: Some(name.into()),
        r#type: Some(TypeProto {
            value: Some(type_proto::Value::TensorType(type_proto::Tensor {
                elem_type: Some(DataType::Float as i32),
                shape: Some(TensorShapeProto { dim }),
            })),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// A node of the default domain.
pub fn node(
    name: &str,
    op: &str,
    inputs: &[&str],
    outputs: &[&str],
    attrs: Vec<AttributeProto>,
) -> NodeProto {
    NodeProto {
        name: Some(name.into()),
        op_type: Some(op.into()),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: outputs.iter().map(|s| s.to_string()).collect(),
        attribute: attrs,
        ..Default::default()
    }
}

/// An integer attribute.
pub fn int_attr(name: &str, v: i64) -> AttributeProto {
    AttributeProto {
        name: Some(name.into()),
        i: Some(v),
        r#type: Some(AttributeType::Int as i32),
        ..Default::default()
    }
}

/// A multilayer perceptron taking input `x` of per-sample shape `input_shape` (a Flatten is
/// inserted when it has more than one dimension) and producing `y`.
pub fn mlp(input_shape: &[usize], layers: &[DenseLayer], style: Style) -> ModelProto {
    let mut g = GraphProto {
        name: Some("rtlgen_mlp".into()),
        ..Default::default()
    };
    let mut dims = vec![None];
    dims.extend(input_shape.iter().map(|&d| Some(d as i64)));
    g.input.push(value_info("x", &dims));
    let mut cur = "x".to_string();
    if input_shape.len() > 1 {
        g.node.push(node(
            "/flatten/Flatten",
            "Flatten",
            &[&cur],
            &["/flatten/Flatten_output_0"],
            vec![int_attr("axis", 1)],
        ));
        cur = "/flatten/Flatten_output_0".into();
    }
    for (k, l) in layers.iter().enumerate() {
        let (n_out, n_in) = l.weight.dim();
        let last = k + 1 == layers.len() && !l.relu;
        let out_name = |op: &str| {
            if last {
                "y".to_string()
            } else {
                format!("/{}/{op}_output_0", l.name)
            }
        };
        match style {
            Style::Torch => {
                let wname = format!("{}.weight", l.name);
                g.initializer
                    .push(tensor(&wname, &[n_out, n_in], l.weight.iter().copied()));
                let mut inputs = vec![cur.clone(), wname];
                if let Some(b) = &l.bias {
                    let bname = format!("{}.bias", l.name);
                    g.initializer
                        .push(tensor(&bname, &[n_out], b.iter().copied()));
                    inputs.push(bname);
                }
                let refs: Vec<&str> = inputs.iter().map(String::as_str).collect();
                let out = out_name("Gemm");
                g.node.push(node(
                    &format!("/{}/Gemm", l.name),
                    "Gemm",
                    &refs,
                    &[&out],
                    vec![
                        int_attr("transB", 1),
                        AttributeProto {
                            name: Some("alpha".into()),
                            f: Some(1.0),
                            r#type: Some(AttributeType::Float as i32),
                            ..Default::default()
                        },
                    ],
                ));
                cur = out;
            }
            Style::TfMatMulAdd => {
                let wname = format!("sequential/{}/MatMul/ReadVariableOp:0", l.name);
                g.initializer
                    .push(tensor(&wname, &[n_in, n_out], l.weight.t().iter().copied()));
                let has_bias = l.bias.is_some();
                let mm_out = if has_bias || !last {
                    format!("sequential/{}/MatMul:0", l.name)
                } else {
                    "y".into()
                };
                g.node.push(node(
                    &format!("sequential/{}/MatMul", l.name),
                    "MatMul",
                    &[&cur, &wname],
                    &[&mm_out],
                    vec![],
                ));
                cur = mm_out;
                if let Some(b) = &l.bias {
                    let bname = format!("sequential/{}/BiasAdd/ReadVariableOp:0", l.name);
                    g.initializer
                        .push(tensor(&bname, &[n_out], b.iter().copied()));
                    let out = if last {
                        "y".to_string()
                    } else {
                        format!("sequential/{}/BiasAdd:0", l.name)
                    };
                    g.node.push(node(
                        &format!("sequential/{}/BiasAdd", l.name),
                        "Add",
                        &[&cur, &bname],
                        &[&out],
                        vec![],
                    ));
                    cur = out;
                }
            }
        }
        if l.relu {
            let relu = format!("relu{}", k + 1);
            let out = if k + 1 == layers.len() {
                "y".to_string()
            } else {
                format!("/{relu}/Relu_output_0")
            };
            g.node.push(node(
                &format!("/{relu}/Relu"),
                "Relu",
                &[&cur],
                &[&out],
                vec![],
            ));
            cur = out;
        }
    }
    let n_out = layers
        .last()
        .map_or(input_shape.iter().product(), |l| l.weight.nrows());
    g.output.push(value_info(&cur, &[None, Some(n_out as i64)]));
    ModelProto {
        ir_version: Some(8),
        producer_name: Some("rtlgen-modelgen".into()),
        opset_import: vec![OperatorSetIdProto {
            domain: Some(String::new()),
            version: Some(13),
        }],
        graph: Some(g),
        ..Default::default()
    }
}

/// Serialises a model to bytes.
pub fn encode(model: &ModelProto) -> Vec<u8> {
    prost::Message::encode_to_vec(model)
}
