//! `.npy` input and output for `predict` and `cosim`.

use crate::diag::{Diagnostic, Error, Result};
use ndarray::{Array2, ArrayD, Ix2};
use ndarray_npy::{ReadNpyExt, WriteNpyExt};
use std::path::Path;

/// Reads a float32 or float64 array of shape `(N, *sample_shape)` and flattens each sample.
pub fn read_samples(path: &Path, sample_shape: &[usize]) -> Result<Array2<f64>> {
    let open = || {
        std::fs::File::open(path)
            .map_err(|e| Error::file(path, "a readable .npy file", e.to_string()))
    };
    let array: ArrayD<f64> = match ArrayD::<f64>::read_npy(open()?) {
        Ok(a) => a,
        Err(_) => match ArrayD::<f32>::read_npy(open()?) {
            Ok(a) => a.mapv(f64::from),
            Err(e) => {
                return Err(Error::file(
                    path,
                    "a float32 or float64 .npy array",
                    e.to_string(),
                ))
            }
        },
    };
    let shape = array.shape().to_vec();
    if shape.len() != sample_shape.len() + 1 || shape[1..] != *sample_shape {
        let mut want = vec!["N".to_string()];
        want.extend(sample_shape.iter().map(usize::to_string));
        return Err(Error::user(Diagnostic::new(
            path.display().to_string(),
            None,
            "array shape",
            format!("({}) as the model input", want.join(", ")),
            format!("{shape:?}"),
        )));
    }
    let n = shape[0];
    let per: usize = sample_shape.iter().product();
    let standard = array.as_standard_layout().to_owned();
    standard
        .into_shape_with_order((n, per))
        .map_err(|e| Error::Internal(e.to_string()))?
        .into_dimensionality::<Ix2>()
        .map_err(|e| Error::Internal(e.to_string()))
}

/// Writes a float64 array atomically (no partial file on failure).
pub fn write(path: &Path, array: &Array2<f64>) -> Result<()> {
    let mut bytes = Vec::new();
    array
        .write_npy(&mut bytes)
        .map_err(|e| Error::Internal(format!("npy encoding: {e}")))?;
    crate::driver::write_file_atomically(path, &bytes)
}
