//! ONNX tensors to `ndarray` arrays of `f64` (every value of the supported types is exact in f64,
//! except 64-bit integers beyond 2^53, which never occur as weights or shapes).

use crate::onnx_proto::{tensor_proto::DataType, TensorProto};
use ndarray::{ArrayD, IxDyn};

/// Decodes a tensor stored in the model file; the error says what was found.
pub fn tensor_to_array(t: &TensorProto) -> Result<ArrayD<f64>, String> {
    if t.data_location == Some(crate::onnx_proto::tensor_proto::DataLocation::External as i32) {
        return Err("external data (save the model with all tensors inside the file)".into());
    }
    let dims: Vec<usize> = t
        .dims
        .iter()
        .map(|&d| usize::try_from(d).map_err(|_| format!("negative dimension {d}")))
        .collect::<Result<_, _>>()?;
    let count: usize = dims.iter().product();
    let dtype = DataType::try_from(t.data_type())
        .map_err(|_| format!("unknown data type {}", t.data_type()))?;
    let raw = t.raw_data.as_deref().filter(|r| !r.is_empty());
    let values: Vec<f64> = match dtype {
        DataType::Float => match raw {
            Some(r) => chunks::<4>(r)
                .map(|b| f32::from_le_bytes(b) as f64)
                .collect(),
            None => t.float_data.iter().map(|&v| v as f64).collect(),
        },
        DataType::Double => match raw {
            Some(r) => chunks::<8>(r).map(f64::from_le_bytes).collect(),
            None => t.double_data.clone(),
        },
        DataType::Int64 => match raw {
            Some(r) => chunks::<8>(r)
                .map(|b| i64::from_le_bytes(b) as f64)
                .collect(),
            None => t.int64_data.iter().map(|&v| v as f64).collect(),
        },
        DataType::Int32 => match raw {
            Some(r) => chunks::<4>(r)
                .map(|b| i32::from_le_bytes(b) as f64)
                .collect(),
            None => t.int32_data.iter().map(|&v| v as f64).collect(),
        },
        other => return Err(format!("data type {}", other.as_str_name())),
    };
    if values.len() != count {
        return Err(format!("{} values for shape {dims:?}", values.len()));
    }
    if let Some(v) = values.iter().find(|v| !v.is_finite()) {
        return Err(format!("a non-finite value ({v})"));
    }
    ArrayD::from_shape_vec(IxDyn(&dims), values).map_err(|e| e.to_string())
}

fn chunks<const N: usize>(raw: &[u8]) -> impl Iterator<Item = [u8; N]> + '_ {
    raw.chunks_exact(N)
        .map(|c| c.try_into().expect("exact chunk"))
}
