//! Hostile clients against the real HTTP server on real sockets: request heads and bodies
//! trickled a byte at a time, bodies far over the size limit, absurdly nested JSON and huge
//! strings. Each must be cut off with a clear answer, and the server must keep serving
//! everyone else meanwhile.
//!
//! Time limits are set to 1 s here and each test waits up to `BOUND` for the cut-off, so a
//! loaded machine can make a test slower but not make it fail.

use std::time::Duration;

use actix_web::http::{Method, StatusCode};
use safapac_api::config::{Config, HttpTimeouts};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::task::JoinHandle;

use crate::common::{TestApp, TestServer, generous_limits};

/// The longest a test waits for the server to cut a client off (the limits are 1 s).
const BOUND: Duration = Duration::from_secs(15);
/// Between two trickled pieces: much slower than any real client.
const GAP: Duration = Duration::from_millis(200);

fn one_second_limits(config: &mut Config) {
    config.http_timeouts = HttpTimeouts {
        request_head: Duration::from_secs(1),
        body: Duration::from_secs(1),
        disconnect: Duration::from_secs(1),
        keep_alive: Duration::from_secs(5),
    };
}

/// Sends `first`, then `piece` every `GAP` for far longer than any limit, until the server
/// hangs up.
fn trickle(mut writer: OwnedWriteHalf, first: Vec<u8>, piece: &'static [u8]) -> JoinHandle<()> {
    tokio::spawn(async move {
        if writer.write_all(&first).await.is_err() {
            return;
        }
        for _ in 0..1_000 {
            tokio::time::sleep(GAP).await;
            if writer.write_all(piece).await.is_err() {
                return;
            }
        }
    })
}

