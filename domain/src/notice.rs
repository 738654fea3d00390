//! Notices (thông báo) to applicants, and reminders to the officers holding
//! files: which case events tell the applicant something, through which
//! channels, and in which words.
//!
//! A notice is made of a kind, a channel and parameters. The parameters kept in
//! the outbox are never personal data (the case code, dates, amounts, the
//! officers' reasons); the applicant's name, phone and e-mail are added only
//! when a notice is sent, from the sealed record, so an erasure leaves nothing
//! of the applicant in the outbox. Templates are data: an administrator may
//! change the words, but only with the placeholders the kind defines.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::case::CaseEvent;
use crate::personal::Applicant;

/// How a notice reaches its reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeChannel {
    /// A text message through a brandname SMS gateway.
    Sms,
    /// E-mail through SMTP.
    Email,
    /// Zalo Notification Service (ZNS): a template registered with Zalo,
    /// filled with parameters.
    Zalo,
}

impl NoticeChannel {
    /// The channel's name as the console lists it.
    pub fn name_vi(self) -> &'static str {
        match self {
            Self::Sms => "SMS",
            Self::Email => "Thư điện tử",
            Self::Zalo => "Zalo",
        }
    }

    pub const ALL: [Self; 3] = [Self::Sms, Self::Email, Self::Zalo];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sms => "sms",
            Self::Email => "email",
            Self::Zalo => "zalo",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == text)
    }
}

/// What a notice tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// The file was received: its code, lookup secret, due date and link.
    Received,
    /// A supplement is needed: what is missing and where to bring it.
    SupplementRequested,
    /// A fee or tax is to be paid: the amount.
    PaymentRequested,
    /// The due date moved, with the apology (thư xin lỗi) and the new date.
    Extended,
    /// The result is ready to collect.
    ResultReady,
    /// The result was handed over.
    Returned,
    /// The file was refused, at reception or as not eligible, with the reason.
    Refused,
    /// Handling was stopped, with the reason.
    Stopped,
    /// To the officer holding a file: it is due the next working day.
    DueTomorrow,
    /// To the officer holding a file: it is past its due date.
    Overdue,
}

impl NoticeKind {
    /// The notice's name as the console lists it.
    pub fn title_vi(self) -> &'static str {
        match self {
            Self::Received => "Đã tiếp nhận hồ sơ",
            Self::SupplementRequested => "Yêu cầu bổ sung hồ sơ",
            Self::PaymentRequested => "Yêu cầu nộp phí, lệ phí",
            Self::Extended => "Xin lỗi và hẹn lại ngày trả",
            Self::ResultReady => "Đã có kết quả",
            Self::Returned => "Đã trả kết quả",
            Self::Refused => "Từ chối, trả lại hồ sơ",
            Self::Stopped => "Dừng xử lý",
            Self::DueTomorrow => "Nhắc việc: đến hạn ngày mai",
            Self::Overdue => "Nhắc việc: đã quá hạn",
        }
    }

    pub const ALL: [Self; 10] = [
        Self::Received,
        Self::SupplementRequested,
        Self::PaymentRequested,
        Self::Extended,
        Self::ResultReady,
        Self::Returned,
        Self::Refused,
        Self::Stopped,
        Self::DueTomorrow,
        Self::Overdue,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Received => "received",
            Self::SupplementRequested => "supplement_requested",
            Self::PaymentRequested => "payment_requested",
            Self::Extended => "extended",
            Self::ResultReady => "result_ready",
            Self::Returned => "returned",
            Self::Refused => "refused",
            Self::Stopped => "stopped",
            Self::DueTomorrow => "due_tomorrow",
            Self::Overdue => "overdue",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// Whether it goes to the officer holding the file rather than the applicant.
    pub fn is_reminder(self) -> bool {
        matches!(self, Self::DueTomorrow | Self::Overdue)
    }

    /// The placeholders a template of this kind may use, `{name}` in its text.
    pub fn placeholders(self) -> &'static [&'static str] {
        const APPLICANT: &[&str] = &["ho_ten", "ma_ho_so", "thu_tuc", "don_vi"];
        match self {
            Self::Received => &["ho_ten", "ma_ho_so", "thu_tuc", "don_vi", "ma_tra_cuu", "han_tra", "duong_dan"],
            Self::SupplementRequested => &["ho_ten", "ma_ho_so", "thu_tuc", "don_vi", "ly_do", "giay_to"],
            Self::PaymentRequested => &["ho_ten", "ma_ho_so", "thu_tuc", "don_vi", "so_tien", "noi_dung"],
            Self::Extended => &["ho_ten", "ma_ho_so", "thu_tuc", "don_vi", "han_cu", "han_moi", "ly_do"],
            Self::ResultReady | Self::Returned => APPLICANT,
            Self::Refused | Self::Stopped => &["ho_ten", "ma_ho_so", "thu_tuc", "don_vi", "ly_do"],
            Self::DueTomorrow | Self::Overdue => &["can_bo", "ma_ho_so", "thu_tuc", "don_vi", "han_tra"],
        }
    }
}

