//! Validation errors: every problem of a request document, each naming its field.

use std::fmt;

use serde::Serialize;

/// One step of a field path: an object key or a list index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Segment {
    Key(String),
    Index(usize),
}

/// Where in the document a problem is, e.g. `productData[1].yieldPercent`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(transparent)]
pub struct FieldPath(pub Vec<Segment>);

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(document)");
        }
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Segment::Key(k) if i == 0 => f.write_str(k)?,
                Segment::Key(k) => write!(f, ".{k}")?,
                Segment::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// What is wrong with a field. The `code` is stable and machine-readable (the 422 `type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// A required field is absent or null.
    Missing,
    /// The JSON type is wrong (e.g. a string where an object belongs).
    WrongType,
    /// A number is not finite, not an integer where one is required, or out of range.
    OutOfRange,
    /// A unit id that does not exist, or whose unit group cannot apply to the field.
    InvalidUnit,
    /// A list that must not be empty is empty, or is too long.
    InvalidLength,
    /// A name that is blank, too long, or repeats another (case-insensitively).
    InvalidName,
    /// An id that is not in the master data, or a combination without reference data.
    UnknownReference,
    /// The document is not valid JSON.
    InvalidJson,
}

impl ErrorKind {
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::Missing => "missing",
            ErrorKind::WrongType => "wrong_type",
            ErrorKind::OutOfRange => "out_of_range",
            ErrorKind::InvalidUnit => "invalid_unit",
            ErrorKind::InvalidLength => "invalid_length",
            ErrorKind::InvalidName => "invalid_name",
            ErrorKind::UnknownReference => "unknown_reference",
            ErrorKind::InvalidJson => "json_invalid",
        }
    }
}

/// One problem in a request document.
#[derive(Debug, Clone, PartialEq, Serialize, thiserror::Error)]
#[error("{path}: {message}")]
pub struct FieldError {
    pub path: FieldPath,
    pub kind: ErrorKind,
    pub message: String,
}

/// Every problem found in one request document (never empty).
#[derive(Debug, Clone, PartialEq, Serialize, thiserror::Error)]
#[serde(transparent)]
pub struct ValidationErrors(pub Vec<FieldError>);

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl ValidationErrors {
    pub fn iter(&self) -> impl Iterator<Item = &FieldError> {
        self.0.iter()
    }

    /// The document could not be parsed as JSON at all.
    pub fn invalid_json(err: &serde_json::Error) -> Self {
        ValidationErrors(vec![FieldError {
            path: FieldPath::default(),
            kind: ErrorKind::InvalidJson,
            message: format!("invalid JSON: {err}"),
        }])
    }
}
