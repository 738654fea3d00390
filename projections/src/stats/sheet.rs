//! Biểu 06 as a spreadsheet in the layout of Biểu số II.06a/VPCP/KSTT (Tình
//! hình, kết quả giải quyết thủ tục hành chính tại cơ quan, đơn vị trực tiếp
//! giải quyết TTHC), the form the Government Office's reporting regime gives
//! for it (Thông tư 01/2020/TT-VPCP), written with rust_xlsxwriter.
//!
//! Columns (1)–(13) are the form's: STT; the field (or procedure, or unit);
//! files to handle — total, carried over, newly received online, newly
//! received in person or by post; resolved — total, early, on time, late; in
//! progress — total, within the deadline, overdue. The form has no column for
//! files returned as ineligible, withdrawn or stopped in the period, without
//! which its rows do not balance, so (14)–(16) follow it, headed as additions:
//! (3) = (4) + (5) + (6) = (7) + (11) + (14) + (15) + (16). The order of (4)–(6)
//! and the heading's wording are as we read the form; they were not checked
//! against the gazette's text.
//!
//! The workbook's creation date is the period's last day, so the same report
//! is the same bytes.

use jiff::civil::Date;
use rust_xlsxwriter::{
    DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError,
};

use crate::stats::ReportRow;

/// The sheet's media type.
pub const XLSX_MEDIA_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// What the sheet's heading says of the report.
#[derive(Debug, Clone)]
pub struct Heading {
    /// The period's name (e.g. "Tháng 11 năm 2026"), when it is an official one.
    pub period_title: Option<String>,
    pub from: Date,
    pub to: Date,
    /// Đơn vị báo cáo: the unit whose subtree is counted.
    pub reporting_unit: String,
    /// Đơn vị nhận báo cáo: the unit above it, when it has one.
    pub receiving_unit: Option<String>,
    /// The heading of column (2): what the rows are.
    pub rows_are: RowsAre,
}

/// What each row of the sheet counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowsAre {
    Fields,
    Procedures,
    Units,
}

impl RowsAre {
    fn heading(self) -> &'static str {
        match self {
            Self::Fields => "Lĩnh vực giải quyết",
            Self::Procedures => "Thủ tục hành chính",
            Self::Units => "Đơn vị giải quyết",
        }
    }
}

/// The first row of figures (0-based): the rows above are the heading.
pub const FIRST_DATA_ROW: u32 = 8;

/// Columns of figures, (3) to (16), for a row.
pub fn figures(row: &ReportRow) -> [i64; 14] {
    let in_progress = row.in_progress_within + row.in_progress_overdue;
    [
        row.carried_over + row.received_total,
        row.carried_over,
        row.received_online,
        row.received_offline,
        row.resolved_total,
        row.resolved_early,
        row.resolved_on_time,
        row.resolved_late,
        in_progress,
        row.in_progress_within,
        row.in_progress_overdue,
        row.returned,
        row.withdrawn,
        row.stopped,
    ]
}

/// The report as an XLSX workbook. `name` gives a row's label from its key
/// (the last row, `TOTAL`, is labelled "Tổng cộng").
pub fn render(heading: &Heading, rows: &[ReportRow], name: &dyn Fn(&str) -> String) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let (year, month, day) = (heading.to.year(), heading.to.month(), heading.to.day());
    let created = ExcelDateTime::from_ymd(year as u16, month as u8, day as u8)?;
    let title = match &heading.period_title {
        Some(period) => format!("Biểu II.06a — {period}"),
        None => format!("Biểu II.06a — {} đến {}", vietnamese_date(heading.from), vietnamese_date(heading.to)),
    };
    workbook.set_properties(&DocProperties::new().set_title(&title).set_creation_datetime(&created));
    let sheet = workbook.add_worksheet();
    sheet.set_name("Biểu II.06a")?;
    write_heading(sheet, heading)?;
    write_rows(sheet, rows, name)?;
    workbook.save_to_buffer()
}

fn base() -> Format {
    Format::new().set_font_name("Times New Roman").set_font_size(12)
}

fn vietnamese_date(date: Date) -> String {
    format!("{:02}/{:02}/{}", date.day(), date.month(), date.year())
}