/// The event type, on the applicant's stream, that records their choice of
/// channels at receipt.
pub const NOTICES_CHOSEN: &str = "NoticesChosen";

/// The channels an applicant asked to be told through, and their consent to
/// the use of their phone number and e-mail for it (Decree 13/2023 Art. 11):
/// recorded at receipt, next to their sealed record. No consent, no notices.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct NoticeChoice {
    pub channels: Vec<NoticeChannel>,
    pub consent: bool,
}

/// A choice of channels the applicant's data cannot serve.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChoiceError {
    #[error("notices need the applicant's consent to use their contact details")]
    NoConsent,
    #[error("{0} notices need the applicant's phone number")]
    NoPhone(&'static str),
    #[error("e-mail notices need the applicant's e-mail address")]
    NoEmail,
}

impl NoticeChoice {
    /// The channels in a stable order, each once.
    pub fn normalised(mut self) -> Self {
        self.channels.sort();
        self.channels.dedup();
        self
    }

    /// Whether the applicant's record can serve every channel chosen.
    pub fn check(&self, applicant: &Applicant) -> Result<(), ChoiceError> {
        if self.channels.is_empty() {
            return Ok(());
        }
        if !self.consent {
            return Err(ChoiceError::NoConsent);
        }
        for channel in &self.channels {
            match channel {
                NoticeChannel::Sms | NoticeChannel::Zalo if applicant.phone.is_none() => {
                    return Err(ChoiceError::NoPhone(channel.as_str()));
                }
                NoticeChannel::Email if applicant.email.is_none() => return Err(ChoiceError::NoEmail),
                _ => {}
            }
        }
        Ok(())
    }

    /// The channels notices actually go through.
    pub fn active(&self) -> &[NoticeChannel] {
        if self.consent { &self.channels } else { &[] }
    }
}

/// A notice's parameters, by placeholder.
pub type Params = BTreeMap<String, String>;

/// The parameter holding the hash of the receipt's lookup secret.
pub const SECRET_HASH: &str = "secret_hash";

/// Vietnamese money: `1.500.000 đồng`.
pub fn amount_vi(amount_vnd: u64) -> String {
    let digits = amount_vnd.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3 + 5);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push('.');
        }
        grouped.push(c);
    }
    grouped + " đồng"
}

/// `16:30 ngày 02/12/2026`, in Vietnam's time.
pub fn time_vi(at: jiff::Timestamp) -> String {
    crate::calendar::local(at).strftime("%H:%M ngày %d/%m/%Y").to_string()
}

/// The notice a case event gives its applicant, if any, with the parameters
/// the event itself holds (the sender adds the name, the unit's and the
/// procedure's names, the lookup secret and link).
pub fn notice_of(event: &CaseEvent) -> Option<(NoticeKind, Params)> {
    let mut params = Params::new();
    let mut put = |name: &str, value: String| {
        params.insert(name.to_owned(), value);
    };
    let kind = match event {
        CaseEvent::CaseReceived(received) => {
            put("ma_ho_so", received.code.to_string());
            put("han_tra", time_vi(received.due_at));
            // Not a placeholder: lets the sender print the secret again and
            // check it against the receipt (`SECRET_HASH`).
            put(SECRET_HASH, received.lookup_secret_hash.clone());
            NoticeKind::Received
        }
        CaseEvent::SupplementRequested(requested) => {
            put("ly_do", requested.reason.clone());
            put("giay_to", requested.documents.join("; "));
            NoticeKind::SupplementRequested
        }
        CaseEvent::PaymentRequested(requested) => {
            put("so_tien", amount_vi(requested.amount_vnd));
            put("noi_dung", requested.description.clone());
            NoticeKind::PaymentRequested
        }
        CaseEvent::DeadlineExtended(extended) => {
            put("han_cu", time_vi(extended.previous_due_at));
            put("han_moi", time_vi(extended.due_at));
            put("ly_do", extended.reason.clone());
            NoticeKind::Extended
        }
        CaseEvent::ResultRecorded(_) => NoticeKind::ResultReady,
        CaseEvent::ResultReturned(_) => NoticeKind::Returned,
        CaseEvent::CaseRefusedAtReception(refused) => {
            put("ly_do", refused.reason.clone());
            NoticeKind::Refused
        }
        CaseEvent::CaseRefusedAsIneligible(refused) => {
            put("ly_do", refused.reason.clone());
            NoticeKind::Refused
        }
        CaseEvent::CaseStopped(stopped) => {
            put("ly_do", stopped.reason.clone());
            NoticeKind::Stopped
        }
        _ => return None,
    };
    Some((kind, params))
}

