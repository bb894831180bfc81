//! `safapac-worker calc` through the real binary: output, exit codes and error lines.

#![allow(clippy::unwrap_used)] // test helpers may panic on malformed fixtures

use std::io::Write;
use std::process::{Command, Output, Stdio};

use safapac_core::{calculate, master::MasterData};
use serde_json::{Value, json};

fn golden_inputs() -> Vec<Value> {
    let cases: Vec<Value> =
        serde_json::from_str(include_str!("../../core/tests/data/cases.json")).unwrap();
    cases.into_iter().map(|c| c["inputs"].clone()).collect()
}

fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_safapac-worker"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A failed write means the binary stopped reading early, which the exit status shows.
    let _ = child.stdin.take().unwrap().write_all(stdin);
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[test]
fn calc_prints_exactly_what_the_engine_computes() {
    let doc = &golden_inputs()[0];
    let expected = serde_json::to_value(calculate(doc, MasterData::builtin()).unwrap()).unwrap();
    let dir = std::env::temp_dir().join(format!("safapac-calc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("request.json");
    std::fs::write(&file, doc.to_string()).unwrap();

    for args in [
        vec!["calc", file.to_str().unwrap()],
        vec!["calc", "-"],
        vec!["calc"],
    ] {
        let out = run(&args, doc.to_string().as_bytes());
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        let stdout = text(&out.stdout);
        assert_eq!(stdout.lines().count(), 1, "one JSON line");
        let printed: Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(printed, expected);
        assert_eq!(
            printed["resolvedInputs"]["conversionPlant"]["plantCapacity"]["unitId"],
            json!(3)
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn invalid_input_exits_2_with_one_line_per_problem() {
    let mut doc = golden_inputs()[0].clone();
    doc["productData"][1]["yieldPercent"] = json!(-4);
    doc["economicParameters"]["projectLifetimeYears"] = json!(0);
    let out = run(&["calc"], doc.to_string().as_bytes());
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = text(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("productData[1].yieldPercent: ")),
        "{stderr}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("economicParameters.projectLifetimeYears: ")),
        "{stderr}"
    );

    let out = run(&["calc"], b"{not json");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("invalid JSON"));
}

#[test]
fn oversized_input_is_refused_without_reading_it_all() {
    let huge = vec![b' '; 3 * 1024 * 1024];
    let out = run(&["calc"], &huge);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("larger than"));
}

#[test]
fn unreadable_file_exits_1() {
    let out = run(&["calc", "/nonexistent/request.json"], b"");
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("/nonexistent/request.json"));
}

#[test]
fn batch_answers_every_line_and_keeps_going_after_errors() {
    let inputs = golden_inputs();
    let mut stdin = String::new();
    for doc in &inputs[..5] {
        stdin.push_str(&doc.to_string());
        stdin.push('\n');
    }
    stdin.push_str("{broken\n\n");
    stdin.push_str(&json!({"processId": 1}).to_string());
    stdin.push('\n');
    stdin.push_str(&inputs[5].to_string());

    let out = run(&["calc", "--batch"], stdin.as_bytes());
    assert_eq!(
        out.status.code(),
        Some(2),
        "an invalid line makes the batch exit 2"
    );
    let lines: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 8, "one line per non-blank input line");
    for (i, doc) in inputs[..5].iter().enumerate() {
        let expected =
            serde_json::to_value(calculate(doc, MasterData::builtin()).unwrap()).unwrap();
        assert_eq!(lines[i], expected);
    }
    assert_eq!(lines[5]["error"]["line"], json!(6));
    assert_eq!(
        lines[5]["error"]["problems"][0]["type"],
        json!("json_invalid")
    );
    assert_eq!(lines[6]["error"]["line"], json!(8));
    let paths: Vec<&str> = lines[6]["error"]["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["path"].as_str().unwrap())
        .collect();
    assert!(
        paths.contains(&"conversionPlant") && paths.contains(&"productData"),
        "{paths:?}"
    );
    assert!(lines[7]["technoEconomics"]["LCOP"].is_f64());

    let all_valid: String = inputs.iter().take(3).map(|d| format!("{d}\n")).collect();
    let out = run(&["calc", "--batch", "-"], all_valid.as_bytes());
    assert!(out.status.success());
    assert_eq!(text(&out.stdout).lines().count(), 3);
}
