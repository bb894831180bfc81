//! SAFAPAC calculation core: the techno-economic engine, pure and free of I/O.
//!
//! ```
//! use safapac_core::{calculate, master::MasterData};
//! let doc = serde_json::json!({"processId": 1});
//! let errors = calculate(&doc, MasterData::builtin()).unwrap_err();
//! assert!(errors.iter().any(|e| e.path.to_string() == "conversionPlant"));
//! ```

pub mod engine;
pub mod error;
pub mod json;
pub mod master;
pub mod output;
mod parse;
pub mod reference;
pub mod request;
pub mod trace;
pub mod units;
mod validate;

pub use error::{ErrorKind, FieldError, FieldPath, ValidationErrors};
pub use output::Calculation;
pub use parse::parse_request;
pub use request::CalcRequest;

use master::MasterData;
use reference::ReferenceRecord;

/// Validates a request document and computes its result.
pub fn calculate(
    doc: &serde_json::Value,
    master: &MasterData,
) -> Result<Calculation, ValidationErrors> {
    let request = parse_request(doc, master)?;
    Ok(calculate_validated(request, master))
}

/// Parses request JSON text, validates it and computes its result.
pub fn calculate_str(json: &str, master: &MasterData) -> Result<Calculation, ValidationErrors> {
    let doc: serde_json::Value =
        serde_json::from_str(json).map_err(|e| ValidationErrors::invalid_json(&e))?;
    calculate(&doc, master)
}

/// Computes the result of a request that [`parse_request`] accepted.
///
/// # Panics
/// Never for a request from [`parse_request`] with the same master data, which checks that
/// the reference record exists.
pub fn calculate_validated(request: CalcRequest, master: &MasterData) -> Calculation {
    let reference = ReferenceRecord::lookup(
        master,
        request.process_id,
        request.feedstock_id,
        request.country_id,
    )
    .unwrap_or(ReferenceRecord::MISSING);
    let figures = engine::compute(&request, &reference);
    let traceables = trace::build(&request, &figures);
    Calculation {
        request,
        figures,
        traceables,
    }
}