/// The stored event types [`notice_of`] gives a notice for.
pub const NOTICE_EVENT_TYPES: &[&str] = &[
    "CaseReceived",
    "SupplementRequested",
    "PaymentRequested",
    "DeadlineExtended",
    "ResultRecorded",
    "ResultReturned",
    "CaseRefusedAtReception",
    "CaseRefusedAsIneligible",
    "CaseStopped",
];

/// The officers' reminders of one day (a working day: none are sent on days
/// off): files due on the next working day, and files overdue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReminderDay {
    /// Today in Vietnam, which names the day's reminders (one per file, kind
    /// and day).
    pub today: jiff::civil::Date,
    /// Due tomorrow: due at or after `due_from` and before `due_until` (the
    /// whole next working day).
    pub due_from: jiff::Timestamp,
    pub due_until: jiff::Timestamp,
}

/// The reminders of the day `now` falls on, `None` on a day off.
pub fn reminder_day(calendar: &crate::calendar::WorkingCalendar, now: jiff::Timestamp) -> Option<ReminderDay> {
    use crate::calendar::{instant, local};
    let today = local(now).date();
    if !calendar.is_working_day(today) {
        return None;
    }
    let next = calendar.working_day_on_or_after(today.tomorrow().ok()?);
    let after = next.tomorrow().ok()?;
    Some(ReminderDay {
        today,
        due_from: instant(next.to_datetime(jiff::civil::Time::midnight())),
        due_until: instant(after.to_datetime(jiff::civil::Time::midnight())),
    })
}

/// The words of one kind of notice on one channel. `{name}` is a placeholder;
/// `{{` and `}}` are literal braces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeTemplate {
    /// The e-mail's subject; unused by the other channels.
    pub subject: String,
    pub body: String,
    /// The template registered with Zalo (ZNS), for the Zalo channel: ZNS
    /// sends Zalo's own approved text filled with the kind's placeholders.
    #[serde(default)]
    pub zalo_template_id: Option<String>,
}

/// A template the rules refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("unknown placeholder {{{name}}} in the {field}: a {kind} notice may use {allowed}")]
    UnknownPlaceholder { field: &'static str, name: String, kind: &'static str, allowed: String },
    #[error("the {field} has a brace that opens no placeholder or is never closed; write {{{{ and }}}} for braces")]
    Malformed { field: &'static str },
    #[error("the {0} must not be empty")]
    Empty(&'static str),
    #[error("a Zalo template needs the ZNS template id registered with Zalo")]
    NoZaloTemplate,
}

impl TemplateError {
    /// The template's field at fault, as the request names it.
    pub fn field(&self) -> &'static str {
        match self {
            Self::UnknownPlaceholder { field, .. } | Self::Malformed { field } | Self::Empty(field) => field,
            Self::NoZaloTemplate => "zalo_template_id",
        }
    }
}

/// One piece of a template's text.
enum Piece<'a> {
    Text(&'a str),
    Placeholder(&'a str),
}

/// Splits a template's text into literal text and placeholders.
fn pieces(text: &str) -> Result<Vec<Piece<'_>>, ()> {
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let Some(at) = rest.find(['{', '}']) else {
            out.push(Piece::Text(rest));
            break;
        };
        out.push(Piece::Text(&rest[..at]));
        let tail = &rest[at..];
        if let Some(after) = tail.strip_prefix("{{") {
            out.push(Piece::Text("{"));
            rest = after;
        } else if let Some(after) = tail.strip_prefix("}}") {
            out.push(Piece::Text("}"));
            rest = after;
        } else if let Some(inner) = tail.strip_prefix('{') {
            let end = inner.find('}').ok_or(())?;
            let name = &inner[..end];
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_' || b.is_ascii_digit()) {
                return Err(());
            }
            out.push(Piece::Placeholder(name));
            rest = &inner[end + 1..];
        } else {
            return Err(());
        }
    }
    Ok(out)
}

