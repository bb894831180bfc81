//! The seven master-data reads, with the seeded ids the dashboard hard-codes.

use actix_web::http::{Method, StatusCode};
use safapac_core::master::MasterData;
use serde_json::json;

use crate::common::TestApp;

#[actix_web::test]
async fn master_data_lists_match_the_seed() {
    let app = TestApp::new().await;
    let session = app.sign_up("a@example.org").await;
    let seed = MasterData::builtin();

    let processes = app
        .get("/api/v1/process-technologies", &session.access)
        .await;
    assert_eq!(processes.status, StatusCode::OK);
    let expected: Vec<_> = seed
        .process_technologies
        .iter()
        .map(|p| json!({"id": p.id, "name": p.name}))
        .collect();
    assert_eq!(processes.body, json!(expected));

    let feedstocks = app.get("/api/v1/feedstocks", &session.access).await;
    let feedstocks = feedstocks.body.as_array().unwrap().clone();
    assert_eq!(feedstocks.len(), seed.feedstocks.len());
    let uco = &seed.feedstocks[0];
    assert_eq!(
        feedstocks[0],
        json!({"id": 1, "name": uco.name, "carbonContentKgCPerKg": uco.carbon_content_kg_c_per_kg,
               "energyContentMjPerKg": uco.energy_content_mj_per_kg,
               "ciRefGco2EPerMj": uco.ci_ref_gco2e_per_mj,
               "priceRefUsdPerUnit": uco.price_ref_usd_per_unit, "yieldRef": uco.yield_ref})
    );

    let countries = app.get("/api/v1/countries", &session.access).await;
    assert_eq!(countries.body[0], json!({"id": 1, "name": "USA"}));
    assert_eq!(
        countries.body.as_array().unwrap().len(),
        seed.countries.len()
    );

    let utilities = app.get("/api/v1/utilities", &session.access).await;
    assert_eq!(utilities.body[0]["name"], "Hydrogen");
    assert!(utilities.body[0].get("yieldRef").is_none());
    assert!(utilities.body[0]["ciRefGco2EPerMj"].is_number());

    let products = app.get("/api/v1/products", &session.access).await;
    assert_eq!(products.body[0], json!({"id": 1, "name": "Jet"}));
    assert_eq!(products.body.as_array().unwrap().len(), seed.products.len());

    let units = app.get("/api/v1/units", &session.access).await;
    let units = units.body.as_array().unwrap().clone();
    assert_eq!(units.len(), 25);
    let kta = units.iter().find(|u| u["id"] == 3).unwrap();
    assert_eq!(kta["name"], "kta");
    assert_eq!(kta["unitGroupId"], 1);
    assert_eq!(kta["group"]["id"], 1);
    assert!(kta["group"]["baseUnitName"].is_string());
    assert_eq!(kta["conversion"]["unitId"], 3);
    assert_eq!(kta["conversion"]["conversionFactor"], 1000.0);
    for pair in units.windows(2) {
        let key = |u: &serde_json::Value| {
            (
                u["unitGroupId"].as_i64().unwrap(),
                u["name"].as_str().unwrap().to_owned(),
            )
        };
        assert!(
            key(&pair[0]) <= key(&pair[1]),
            "units ordered by group, then name"
        );
    }
    for (id, name) in [
        (6, "usd/t"),
        (10, "usd/mwh"),
        (11, "gco2/kg"),
        (13, "gco2/kwh"),
    ] {
        assert_eq!(units.iter().find(|u| u["id"] == id).unwrap()["name"], name);
    }

    let all = app.get("/api/v1/master-data", &session.access).await;
    assert_eq!(all.status, StatusCode::OK);
    assert_eq!(all.body["processes"], processes.body);
    assert_eq!(all.body["countries"], countries.body);
    assert_eq!(all.body["utilities"], utilities.body);
    assert_eq!(all.body["products"], products.body);
    assert_eq!(all.body["feedstocks"], json!(feedstocks));
    assert_eq!(all.body["units"], json!(units));
}

#[actix_web::test]
async fn master_data_requires_a_token() {
    let app = TestApp::new().await;
    for path in [
        "/api/v1/master-data",
        "/api/v1/process-technologies",
        "/api/v1/feedstocks",
        "/api/v1/countries",
        "/api/v1/utilities",
        "/api/v1/products",
        "/api/v1/units",
    ] {
        let response = app.send(Method::GET, path, None, None).await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(response.header("www-authenticate"), Some("Bearer"));
    }
}
