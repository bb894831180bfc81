//! The golden cases of the original engine (kept once, in `core/tests/data`): valid requests
//! with the original's exact outputs, and the requests the original mishandled.

use std::sync::OnceLock;

use serde_json::Value;

const CASES: &str = include_str!("../../core/tests/data/cases.json");
const INVALID_CASES: &str = include_str!("../../core/tests/data/invalid_cases.json");

/// Every golden case: `{"inputs": …, "expected": …}` objects.
pub fn cases() -> &'static [Value] {
    static CASES_PARSED: OnceLock<Vec<Value>> = OnceLock::new();
    CASES_PARSED.get_or_init(|| serde_json::from_str(CASES).unwrap())
}

/// The calculation request of golden case `index`.
pub fn inputs(index: usize) -> Value {
    cases()[index]["inputs"].clone()
}

/// The requests the original engine crashed on or answered with garbage.
pub fn invalid_cases() -> Vec<Value> {
    serde_json::from_str(INVALID_CASES).unwrap()
}

/// What the engine computes for `inputs` with the built-in reference data: the
/// `technoEconomics` and `financials` documents.
pub fn engine_results(inputs: &Value) -> (Value, Value) {
    let calc =
        safapac_core::calculate(inputs, safapac_core::master::MasterData::builtin()).unwrap();
    (
        serde_json::to_value(calc.techno_economics()).unwrap(),
        serde_json::to_value(calc.financials()).unwrap(),
    )
}
