//! What each case form says (Thông tư 03/2025/TT-VPCP, Phụ lục I, mẫu 01–06),
//! written as a [`Paper`] from the case's events.
//!
//! Each form is dated by the event it reports (the receipt by the receipt,
//! the apology by the extension, the control slip by the last event printed),
//! never by the time it is printed: printing it again gives the same paper.

use jiff::Timestamp;
use onestop_domain::calendar::local;
use onestop_domain::case::CaseEvent;
use onestop_domain::case::forms::{Form, NotReached, date_in_words};

use super::codes::{CodeError, code128, qr};
use super::{Block, CaseForm, Codes, Heading, Paper, Signature, Span, Table};

/// What the form prints where the applicant's data was erased.
const ERASED: &str = "(dữ liệu cá nhân đã được xóa)";

/// Why a case form cannot be written.
#[derive(Debug, thiserror::Error)]
pub enum PaperError {
    #[error(transparent)]
    NotReached(#[from] NotReached),
    #[error(transparent)]
    Code(#[from] CodeError),
}

/// The paper of `form` for the case in `input`.
pub fn case_paper(form: Form, input: &CaseForm<'_>) -> Result<Paper, PaperError> {
    let events: Vec<CaseEvent> = input.history.iter().map(|e| e.event.clone()).collect();
    form.reached(&events)?;
    let blocks = match form {
        Form::Receipt => receipt(input)?,
        Form::SupplementRequest => supplement_request(input),
        Form::Refusal => refusal(input),
        Form::Apology => apology(input),
        Form::StopNotice => stop_notice(input),
        Form::ControlSlip | Form::Register => control_slip(input),
    };
    Ok(Paper { form, landscape: false, blocks })
}

/// `08 giờ 30 phút, ngày 02/12/2026`, in Vietnam's time.
pub(super) fn time_vi(at: Timestamp) -> String {
    local(at).strftime("%H giờ %M phút, ngày %d/%m/%Y").to_string()
}

/// `02/12/2026`, in Vietnam's time.
pub(super) fn day_vi(at: Timestamp) -> String {
    local(at).strftime("%d/%m/%Y").to_string()
}

/// The heading, dated by `at`.
fn heading(input: &CaseForm<'_>, at: Timestamp) -> Block {
    Block::Heading(Heading {
        parent: input.issuer.parent.clone(),
        unit: input.issuer.name.clone(),
        reference: input.case.code.as_ref().map(|code| format!("Mã hồ sơ: {code}")),
        date_line: date_in_words(local(at).date()),
    })
}

/// The top every notice to the applicant shares: heading, title, who filed
/// what, and when it was received.
fn opening(input: &CaseForm<'_>, at: Timestamp, form: Form) -> Vec<Block> {
    let mut blocks = vec![heading(input, at), title(form)];
    blocks.extend(applicant_lines(input));
    blocks.push(request_line(input));
    if let Some(received) = input.case.received_at {
        blocks.push(line("Thời gian tiếp nhận hồ sơ", time_vi(received)));
    }
    blocks
}

fn title(form: Form) -> Block {
    Block::Title { title: form.title_vi().to_uppercase(), subtitle: None }
}

fn line(label: &str, value: impl Into<String>) -> Block {
    Block::Paragraph(vec![Span::regular(format!("{label}: ")), Span::bold(value)])
}

fn item(text: impl Into<String>) -> Block {
    Block::Item(vec![Span::regular(text)])
}

fn text(text: impl Into<String>) -> Block {
    Block::Paragraph(vec![Span::regular(text)])
}

fn applicant_name(input: &CaseForm<'_>) -> String {
    input.applicant.map_or_else(|| ERASED.to_owned(), |a| a.full_name.clone())
}

/// Name, address, phone and e-mail lines of the applicant.
fn applicant_lines(input: &CaseForm<'_>) -> Vec<Block> {
    let mut lines = vec![line("Tiếp nhận hồ sơ của", applicant_name(input))];
    if let Some(applicant) = input.applicant {
        lines.push(line("Số định danh cá nhân / mã số", applicant.id_number.clone()));
        if let Some(address) = &applicant.address {
            lines.push(line("Địa chỉ", address.clone()));
        }
        let contact: Vec<String> = [
            applicant.phone.as_ref().map(|p| format!("Số điện thoại: {p}")),
            applicant.email.as_ref().map(|e| format!("Thư điện tử: {e}")),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !contact.is_empty() {
            lines.push(text(contact.join("; ")));
        }
    }
    lines
}

fn request_line(input: &CaseForm<'_>) -> Block {
    line("Nội dung yêu cầu giải quyết", input.procedure_name.clone())
}

/// The desk where the applicant collects the result.
fn collection_place(input: &CaseForm<'_>) -> String {
    format!("Bộ phận Tiếp nhận và Trả kết quả — {}", input.issuer.name)
}

/// The last event the form reports, with the officer who recorded it.
fn last<'e, T>(
    input: &'e CaseForm<'_>,
    pick: impl Fn(&'e CaseEvent) -> Option<&'e T>,
) -> Option<(&'e T, Option<String>)> {
    input.history.iter().rev().find_map(|entry| pick(&entry.event).map(|found| (found, entry.actor_name.clone())))
}

fn signatures(left: Signature, right: Signature) -> Block {
    Block::Signatures(vec![left, right])
}

fn signer(title: &str, name: Option<String>) -> Signature {
    Signature { title: title.to_owned(), note: "(Ký và ghi rõ họ tên)".to_owned(), name }
}

fn receipt(input: &CaseForm<'_>) -> Result<Vec<Block>, PaperError> {
    let Some((received, officer)) = last(input, |e| match e {
        CaseEvent::CaseReceived(r) => Some(r),
        _ => None,
    }) else {
        return Ok(Vec::new());
    };
    let mut blocks = vec![heading(input, received.at), title(Form::Receipt)];
    blocks.push(text(format!("{} tiếp nhận hồ sơ.", collection_place(input))));
    blocks.extend(applicant_lines(input));
    blocks.push(request_line(input));
    blocks.push(text("1. Thành phần hồ sơ nộp gồm:"));
    if received.documents.is_empty() {
        blocks.push(item("(không có giấy tờ kèm theo)"));
    }
    for (n, document) in received.documents.iter().enumerate() {
        blocks.push(item(format!("{}. {document}", n + 1)));
    }
    blocks.push(text(format!("2. Số lượng hồ sơ: 01 (bộ), gồm {} thành phần.", received.documents.len())));
    blocks.push(text(format!(
        "3. Thời gian giải quyết hồ sơ theo quy định: {}.",
        received.processing_time.describe_vi()
    )));
    blocks.push(text(format!("4. Thời gian nhận hồ sơ: {}.", time_vi(received.at))));
    blocks.push(Block::Paragraph(vec![
        Span::regular("5. Thời gian trả kết quả giải quyết hồ sơ: "),
        Span::bold(time_vi(received.due_at)),
        Span::regular("."),
    ]));
    blocks.push(text(format!("6. Nơi nhận kết quả: {}.", collection_place(input))));
    if let Some(lookup) = &input.lookup {
        // The link itself is in the QR code; the page it opens is named here.
        let site = lookup.url.split_once("/api/").map_or(lookup.url.as_str(), |(base, _)| base);
        blocks.push(Block::Paragraph(vec![
            Span::regular("Mã tra cứu hồ sơ: "),
            Span::bold(lookup.secret.clone()),
            Span::regular(format!(
                " — tra cứu tình trạng hồ sơ bằng mã QR dưới đây, hoặc tại {site} với mã hồ sơ và mã tra cứu."
            )),
        ]));
    }
    let code = received.code.to_string();
    let qr = match &input.lookup {
        Some(lookup) => Some((qr(&lookup.url)?, "Quét mã để tra cứu hồ sơ".to_owned())),
        None => None,
    };
    blocks.push(Block::Codes(Codes { bars: code128(&code)?, bar_text: code, qr }));
    blocks.push(signatures(signer("NGƯỜI NỘP HỒ SƠ", None), signer("NGƯỜI TIẾP NHẬN HỒ SƠ", officer)));
    Ok(blocks)
}

fn supplement_request(input: &CaseForm<'_>) -> Vec<Block> {
    let Some((request, officer)) = last(input, |e| match e {
        CaseEvent::SupplementRequested(r) => Some(r),
        _ => None,
    }) else {
        return Vec::new();
    };
    let mut blocks = opening(input, request.at, Form::SupplementRequest);
    blocks.push(text("Yêu cầu bổ sung, hoàn thiện hồ sơ gồm những nội dung sau:"));
    for (n, document) in request.documents.iter().enumerate() {
        blocks.push(item(format!("{}. {document}", n + 1)));
    }
    blocks.push(line("Lý do", request.reason.clone()));
    blocks.push(text(format!(
        "Nơi nộp hồ sơ bổ sung: {}. Thời gian giải quyết hồ sơ được tính lại từ khi nhận đủ hồ sơ bổ sung \
         theo quy định. Trong quá trình hoàn thiện hồ sơ, nếu có vướng mắc, ông/bà liên hệ {} để được hướng dẫn.",
        collection_place(input),
        input.issuer.name
    )));
    blocks.push(signatures(signer("NGƯỜI NỘP HỒ SƠ", None), signer("NGƯỜI HƯỚNG DẪN", officer)));
    blocks
}

fn refusal(input: &CaseForm<'_>) -> Vec<Block> {
    let Some((at, reason, officer)) = input.history.iter().rev().find_map(|entry| match &entry.event {
        CaseEvent::CaseRefusedAtReception(e) => Some((e.at, &e.reason, entry.actor_name.clone())),
        CaseEvent::CaseRefusedAsIneligible(e) => Some((e.at, &e.reason, entry.actor_name.clone())),
        _ => None,
    }) else {
        return Vec::new();
    };
    let mut blocks = opening(input, at, Form::Refusal);
    blocks.push(text(format!(
        "Qua xem xét, {} thông báo không tiếp nhận, giải quyết hồ sơ này với lý do cụ thể như sau:",
        input.issuer.name
    )));
    blocks.push(item(reason.clone()));
    blocks.push(text("Xin thông báo để ông/bà được biết và thực hiện."));
    blocks.push(signatures(signer("NGƯỜI NỘP HỒ SƠ", None), signer("NGƯỜI TIẾP NHẬN HỒ SƠ", officer)));
    blocks
}

fn apology(input: &CaseForm<'_>) -> Vec<Block> {
    let Some((extension, officer)) = last(input, |e| match e {
        CaseEvent::DeadlineExtended(r) => Some(r),
        _ => None,
    }) else {
        return Vec::new();
    };
    let mut blocks = opening(input, extension.at, Form::Apology);
    blocks.push(line("Thời gian hẹn trả kết quả giải quyết hồ sơ", time_vi(extension.previous_due_at)));
    blocks
        .push(text(format!("Tuy nhiên đến nay, {} chưa trả kết quả giải quyết hồ sơ cho ông/bà.", input.issuer.name)));
    blocks.push(line("Lý do", extension.reason.clone()));
    blocks.push(Block::Paragraph(vec![
        Span::regular(format!(
            "Sự chậm trễ này đã gây phiền hà cho ông/bà. {} xin lỗi ông/bà và sẽ trả kết quả giải quyết hồ sơ \
             cho ông/bà vào ",
            input.issuer.name
        )),
        Span::bold(time_vi(extension.due_at)),
        Span::regular(format!(" tại {}.", collection_place(input))),
    ]));
    blocks.push(text("Xin trân trọng cảm ơn!"));
    blocks.push(Block::Signatures(vec![signer("THỦ TRƯỞNG CƠ QUAN, ĐƠN VỊ", officer)]));
    blocks
}

fn stop_notice(input: &CaseForm<'_>) -> Vec<Block> {
    let Some((stop, officer)) = last(input, |e| match e {
        CaseEvent::CaseStopped(r) => Some(r),
        _ => None,
    }) else {
        return Vec::new();
    };
    let mut blocks = opening(input, stop.at, Form::StopNotice);
    blocks.push(text(format!(
        "{} thông báo dừng giải quyết hồ sơ nêu trên từ {} với lý do sau:",
        input.issuer.name,
        time_vi(stop.at)
    )));
    blocks.push(item(stop.reason.clone()));
    blocks.push(text(format!(
        "Hồ sơ và giấy tờ đã nộp được trả lại tại {}. Xin thông báo để ông/bà được biết.",
        collection_place(input)
    )));
    blocks.push(Block::Signatures(vec![signer("THỦ TRƯỞNG CƠ QUAN, ĐƠN VỊ", officer)]));
    blocks
}

fn control_slip(input: &CaseForm<'_>) -> Vec<Block> {
    let case = input.case;
    let printed_at = input.history.last().map_or(Timestamp::UNIX_EPOCH, |e| e.event.at());
    let mut blocks = vec![heading(input, printed_at), title(Form::ControlSlip)];
    blocks.push(line("Chủ hồ sơ", applicant_name(input)));
    blocks.push(request_line(input));
    if let Some(received) = case.received_at {
        blocks.push(line("Thời gian tiếp nhận hồ sơ", time_vi(received)));
    }
    if let Some(due) = case.due_at {
        blocks.push(line("Thời gian hẹn trả kết quả", time_vi(due)));
    }
    let units: Vec<String> = case.steps.iter().skip(1).map(|s| input.names.unit(&s.unit)).collect();
    if let Some(first) = units.first() {
        blocks.push(line("Cơ quan (bộ phận) giải quyết hồ sơ", first.clone()));
    }
    let officer = |id| input.names.officer(id).unwrap_or_else(|| "—".to_owned());
    let rows = case
        .steps
        .iter()
        .enumerate()
        .map(|(n, step)| {
            let giver = step.handed_over_by.map_or_else(|| "Bộ phận Một cửa".to_owned(), officer);
            let receiver = step.acknowledged_by.or(step.assignee).map_or_else(|| "—".to_owned(), officer);
            vec![
                format!("{}. {}", n + 1, step.name),
                format!("{}\nGiao: {giver}\nNhận: {receiver}", input.names.unit(&step.unit)),
                format!(
                    "Giao: {}\nNhận: {}",
                    time_vi(step.started_at),
                    step.acknowledged_at.map_or_else(|| "—".to_owned(), time_vi)
                ),
                step.punctuality().map_or_else(|| "Đang giải quyết".to_owned(), |p| p.label_vi().to_owned()),
                format!("Hạn bước: {}", time_vi(step.due_at)),
            ]
        })
        .collect();
    blocks.push(Block::Table(Table {
        widths: vec![0.2, 0.27, 0.24, 0.12, 0.17],
        header: vec![
            "Bước xử lý".into(),
            "Tên cơ quan; người giao, người nhận".into(),
            "Thời gian giao, nhận hồ sơ".into(),
            "Kết quả giải quyết".into(),
            "Ghi chú".into(),
        ],
        rows,
    }));
    blocks
}
