//! Layer names: identifier-safe IR names and the names a configuration may use.

use std::collections::BTreeSet;

/// Turns any string into a Verilog/C identifier: letters, digits and `_`, starting with a letter.
pub fn identifier(text: &str, fallback: &str) -> String {
    let mut id: String = text
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    id = id.trim_matches('_').to_owned();
    while id.contains("__") {
        id = id.replace("__", "_");
    }
    if id.is_empty() {
        return fallback.to_owned();
    }
    if id.starts_with(|c: char| c.is_ascii_digit()) {
        id.insert(0, 'n');
    }
    id
}

/// The module path PyTorch (or tf2onnx) embeds in a node name: the component before the op,
/// `/fc1/Gemm` → `fc1`, `/layers/layers.0/Gemm` → `layers.0`, `sequential/dense/MatMul` → `dense`.
pub fn module_path(node_name: &str) -> Option<&str> {
    let parts: Vec<&str> = node_name.split('/').filter(|p| !p.is_empty()).collect();
    (parts.len() >= 2).then(|| parts[parts.len() - 2])
}

/// Names under which a configuration's `LayerName` section finds this node: the ONNX node name,
/// the module path, and the module path with `.` replaced by `_` (hls4ml's PyTorch naming).
pub fn config_names(node_name: &str) -> Vec<String> {
    let mut names = Vec::new();
    if !node_name.is_empty() {
        names.push(node_name.to_owned());
    }
    if let Some(m) = module_path(node_name) {
        names.push(m.to_owned());
        names.push(m.replace('.', "_"));
    } else if let Some(f) = functional_name(node_name) {
        names.push(f);
    }
    names.dedup();
    names
}

/// torch.fx's name (which hls4ml's PyTorch frontend uses) for a functional call that the ONNX
/// exporter names `/Op` or `/Op_k`, outside any module: the function's name with the same
/// suffix (`/Add` → `add`, `/Concat_1` → `cat_1`).
fn functional_name(node_name: &str) -> Option<String> {
    let op = node_name.strip_prefix('/')?;
    let (op, suffix) = match op.rsplit_once('_') {
        Some((op, k)) if k.bytes().all(|b| b.is_ascii_digit()) => (op, format!("_{k}")),
        _ => (op, String::new()),
    };
    let function = match op {
        "Add" => "add",
        "Sub" => "sub",
        "Mul" => "mul",
        "Concat" => "cat",
        "Relu" => "relu",
        _ => return None,
    };
    Some(format!("{function}{suffix}"))
}

/// The IR name for a layer: its module path if there is one, else torch.fx's name of a functional
/// call, else its node name, else the op and index.
pub fn layer_base_name(node_name: &str, op_type: &str, index: usize) -> String {
    let fallback = format!("{}{index}", op_type.to_ascii_lowercase());
    match (module_path(node_name), functional_name(node_name)) {
        (Some(m), _) => identifier(m, &fallback),
        (None, Some(f)) => f,
        (None, None) => identifier(node_name, &fallback),
    }
}

/// Hands out unique names with deterministic `_2`, `_3`, … suffixes.
#[derive(Debug, Default)]
pub struct NameTable(BTreeSet<String>);

impl NameTable {
    pub fn unique(&mut self, base: &str) -> String {
        let mut name = base.to_owned();
        let mut k = 2;
        while self.0.contains(&name) {
            name = format!("{base}_{k}");
            k += 1;
        }
        self.0.insert(name.clone());
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pytorch_and_tf_names() {
        assert_eq!(config_names("/fc1/Gemm"), vec!["/fc1/Gemm", "fc1"]);
        assert_eq!(
            config_names("/layers/layers.0/Gemm"),
            vec!["/layers/layers.0/Gemm", "layers.0", "layers_0"]
        );
        assert_eq!(module_path("sequential/dense/MatMul"), Some("dense"));
        assert_eq!(layer_base_name("", "Gemm", 3), "gemm3");
        assert_eq!(identifier("0weird name!", "x"), "n0weird_name");
        assert_eq!(config_names("/Add"), vec!["/Add", "add"]);
        assert_eq!(config_names("/Concat_2"), vec!["/Concat_2", "cat_2"]);
        assert_eq!(config_names("/Gather"), vec!["/Gather"]);
        assert_eq!(layer_base_name("/Concat_2", "Concat", 7), "cat_2");
    }
}
