//! Typed attribute getters. Errors read like
//! `/fc1/Gemm (Gemm), attribute 'transB': expected 0 or 1, found 3`.

use super::NodeCtx;
use crate::diag::Diagnostic;
use crate::onnx_proto::AttributeProto;

impl NodeCtx<'_> {
    fn attr(&self, name: &str) -> Option<&AttributeProto> {
        self.node.attribute.iter().find(|a| a.name() == name)
    }

    /// An integer attribute, `default` when absent.
    pub fn int_attr(&self, name: &str, default: i64) -> Result<i64, Diagnostic> {
        match self.attr(name) {
            None => Ok(default),
            Some(a) => a.i.ok_or_else(|| {
                self.diag(
                    format!("attribute '{name}'"),
                    "an integer",
                    "another kind of attribute",
                )
            }),
        }
    }

    /// An integer attribute restricted to `allowed`.
    pub fn int_attr_in(
        &self,
        name: &str,
        default: i64,
        allowed: &[i64],
    ) -> Result<i64, Diagnostic> {
        let v = self.int_attr(name, default)?;
        if allowed.contains(&v) {
            Ok(v)
        } else {
            let list: Vec<String> = allowed.iter().map(i64::to_string).collect();
            Err(self.diag(
                format!("attribute '{name}'"),
                list.join(" or "),
                v.to_string(),
            ))
        }
    }

    /// A float attribute, `default` when absent.
    pub fn float_attr(&self, name: &str, default: f32) -> Result<f32, Diagnostic> {
        match self.attr(name) {
            None => Ok(default),
            Some(a) => a.f.ok_or_else(|| {
                self.diag(
                    format!("attribute '{name}'"),
                    "a float",
                    "another kind of attribute",
                )
            }),
        }
    }

    /// A list-of-integers attribute; `None` when absent.
    pub fn ints_attr(&self, name: &str) -> Result<Option<Vec<i64>>, Diagnostic> {
        match self.attr(name) {
            None => Ok(None),
            Some(a) if a.ints.is_empty() && a.i.is_some() => Err(self.diag(
                format!("attribute '{name}'"),
                "a list of integers",
                "a single integer",
            )),
            Some(a) => Ok(Some(a.ints.clone())),
        }
    }

    /// A string attribute; `None` when absent.
    pub fn string_attr(&self, name: &str) -> Result<Option<String>, Diagnostic> {
        match self.attr(name) {
            None => Ok(None),
            Some(a) => match &a.s {
                Some(bytes) => Ok(Some(String::from_utf8_lossy(bytes).into_owned())),
                None => Err(self.diag(
                    format!("attribute '{name}'"),
                    "a string",
                    "another kind of attribute",
                )),
            },
        }
    }

    /// The tensor attribute `value` of a `Constant`.
    pub fn tensor_attr(
        &self,
        name: &str,
    ) -> Result<Option<&crate::onnx_proto::TensorProto>, Diagnostic> {
        Ok(self.attr(name).and_then(|a| a.t.as_ref()))
    }

    /// Diagnoses every attribute not in `known`.
    pub fn reject_unknown_attrs(&self, known: &[&str]) -> Vec<Diagnostic> {
        self.node
            .attribute
            .iter()
            .filter(|a| !known.contains(&a.name()))
            .map(|a| {
                let expected = if known.is_empty() {
                    "no attributes".to_owned()
                } else {
                    format!("only {}", known.join(", "))
                };
                self.diag(
                    format!("attribute '{}'", a.name()),
                    expected,
                    "an unsupported attribute",
                )
            })
            .collect()
    }
}
