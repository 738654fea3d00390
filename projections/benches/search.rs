//! How fast a desk officer finds a citizen's files among a province's: `BENCH_CASES`
//! (default 1,000,000) cases, each of its own applicant, with the blind index
//! holding every applicant's terms, and searches by CCCD, by phone, by full
//! name and by the beginnings of a name, each read through `list_cases` as
//! `GET /cases?q=` does (the first page of 50, within the caller's units).
//!
//! `cargo bench -p onestop-projections --bench search`. The rows are written
//! straight into `case_status` and `applicant_terms` (one row of terms per
//! applicant, computed with the same key and normalisation as the search
//! projection's); every case row
//! carries the same folded state, which the listing decodes as it would any.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a broken run should stop loudly

use std::time::{Duration, Instant};

use bytes::{BufMut, BytesMut};
use futures_util::SinkExt;
use onestop_domain::case::{CaseEvent, fold};
use onestop_domain::personal::Applicant;
use onestop_domain::search::IndexKey;
use onestop_migrations::testing::TestDatabase;
use onestop_projections::queries::{CaseFilter, list_cases};
use onestop_projections::search::applicant_filter;
use onestop_store::{PoolSettings, build_pool};
use uuid::Uuid;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const RECEIVED: &str = include_str!("../../domain/tests/stored/case/CaseReceived.v1.json");
const UNITS: u64 = 20;
const QUERIES: usize = 300;

/// What an officer types for an applicant.
type QueryText = fn(&Applicant) -> String;

// Vietnamese names as they are spread: a few family names carry most people.
const FAMILY: [(&str, u32); 14] = [
    ("Nguyễn", 38),
    ("Trần", 11),
    ("Lê", 9),
    ("Phạm", 7),
    ("Hoàng", 5),
    ("Huỳnh", 4),
    ("Phan", 4),
    ("Vũ", 4),
    ("Võ", 4),
    ("Đặng", 3),
    ("Bùi", 3),
    ("Đỗ", 3),
    ("Hồ", 3),
    ("Ngô", 2),
];
const MIDDLE: [&str; 12] = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Ngọc", "Thanh", "Quang", "Xuân", "Thu", "Công", "Kim"];
const GIVEN: [&str; 40] = [
    "An", "Anh", "Bình", "Châu", "Chi", "Cường", "Dũng", "Duy", "Giang", "Hà", "Hải", "Hạnh", "Hiếu", "Hòa", "Hùng",
    "Hương", "Khánh", "Khoa", "Lan", "Linh", "Long", "Mai", "Minh", "Nam", "Ngân", "Nhung", "Phong", "Phúc", "Phương",
    "Quân", "Sơn", "Tâm", "Thảo", "Thắng", "Trang", "Trung", "Tuấn", "Uyên", "Việt", "Vy",
];

/// A reproducible pseudo-random number for `i` (SplitMix64).
fn mix(i: u64) -> u64 {
    let mut z = i.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn applicant(i: u64) -> Applicant {
    let r = mix(i);
    let mut pick = (r % 100) as u32;
    let family = FAMILY.iter().find(|(_, share)| {
        let found = pick < *share;
        pick = pick.saturating_sub(*share);
        found
    });
    let family = family.map_or("Dương", |(name, _)| name);
    let middle = MIDDLE[((r >> 8) % MIDDLE.len() as u64) as usize];
    let given = GIVEN[((r >> 16) % GIVEN.len() as u64) as usize];
    Applicant {
        full_name: format!("{family} {middle} {given}"),
        id_number: format!("{:012}", 1_000_000_000 + i),
        phone: Some(format!("09{:08}", i)),
        address: None,
        email: None,
    }
}

fn applicant_id(i: u64) -> Uuid {
    Uuid::from_u128((0xa_u128 << 124) | u128::from(i))
}

fn percentile(sorted: &[Duration], share: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * share).round() as usize]
}