fn write_heading(sheet: &mut Worksheet, heading: &Heading) -> Result<(), XlsxError> {
    let bold = base().set_bold();
    let centred = base().set_align(FormatAlign::Center).set_align(FormatAlign::VerticalCenter).set_text_wrap();
    let title = centred.clone().set_bold().set_font_size(13);
    let small = base().set_font_size(10).set_text_wrap().set_align(FormatAlign::VerticalCenter);
    let cell = centred.clone().set_bold().set_border(FormatBorder::Thin).set_font_size(11);
    let number_cell = centred.clone().set_italic().set_border(FormatBorder::Thin).set_font_size(10);

    sheet.set_column_width(0, 6)?;
    sheet.set_column_width(1, 38)?;
    for column in 2..=15 {
        sheet.set_column_width(column, 11)?;
    }
    sheet.merge_range(0, 0, 0, 2, "Biểu số II.06a/VPCP/KSTT", &bold)?;
    sheet.merge_range(1, 0, 2, 2, "Ban hành kèm theo Thông tư số 01/2020/TT-VPCP", &small)?;
    sheet.merge_range(
        0,
        3,
        1,
        12,
        "TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH TẠI CƠ QUAN, ĐƠN VỊ TRỰC TIẾP GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH",
        &title,
    )?;
    let period = match &heading.period_title {
        Some(name) => format!(
            "Kỳ báo cáo: {name} (Từ ngày {} đến ngày {})",
            vietnamese_date(heading.from),
            vietnamese_date(heading.to)
        ),
        None => {
            format!("Kỳ báo cáo: từ ngày {} đến ngày {}", vietnamese_date(heading.from), vietnamese_date(heading.to))
        }
    };
    sheet.merge_range(2, 3, 2, 12, &period, &centred.clone().set_bold())?;
    sheet.merge_range(0, 13, 1, 15, &format!("- Đơn vị báo cáo: {}", heading.reporting_unit), &small)?;
    let receiving = heading.receiving_unit.as_deref().unwrap_or("…");
    sheet.merge_range(2, 13, 2, 15, &format!("- Đơn vị nhận báo cáo: {receiving}"), &small)?;
    sheet.merge_range(
        3,
        12,
        3,
        15,
        "Đơn vị tính: Số hồ sơ TTHC.",
        &base().set_italic().set_align(FormatAlign::Right),
    )?;
    sheet.set_row_height(0, 33)?;

    // The column headings, three rows deep, then the columns' numbers.
    sheet.merge_range(4, 0, 6, 0, "STT", &cell)?;
    sheet.merge_range(4, 1, 6, 1, heading.rows_are.heading(), &cell)?;
    sheet.merge_range(4, 2, 4, 5, "Số hồ sơ nhận giải quyết", &cell)?;
    sheet.merge_range(4, 6, 4, 12, "Kết quả giải quyết", &cell)?;
    sheet.merge_range(4, 13, 4, 15, "Ngoài biểu: hồ sơ không tiếp tục giải quyết", &cell)?;
    sheet.merge_range(5, 2, 6, 2, "Tổng số", &cell)?;
    sheet.merge_range(5, 3, 5, 5, "Trong đó", &cell)?;
    sheet.merge_range(5, 6, 5, 9, "Số hồ sơ đã giải quyết", &cell)?;
    sheet.merge_range(5, 10, 5, 12, "Số hồ sơ đang giải quyết", &cell)?;
    sheet.merge_range(5, 13, 6, 13, "Trả lại (không đủ điều kiện)", &cell)?;
    sheet.merge_range(5, 14, 6, 14, "Rút hồ sơ", &cell)?;
    sheet.merge_range(5, 15, 6, 15, "Dừng xử lý", &cell)?;
    let third = [
        (3, "Số kỳ trước chuyển qua"),
        (4, "Số mới tiếp nhận trực tuyến"),
        (5, "Số mới tiếp nhận trực tiếp hoặc qua dịch vụ bưu chính"),
        (6, "Tổng số"),
        (7, "Trả trước hạn"),
        (8, "Trả đúng thời hạn"),
        (9, "Trả quá hạn"),
        (10, "Tổng số"),
        (11, "Chưa đến hạn"),
        (12, "Quá hạn"),
    ];
    for (column, text) in third {
        sheet.write_string_with_format(6, column, text, &cell)?;
    }
    sheet.set_row_height(6, 66)?;
    for column in 0..=15u16 {
        sheet.write_string_with_format(7, column, format!("({})", column + 1), &number_cell)?;
    }
    sheet.set_repeat_rows(4, 7)?;
    sheet.set_freeze_panes(FIRST_DATA_ROW, 2)?;
    sheet.set_landscape();
    sheet.set_paper_size(9); // A4
    sheet.set_print_fit_to_pages(1, 0);
    Ok(())
}

fn write_rows(sheet: &mut Worksheet, rows: &[ReportRow], name: &dyn Fn(&str) -> String) -> Result<(), XlsxError> {
    let cell = base().set_border(FormatBorder::Thin).set_align(FormatAlign::VerticalCenter);
    let label = cell.clone().set_text_wrap();
    let number = cell.clone().set_num_format("#,##0").set_align(FormatAlign::Right);
    let total_label = label.clone().set_bold();
    let total_number = number.clone().set_bold();
    let centred = cell.clone().set_align(FormatAlign::Center);
    let mut row_number = FIRST_DATA_ROW;
    for (index, row) in rows.iter().enumerate() {
        let total = row.key == "TOTAL";
        let (label_format, number_format) = if total { (&total_label, &total_number) } else { (&label, &number) };
        if total {
            sheet.merge_range(row_number, 0, row_number, 1, "Tổng cộng", &total_label)?;
        } else {
            sheet.write_number_with_format(row_number, 0, (index + 1) as f64, &centred)?;
            sheet.write_string_with_format(row_number, 1, name(&row.key), label_format)?;
        }
        for (offset, value) in figures(row).into_iter().enumerate() {
            sheet.write_number_with_format(row_number, 2 + offset as u16, value as f64, number_format)?;
        }
        row_number += 1;
    }
    let note = "Ghi chú: (3) = (4) + (5) + (6) = (7) + (11) + (14) + (15) + (16); (7) = (8) + (9) + (10); \
                (11) = (12) + (13). Hồ sơ đang giải quyết được xét tại thời điểm cuối kỳ.";
    sheet.merge_range(row_number + 1, 0, row_number + 1, 15, note, &base().set_italic().set_font_size(10))?;
    Ok(())
}
