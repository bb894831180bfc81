//! Properties of the engine over generated documents: valid ones never panic and give finite
//! figures that move the way the economics says; invalid ones are always rejected with a
//! field path; arbitrary JSON never panics.

#![allow(clippy::unwrap_used)] // test helpers may panic on malformed fixtures

use proptest::prelude::*;
use safapac_core::engine::Figures;
use safapac_core::{Calculation, calculate, master::MasterData};
use serde_json::{Value, json};

/// The four (process, feedstock, country) combinations that have reference data.
const COMBOS: [(i32, i32, i32); 4] = [(1, 1, 1), (1, 1, 2), (2, 2, 1), (2, 2, 2)];
const PRODUCT_NAMES: [&str; 6] = ["Jet", "Diesel", "Naphtha", "Gasoline", "Propane", "LPG"];

fn material(
    name: &str,
    price: f64,
    price_unit: i32,
    ci: f64,
    ci_unit: i32,
    yield_percent: f64,
) -> Value {
    json!({"name": name, "price": {"value": price, "unitId": price_unit}, "carbonContent": 0.5,
           "carbonIntensity": {"value": ci, "unitId": ci_unit}, "energyContent": 10.0,
           "yieldPercent": yield_percent})
}

prop_compose! {
    fn product()(price in 0.0..5000.0f64, carbon in 0.0..1.0f64, energy in 0.0..60.0f64,
                 yield_percent in 0.0..120.0f64, density in 0.3..1.2f64) -> Value {
        json!({"name": "", "price": {"value": price, "unitId": 6}, "priceSensitivityToCi": 0.5,
               "carbonContent": carbon, "energyContent": energy, "yieldPercent": yield_percent,
               "productDensity": density})
    }
}

prop_compose! {
    fn valid_doc()(
        combo in prop::sample::select(&COMBOS[..]),
        capacity in 1.0..5000.0f64,
        capacity_unit in 1..=3i32,
        lifetime in 1..=60i64,
        discount in prop_oneof![0.0..1.0f64, 1.0..40.0f64],
        indirect in 0.0..0.2f64,
        feedstock_price in -100.0..3000.0f64,
        feedstock_ci in -50.0..200.0f64,
        feedstock_yield in 0.0..500.0f64,
        hydrogen in prop::option::of((0.0..10.0f64, 0.0..20.0f64)),
        electricity in prop::option::of((0.0..200.0f64, 0.0..50000.0f64)),
        products in prop::collection::vec(product(), 1..=6),
    ) -> Value {
        let capacity = if capacity_unit == 1 { capacity * 1000.0 } else { capacity };
        let mut utilities = Vec::new();
        if let Some((price, yield_percent)) = hydrogen {
            utilities.push(material("Hydrogen", price, 7, 10.0, 11, yield_percent));
        }
        if let Some((price, yield_percent)) = electricity {
            utilities.push(material("Grid electricity", price, 10, 300.0, 13, yield_percent));
        }
        let products: Vec<Value> = products
            .into_iter()
            .zip(PRODUCT_NAMES)
            .map(|(mut p, name)| {
                p["name"] = json!(name);
                p
            })
            .collect();
        json!({
            "processId": combo.0, "feedstockId": combo.1, "countryId": combo.2,
            "conversionPlant": {"plantCapacity": {"value": capacity, "unitId": capacity_unit},
                                "annualLoadHours": 8000, "ciProcessDefault": 20},
            "economicParameters": {"projectLifetimeYears": lifetime, "discountRatePercent": discount,
                                   "tciRefMusd": null, "referenceCapacityKtpa": null,
                                   "tciScalingExponent": 0.6, "workingCapitalTciRatio": 0.1,
                                   "indirectOpexTciRatio": indirect},
            "feedstockData": [material("UCO", feedstock_price, 6, feedstock_ci, 11, feedstock_yield)],
            "utilityData": utilities,
            "productData": products,
        })
    }
}