#[tokio::main]
async fn main() {
    let cases: u64 = std::env::var("BENCH_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let key = IndexKey::new(*b"the benchmark's blind index key!").unwrap();
    let database = TestDatabase::create().await.unwrap();
    let client = database.superuser().await.unwrap();
    let event = CaseEvent::decode("CaseReceived", 1, RECEIVED).unwrap();
    let state = fold([&event]);
    let state_bytes = onestop_projections::status::encode_state(&state);

    let started = Instant::now();
    client
        .execute(
            "INSERT INTO case_status (case_id, code, procedure_code, procedure_version, field_code, receiving_unit, \
             current_unit, status, channel, applicant_id, filed_at, received_at, due_at, handover_pending, version, \
             last_event_at, state) \
             SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, \
                    'U' || (i % $2::int8) || '-' || i, '1.004227', 1, 'DD', 'U' || (i % $2::int8), 'U' || (i % $2::int8), 4, \
                    'in_person', ('a0000000-0000-0000-0000-' || lpad(to_hex(i), 12, '0'))::uuid, \
                    t, t, t + interval '14 days', false, 3, t, $3 \
             FROM generate_series(0::int8, $1::int8 - 1) AS i, \
                  LATERAL (SELECT timestamptz '2026-01-01' + (i * interval '31 seconds') AS t) AS at",
            &[&(cases as i64), &(UNITS as i64), &state_bytes],
        )
        .await
        .unwrap();
    let rows = started.elapsed();

    // The index: binary COPY of (applicant_id, terms), the GIN index built
    // after the load as a rebuild of the read model would.
    let started = Instant::now();
    client.batch_execute("DROP INDEX applicant_terms_terms").await.unwrap();
    let sink = client.copy_in("COPY applicant_terms (applicant_id, terms) FROM STDIN (FORMAT binary)").await.unwrap();
    futures_util::pin_mut!(sink);
    let mut buffer = BytesMut::with_capacity(1 << 20);
    buffer.put_slice(b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0");
    let mut terms = 0_u64;
    for i in 0..cases {
        let of_applicant = key.terms_of(&applicant(i));
        buffer.put_i16(2);
        buffer.put_i32(16);
        buffer.put_slice(applicant_id(i).as_bytes());
        // A one-dimensional bytea[] without nulls, as PostgreSQL's binary
        // array format has it.
        let n = of_applicant.len() as i32;
        buffer.put_i32(20 + n * 20);
        buffer.put_i32(1);
        buffer.put_i32(0);
        buffer.put_u32(17);
        buffer.put_i32(n);
        buffer.put_i32(1);
        for term in of_applicant {
            buffer.put_i32(16);
            buffer.put_slice(&term.0);
            terms += 1;
        }
        if buffer.len() > 1 << 20 {
            sink.send(buffer.split().freeze()).await.unwrap();
        }
    }
    buffer.put_i16(-1);
    sink.send(buffer.split().freeze()).await.unwrap();
    sink.as_mut().finish().await.unwrap();
    client.batch_execute("CREATE INDEX applicant_terms_terms ON applicant_terms USING gin (terms)").await.unwrap();
    let index = started.elapsed();
    // What autovacuum does to a table that took a bulk load: statistics and
    // the visibility map (index-only scans of the terms).
    client.batch_execute("VACUUM ANALYZE applicant_terms").await.unwrap();
    client.batch_execute("VACUUM ANALYZE case_status").await.unwrap();
    let size: String =
        client.query_one("SELECT pg_size_pretty(pg_total_relation_size('applicant_terms'))", &[]).await.unwrap().get(0);
    println!(
        "{cases} cases: rows in {:.1} s; {terms} index terms ({:.1} per applicant, {size} with the key) in {:.1} s",
        rows.as_secs_f64(),
        terms as f64 / cases as f64,
        index.as_secs_f64()
    );

    let pool = build_pool(database.config(), &PoolSettings::default()).unwrap();
    let now = jiff::Timestamp::now();
    let all_units: Vec<String> = (0..UNITS).map(|u| format!("U{u}")).collect();
    let kinds: [(&str, QueryText); 4] = [
        ("CCCD", |a| a.id_number.clone()),
        ("phone", |a| a.phone.clone().unwrap_or_default()),
        ("full name", |a| a.full_name.clone()),
        ("name beginnings", |a| {
            a.full_name
                .split_whitespace()
                .map(|w| format!("{}*", w.chars().take(3).collect::<String>()))
                .collect::<Vec<_>>()
                .join(" ")
        }),
    ];
    println!("{QUERIES} searches of each kind for applicants drawn at random, first page of 50:");
    for (scope, units) in [("one desk's unit", vec!["U7".to_owned()]), ("the whole province", all_units.clone())] {
        for (kind, text_of) in &kinds {
            let mut times = Vec::with_capacity(QUERIES);
            let mut found = 0;
            for n in 0..QUERIES as u64 {
                // In the desk's unit when the desk searches: i ≡ 7 (mod UNITS).
                let i = (mix(n + 17) % (cases / UNITS)) * UNITS + 7;
                let text = text_of(&applicant(i));
                let query = key.query(&text).unwrap();
                let filter = CaseFilter {
                    units: None,
                    visible_units: units.clone(),
                    applicant_terms: Some(applicant_filter(&query)),
                    code_contains: None,
                    ..CaseFilter::default()
                };
                let start = Instant::now();
                let page = list_cases(&pool, &filter, now, None, 50).await.unwrap();
                times.push(start.elapsed());
                found += page.cases.len();
            }
            times.sort();
            println!(
                "  {scope:<18} {kind:<16} p50 {:>8.2} ms  p99 {:>8.2} ms  max {:>8.2} ms  ({:.1} cases a page)",
                percentile(&times, 0.5).as_secs_f64() * 1e3,
                percentile(&times, 0.99).as_secs_f64() * 1e3,
                times.last().unwrap().as_secs_f64() * 1e3,
                found as f64 / QUERIES as f64
            );
        }
    }
}
