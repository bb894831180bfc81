//! The fast JSON output (`Calculation::to_json_vec`, `safapac_core::json`) writes exactly the
//! bytes `serde_json` writes, for every golden case and for product and feedstock names that
//! need escaping.

#![allow(clippy::unwrap_used)] // test helpers may panic on malformed fixtures

use safapac_core::{calculate, master::MasterData};
use serde_json::Value;

fn cases() -> Vec<Value> {
    serde_json::from_str(include_str!("data/cases.json")).unwrap()
}

fn assert_same_output(doc: &Value) {
    let Ok(calc) = calculate(doc, MasterData::builtin()) else {
        return;
    };
    let fast = calc.to_json_vec();
    let reference = serde_json::to_vec(&calc).unwrap();
    assert!(
        fast == reference,
        "output differs:\nfast: {}\nserde_json: {}",
        String::from_utf8_lossy(&fast),
        String::from_utf8_lossy(&reference)
    );
    let mut reused = b"previous".to_vec();
    reused.clear();
    calc.write_json(&mut reused);
    assert_eq!(reused, reference);
    assert_eq!(
        calc.techno_economics_json(),
        serde_json::to_string(&calc.techno_economics()).unwrap()
    );
    assert_eq!(
        calc.financials_json(),
        serde_json::to_string(&calc.financials()).unwrap()
    );
    // And the text is valid JSON that parses back to the same document.
    let parsed: Value = serde_json::from_slice(&fast).unwrap();
    assert_eq!(parsed, serde_json::from_slice::<Value>(&reference).unwrap());
}

#[test]
fn every_golden_case_serialises_as_serde_json_does() {
    let cases = cases();
    assert!(cases.len() > 30);
    for case in &cases {
        assert_same_output(&case["inputs"]);
    }
}

#[test]
fn names_that_need_escaping_serialise_as_serde_json_does() {
    let base = cases()[0]["inputs"].clone();
    let names = [
        "jet \"A\"",
        "back\\slash",
        "tab\there",
        "line\nbreak",
        "nul\u{0}bell\u{7}esc\u{1b}del\u{7f}",
        "straße ÄÖÜ",
        "燃料 😀",
        "sep \u{2028}\u{2029}",
        "\"\\\"\\",
        "a very long product name that spans several sixteen-byte chunks \" and ends here\\",
    ];
    for name in names {
        let mut doc = base.clone();
        for key in ["productData", "product_data"] {
            if let Some(products) = doc.get_mut(key).and_then(Value::as_array_mut) {
                products[0]["name"] = Value::from(name);
            }
        }
        for key in ["feedstockData", "feedstock_data"] {
            if let Some(feedstocks) = doc.get_mut(key).and_then(Value::as_array_mut) {
                feedstocks[0]["name"] = Value::from(format!("{name} feed"));
            }
        }
        let calc = calculate(&doc, MasterData::builtin()).unwrap_or_else(|e| {
            panic!(
                "{name:?}: {:?}",
                e.iter().map(ToString::to_string).collect::<Vec<_>>()
            )
        });
        let text = String::from_utf8(calc.to_json_vec()).unwrap();
        assert!(text.contains(&serde_json::to_string(name).unwrap()[1..]));
        assert_same_output(&doc);
    }
}