fn calc(doc: &Value) -> Calculation {
    match calculate(doc, MasterData::builtin()) {
        Ok(c) => c,
        Err(e) => panic!("generated document rejected: {e}\n{doc}"),
    }
}

/// Every float the engine computed.
fn all_figures(f: &Figures) -> Vec<f64> {
    let mut v = vec![
        f.tci,
        f.feedstock_consumption,
        f.hydrogen_consumption,
        f.electricity_consumption,
        f.production,
        f.fuel_energy_content,
        f.indirect_opex,
        f.feedstock_cost,
        f.hydrogen_cost,
        f.electricity_cost,
        f.ci_feedstock,
        f.ci_hydrogen,
        f.ci_electricity,
        f.ci_process,
        f.ci_total,
        f.ci_total_per_tonne,
        f.total_revenue,
        f.direct_opex,
        f.total_opex,
        f.crf,
        f.annualized_capital,
        f.lcop,
        f.total_co2_emissions,
        f.carbon_intensity,
        f.carbon_conversion_efficiency,
        f.financial.npv,
        f.financial.irr,
        f.financial.annual_cash_flow,
        f.financial.tax,
    ];
    for p in &f.products {
        v.extend([
            p.amount,
            p.revenue,
            p.carbon_intensity,
            p.co2_emissions,
            p.carbon_conversion_efficiency,
        ]);
    }
    for r in &f.financial.cash_flow_table {
        v.extend([
            r.after_tax_cash_flow,
            r.cumulative_cash_flow,
            r.discount_factor,
            r.discounted_cash_flow,
            r.cumulative_discounted_cash_flow,
        ]);
    }
    v
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// Pointers to required fields of `valid_doc()` documents.
const REQUIRED: &[&str] = &[
    "/processId",
    "/feedstockId",
    "/countryId",
    "/conversionPlant",
    "/conversionPlant/plantCapacity",
    "/conversionPlant/plantCapacity/value",
    "/conversionPlant/plantCapacity/unitId",
    "/conversionPlant/annualLoadHours",
    "/economicParameters",
    "/economicParameters/projectLifetimeYears",
    "/economicParameters/discountRatePercent",
    "/economicParameters/indirectOpexTciRatio",
    "/feedstockData",
    "/feedstockData/0/name",
    "/feedstockData/0/price",
    "/feedstockData/0/yieldPercent",
    "/productData",
    "/productData/0/name",
    "/productData/0/price/unitId",
    "/productData/0/productDensity",
];

fn remove(doc: &mut Value, pointer: &str) {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    if let Some(Value::Object(map)) = doc.pointer_mut(parent) {
        map.remove(key);
    }
}

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("JSON numbers are finite", |x| x.is_finite())
            .prop_map(|x| json!(x)),
        "[a-zA-Z0-9 _.-]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        let keys = prop::sample::select(vec![
            "processId",
            "feedstockId",
            "countryId",
            "conversionPlant",
            "plantCapacity",
            "value",
            "unitId",
            "productData",
            "name",
            "price",
            "yieldPercent",
            "economicParameters",
            "x",
        ]);
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((keys, inner), 0..6).prop_map(|kv| Value::Object(
                kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
            )),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn valid_documents_give_finite_figures_and_serialise(doc in valid_doc()) {
        let c = calc(&doc);
        for x in all_figures(&c.figures) {
            prop_assert!(x.is_finite(), "non-finite figure in {doc}");
        }
        let json: Value = serde_json::to_value(&c).unwrap();
        prop_assert!(json["technoEconomics"]["LCOP"].is_f64());
        prop_assert_eq!(
            json["financials"]["cashFlowTable"].as_array().unwrap().len() as i64,
            c.figures.lifetime_years + 1
        );
    }

    #[test]
    fn capital_investment_grows_with_capacity(doc in valid_doc(), factor in 1.01..10.0f64) {
        let small = calc(&doc).figures.tci;
        let mut bigger = doc.clone();
        let v = bigger["conversionPlant"]["plantCapacity"]["value"].as_f64().unwrap();
        bigger["conversionPlant"]["plantCapacity"]["value"] = json!(v * factor);
        prop_assert!(calc(&bigger).figures.tci > small);
    }

    #[test]
    fn revenue_is_linear_in_each_product_price(doc in valid_doc(), a in 0.0..5000.0f64, b in 0.0..5000.0f64) {
        let n = doc["productData"].as_array().unwrap().len();
        for j in 0..n {
            let revenue_at = |price: f64| {
                let mut d = doc.clone();
                d["productData"][j]["price"]["value"] = json!(price);
                calc(&d).figures.total_revenue
            };
            let (ra, rb, rm) = (revenue_at(a), revenue_at(b), revenue_at((a + b) / 2.0));
            prop_assert!(close(rm, (ra + rb) / 2.0), "product {j}: {ra} {rb} {rm}");
        }
    }

    #[test]
    fn npv_falls_as_the_discount_rate_rises(doc in valid_doc(), low in 0.0..30.0f64, step in 0.5..30.0f64) {
        let npv_at = |rate_percent: f64| {
            let mut d = doc.clone();
            // Sent as a percentage above 1 (rule R1), so both rates are read the same way.
            d["economicParameters"]["discountRatePercent"] = json!(1.0 + rate_percent);
            calc(&d).figures.financial
        };
        let (lo, hi) = (npv_at(low), npv_at(low + step));
        // A conventional cash flow: an investment, then positive operating years.
        prop_assume!(lo.capital > 0.0 && lo.annual_cash_flow > 0.0);
        prop_assert!(hi.npv < lo.npv, "NPV {} at {}% then {} at {}%", lo.npv, 1.0 + low, hi.npv, 1.0 + low + step);
    }

    #[test]
    fn documents_missing_a_required_field_are_rejected_with_its_path(
        doc in valid_doc(),
        pointer in prop::sample::select(REQUIRED),
    ) {
        let mut broken = doc.clone();
        remove(&mut broken, pointer);
        let errors = calculate(&broken, MasterData::builtin()).unwrap_err();
        prop_assert!(!errors.0.is_empty());
        prop_assert!(errors.iter().all(|e| !e.path.0.is_empty()));
    }

    #[test]
    fn documents_with_a_corrupted_number_are_rejected_with_its_path(
        doc in valid_doc(),
        pointer in prop::sample::select(&[
            "/conversionPlant/plantCapacity/value", "/economicParameters/projectLifetimeYears",
            "/feedstockData/0/carbonContent", "/productData/0/yieldPercent", "/productData/0/price/unitId",
        ][..]),
        bad in prop_oneof![Just(json!("x")), Just(json!(-1e300)), Just(json!([])), Just(json!({})), Just(json!(true))],
    ) {
        let mut broken = doc.clone();
        *broken.pointer_mut(pointer).unwrap() = bad;
        let errors = calculate(&broken, MasterData::builtin()).unwrap_err();
        let expected: String = pointer.trim_start_matches('/').replace("/0/", "[0].").replace('/', ".");
        prop_assert!(errors.iter().any(|e| e.path.to_string() == expected), "{errors} (wanted {expected})");
    }

    #[test]
    fn arbitrary_json_never_panics(doc in arbitrary_json()) {
        let _ = calculate(&doc, MasterData::builtin());
    }

    #[test]
    fn valid_documents_with_any_subtree_replaced_never_panic(
        doc in valid_doc(),
        pointer in prop::sample::select(REQUIRED),
        junk in arbitrary_json(),
    ) {
        let mut broken = doc.clone();
        if let Some(slot) = broken.pointer_mut(pointer) {
            *slot = junk;
        }
        if let Err(errors) = calculate(&broken, MasterData::builtin()) {
            prop_assert!(errors.iter().all(|e| !e.path.0.is_empty()));
        }
    }
}
