//! One error type for the whole compiler.
//!
//! Four kinds, kept apart because they mean different things to a user:
//! * [`Error::User`]: the model, configuration or input data is wrong or unsupported. Every problem
//!   found is collected into one list of [`Diagnostic`]s so a run reports all of them at once.
//!   The CLI exits with code 2.
//! * [`Error::Internal`]: an invariant of rtlgen itself was broken (a bug), e.g. the graph verifier
//!   failed after a pass. The CLI exits with code 3.
//! * [`Error::Tool`]: an external program (Verilator, the C++ compiler, Yosys) failed or is missing.
//! * [`Error::Mismatch`]: co-simulation found the RTL disagreeing with the golden model.

use std::fmt;

/// One problem with the user's input, located as precisely as the input allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Where: an ONNX node name, a configuration key path, or a file name.
    pub location: String,
    /// The ONNX op type or configuration section, when there is one.
    pub op: Option<String>,
    /// What is wrong, in a few words (e.g. `attribute 'transA'`).
    pub subject: String,
    /// What rtlgen expected.
    pub expected: String,
    /// What it found.
    pub found: String,
}

impl Diagnostic {
    pub fn new(
        location: impl Into<String>,
        op: Option<&str>,
        subject: impl Into<String>,
        expected: impl Into<String>,
        found: impl Into<String>,
    ) -> Self {
        Diagnostic {
            location: location.into(),
            op: op.map(str::to_owned),
            subject: subject.into(),
            expected: expected.into(),
            found: found.into(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.op {
            Some(op) => write!(f, "{} ({op}), {}: ", self.location, self.subject)?,
            None => write!(f, "{}, {}: ", self.location, self.subject)?,
        }
        write!(f, "expected {}, found {}", self.expected, self.found)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{}", render_user(.0))]
    User(Vec<Diagnostic>),
    #[error("internal error (a bug in rtlgen, please report it): {0}")]
    Internal(String),
    #[error("{0}")]
    Tool(String),
    #[error("{0}")]
    Mismatch(String),
}

fn render_user(diags: &[Diagnostic]) -> String {
    let mut text = format!(
        "{} problem{} found:",
        diags.len(),
        if diags.len() == 1 { "" } else { "s" }
    );
    for d in diags {
        text.push_str("\n  - ");
        text.push_str(&d.to_string());
    }
    text
}

impl Error {
    /// A single user error.
    pub fn user(d: Diagnostic) -> Self {
        Error::User(vec![d])
    }

    /// A user error about a file (cannot be read, malformed, ...).
    pub fn file(
        path: &std::path::Path,
        expected: impl Into<String>,
        found: impl Into<String>,
    ) -> Self {
        Error::user(Diagnostic::new(
            path.display().to_string(),
            None,
            "file",
            expected,
            found,
        ))
    }

    /// The process exit code for this error kind.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::User(_) => 2,
            Error::Mismatch(_) => 1,
            Error::Internal(_) => 3,
            Error::Tool(_) => 4,
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// Collects diagnostics; turns into `Err(Error::User)` if any were pushed.
#[derive(Debug, Default)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }
    pub fn extend(&mut self, e: Error) -> Result<()> {
        match e {
            Error::User(ds) => {
                self.0.extend(ds);
                Ok(())
            }
            other => Err(other),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn finish(self) -> Result<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Error::User(self.0))
        }
    }
}