impl NoticeTemplate {
    /// Checks the template for `kind` on `channel`: every placeholder is one the
    /// kind defines.
    pub fn check(&self, kind: NoticeKind, channel: NoticeChannel) -> Result<(), TemplateError> {
        if self.body.trim().is_empty() {
            return Err(TemplateError::Empty("body"));
        }
        if channel == NoticeChannel::Email && self.subject.trim().is_empty() {
            return Err(TemplateError::Empty("subject"));
        }
        if channel == NoticeChannel::Zalo && self.zalo_template_id.as_deref().is_none_or(|id| id.trim().is_empty()) {
            return Err(TemplateError::NoZaloTemplate);
        }
        for (field, text) in [("subject", &self.subject), ("body", &self.body)] {
            let pieces = pieces(text).map_err(|()| TemplateError::Malformed { field })?;
            for piece in pieces {
                if let Piece::Placeholder(name) = piece
                    && !kind.placeholders().contains(&name)
                {
                    return Err(TemplateError::UnknownPlaceholder {
                        field,
                        name: name.to_owned(),
                        kind: kind.as_str(),
                        allowed: kind.placeholders().iter().map(|p| format!("{{{p}}}")).collect::<Vec<_>>().join(", "),
                    });
                }
            }
        }
        Ok(())
    }

    /// The subject and body with the placeholders filled in; a placeholder
    /// without a value becomes empty.
    pub fn render(&self, params: &Params) -> (String, String) {
        (fill(&self.subject, params), fill(&self.body, params))
    }
}

fn fill(text: &str, params: &Params) -> String {
    let Ok(pieces) = pieces(text) else {
        // Checked templates always parse; an unchecked one is sent as written.
        return text.to_owned();
    };
    let mut out = String::with_capacity(text.len() + 64);
    for piece in pieces {
        match piece {
            Piece::Text(text) => out.push_str(text),
            Piece::Placeholder(name) => out.push_str(params.get(name).map_or("", String::as_str)),
        }
    }
    out
}

