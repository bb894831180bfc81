//! One calculation of the spec's worked example (HEFA / UCO / USA, 500 kt/yr):
//! `compute` is a validated request to the result structure, traceables included;
//! `round_trip` is request JSON text to result JSON bytes (parse, validate, compute, serialise)
//! as the CLI does it (`Calculation::to_json_vec`); `round_trip_serde_json` the same with
//! `serde_json::to_vec` (the same bytes, slower); `serialise` and `serialise_serde_json` the
//! serialisation of a computed result alone.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use safapac_core::reference::ReferenceRecord;
use safapac_core::{calculate_str, engine, master::MasterData, parse_request, trace};

fn worked_example() -> String {
    let cases: Vec<serde_json::Value> =
        serde_json::from_str(include_str!("../tests/data/cases.json")).expect("golden cases parse");
    cases[0]["inputs"].to_string()
}

fn bench(c: &mut Criterion) {
    let master = MasterData::builtin();
    let json = worked_example();
    let doc: serde_json::Value = serde_json::from_str(&json).expect("request parses");
    let request = parse_request(&doc, master).expect("request is valid");
    let reference = ReferenceRecord::lookup(master, 1, 1, 1).expect("reference exists");
    let result_len =
        serde_json::to_vec(&calculate_str(&json, master).expect("valid")).map_or(0, |v| v.len());
    eprintln!("request {} bytes, result {} bytes", json.len(), result_len);

    c.bench_function("compute", |b| {
        b.iter(|| {
            let figures = engine::compute(black_box(&request), &reference);
            let traceables = trace::build(&request, &figures);
            black_box((figures, traceables))
        })
    });
    c.bench_function("round_trip", |b| {
        b.iter(|| {
            let calc = calculate_str(black_box(&json), master).expect("valid");
            black_box(calc.to_json_vec())
        })
    });
    c.bench_function("round_trip_serde_json", |b| {
        b.iter(|| {
            let calc = calculate_str(black_box(&json), master).expect("valid");
            black_box(serde_json::to_vec(&calc).expect("serialises"))
        })
    });
    let calc = calculate_str(&json, master).expect("valid");
    c.bench_function("serialise", |b| {
        b.iter(|| black_box(black_box(&calc).to_json_vec()))
    });
    c.bench_function("serialise_serde_json", |b| {
        b.iter(|| black_box(serde_json::to_vec(black_box(&calc)).expect("serialises")))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
