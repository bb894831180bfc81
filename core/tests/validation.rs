//! Each validation rule, through the public entry point: a rejected document names the field
//! and the problem, and every problem of one document is reported at once.

#![allow(clippy::unwrap_used)] // test helpers may panic on malformed fixtures

use safapac_core::{ErrorKind, ValidationErrors, calculate, master::MasterData};
use serde_json::{Value, json};

/// The worked example of docs/engine.md §15, as the dashboard sends it.
fn valid() -> Value {
    json!({
        "processId": 1, "feedstockId": 1, "countryId": 1,
        "conversionPlant": {"plantCapacity": {"value": 500, "unitId": 3},
                            "annualLoadHours": 8000, "ciProcessDefault": 20},
        "economicParameters": {"projectLifetimeYears": 20, "discountRatePercent": 7.0,
                               "tciRefMusd": 400, "referenceCapacityKtpa": 500,
                               "tciScalingExponent": 0.6, "workingCapitalTciRatio": 0.15,
                               "indirectOpexTciRatio": 0.077},
        "feedstockData": [{"name": "UCO", "price": {"value": 930, "unitId": 6}, "carbonContent": 0.78,
                           "carbonIntensity": {"value": 46.526, "unitId": 11},
                           "energyContent": 0, "yieldPercent": 121}],
        "utilityData": [
            {"name": "Hydrogen", "price": {"value": 5.4, "unitId": 7}, "carbonContent": 0,
             "carbonIntensity": {"value": 0, "unitId": 11}, "energyContent": 0, "yieldPercent": 4.2},
            {"name": "Electricity", "price": {"value": 55, "unitId": 10}, "carbonContent": 0,
             "carbonIntensity": {"value": 20, "unitId": 13}, "energyContent": 0, "yieldPercent": 12000}],
        "productData": [
            {"name": "JET", "price": {"value": 3000, "unitId": 6}, "priceSensitivityToCi": 0.5,
             "carbonContent": 0.847, "energyContent": 43.8, "yieldPercent": 64, "productDensity": 0.81},
            {"name": "DIESEL", "price": {"value": 1500, "unitId": 6}, "priceSensitivityToCi": 0.5,
             "carbonContent": 0.85, "energyContent": 42.6, "yieldPercent": 15, "productDensity": 0.83},
            {"name": "Naphtha", "price": {"value": 1000, "unitId": 6}, "priceSensitivityToCi": 0.5,
             "carbonContent": 0.84, "energyContent": 43.4, "yieldPercent": 21, "productDensity": 0.7}]
    })
}

/// `valid()` with the value at a JSON pointer replaced (or removed, with `None`).
fn with(pointer: &str, value: Option<Value>) -> Value {
    let mut doc = valid();
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let target = doc.pointer_mut(parent).unwrap();
    match (target, value) {
        (Value::Object(map), Some(v)) => {
            map.insert(key.to_owned(), v);
        }
        (Value::Object(map), None) => {
            map.remove(key);
        }
        (Value::Array(items), Some(v)) => items[key.parse::<usize>().unwrap()] = v,
        (Value::Array(items), None) => {
            items.remove(key.parse::<usize>().unwrap());
        }
        _ => panic!("{pointer} is not inside an object or list"),
    }
    doc
}

fn errors(doc: &Value) -> ValidationErrors {
    match calculate(doc, MasterData::builtin()) {
        Ok(_) => panic!("accepted: {doc}"),
        Err(e) => e,
    }
}

/// Asserts the document is rejected with exactly one problem, at `path`, of `kind`, whose
/// message contains `says`.
fn rejected_once(doc: &Value, path: &str, kind: ErrorKind, says: &str) {
    let errs = errors(doc);
    assert_eq!(errs.0.len(), 1, "expected one problem, got {errs}");
    let e = &errs.0[0];
    assert_eq!(e.path.to_string(), path, "{errs}");
    assert_eq!(e.kind, kind, "{errs}");
    assert!(
        e.message.contains(says),
        "message {:?} should mention {says:?}",
        e.message
    );
}

fn accepted(doc: &Value) {
    if let Err(e) = calculate(doc, MasterData::builtin()) {
        panic!("rejected: {e}");
    }
}

#[test]
fn the_worked_example_is_valid() {
    accepted(&valid());
}

#[test]
fn missing_and_null_required_fields_are_named() {
    rejected_once(
        &with("/economicParameters", None),
        "economicParameters",
        ErrorKind::Missing,
        "required",
    );
    rejected_once(
        &with("/productData/0/price/unitId", None),
        "productData[0].price.unitId",
        ErrorKind::Missing,
        "required",
    );
    rejected_once(
        &with("/conversionPlant/annualLoadHours", Some(Value::Null)),
        "conversionPlant.annualLoadHours",
        ErrorKind::Missing,
        "required",
    );
    rejected_once(
        &with("/countryId", Some(Value::Null)),
        "countryId",
        ErrorKind::Missing,
        "required",
    );
}