/// The template shipped for a kind and channel, used until an administrator
/// sets one. SMS texts are written without diacritics: a Unicode SMS holds 70
/// characters instead of 160, and several brandname gateways refuse it.
pub fn shipped_template(kind: NoticeKind, channel: NoticeChannel) -> NoticeTemplate {
    let (subject, long, sms) = match kind {
        NoticeKind::Received => (
            "Hồ sơ {ma_ho_so} đã được tiếp nhận",
            "Kính gửi Ông/Bà {ho_ten},\n\n{don_vi} đã tiếp nhận hồ sơ {ma_ho_so} ({thu_tuc}).\n\
             Thời gian hẹn trả kết quả: {han_tra}.\nMã tra cứu: {ma_tra_cuu}. Tra cứu tình trạng hồ sơ tại {duong_dan}",
            "Ho so {ma_ho_so} da duoc tiep nhan. Hen tra: {han_tra}. Ma tra cuu: {ma_tra_cuu}. Tra cuu: {duong_dan}",
        ),
        NoticeKind::SupplementRequested => (
            "Hồ sơ {ma_ho_so} cần bổ sung",
            "Kính gửi Ông/Bà {ho_ten},\n\nHồ sơ {ma_ho_so} ({thu_tuc}) cần bổ sung, hoàn thiện: {ly_do}.\n\
             Giấy tờ cần bổ sung: {giay_to}.\nĐề nghị Ông/Bà nộp bổ sung tại {don_vi}.",
            "Ho so {ma_ho_so} can bo sung: {giay_to}. Nop bo sung tai {don_vi}.",
        ),
        NoticeKind::PaymentRequested => (
            "Hồ sơ {ma_ho_so}: thực hiện nghĩa vụ tài chính",
            "Kính gửi Ông/Bà {ho_ten},\n\nĐề nghị Ông/Bà nộp {so_tien} ({noi_dung}) cho hồ sơ {ma_ho_so} ({thu_tuc}).",
            "Ho so {ma_ho_so}: de nghi nop {so_tien}.",
        ),
        NoticeKind::Extended => (
            "Xin lỗi và hẹn lại ngày trả kết quả hồ sơ {ma_ho_so}",
            "Kính gửi Ông/Bà {ho_ten},\n\n{don_vi} xin lỗi Ông/Bà vì hồ sơ {ma_ho_so} ({thu_tuc}) chưa có kết quả \
             đúng hẹn ({han_cu}). Lý do: {ly_do}.\nThời gian hẹn trả kết quả mới: {han_moi}.",
            "Xin loi, ho so {ma_ho_so} duoc hen lai ngay tra ket qua: {han_moi}.",
        ),
        NoticeKind::ResultReady => (
            "Hồ sơ {ma_ho_so} đã có kết quả",
            "Kính gửi Ông/Bà {ho_ten},\n\nHồ sơ {ma_ho_so} ({thu_tuc}) đã có kết quả. Mời Ông/Bà nhận kết quả tại {don_vi}.",
            "Ho so {ma_ho_so} da co ket qua. Moi nhan tai {don_vi}.",
        ),
        NoticeKind::Returned => (
            "Hồ sơ {ma_ho_so} đã trả kết quả",
            "Kính gửi Ông/Bà {ho_ten},\n\nKết quả hồ sơ {ma_ho_so} ({thu_tuc}) đã được trả. Trân trọng cảm ơn Ông/Bà.",
            "Ho so {ma_ho_so} da tra ket qua. Tran trong cam on.",
        ),
        NoticeKind::Refused => (
            "Hồ sơ {ma_ho_so} bị từ chối",
            "Kính gửi Ông/Bà {ho_ten},\n\nHồ sơ {ma_ho_so} ({thu_tuc}) không được tiếp nhận, giải quyết. Lý do: {ly_do}.",
            "Ho so {ma_ho_so} bi tu choi. Ly do: {ly_do}",
        ),
        NoticeKind::Stopped => (
            "Dừng giải quyết hồ sơ {ma_ho_so}",
            "Kính gửi Ông/Bà {ho_ten},\n\nHồ sơ {ma_ho_so} ({thu_tuc}) đã dừng giải quyết. Lý do: {ly_do}.",
            "Ho so {ma_ho_so} da dung giai quyet. Ly do: {ly_do}",
        ),
        NoticeKind::DueTomorrow => (
            "Hồ sơ {ma_ho_so} đến hạn vào ngày làm việc tới",
            "Đồng chí {can_bo},\n\nHồ sơ {ma_ho_so} ({thu_tuc}, {don_vi}) đồng chí đang xử lý đến hạn lúc {han_tra}.",
            "Ho so {ma_ho_so} den han {han_tra}.",
        ),
        NoticeKind::Overdue => (
            "Hồ sơ {ma_ho_so} đã quá hạn",
            "Đồng chí {can_bo},\n\nHồ sơ {ma_ho_so} ({thu_tuc}, {don_vi}) đồng chí đang xử lý đã quá hạn từ {han_tra}.",
            "Ho so {ma_ho_so} da qua han tu {han_tra}.",
        ),
    };
    NoticeTemplate {
        subject: subject.to_owned(),
        body: if channel == NoticeChannel::Sms { sms.to_owned() } else { long.to_owned() },
        zalo_template_id: None,
    }
}

/// Changes to the notice templates, in the stream [`TEMPLATES_STREAM`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TemplateEvent {
    NoticeTemplateSet { kind: NoticeKind, channel: NoticeChannel, template: NoticeTemplate },
}

/// The stream of the notice templates.
pub const TEMPLATES_STREAM: &str = "notice-templates";

crate::registry::stored_names!(TemplateEvent { NoticeTemplateSet });

/// Decides setting a template.
pub fn set_template(
    kind: NoticeKind,
    channel: NoticeChannel,
    template: NoticeTemplate,
) -> Result<TemplateEvent, TemplateError> {
    template.check(kind, channel)?;
    Ok(TemplateEvent::NoticeTemplateSet { kind, channel, template })
}

/// The templates in force: the shipped ones, replaced by the administrators'.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Templates {
    set: BTreeMap<(NoticeKind, NoticeChannel), NoticeTemplate>,
}

impl Templates {
    pub fn apply(&mut self, event: TemplateEvent) {
        let TemplateEvent::NoticeTemplateSet { kind, channel, template } = event;
        self.set.insert((kind, channel), template);
    }

