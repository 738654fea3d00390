//! How long printing a receipt (form 01) takes: the paper written from the
//! case's events, then laid out and written as PDF (fonts subset and
//! embedded, barcode and QR drawn), and as HTML.
//!
//! `cargo bench -p onestop-projections --bench forms`; `BENCH_RENDERS`
//! (default 2,000) renders of each format after 100 to warm up. Prints p50,
//! p99 and the largest time, and the documents' sizes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a broken run should stop loudly

use std::time::{Duration, Instant};

use onestop_domain::case::forms::{Form, FormFormat};
use onestop_domain::case::{CaseEvent, fold};
use onestop_domain::ids::{UnitCode, UserId};
use onestop_domain::personal::Applicant;
use onestop_projections::forms::{CaseForm, Entry, Issuer, Lookup, Names, case_paper, render};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The stored receipt event of the schema's fixtures: a real payload.
const RECEIVED: &str = include_str!("../../domain/tests/stored/case/CaseReceived.v1.json");

#[derive(Debug)]
struct Catalog;

impl Names for Catalog {
    fn unit(&self, _: &UnitCode) -> String {
        "Văn phòng Đăng ký đất đai".into()
    }

    fn officer(&self, _: UserId) -> Option<String> {
        Some("Trần Văn Minh".into())
    }
}

fn percentile(sorted: &[Duration], share: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * share).round() as usize;
    sorted[index]
}

fn main() {
    let renders: usize = std::env::var("BENCH_RENDERS").ok().and_then(|v| v.parse().ok()).unwrap_or(2_000);
    let event = CaseEvent::decode("CaseReceived", 1, RECEIVED).unwrap();
    let history = vec![Entry { event, actor_name: Some("Nguyễn Thị Lan".into()) }];
    let case = fold(history.iter().map(|e| &e.event));
    let applicant = Applicant {
        full_name: "Nguyễn Văn An".into(),
        id_number: "001099012345".into(),
        phone: Some("0912345678".into()),
        address: Some("Thôn Đông, xã An Bình, huyện Chư Sê, tỉnh Gia Lai".into()),
        email: Some("an.nguyen@example.vn".into()),
    };
    let input = CaseForm {
        case: &case,
        history: &history,
        issuer: Issuer {
            name: "Trung tâm Phục vụ hành chính công tỉnh".into(),
            parent: Some("Ủy ban nhân dân tỉnh Gia Lai".into()),
        },
        procedure_name: "Đăng ký biến động quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất".into(),
        applicant: Some(&applicant),
        lookup: Some(Lookup {
            url: "https://motcua.gialai.gov.vn/api/v1/public/lookup?code=000.00.01.H22-260302-0017&secret=V7DHUXGQ"
                .into(),
            secret: "V7DHUXGQ".into(),
        }),
        names: &Catalog,
    };
    println!("form 01, {renders} renders of each format (after 100 to warm up), one thread");
    for format in [FormFormat::Pdf, FormFormat::Html] {
        let print = || render(&case_paper(Form::Receipt, &input).unwrap(), format).unwrap();
        let size = print().len();
        for _ in 0..100 {
            std::hint::black_box(print());
        }
        let mut times: Vec<Duration> = (0..renders)
            .map(|_| {
                let start = Instant::now();
                std::hint::black_box(print());
                start.elapsed()
            })
            .collect();
        times.sort();
        println!(
            "{:>4}: p50 {:>8.3} ms  p99 {:>8.3} ms  max {:>8.3} ms  ({size} bytes)",
            format.as_str(),
            percentile(&times, 0.5).as_secs_f64() * 1e3,
            percentile(&times, 0.99).as_secs_f64() * 1e3,
            times.last().unwrap().as_secs_f64() * 1e3,
        );
    }
}