#[test]
fn optional_reference_overrides_may_be_null_or_absent() {
    accepted(&with("/economicParameters/tciRefMusd", Some(Value::Null)));
    accepted(&with("/economicParameters/referenceCapacityKtpa", None));
}

#[test]
fn wrong_types_are_rejected_and_numeric_strings_accepted() {
    rejected_once(
        &with("/feedstockData", Some(json!({}))),
        "feedstockData",
        ErrorKind::WrongType,
        "list",
    );
    rejected_once(
        &with("/conversionPlant", Some(json!(5))),
        "conversionPlant",
        ErrorKind::WrongType,
        "object",
    );
    rejected_once(
        &with("/productData/1/energyContent", Some(json!("lots"))),
        "productData[1].energyContent",
        ErrorKind::WrongType,
        "number",
    );
    rejected_once(
        &with("/productData/1/name", Some(json!(7))),
        "productData[1].name",
        ErrorKind::WrongType,
        "string",
    );
    rejected_once(
        &with("/productData/1/carbonContent", Some(json!(true))),
        "productData[1].carbonContent",
        ErrorKind::WrongType,
        "boolean",
    );
    // The original's lax validation coerced numeric strings; the dashboard relies on it.
    accepted(&with(
        "/conversionPlant/plantCapacity/value",
        Some(json!("500")),
    ));
}

#[test]
fn non_finite_numbers_are_rejected() {
    for text in ["NaN", "inf", "-Infinity"] {
        rejected_once(
            &with("/feedstockData/0/carbonContent", Some(json!(text))),
            "feedstockData[0].carbonContent",
            ErrorKind::OutOfRange,
            "finite",
        );
    }
}

#[test]
fn plant_capacity_must_be_positive_and_plausible() {
    for bad in [json!(0), json!(-5), json!(1e12)] {
        rejected_once(
            &with("/conversionPlant/plantCapacity/value", Some(bad)),
            "conversionPlant.plantCapacity.value",
            ErrorKind::OutOfRange,
            "greater than 0",
        );
    }
}

#[test]
fn lifetime_must_be_a_whole_number_of_years_from_1_to_100() {
    let path = "economicParameters.projectLifetimeYears";
    rejected_once(
        &with(
            "/economicParameters/projectLifetimeYears",
            Some(json!(20.5)),
        ),
        path,
        ErrorKind::OutOfRange,
        "whole",
    );
    for bad in [0, -3, 101] {
        rejected_once(
            &with("/economicParameters/projectLifetimeYears", Some(json!(bad))),
            path,
            ErrorKind::OutOfRange,
            "between 1 and 100",
        );
    }
    accepted(&with(
        "/economicParameters/projectLifetimeYears",
        Some(json!(20.0)),
    ));
    accepted(&with(
        "/economicParameters/projectLifetimeYears",
        Some(json!(1)),
    ));
}

#[test]
fn discount_rate_must_be_above_minus_90_percent_and_at_most_100() {
    let path = "economicParameters.discountRatePercent";
    for bad in [-1.0, -5.0, 150.0] {
        rejected_once(
            &with("/economicParameters/discountRatePercent", Some(json!(bad))),
            path,
            ErrorKind::OutOfRange,
            "rate between",
        );
    }
    for ok in [0.0, 0.07, 1.0, 7.0, 100.0, -0.05] {
        accepted(&with(
            "/economicParameters/discountRatePercent",
            Some(json!(ok)),
        ));
    }
}

#[test]
fn unknown_units_and_units_of_the_wrong_group_are_rejected() {
    rejected_once(
        &with("/productData/2/price/unitId", Some(json!(99))),
        "productData[2].price.unitId",
        ErrorKind::InvalidUnit,
        "unknown unit id 99",
    );
    rejected_once(
        &with("/conversionPlant/plantCapacity/unitId", Some(json!(24))),
        "conversionPlant.plantCapacity.unitId",
        ErrorKind::InvalidUnit,
        "musd",
    );
    rejected_once(
        &with("/feedstockData/0/carbonIntensity/unitId", Some(json!(13))),
        "feedstockData[0].carbonIntensity.unitId",
        ErrorKind::InvalidUnit,
        "gco2/kwh",
    );
    // A utility may be priced per mass (hydrogen) or per energy (electricity).
    accepted(&with("/utilityData/0/price/unitId", Some(json!(6))));
    accepted(&with("/utilityData/1/price/unitId", Some(json!(9))));
    accepted(&with(
        "/utilityData/1/carbonIntensity/unitId",
        Some(json!(14)),
    ));
    rejected_once(
        &with("/utilityData/1/price/unitId", Some(json!(1))),
        "utilityData[1].price.unitId",
        ErrorKind::InvalidUnit,
        "t/yr",
    );
}

