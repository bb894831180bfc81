//! Wire-format helpers shared by the routes: timestamps, key casing, lenient integers and
//! common field checks.

use chrono::{DateTime, Timelike, Utc};
use serde::{Deserialize, Deserializer, Serializer};
use serde_json::{Map, Value};

use crate::error::FieldError;

/// Naive UTC ISO-8601 as the dashboard knows it: `YYYY-MM-DDTHH:MM:SS`, plus `.ffffff` only
/// when the microseconds are not zero.
pub fn format_timestamp(at: &DateTime<Utc>) -> String {
    if at.nanosecond() / 1_000 == 0 {
        at.format("%Y-%m-%dT%H:%M:%S").to_string()
    } else {
        at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
    }
}

pub fn serialize_timestamp<S: Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_timestamp(at))
}

/// Stored JSON text (a calculation's results) written into a response as it is: checked,
/// never built into a tree.
pub fn serialize_raw_json<S: Serializer>(text: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    match text {
        None => s.serialize_none(),
        Some(text) => {
            let raw: &serde_json::value::RawValue =
                serde_json::from_str(text).map_err(serde::ser::Error::custom)?;
            s.serialize_some(raw)
        }
    }
}

/// `plant_capacity` → `plantCapacity`; keys without underscores are kept.
pub fn camel_case(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut upper_next = false;
    for c in key.chars() {
        if c == '_' && !out.is_empty() {
            upper_next = true;
        } else if upper_next {
            out.extend(c.to_uppercase());
            upper_next = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Re-keys an input document in camelCase, recursively: the casing inputs are stored and
/// answered in, whichever of the two casings the original accepted a client sent.
pub fn camel_case_keys(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (camel_case(k), camel_case_keys(v)))
                .collect::<Map<String, Value>>(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(camel_case_keys).collect()),
        other => other.clone(),
    }
}

/// An optional integer that also accepts integral floats (`3.0`) and numeric strings, as the
/// original did; `null` is absent.
pub fn lenient_opt_i32<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i32>, D::Error> {
    use serde::de::Error;
    let value = Option::<Value>::deserialize(d)?;
    let number = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
        Some(_) => None,
    };
    match number {
        Some(n) if n.fract() == 0.0 && n >= f64::from(i32::MIN) && n <= f64::from(i32::MAX) => {
            // Range and integrality were checked just above.
            Ok(Some(n as i32))
        }
        _ => Err(D::Error::custom("Input should be a valid integer")),
    }
}

/// A required human-readable name: 1 to `max` characters after trimming.
pub fn check_name(field: &str, value: &str, max: usize, errors: &mut Vec<FieldError>) {
    let length = value.trim().chars().count();
    if length == 0 {
        errors.push(FieldError::body(
            field,
            "String should have at least 1 character",
            "string_too_short",
        ));
    } else if length > max {
        errors.push(FieldError::body(
            field,
            format!("String should have at most {max} characters"),
            "string_too_long",
        ));
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use serde_json::json;

    use super::*;

    #[test]
    fn timestamps_drop_zero_microseconds() {
        let whole = Utc.with_ymd_and_hms(2025, 12, 30, 8, 15, 2).unwrap();
        assert_eq!(format_timestamp(&whole), "2025-12-30T08:15:02");
        let fractional = whole + chrono::Duration::microseconds(512_345);
        assert_eq!(format_timestamp(&fractional), "2025-12-30T08:15:02.512345");
    }

    #[test]
    fn snake_case_input_documents_are_re_keyed_in_camel_case() {
        let sent = json!({"conversion_plant": {"plant_capacity": {"value": 1, "unit_id": 3}},
                            "feedstock_data": [{"yield_percent": 1}], "processId": 1});
        assert_eq!(
            camel_case_keys(&sent),
            json!({"conversionPlant": {"plantCapacity": {"value": 1, "unitId": 3}},
                   "feedstockData": [{"yieldPercent": 1}], "processId": 1})
        );
    }

    #[derive(Deserialize)]
    struct Order {
        #[serde(default, deserialize_with = "lenient_opt_i32")]
        order: Option<i32>,
    }

    #[test]
    fn integers_accept_integral_floats_and_numeric_strings() {
        let parse = |s: &str| serde_json::from_str::<Order>(s).map(|o| o.order);
        assert_eq!(parse(r#"{"order": 3}"#).unwrap(), Some(3));
        assert_eq!(parse(r#"{"order": 3.0}"#).unwrap(), Some(3));
        assert_eq!(parse(r#"{"order": "2"}"#).unwrap(), Some(2));
        assert_eq!(parse(r#"{"order": null}"#).unwrap(), None);
        assert_eq!(parse(r#"{}"#).unwrap(), None);
        assert!(parse(r#"{"order": 2.5}"#).is_err());
        assert!(parse(r#"{"order": true}"#).is_err());
    }
}
