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

/// For each element (`order[j]` its index in row-major `shape`), the flat index of the value a
/// parameter of shape `param` gives it under numpy broadcasting; the error says why the
/// parameter does not broadcast to `shape` without enlarging it.
pub fn broadcast(shape: &[usize], param: &[usize], order: &[usize]) -> Result<Vec<usize>, String> {
    if param.len() > shape.len() {
        return Err(format!("more axes than the tensor {shape:?}"));
    }
    let offset = shape.len() - param.len();
    for (a, &p) in param.iter().enumerate() {
        if p != 1 && p != shape[offset + a] {
            return Err(format!(
                "axis {a} of size {p} against {}",
                shape[offset + a]
            ));
        }
    }
    let mut strides = vec![0usize; shape.len()];
    let mut stride = 1;
    for a in (0..param.len()).rev() {
        if param[a] != 1 {
            strides[offset + a] = stride;
        }
        stride *= param[a];
    }
    Ok(order
        .iter()
        .map(|&flat| {
            let mut rest = flat;
            let mut index = 0;
            for a in (0..shape.len()).rev() {
                index += (rest % shape[a]) * strides[a];
                rest /= shape[a];
            }
            index
        })
        .collect())
}

/// ONNX `Reshape` of a constant to `target`: a `-1` entry takes the remaining size, a `0`
/// copies the input's axis unless `allow_zero`. The error says why the shape does not fit.
pub fn reshape_const(
    a: &ArrayD<f64>,
    target: &[i64],
    allow_zero: bool,
) -> Result<ArrayD<f64>, String> {
    let mut dims: Vec<Option<usize>> = Vec::with_capacity(target.len());
    for (i, &d) in target.iter().enumerate() {
        dims.push(match d {
            -1 => None,
            0 if !allow_zero => Some(*a.shape().get(i).ok_or("a 0 beyond the input's axes")?),
            d if d >= 0 => Some(d as usize),
            d => return Err(format!("the entry {d}")),
        });
    }
    let known: usize = dims.iter().flatten().product();
    let shape: Vec<usize> = match dims.iter().filter(|d| d.is_none()).count() {
        0 => dims.iter().flatten().copied().collect(),
        1 if known > 0 && a.len() % known == 0 => {
            dims.iter().map(|d| d.unwrap_or(a.len() / known)).collect()
        }
        _ => return Err(format!("{target:?} for {} values", a.len())),
    };
    a.as_standard_layout()
        .into_owned()
        .into_shape_with_order(IxDyn(&shape))
        .map_err(|_| format!("{target:?} for {} values", a.len()))
}

#[cfg(test)]
mod tests {
    use super::{broadcast, reshape_const};
    use ndarray::{ArrayD, IxDyn};

    #[test]
    fn a_constant_reshapes_as_onnx_says() {
        let a = ArrayD::from_shape_vec(IxDyn(&[3]), vec![1.0, 2.0, 3.0]).unwrap();
        let r = reshape_const(&a, &[1, 1, -1], false).unwrap();
        assert_eq!(r.shape(), [1, 1, 3]);
        assert_eq!(r.iter().copied().collect::<Vec<_>>(), [1.0, 2.0, 3.0]);
        assert_eq!(reshape_const(&r, &[0, -1], false).unwrap().shape(), [1, 3]);
        assert!(reshape_const(&a, &[2, -1], false).is_err());
        assert!(reshape_const(&a, &[-1, -1], false).is_err());
    }

    #[test]
    fn numpy_broadcasting_aligns_on_the_last_axis() {
        let order: Vec<usize> = (0..12).collect();
        // A [3] parameter on [1, 3, 2, 2] scales the LAST axis, which has 2: no broadcast.
        assert!(broadcast(&[1, 3, 2, 2], &[3], &order).is_err());
        // [3, 1, 1] is per channel.
        let idx = broadcast(&[1, 3, 2, 2], &[3, 1, 1], &order).unwrap();
        assert_eq!(idx, [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]);
        // [2] varies along the last axis.
        let idx = broadcast(&[1, 3, 2, 2], &[2], &order).unwrap();
        assert_eq!(idx, [0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1]);
        assert!(broadcast(&[1, 4], &[1, 1, 4], &order[..4]).is_err());
    }
}