#[test]
fn products_and_feedstocks_must_not_be_empty_but_utilities_may() {
    rejected_once(
        &with("/productData", Some(json!([]))),
        "productData",
        ErrorKind::InvalidLength,
        "empty",
    );
    rejected_once(
        &with("/feedstockData", Some(json!([]))),
        "feedstockData",
        ErrorKind::InvalidLength,
        "empty",
    );
    accepted(&with("/utilityData", Some(json!([]))));
    let many: Vec<Value> = (0..11).map(|_| valid()["utilityData"][0].clone()).collect();
    rejected_once(
        &with("/utilityData", Some(json!(many))),
        "utilityData",
        ErrorKind::InvalidLength,
        "at most 10",
    );
    let products: Vec<Value> = (0..21)
        .map(|i| {
            let mut p = valid()["productData"][0].clone();
            p["name"] = json!(format!("product {i}"));
            p
        })
        .collect();
    rejected_once(
        &with("/productData", Some(json!(products))),
        "productData",
        ErrorKind::InvalidLength,
        "at most 20",
    );
}

#[test]
fn product_names_must_differ_ignoring_case_and_spaces() {
    rejected_once(
        &with("/productData/2/name", Some(json!("  jet "))),
        "productData[2].name",
        ErrorKind::InvalidName,
        "repeats the name of productData[0]",
    );
}

#[test]
fn names_must_not_be_blank_or_huge() {
    rejected_once(
        &with("/productData/0/name", Some(json!("   "))),
        "productData[0].name",
        ErrorKind::InvalidName,
        "blank",
    );
    rejected_once(
        &with("/feedstockData/0/name", Some(json!("x".repeat(201)))),
        "feedstockData[0].name",
        ErrorKind::InvalidName,
        "at most 200",
    );
}

#[test]
fn negative_yields_and_absurd_magnitudes_are_rejected() {
    rejected_once(
        &with("/productData/0/yieldPercent", Some(json!(-10))),
        "productData[0].yieldPercent",
        ErrorKind::OutOfRange,
        "between 0",
    );
    rejected_once(
        &with("/feedstockData/0/price/value", Some(json!(1e300))),
        "feedstockData[0].price.value",
        ErrorKind::OutOfRange,
        "between",
    );
    rejected_once(
        &with("/productData/1/carbonContent", Some(json!(1.5))),
        "productData[1].carbonContent",
        ErrorKind::OutOfRange,
        "between 0 and 1",
    );
}

#[test]
fn ids_must_exist_and_have_reference_data() {
    rejected_once(
        &with("/processId", Some(json!(99))),
        "processId",
        ErrorKind::UnknownReference,
        "unknown process",
    );
    rejected_once(
        &with("/countryId", Some(json!(0))),
        "countryId",
        ErrorKind::OutOfRange,
        "positive id",
    );
    rejected_once(
        &with("/processId", Some(json!(2))),
        "processId",
        ErrorKind::UnknownReference,
        "no reference data for process 2 (FT-BtL) with feedstock 1 (UCO)",
    );
}

#[test]
fn snake_case_documents_get_snake_case_paths() {
    let doc = json!({"process_id": 1, "feedstock_id": 1, "country_id": 1,
                     "conversion_plant": {"plant_capacity": {"value": 500, "unit_id": 77}}});
    let errs = errors(&doc);
    let paths: Vec<String> = errs.iter().map(|e| e.path.to_string()).collect();
    assert!(
        paths.contains(&"conversion_plant.plant_capacity.unit_id".to_owned()),
        "{paths:?}"
    );
    assert!(
        paths.contains(&"conversion_plant.annualLoadHours".to_owned()),
        "{paths:?}"
    );
}

#[test]
fn every_problem_of_a_document_is_reported_together() {
    let mut doc = with("/productData/0/yieldPercent", Some(json!(-1)));
    doc["conversionPlant"]["plantCapacity"]["unitId"] = json!(99);
    doc["economicParameters"]["projectLifetimeYears"] = json!(0);
    doc["feedstockData"][0]
        .as_object_mut()
        .unwrap()
        .remove("carbonContent");
    doc["processId"] = json!(2);
    let errs = errors(&doc);
    let mut paths: Vec<String> = errs.iter().map(|e| e.path.to_string()).collect();
    paths.sort();
    assert_eq!(
        paths,
        [
            "conversionPlant.plantCapacity.unitId",
            "economicParameters.projectLifetimeYears",
            "feedstockData[0].carbonContent",
            "processId",
            "productData[0].yieldPercent",
        ]
    );
}

#[test]
fn unknown_keys_are_ignored() {
    let mut doc = valid();
    doc["someUnknownField"] = json!({"a": 1});
    doc["productData"][0]["unexpected"] = json!(true);
    accepted(&doc);
}