/// Everything the server sends until it closes the connection; fails the test if it is still
/// open after `BOUND`.
async fn read_until_closed(mut reader: OwnedReadHalf) -> String {
    let mut received = Vec::new();
    let read = tokio::time::timeout(BOUND, async {
        let mut buffer = [0u8; 4096];
        loop {
            match reader.read(&mut buffer).await {
                // A reset closes the connection as surely as a FIN does.
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    let text = String::from_utf8_lossy(&received).into_owned();
    assert!(
        read.is_ok(),
        "the connection was still open after {BOUND:?}; received so far: {text:?}"
    );
    text
}

fn status_of(answer: &str) -> u16 {
    answer
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {answer:?}"))
}

/// The JSON body of a complete response (`Connection: close`, so it ends at the close).
fn body_of(answer: &str) -> Value {
    let body = answer.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    serde_json::from_str(body).unwrap_or(Value::Null)
}

async fn connect(server: &TestServer) -> (OwnedReadHalf, OwnedWriteHalf) {
    TcpStream::connect(server.addr).await.unwrap().into_split()
}

/// `GET /health` on a new connection: the answer's status, or a failure if none comes
/// within `BOUND`.
async fn health(server: &TestServer) -> u16 {
    let (reader, mut writer) = connect(server).await;
    writer
        .write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    status_of(&read_until_closed(reader).await)
}

fn post_head(path: &str, length: Option<usize>) -> Vec<u8> {
    let framing = match length {
        Some(length) => format!("Content-Length: {length}"),
        None => "Transfer-Encoding: chunked".to_owned(),
    };
    format!(
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n{framing}\r\n\r\n"
    )
    .into_bytes()
}

#[actix_web::test]
async fn a_trickled_request_head_is_answered_408_and_the_connection_closed() {
    let app = TestApp::with_config(one_second_limits).await;
    let server = app.serve();
    let (reader, writer) = connect(&server).await;
    let slowloris = trickle(
        writer,
        b"GET /health HTTP/1.1\r\nHost: localhost\r\n".to_vec(),
        b"X-Slow: 1\r\n",
    );
    let answer = read_until_closed(reader).await;
    assert_eq!(status_of(&answer), 408, "{answer}");
    slowloris.abort();
    assert_eq!(health(&server).await, 200);
}

#[actix_web::test]
async fn a_trickled_body_is_answered_408_and_the_connection_closed() {
    let app = TestApp::with_config(one_second_limits).await;
    let server = app.serve();
    // Declared length and chunked framing: the extractor's deadline covers both.
    for (head, first) in [
        (
            post_head("/api/v1/auth/login", Some(200)),
            b"{\"email\": \"".to_vec(),
        ),
        (
            post_head("/api/v1/auth/login", None),
            b"b\r\n{\"email\": \"\r\n".to_vec(),
        ),
    ] {
        let (reader, writer) = connect(&server).await;
        let piece: &'static [u8] = if head.ends_with(b"chunked\r\n\r\n") {
            b"1\r\na\r\n"
        } else {
            b"a"
        };
        let slow = trickle(writer, [head, first].concat(), piece);
        let answer = read_until_closed(reader).await;
        assert_eq!(status_of(&answer), 408, "{answer}");
        assert_eq!(
            body_of(&answer)["detail"],
            "Request body not received in time",
            "{answer}"
        );
        slow.abort();
    }
}

#[actix_web::test]
async fn a_trickled_chunked_body_that_no_handler_reads_does_not_hold_the_connection() {
    // actix-http drains an unread chunked body without any time limit; the server must close
    // instead (the body is held until the answer is sent, see `hold_request_body`).
    let app = TestApp::with_config(one_second_limits).await;
    let server = app.serve();
    for path in ["/health", "/api/v1/no-such-route"] {
        let (reader, writer) = connect(&server).await;
        let head = format!(
            "GET {path} HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n"
        );
        let slow = trickle(writer, head.into_bytes(), b"1\r\nx\r\n");
        let answer = read_until_closed(reader).await;
        assert!(matches!(status_of(&answer), 200 | 404), "{answer}");
        slow.abort();
    }
}

#[actix_web::test]
async fn ten_megabytes_are_refused_413_before_the_body_is_read() {
    let app = TestApp::new().await; // the default 256 KiB limit
    let server = app.serve();
    let ten_mb = 10 * 1024 * 1024;

    // Declared: answered from the header alone, without a byte of the body being sent.
    let (reader, mut writer) = connect(&server).await;
    writer
        .write_all(&post_head("/api/v1/auth/login", Some(ten_mb)))
        .await
        .unwrap();
    let answer = read_until_closed(reader).await;
    assert_eq!(status_of(&answer), 413, "{answer}");
    assert_eq!(body_of(&answer)["detail"], "Request body too large");
    drop(writer);

    // Chunked: answered once the limit is crossed; the client has sent 320 KiB of its 10 MB
    // and sends nothing more, so the server cannot be waiting for the rest.
    let (reader, mut writer) = connect(&server).await;
    writer
        .write_all(&post_head("/api/v1/auth/login", None))
        .await
        .unwrap();
    let chunk = [
        format!("{:x}\r\n", 64 * 1024).into_bytes(),
        vec![b' '; 64 * 1024],
        b"\r\n".to_vec(),
    ]
    .concat();
    for _ in 0..5 {
        writer.write_all(&chunk).await.unwrap();
    }
    let answer = read_until_closed(reader).await;
    assert_eq!(status_of(&answer), 413, "{answer}");
    assert_eq!(body_of(&answer)["detail"], "Request body too large");
}

/// `depth` nested arrays around `inner`.
fn nested(depth: usize, inner: &str) -> String {
    format!("{}{inner}{}", "[".repeat(depth), "]".repeat(depth))
}

#[actix_web::test]
async fn deeply_nested_json_is_a_400_naming_the_problem_never_a_crash() {
    let app = TestApp::new().await;
    let session = app.sign_up("deep@example.org").await;
    let project = app.create_project(&session.access, "Deep").await;
    let scenario = app.scenarios(&session.access, &project).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let draft = format!("/api/v1/scenarios/{scenario}/draft");

    // 100 levels inside a free-form draft section: a legitimate (if odd) document.
    let hundred = format!(r#"{{"conversionPlant": {{"deep": {}}}}}"#, nested(100, "1"));
    let stored = app
        .request(
            actix_web::test::TestRequest::default()
                .method(Method::PATCH)
                .uri(&draft)
                .insert_header(("authorization", format!("Bearer {}", session.access)))
                .insert_header(("content-type", "application/json"))
                .set_payload(hundred),
        )
        .await;
    assert_eq!(stored.status, StatusCode::OK, "{}", stored.text);

    // 1,000 and 100,000 levels (200 KB, under the size limit) where any JSON may go: a 400
    // that says why, on the draft and on the engine's input.
    let deep_draft = |depth| {
        format!(
            r#"{{"conversionPlant": {{"deep": {}}}}}"#,
            nested(depth, "1")
        )
    };
    let deep_inputs = |depth| format!(r#"{{"processId": 1, "extra": {}}}"#, nested(depth, ""));
    let sync = format!("/api/v1/scenarios/{scenario}/calculate/sync");
    for depth in [1_000, 100_000] {
        for (method, path, body) in [
            (Method::PATCH, draft.as_str(), deep_draft(depth)),
            (Method::POST, sync.as_str(), deep_inputs(depth)),
        ] {
            let response = app
                .request(
                    actix_web::test::TestRequest::default()
                        .method(method)
                        .uri(path)
                        .insert_header(("authorization", format!("Bearer {}", session.access)))
                        .insert_header(("content-type", "application/json"))
                        .set_payload(body),
                )
                .await;
            assert_eq!(
                response.status,
                StatusCode::BAD_REQUEST,
                "{path} at depth {depth}: {}",
                response.text
            );
            assert_eq!(
                response.detail(),
                "JSON body nested too deeply (at most 128 levels)"
            );
        }
        // The limit holds for the whole body before any field is looked at: where a string
        // is expected, and under a field nobody reads (serde skips unknown fields without
        // counting their depth).
        let project_junk = format!(r#"{{"project_name": "P", "junk": {}}}"#, nested(depth, ""));
        for (path, token, body) in [
            (
                "/api/v1/auth/login",
                None,
                format!(r#"{{"email": {}}}"#, nested(depth, "")),
            ),
            ("/api/v1/projects", Some(&session.access), project_junk),
        ] {
            let mut request = actix_web::test::TestRequest::post()
                .uri(path)
                .insert_header(("content-type", "application/json"))
                .set_payload(body);
            if let Some(token) = token {
                request = request.insert_header(("authorization", format!("Bearer {token}")));
            }
            let response = app.request(request).await;
            assert_eq!(
                response.status,
                StatusCode::BAD_REQUEST,
                "{path} at depth {depth}: {}",
                response.text
            );
            assert_eq!(
                response.detail(),
                "JSON body nested too deeply (at most 128 levels)"
            );
        }
    }
}

#[actix_web::test]
async fn megabyte_strings_are_refused_by_size_or_by_a_precise_validation_message() {
    let huge = "x".repeat(1024 * 1024);

    // Default limit: the body is too large before any field is looked at.
    let app = TestApp::new().await;
    let session = app.sign_up("strings@example.org").await;
    let oversized = app
        .post(
            "/api/v1/projects",
            Some(&session.access),
            json!({"projectName": huge}),
        )
        .await;
    assert_eq!(oversized.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(oversized.detail(), "Request body too large");

    // With room for them (an operator raised the limit), each field's own rule says what is
    // wrong; a megabyte password is refused before it is hashed.
    let app = TestApp::with_config(|config| {
        config.max_body_bytes = 4 * 1024 * 1024;
        generous_limits(config);
    })
    .await;
    let session = app.sign_up("strings@example.org").await;
    let cases = [
        (
            "/api/v1/projects",
            Some(session.access.as_str()),
            json!({"projectName": huge}),
            "projectName",
            "String should have at most 100 characters",
        ),
        (
            "/api/v1/auth/register",
            None,
            json!({"name": huge, "email": "n@example.org", "password": "long enough", "occupation": "student"}),
            "name",
            "String should have at most 100 characters",
        ),
        (
            "/api/v1/auth/register",
            None,
            json!({"name": "N", "email": "n@example.org", "password": huge, "occupation": "student"}),
            "password",
            "String should have at most 128 characters",
        ),
        (
            "/api/v1/auth/register",
            None,
            json!({"name": "N", "email": format!("{huge}@example.org"), "password": "long enough", "occupation": "student"}),
            "email",
            "value is not a valid email address",
        ),
        (
            "/api/v1/auth/login",
            None,
            json!({"email": "strings@example.org", "password": huge}),
            "password",
            "String should have 1 to",
        ),
    ];
    for (path, token, body, field, message) in cases {
        let response = app.post(path, token, body).await;
        assert_eq!(
            response.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path} {field}: {}",
            response.text
        );
        let errors = response.body["detail"].as_array().unwrap();
        let error = errors
            .iter()
            .find(|e| e["loc"] == json!(["body", field]))
            .unwrap_or_else(|| panic!("no error at {field}: {}", response.text));
        assert!(
            error["msg"].as_str().unwrap().starts_with(message),
            "{}",
            response.text
        );
        assert!(response.text.len() < 4096, "the string is not echoed back");
    }
}

#[actix_web::test]
async fn the_server_answers_others_while_fifty_clients_trickle() {
    // Limits far above the test's length: these clients stay connected throughout.
    let app = TestApp::with_config(|config| {
        config.http_timeouts.request_head = Duration::from_secs(120);
        config.http_timeouts.body = Duration::from_secs(120);
        generous_limits(config);
    })
    .await;
    let server = app.serve();
    let mut slow = Vec::new();
    let mut readers = Vec::new();
    for i in 0..50 {
        let (reader, writer) = connect(&server).await;
        let (first, piece): (Vec<u8>, &'static [u8]) = if i % 2 == 0 {
            (
                b"GET /health HTTP/1.1\r\nHost: localhost\r\n".to_vec(),
                b"X-Slow: 1\r\n",
            )
        } else {
            (
                [
                    post_head("/api/v1/auth/login", Some(10_000)),
                    b"{\"email\": \"".to_vec(),
                ]
                .concat(),
                b"a",
            )
        };
        slow.push(trickle(writer, first, piece));
        readers.push(reader);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    for _ in 0..5 {
        let answered = tokio::time::timeout(BOUND, health(&server)).await;
        assert_eq!(answered.ok(), Some(200), "/health did not answer in time");
    }
    // The trickling clients were all still waiting: nothing was answered to them.
    for (i, reader) in readers.iter_mut().enumerate() {
        let mut buffer = [0u8; 256];
        let pending = tokio::time::timeout(Duration::from_millis(10), reader.read(&mut buffer));
        if let Ok(got) = pending.await {
            let text = got.map(|n| String::from_utf8_lossy(&buffer[..n]).into_owned());
            panic!("trickling client {i} got an answer: {text:?}");
        }
    }
    for task in slow {
        task.abort();
    }
}

/// The length of the first complete answer (framed by its `Content-Length`) in `received`.
fn complete_answer(received: &[u8]) -> Option<usize> {
    let end_of_head = received.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = String::from_utf8_lossy(&received[..end_of_head]);
    let length = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        })
        .expect("a Content-Length");
    (received.len() >= end_of_head + length).then_some(end_of_head + length)
}

/// The next `count` complete answers from a connection that stays open.
async fn read_answers(reader: &mut OwnedReadHalf, count: usize) -> Vec<String> {
    let mut received = Vec::new();
    let mut answers = Vec::new();
    let read = tokio::time::timeout(BOUND, async {
        let mut buffer = [0u8; 4096];
        while answers.len() < count {
            if let Some(end) = complete_answer(&received) {
                answers.push(String::from_utf8_lossy(&received[..end]).into_owned());
                received.drain(..end);
                continue;
            }
            match reader.read(&mut buffer).await {
                Ok(0) | Err(_) => panic!(
                    "closed before a complete answer: {:?}",
                    String::from_utf8_lossy(&received)
                ),
                Ok(n) => received.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    assert!(read.is_ok(), "fewer than {count} answers within {BOUND:?}");
    answers
}

async fn read_answer(reader: &mut OwnedReadHalf) -> String {
    read_answers(reader, 1).await.remove(0)
}

#[actix_web::test]
async fn a_trickled_second_request_head_on_a_kept_alive_connection_is_cut_off() {
    // actix-http itself times only a connection's first head; every later one must be timed
    // too, or one good request buys a client an unlimited slowloris connection.
    let app = TestApp::with_config(one_second_limits).await;
    let server = app.serve();
    let (mut reader, mut writer) = connect(&server).await;
    writer
        .write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let first = read_answer(&mut reader).await;
    assert_eq!(status_of(&first), 200, "{first}");

    // The next head, a byte every `GAP`: it would take minutes to end.
    let slow = trickle(
        writer,
        b"GET /health HTTP/1.1\r\nHost: localhost\r\nX-Slow: ".to_vec(),
        b"a",
    );
    let rest = read_until_closed(reader).await;
    // Cut off with a 408, or at least closed; never answered as if it were complete.
    assert!(rest.is_empty() || status_of(&rest) == 408, "{rest}");
    slow.abort();
    assert_eq!(health(&server).await, 200);
}

#[actix_web::test]
async fn a_kept_alive_connection_serves_after_an_idle_pause_and_a_slow_body_is_not_cut_off() {
    // The head limit starts with a head's first byte: a connection idle between requests is
    // bounded by keep-alive alone, and a body (after a complete head) by the body limit.
    let app = TestApp::with_config(|config| {
        one_second_limits(config);
        config.http_timeouts.body = Duration::from_secs(30);
        config.http_timeouts.keep_alive = Duration::from_secs(10);
        generous_limits(config);
    })
    .await;
    let server = app.serve();
    let (mut reader, mut writer) = connect(&server).await;
    let get = b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n";
    writer.write_all(get).await.unwrap();
    assert_eq!(status_of(&read_answer(&mut reader).await), 200);

    // Idle for twice the head limit (well under keep-alive), then a whole head at once and
    // its body in pieces over about three times the head limit.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let body = br#"{"email": "nobody@example.org", "password": "not the password"}"#;
    writer
        .write_all(&post_head("/api/v1/auth/login", Some(body.len())))
        .await
        .unwrap();
    for piece in body.chunks(body.len().div_ceil(15)) {
        tokio::time::sleep(GAP).await;
        writer.write_all(piece).await.unwrap();
    }
    let login = read_answer(&mut reader).await;
    assert_eq!(status_of(&login), 401, "{login}");

    // And the connection is still good for more, pipelined ones included: the second head
    // is complete before the first answer ends.
    writer
        .write_all(&[&get[..], &get[..]].concat())
        .await
        .unwrap();
    for answer in read_answers(&mut reader, 2).await {
        assert_eq!(status_of(&answer), 200, "{answer}");
    }
}

#[actix_web::test]
async fn a_graceful_stop_closes_idle_kept_alive_connections_without_waiting_for_them() {
    // The server is assembled by hand (see `http_server`): it must still tell idle
    // connections that it is stopping, or a stop would wait out the shutdown timeout (25 s).
    let app = TestApp::with_config(|config| {
        one_second_limits(config);
        config.http_timeouts.keep_alive = Duration::from_secs(60);
    })
    .await;
    let (server, addr) =
        safapac_api::http_server(app.state.clone(), ([127, 0, 0, 1], 0).into()).unwrap();
    let handle = server.handle();
    let running = actix_web::rt::spawn(server);
    let (mut reader, mut writer) = TcpStream::connect(addr).await.unwrap().into_split();
    writer
        .write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    assert_eq!(status_of(&read_answer(&mut reader).await), 200);

    let stopped = tokio::time::timeout(BOUND, handle.stop(true)).await;
    assert!(stopped.is_ok(), "the stop waited for an idle connection");
    assert_eq!(read_until_closed(reader).await, "");
    running.await.unwrap().unwrap();
}

#[actix_web::test]
async fn without_keep_alive_a_connection_ends_after_one_answer() {
    // `SAFAPAC_KEEP_ALIVE_SECS=0`: a second request on the connection is never read.
    let app = TestApp::with_config(|config| {
        one_second_limits(config);
        config.http_timeouts.keep_alive = Duration::ZERO;
    })
    .await;
    let server = app.serve();
    let (reader, writer) = connect(&server).await;
    let slow = trickle(
        writer,
        b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\nGET /health HTTP/1.1\r\nHost: localhost\r\n"
            .to_vec(),
        b"X-Slow: 1\r\n",
    );
    let answer = read_until_closed(reader).await;
    assert_eq!(status_of(&answer), 200, "{answer}");
    assert_eq!(answer.matches("HTTP/1.1 ").count(), 1, "{answer}");
    slow.abort();
}

#[actix_web::test]
async fn nul_characters_are_refused_before_they_reach_postgres() {
    // PostgreSQL stores NUL neither in text nor in jsonb: found by schemathesis as a 500.
    let app = TestApp::new().await;
    let session = app.sign_up("nul@example.org").await;
    let project = app.create_project(&session.access, "Nul").await;
    let scenario = app.scenarios(&session.access, &project).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (method, path, body, loc) in [
        (
            Method::POST,
            "/api/v1/projects".to_owned(),
            json!({"projectName": "a\u{0}b"}),
            json!(["body", "projectName"]),
        ),
        (
            Method::PATCH,
            format!("/api/v1/scenarios/{scenario}/draft"),
            json!({"conversionPlant": {"notes": ["fine", "not\u{0}fine"]}}),
            json!(["body", "conversionPlant", "notes", 1]),
        ),
        (
            Method::PUT,
            format!("/api/v1/scenarios/{scenario}"),
            json!({"scenarioName": "\u{0}"}),
            json!(["body", "scenarioName"]),
        ),
    ] {
        let response = app
            .send(method, &path, Some(&session.access), Some(body))
            .await;
        assert_eq!(
            response.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path}: {}",
            response.text
        );
        assert_eq!(response.body["detail"][0]["loc"], loc, "{}", response.text);
        assert_eq!(response.body["detail"][0]["type"], "string_nul");
    }
    // The text `\u0000` (an escaped backslash, then "u0000") is ordinary.
    let literal = app
        .post(
            "/api/v1/projects",
            Some(&session.access),
            json!({"projectName": "\\u0000"}),
        )
        .await;
    assert_eq!(literal.status, StatusCode::CREATED, "{}", literal.text);
}
