//! Mẫu 07, Sổ theo dõi hồ sơ: the files a unit received in a period, one line
//! each, in the order they were received.

use jiff::Timestamp;
use onestop_domain::case::forms::{Form, date_in_words};

use super::content::{day_vi, time_vi};
use super::{Block, Heading, Issuer, Paper, Span, Table};

/// One file of the register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterLine {
    pub code: String,
    pub procedure_name: String,
    /// `None` once the applicant's data was erased.
    pub applicant_name: Option<String>,
    pub received_at: Timestamp,
    pub due_at: Option<Timestamp>,
    /// The unit handling it (the first step after reception).
    pub handling_unit: Option<String>,
    pub finished_at: Option<Timestamp>,
    pub returned_at: Option<Timestamp>,
    /// The portal's status, in words.
    pub status: String,
}

/// The register of `issuer` for the days `[from, to]` (Vietnam's dates, both
/// included), dated by its last day.
pub fn register_paper(
    issuer: &Issuer,
    from: jiff::civil::Date,
    to: jiff::civil::Date,
    lines: &[RegisterLine],
) -> Paper {
    let heading = Block::Heading(Heading {
        parent: issuer.parent.clone(),
        unit: issuer.name.clone(),
        reference: None,
        date_line: date_in_words(to),
    });
    let period = format!("Từ ngày {} đến ngày {}", from.strftime("%d/%m/%Y"), to.strftime("%d/%m/%Y"));
    let dash = || "—".to_owned();
    let rows = lines
        .iter()
        .enumerate()
        .map(|(n, line)| {
            vec![
                (n + 1).to_string(),
                line.code.clone(),
                line.procedure_name.clone(),
                line.applicant_name.clone().unwrap_or_else(|| "(đã xóa)".to_owned()),
                line.handling_unit.clone().unwrap_or_else(dash),
                time_vi(line.received_at),
                line.due_at.map_or_else(dash, time_vi),
                line.finished_at.map_or_else(dash, day_vi),
                line.returned_at.map_or_else(dash, day_vi),
                line.status.clone(),
            ]
        })
        .collect();
    Paper {
        form: Form::Register,
        landscape: true,
        blocks: vec![
            heading,
            Block::Title { title: Form::Register.title_vi().to_uppercase(), subtitle: Some(period) },
            Block::Paragraph(vec![
                Span::regular(format!(
                    "Bộ phận Tiếp nhận và Trả kết quả — {}. Số hồ sơ tiếp nhận trong kỳ: ",
                    issuer.name
                )),
                Span::bold(lines.len().to_string()),
            ]),
            Block::Table(Table {
                widths: vec![0.04, 0.17, 0.15, 0.1, 0.11, 0.1, 0.1, 0.07, 0.06, 0.1],
                header: vec![
                    "STT".into(),
                    "Mã hồ sơ".into(),
                    "Tên thủ tục hành chính".into(),
                    "Tên cá nhân, tổ chức".into(),
                    "Cơ quan giải quyết".into(),
                    "Nhận hồ sơ".into(),
                    "Hẹn trả kết quả".into(),
                    "Có kết quả".into(),
                    "Trả kết quả".into(),
                    "Tình trạng".into(),
                ],
                rows,
            }),
        ],
    }
}
