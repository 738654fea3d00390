//! Finding a citizen's files by ID number, phone or name (`GET /cases?q=`)
//! through the blind index, with the personal data still encrypted.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failure

use onestop_tests::*;
use serde_json::{Value, json};

/// The ids of the cases a search for `q` lists for `token`.
async fn found(app: &TestApp, token: &str, q: &str) -> Vec<String> {
    let response = app.http.get(app.url("/api/v1/cases")).query(&[("q", q)]).bearer_auth(token).send().await.unwrap();
    assert_eq!(response.status(), 200, "q={q}");
    let body: Value = response.json().await.unwrap();
    let mut ids: Vec<String> =
        body["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect();
    ids.sort();
    ids
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

#[tokio::test]
async fn a_citizen_is_found_by_id_number_phone_or_name_within_the_officers_units_until_erased() {
    let (app, reception, an) = TestApp::with_case("reception").await;
    app.create_user("reception.anbinh", "reception", COMMUNE_AN_BINH).await;
    let [admin, commune] = app.tokens(["admin", "reception.anbinh"]).await;
    let mut case = land_case();
    case["applicant"] = json!({ "full_name": "Nguyễn Văn Anh", "id_number": "001099054321", "phone": "0987654321" });
    let anh = app.post_json(&reception, "/api/v1/cases", &case).await["id"].as_str().unwrap().to_owned();

    for q in ["001099012345", "001 099 012 345", "0912345678", "0912 345 678", "+84 912 345 678"] {
        assert_eq!(found(&app, &reception, q).await, std::slice::from_ref(&an), "q={q}");
    }
    assert_eq!(found(&app, &reception, "nguyen van an").await, std::slice::from_ref(&an));
    assert_eq!(found(&app, &reception, "AN Nguyễn").await, std::slice::from_ref(&an));
    assert_eq!(found(&app, &reception, "nguyen van anh").await, std::slice::from_ref(&anh));
    assert_eq!(found(&app, &reception, "nguyen van an*").await, sorted(vec![an.clone(), anh.clone()]));
    assert!(found(&app, &reception, "nguyen van binh").await.is_empty());
    assert!(found(&app, &reception, "0912345679").await.is_empty());
    // A commune's officer does not see the service centre's files.
    assert!(found(&app, &commune, "001099012345").await.is_empty());
    assert!(found(&app, &commune, "nguyen van an*").await.is_empty());

    // The index holds keyed hashes only: no name, number or phone in any form.
    let client = app.database.superuser().await.unwrap();
    let rows: i64 = client.query_one("SELECT count(*) FROM applicant_terms, unnest(terms)", &[]).await.unwrap().get(0);
    assert!(rows >= 2 * 3, "{rows} terms");
    for plain in ["001099012345", "0912345678", "912345678", "nguyen", "Nguyễn", "van", "Văn"] {
        let hits: i64 = client
            .query_one(
                "SELECT count(*) FROM applicant_terms, unnest(terms) AS term \
                 WHERE position(convert_to($1, 'UTF8') IN term) > 0",
                &[&plain],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(hits, 0, "{plain} is in the index");
    }
    let columns: Vec<String> = client
        .query("SELECT column_name::text FROM information_schema.columns WHERE table_name = 'applicant_terms'", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(sorted(columns), ["applicant_id", "terms"]);

    // Erased, An is found no more, by anything; Anh still is.
    let applicant = app.applicant_of(&an).await;
    assert_eq!(app.erase_applicant(&admin, &applicant).await.status(), 204);
    for q in ["001099012345", "0912345678", "nguyen van an"] {
        assert!(found(&app, &reception, q).await.is_empty(), "q={q} after erasure");
    }
    assert_eq!(found(&app, &reception, "nguyen van an*").await, std::slice::from_ref(&anh));
    let left: i64 = client
        .query_one("SELECT count(*) FROM applicant_terms WHERE applicant_id = $1::text::uuid", &[&applicant])
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 0);
    // The code is still searched as before.
    let code = app.get_json(&reception, &format!("/api/v1/cases/{anh}")).await["code"].as_str().unwrap().to_owned();
    assert_eq!(found(&app, &reception, &code).await, [anh]);
}
