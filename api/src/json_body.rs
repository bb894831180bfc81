//! The JSON body extractor: size limit (413), time limit (408), content type (415), syntax
//! (400), shape (422 with the path of the offending field as the client spelled it) and
//! semantic validation (422), in that order.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::StreamExt as _;
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::AppState;
use crate::config::HttpTimeouts;
use crate::error::{ApiError, FieldError};

/// Semantic checks after deserialisation; an empty list means valid.
pub trait Validate {
    fn validate(&self) -> Vec<FieldError>;
}

impl<T: Validate> Validate for Option<T> {
    fn validate(&self) -> Vec<FieldError> {
        self.as_ref().map(Validate::validate).unwrap_or_default()
    }
}

/// A validated JSON body. An empty body reads as `null`, so `JsonBody<Option<T>>` makes the
/// body optional and any other `T` answers 422 "Field required".
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned + Validate + 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let (limit, timeout) = req
            .app_data::<web::Data<AppState>>()
            .map_or((256 * 1024, HttpTimeouts::default().body), |state| {
                (state.config.max_body_bytes, state.config.http_timeouts.body)
            });
        let declared_length = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .eq_ignore_ascii_case("application/json")
            });
        let mut payload = payload.take();
        Box::pin(async move {
            if declared_length.is_some_and(|len| len > limit) {
                return Err(ApiError::PayloadTooLarge);
            }
            // One deadline for the whole body: actix-http times only the request head, so a
            // client trickling a byte now and then would otherwise hold the handler forever.
            let deadline = tokio::time::Instant::now() + timeout;
            let mut body = web::BytesMut::new();
            while let Some(chunk) = tokio::time::timeout_at(deadline, payload.next())
                .await
                .map_err(|_| ApiError::RequestTimeout)?
            {
                let chunk =
                    chunk.map_err(|_| ApiError::BadRequest("Could not read the request body"))?;
                if body.len() + chunk.len() > limit {
                    return Err(ApiError::PayloadTooLarge);
                }
                body.extend_from_slice(&chunk);
            }
            let text: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
                b"null"
            } else {
                // A body in another format is refused; an absent one is judged by `T`.
                if is_json != Some(true) {
                    return Err(ApiError::UnsupportedMediaType);
                }
                &body
            };
            let value: T = parse(text)?;
            if contains_nul_escape(text) {
                return Err(ApiError::Validation(vec![nul_error(text)]));
            }
            let errors = value.validate();
            if errors.is_empty() {
                Ok(JsonBody(value))
            } else {
                Err(ApiError::Validation(errors))
            }
        })
    }
}

/// Deepest nesting of arrays and objects accepted in a body.
const MAX_DEPTH: usize = 128;

/// Whether `text` nests arrays or objects deeper than `max` anywhere, strings aside. Checked
/// on the whole body before deserialising: serde_json enforces its own limit only on the
/// values it builds, not on those it skips (an unknown field), so a value 100,000 levels deep
/// under an unknown key would otherwise pass.
fn nested_deeper_than(text: &[u8], max: usize) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &byte in text {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

fn parse<T: DeserializeOwned>(text: &[u8]) -> Result<T, ApiError> {
    if nested_deeper_than(text, MAX_DEPTH) {
        return Err(ApiError::BadRequest(
            "JSON body nested too deeply (at most 128 levels)",
        ));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(text);
    // The scan above is the one depth limit (serde_json's own stops at 127 levels).
    deserializer.disable_recursion_limit();
    let error = match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
        Ok(value) => {
            // Trailing garbage after the document.
            deserializer
                .end()
                .map_err(|_| ApiError::BadRequest("Malformed JSON body"))?;
            return Ok(value);
        }
        Err(error) => error,
    };
    let inner = error.inner();
    if inner.is_syntax() || inner.is_eof() {
        return Err(ApiError::BadRequest("Malformed JSON body"));
    }
    let mut loc = vec![Value::from("body")];
    for segment in error.path().iter() {
        match segment {
            serde_path_to_error::Segment::Seq { index } => loc.push((*index).into()),
            serde_path_to_error::Segment::Map { key } => loc.push(key.clone().into()),
            serde_path_to_error::Segment::Enum { variant } => loc.push(variant.clone().into()),
            serde_path_to_error::Segment::Unknown => {}
        }
    }
    let message = strip_position(&inner.to_string());
    if text == b"null" {
        return Err(ApiError::Validation(vec![FieldError::new(
            loc,
            "Field required",
            "missing",
        )]));
    }
    if let Some(field) = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.strip_suffix('`'))
    {
        loc.push(field.into());
        return Err(ApiError::Validation(vec![FieldError::new(
            loc,
            "Field required",
            "missing",
        )]));
    }
    Err(ApiError::Validation(vec![FieldError::new(
        loc,
        message,
        "value_error",
    )]))
}

/// Whether a (syntactically valid) JSON text has a `\u0000` escape in some string.
/// PostgreSQL can store NUL neither in `text` nor in `jsonb`, so such a string would fail
/// only when written, as a 500; raw NUL bytes are already refused by the JSON syntax.
fn contains_nul_escape(text: &[u8]) -> bool {
    let mut i = 0;
    while let Some(offset) = text[i..].iter().position(|&b| b == b'\\') {
        let at = i + offset;
        match text.get(at + 1) {
            Some(b'u') if text.get(at + 2..at + 6) == Some(b"0000") => return true,
            // `\\` is an escaped backslash: whatever follows it is plain text.
            _ => i = at + 2,
        }
        if i >= text.len() {
            break;
        }
    }
    false
}