    /// The template in force, and whether an administrator set it.
    pub fn get(&self, kind: NoticeKind, channel: NoticeChannel) -> (NoticeTemplate, bool) {
        match self.set.get(&(kind, channel)) {
            Some(template) => (template.clone(), true),
            None => (shipped_template(kind, channel), false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(subject: &str, body: &str) -> NoticeTemplate {
        NoticeTemplate { subject: subject.into(), body: body.into(), zalo_template_id: None }
    }

    #[test]
    fn every_shipped_template_uses_only_its_kinds_placeholders() {
        for kind in NoticeKind::ALL {
            for channel in [NoticeChannel::Sms, NoticeChannel::Email] {
                shipped_template(kind, channel).check(kind, channel).unwrap();
            }
        }
    }

    #[test]
    fn an_unknown_placeholder_is_named() {
        let error = template("Hồ sơ {ma_ho_so}", "Số tiền {so_tien}")
            .check(NoticeKind::Received, NoticeChannel::Email)
            .unwrap_err();
        assert!(matches!(&error, TemplateError::UnknownPlaceholder { name, field: "body", .. } if name == "so_tien"));
        assert!(error.to_string().contains("{so_tien}"), "{error}");
    }

    #[test]
    fn braces_are_escaped_by_doubling_and_stray_ones_refused() {
        let t = template("x", "{{ma}} {ma_ho_so} }}");
        t.check(NoticeKind::Received, NoticeChannel::Sms).unwrap();
        let params = Params::from([("ma_ho_so".to_owned(), "H22-1".to_owned())]);
        assert_eq!(t.render(&params).1, "{ma} H22-1 }");
        for bad in ["{ma_ho_so", "a } b", "{Ma}", "{}"] {
            assert!(
                matches!(
                    template("x", bad).check(NoticeKind::Received, NoticeChannel::Sms),
                    Err(TemplateError::Malformed { .. })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn reminders_look_to_the_next_working_day_and_rest_on_days_off() {
        let calendar = crate::calendar::WorkingCalendar::vietnam();
        let at = |s: &str| s.parse::<jiff::Timestamp>().unwrap();
        // Friday 13 March 2026: the next working day is Monday 16th.
        let friday = reminder_day(&calendar, at("2026-03-13T08:00:00+07:00")).unwrap();
        assert_eq!(friday.due_from, at("2026-03-16T00:00:00+07:00"));
        assert_eq!(friday.due_until, at("2026-03-17T00:00:00+07:00"));
        // Friday 13 February 2026: Tết runs 16–20 February, so Monday 23rd.
        let before_tet = reminder_day(&calendar, at("2026-02-13T08:00:00+07:00")).unwrap();
        assert_eq!(before_tet.due_from, at("2026-02-23T00:00:00+07:00"));
        assert_eq!(reminder_day(&calendar, at("2026-03-14T08:00:00+07:00")), None, "a Saturday");
        assert_eq!(reminder_day(&calendar, at("2026-02-17T08:00:00+07:00")), None, "Tết");
    }

    #[test]
    fn amounts_are_grouped_by_thousands() {
        assert_eq!(amount_vi(0), "0 đồng");
        assert_eq!(amount_vi(1_500_000), "1.500.000 đồng");
        assert_eq!(amount_vi(50_000), "50.000 đồng");
        assert_eq!(amount_vi(999), "999 đồng");
    }

    #[test]
    fn a_choice_needs_consent_and_the_contact_it_uses() {
        let applicant = Applicant {
            full_name: "Nguyễn Văn An".into(),
            id_number: "001099000001".into(),
            phone: Some("0912345678".into()),
            address: None,
            email: None,
        };
        let choice = |channels: Vec<NoticeChannel>, consent| NoticeChoice { channels, consent };
        assert_eq!(choice(vec![NoticeChannel::Sms], true).check(&applicant), Ok(()));
        assert_eq!(choice(vec![NoticeChannel::Sms], false).check(&applicant), Err(ChoiceError::NoConsent));
        assert_eq!(choice(vec![NoticeChannel::Email], true).check(&applicant), Err(ChoiceError::NoEmail));
        assert_eq!(choice(vec![], false).check(&applicant), Ok(()));
        assert!(choice(vec![NoticeChannel::Sms], false).active().is_empty());
    }
}
