//! `onestop-replay as-of --report` as a statistician runs it: an official
//! period gives the report of its days, and `--format xlsx` writes the Biểu
//! II.06a sheet, which openpyxl (an independent reader) finds equal to the CSV.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failure

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use onestop_commands::cases::CaseService;
use onestop_commands::catalog::CatalogCache;
use onestop_commands::clock::SystemClock;
use onestop_commands::registry::RegistryService;
use onestop_migrations::testing::TestDatabase;
use onestop_replay::simulate;
use onestop_store::{EventStore, PoolSettings, build_pool};

fn replay(database: &TestDatabase, args: &[&str]) -> Vec<u8> {
    let output = Command::new(env!("CARGO_BIN_EXE_onestop-replay"))
        .args(["--database-url", &database.url()])
        .args(args)
        .output()
        .unwrap();
    assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
    output.stdout
}

/// The sheet's rows of figures as text, read by openpyxl.
fn sheet_rows(path: &std::path::Path) -> Vec<Vec<String>> {
    let venv = std::env::var_os("ONESTOP_SHEETS_VENV").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/onestop-sheets-venv")
    });
    let script = "import sys, openpyxl\n\
                  sheet = openpyxl.load_workbook(sys.argv[1]).worksheets[0]\n\
                  print(sheet.cell(3, 4).value)\n\
                  for row in sheet.iter_rows(min_row=9, values_only=True):\n\
                  \x20   if isinstance(row[2], (int, float)):\n\
                  \x20       print('\\t'.join(str(v) for v in row[:16]))\n";
    let output = Command::new(venv.join("bin/python")).arg("-c").arg(script).arg(path).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap().lines().map(|l| l.split('\t').map(str::to_owned).collect()).collect()
}

#[tokio::test]
async fn an_official_period_reports_its_days_and_the_sheet_equals_the_csv() {
    let database = TestDatabase::create().await.unwrap();
    let pool = build_pool(database.config(), &PoolSettings::default()).unwrap();
    let store = EventStore::new(pool, database.config().clone());
    let catalog = CatalogCache::load(store.clone()).await.unwrap();
    let registry = RegistryService::new(store.clone(), catalog.clone());
    let cases = CaseService::new(store.clone(), catalog, Arc::new(SystemClock));
    let options = simulate::Options { cases: 300, communes: 3, ..simulate::Options::default() };
    simulate::run(&cases, &registry, &options, |_, _| {}).await.unwrap();

    let by_days = replay(&database, &["as-of", "2025-12-31", "--report", "--from", "2025-03-15", "--to", "2025-06-14"]);
    let by_period = replay(&database, &["as-of", "2025-12-31", "--report", "--period", "2025-Q2"]);
    assert_eq!(String::from_utf8_lossy(&by_period), String::from_utf8_lossy(&by_days));

    let path = std::env::temp_dir().join(format!("bieu-{}.xlsx", uuid::Uuid::new_v4()));
    let path_text = path.to_str().unwrap();
    replay(&database, &["as-of", "2025-12-31", "--report", "--period", "2025-Q2", "--format", "xlsx", "-o", path_text]);
    let sheet = sheet_rows(&path);
    std::fs::remove_file(&path).ok();
    assert_eq!(sheet[0][0], "Kỳ báo cáo: Quý II năm 2025 (Từ ngày 15/03/2025 đến ngày 14/06/2025)");
    let mut csv = csv::Reader::from_reader(by_period.as_slice());
    let header = csv.headers().unwrap().clone();
    let records: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
    assert_eq!(sheet.len() - 1, records.len());
    for (cells, record) in sheet[1..].iter().zip(&records) {
        let n = |name: &str| -> i64 { record[header.iter().position(|h| h == name).unwrap()].parse().unwrap() };
        let expected = [
            n("carried_over") + n("received_total"),
            n("carried_over"),
            n("received_online"),
            n("received_offline"),
            n("resolved_total"),
            n("resolved_early"),
            n("resolved_on_time"),
            n("resolved_late"),
            n("in_progress_within") + n("in_progress_overdue"),
            n("in_progress_within"),
            n("in_progress_overdue"),
            n("returned"),
            n("withdrawn"),
            n("stopped"),
        ];
        let got: Vec<i64> = cells[2..16].iter().map(|c| c.parse().unwrap()).collect();
        assert_eq!(got, expected, "{cells:?}");
    }
    assert!(records.last().unwrap()[0] == *"TOTAL");
    assert!(sheet.last().unwrap()[0] == "Tổng cộng");
}