/// A 422 naming the first string (or key) that holds a NUL character.
fn nul_error(text: &[u8]) -> FieldError {
    fn find(value: &Value, loc: &mut Vec<Value>) -> bool {
        match value {
            Value::String(s) => s.contains('\0'),
            Value::Array(items) => items.iter().enumerate().any(|(i, item)| {
                loc.push(i.into());
                find(item, loc) || {
                    loc.pop();
                    false
                }
            }),
            Value::Object(map) => map.iter().any(|(key, item)| {
                loc.push(key.clone().into());
                key.contains('\0') || find(item, loc) || {
                    loc.pop();
                    false
                }
            }),
            _ => false,
        }
    }
    let mut loc = vec![Value::from("body")];
    if let Ok(document) = serde_json::from_slice::<Value>(text) {
        find(&document, &mut loc);
    }
    FieldError::new(
        loc,
        "String should not contain the NUL character (\\u0000)",
        "string_nul",
    )
}

/// serde_json appends " at line L column C"; the path already says where.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    #[allow(dead_code)] // only the deserialisation matters
    struct Sample {
        #[serde(alias = "project_name")]
        project_name: String,
        #[serde(default)]
        items: Vec<Item>,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)] // only the deserialisation matters
    struct Item {
        value: f64,
    }

    fn loc(error: ApiError) -> Vec<Value> {
        match error {
            ApiError::Validation(errors) => errors[0].loc.clone(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn both_spellings_are_accepted_and_unknown_fields_ignored() {
        let a: Sample = parse(br#"{"projectName": "a", "extra": 1}"#).unwrap();
        let b: Sample = parse(br#"{"project_name": "b"}"#).unwrap();
        assert_eq!(
            (a.project_name.as_str(), b.project_name.as_str()),
            ("a", "b")
        );
    }

    #[test]
    fn errors_point_at_the_field() {
        let missing = parse::<Sample>(br#"{}"#).unwrap_err();
        assert_eq!(
            loc(missing),
            vec![Value::from("body"), "projectName".into()]
        );
        let wrong =
            parse::<Sample>(br#"{"project_name": "a", "items": [{"value": "x"}]}"#).unwrap_err();
        assert_eq!(
            loc(wrong),
            vec![
                Value::from("body"),
                "items".into(),
                0.into(),
                "value".into()
            ]
        );
    }

    #[test]
    fn too_deep_a_document_is_a_bad_request_naming_the_limit() {
        for depth in [129, 1_000, 100_000] {
            let text = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
            match parse::<Value>(text.as_bytes()) {
                Err(ApiError::BadRequest(detail)) => assert!(detail.contains("nested"), "{detail}"),
                other => panic!("depth {depth}: {other:?}"),
            }
        }
        let fine = format!("{}{}", "[".repeat(128), "]".repeat(128));
        assert!(parse::<Value>(fine.as_bytes()).is_ok());
    }

    #[test]
    fn the_depth_limit_holds_under_fields_that_are_skipped() {
        let deep = format!("{}{}", "[".repeat(120_000), "]".repeat(120_000));
        let text = format!(r#"{{"project_name": "a", "unknown": {deep}}}"#);
        match parse::<Sample>(text.as_bytes()) {
            Err(ApiError::BadRequest(detail)) => assert!(detail.contains("nested"), "{detail}"),
            other => panic!("accepted: {:?}", other.map(|s| s.project_name)),
        }
        // Brackets inside strings are text, escaped quotes included.
        let text = format!(
            r#"{{"project_name": "{}\"{}"}}"#,
            "[".repeat(200),
            "{".repeat(200)
        );
        assert!(parse::<Sample>(text.as_bytes()).is_ok());
    }

    #[test]
    fn nul_characters_are_found_wherever_they_hide() {
        for (text, nul) in [
            (r#"{"a": "x\u0000y"}"#, true),
            (r#"{"a": ["ok", {"b\u0000": 1}]}"#, true),
            (r#"{"a": "\\u0000"}"#, false), // a backslash, then the text u0000
            (r#"{"a": "\\\u0000"}"#, true),
            (r#"{"a": "\u00001"}"#, true),
            (r#"{"a": "\u0001\n"}"#, false),
            (r#"{"a": "tail\\"}"#, false),
        ] {
            assert_eq!(contains_nul_escape(text.as_bytes()), nul, "{text}");
        }
        let error = nul_error(br#"{"a": ["ok", {"b": "x\u0000"}]}"#);
        assert_eq!(
            error.loc,
            vec![Value::from("body"), "a".into(), 1.into(), "b".into()]
        );
    }

    #[test]
    fn malformed_json_is_a_bad_request() {
        assert!(matches!(
            parse::<Sample>(br#"{"projectName": "#),
            Err(ApiError::BadRequest(_))
        ));
        assert!(matches!(
            parse::<Sample>(br#"{"projectName": "a"} trailing"#),
            Err(ApiError::BadRequest(_))
        ));
    }
}
