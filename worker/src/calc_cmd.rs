//! `safapac-worker calc`: one calculation (or a JSON Lines batch) from a file or stdin.

use std::io::{self, BufRead, Read, Write};

use safapac_core::{ValidationErrors, calculate_str, master::MasterData};
use serde::Serialize;

/// Largest request document accepted; a real one is a few kilobytes.
pub const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;

/// How a `calc` run ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Every document was calculated.
    Ok,
    /// At least one document was invalid (their problems were reported).
    Invalid,
}

#[derive(Serialize)]
struct Problem<'a> {
    path: String,
    #[serde(rename = "type")]
    kind: &'static str,
    message: &'a str,
}

#[derive(Serialize)]
struct BatchError<'a> {
    line: usize,
    problems: Vec<Problem<'a>>,
}

#[derive(Serialize)]
struct BatchErrorLine<'a> {
    error: BatchError<'a>,
}

fn problems(errors: &ValidationErrors) -> Vec<Problem<'_>> {
    errors
        .iter()
        .map(|e| Problem {
            path: e.path.to_string(),
            kind: e.kind.code(),
            message: &e.message,
        })
        .collect()
}

/// Reads one request document from `input`, writes its result to `out` as one JSON line and
/// each problem as one line to `err`.
pub fn single(input: impl Read, mut out: impl Write, mut err: impl Write) -> io::Result<Outcome> {
    let mut text = String::new();
    let read = input
        .take(MAX_DOCUMENT_BYTES as u64 + 1)
        .read_to_string(&mut text);
    if let Err(e) = read {
        if e.kind() == io::ErrorKind::InvalidData {
            writeln!(err, "input: not UTF-8 text")?;
            return Ok(Outcome::Invalid);
        }
        return Err(e);
    }
    if text.len() > MAX_DOCUMENT_BYTES {
        writeln!(
            err,
            "input: larger than {MAX_DOCUMENT_BYTES} bytes; a calculation request is a few kilobytes"
        )?;
        return Ok(Outcome::Invalid);
    }
    match calculate_str(&text, MasterData::builtin()) {
        Ok(calc) => {
            let mut json = calc.to_json_vec();
            json.push(b'\n');
            out.write_all(&json)?;
            out.flush()?;
            Ok(Outcome::Ok)
        }
        Err(errors) => {
            for e in errors.iter() {
                writeln!(err, "{e}")?;
            }
            Ok(Outcome::Invalid)
        }
    }
}

/// Reads JSON Lines from `input` and writes one line to `out` per non-blank input line: the
/// result, or `{"error": {"line": N, "problems": [...]}}`. Never stops at a bad line.
pub fn batch(input: impl BufRead, mut out: impl Write) -> io::Result<Outcome> {
    let master = MasterData::builtin();
    let mut outcome = Outcome::Ok;
    let mut buf = Vec::new();
    // One result at a time is written through this buffer, reused from line to line.
    let mut json = Vec::with_capacity(safapac_core::json::RESULT_CAPACITY);
    let mut reader = input;
    let mut line_no = 0;
    loop {
        buf.clear();
        let n = (&mut reader)
            .take(MAX_DOCUMENT_BYTES as u64 + 1)
            .read_until(b'\n', &mut buf)?;
        if n == 0 {
            break;
        }
        line_no += 1;
        let too_long = buf.len() > MAX_DOCUMENT_BYTES && !buf.ends_with(b"\n");
        if too_long {
            // Skip the rest of the oversized line so the next one starts cleanly.
            let mut rest = Vec::new();
            reader.read_until(b'\n', &mut rest)?;
        }
        let result = if too_long {
            Err(too_long_error())
        } else {
            match std::str::from_utf8(&buf) {
                Ok(text) if text.trim().is_empty() => continue,
                Ok(text) => calculate_str(text, master),
                Err(_) => Err(not_utf8_error()),
            }
        };
        json.clear();
        match result {
            Ok(calc) => calc.write_json(&mut json),
            Err(errors) => {
                outcome = Outcome::Invalid;
                let line = BatchErrorLine {
                    error: BatchError {
                        line: line_no,
                        problems: problems(&errors),
                    },
                };
                serde_json::to_writer(&mut json, &line)?;
            }
        }
        json.push(b'\n');
        out.write_all(&json)?;
    }
    out.flush()?;
    Ok(outcome)
}

fn document_error(message: String) -> ValidationErrors {
    ValidationErrors(vec![safapac_core::FieldError {
        path: safapac_core::FieldPath::default(),
        kind: safapac_core::ErrorKind::InvalidJson,
        message,
    }])
}

fn too_long_error() -> ValidationErrors {
    document_error(format!("line longer than {MAX_DOCUMENT_BYTES} bytes"))
}

fn not_utf8_error() -> ValidationErrors {
    document_error("line is not UTF-8 text".to_owned())
}
