//! The forms of the one-stop desk (Thông tư 03/2025/TT-VPCP, Phụ lục I): which
//! there are, what each is called, and when a case has reached one.
//!
//! A form is printed from a case's events as of a version; this module says
//! whether those events give the form anything to say (an apology letter
//! needs an extension, a stop notice a stop). What a form shows and how it is
//! laid out is the read side's (`projections::forms`).

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::CaseEvent;

/// One form of Phụ lục I. Stored in events by its number
/// (`crate::stored::case`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Form {
    /// Mẫu 01: Giấy tiếp nhận hồ sơ và hẹn trả kết quả.
    Receipt,
    /// Mẫu 02: Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ.
    SupplementRequest,
    /// Mẫu 03: Phiếu từ chối tiếp nhận, giải quyết hồ sơ.
    Refusal,
    /// Mẫu 04: Văn bản xin lỗi và hẹn lại ngày trả kết quả.
    Apology,
    /// Mẫu 05: Thông báo dừng giải quyết hồ sơ.
    StopNotice,
    /// Mẫu 06: Phiếu kiểm soát quá trình giải quyết hồ sơ.
    ControlSlip,
    /// Mẫu 07: Sổ theo dõi hồ sơ, per unit and period (not a case's form).
    Register,
}

/// The forms printed for one case, in number order.
pub const CASE_FORMS: [Form; 6] =
    [Form::Receipt, Form::SupplementRequest, Form::Refusal, Form::Apology, Form::StopNotice, Form::ControlSlip];

/// Why a case has no such form to print.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("form {number} ({title}) cannot be printed: {rule}")]
pub struct NotReached {
    pub number: &'static str,
    pub title: &'static str,
    pub rule: &'static str,
}

impl Form {
    /// Every form, in number order.
    pub const ALL: [Form; 7] = [
        Form::Receipt,
        Form::SupplementRequest,
        Form::Refusal,
        Form::Apology,
        Form::StopNotice,
        Form::ControlSlip,
        Form::Register,
    ];

    /// The form's number in the circular, two digits.
    pub fn number(self) -> &'static str {
        match self {
            Form::Receipt => "01",
            Form::SupplementRequest => "02",
            Form::Refusal => "03",
            Form::Apology => "04",
            Form::StopNotice => "05",
            Form::ControlSlip => "06",
            Form::Register => "07",
        }
    }

    /// A form by its number, `01` or `1`.
    pub fn from_number(text: &str) -> Option<Self> {
        let number: u8 = text.parse().ok().filter(|_| text.len() <= 2)?;
        Self::ALL.get(usize::from(number).checked_sub(1)?).copied()
    }

    /// The form's title as the circular writes it.
    pub fn title_vi(self) -> &'static str {
        match self {
            Form::Receipt => "Giấy tiếp nhận hồ sơ và hẹn trả kết quả",
            Form::SupplementRequest => "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ",
            Form::Refusal => "Phiếu từ chối tiếp nhận, giải quyết hồ sơ",
            Form::Apology => "Phiếu xin lỗi và hẹn lại ngày trả kết quả",
            Form::StopNotice => "Thông báo dừng giải quyết hồ sơ",
            Form::ControlSlip => "Phiếu kiểm soát quá trình giải quyết hồ sơ",
            Form::Register => "Sổ theo dõi hồ sơ",
        }
    }

    /// Whether a case with `events` (up to the version printed) has reached
    /// this form: the event the form reports must be among them.
    pub fn reached(self, events: &[CaseEvent]) -> Result<(), NotReached> {
        let any = |test: fn(&CaseEvent) -> bool| events.iter().any(test);
        let rule = match self {
            Form::Receipt | Form::ControlSlip => {
                (!any(|e| matches!(e, CaseEvent::CaseReceived(_)))).then_some("the case has not been received")
            }
            Form::SupplementRequest => (!any(|e| matches!(e, CaseEvent::SupplementRequested(_))))
                .then_some("no supplement was requested for the case"),
            Form::Refusal => {
                (!any(|e| matches!(e, CaseEvent::CaseRefusedAtReception(_) | CaseEvent::CaseRefusedAsIneligible(_))))
                    .then_some("the case was not refused")
            }
            Form::Apology => (!any(|e| matches!(e, CaseEvent::DeadlineExtended(_))))
                .then_some("the case's deadline was not extended"),
            Form::StopNotice => {
                (!any(|e| matches!(e, CaseEvent::CaseStopped(_)))).then_some("the case was not stopped")
            }
            Form::Register => Some("the register is a unit's, not a case's: ask for the unit's register"),
        };
        match rule {
            None => Ok(()),
            Some(rule) => Err(NotReached { number: self.number(), title: self.title_vi(), rule }),
        }
    }
}

/// The format a form is printed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FormFormat {
    Pdf,
    Html,
}

impl FormFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            FormFormat::Pdf => "pdf",
            FormFormat::Html => "html",
        }
    }
}

/// A date as administrative documents write it (Nghị định 30/2020/NĐ-CP,
/// Phụ lục I): `ngày 05 tháng 3 năm 2026`, with a leading zero for days below
/// 10 and for January and February (so that a figure cannot be added in
/// front), none for the other months.
pub fn date_in_words(date: Date) -> String {
    let month = date.month();
    let month = if month < 3 { format!("{month:02}") } else { month.to_string() };
    format!("ngày {:02} tháng {month} năm {}", date.day(), date.year())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_are_found_by_number_with_or_without_the_zero() {
        assert_eq!(Form::from_number("01"), Some(Form::Receipt));
        assert_eq!(Form::from_number("7"), Some(Form::Register));
        assert_eq!(Form::from_number("08"), None);
        assert_eq!(Form::from_number("00"), None);
        assert_eq!(Form::from_number("001"), None);
        assert_eq!(Form::from_number("x"), None);
        for form in Form::ALL {
            assert_eq!(Form::from_number(form.number()), Some(form));
        }
    }

    #[test]
    fn dates_are_written_as_the_decree_writes_them() {
        assert_eq!(date_in_words(jiff::civil::date(2026, 3, 5)), "ngày 05 tháng 3 năm 2026");
        assert_eq!(date_in_words(jiff::civil::date(2026, 2, 17)), "ngày 17 tháng 02 năm 2026");
        assert_eq!(date_in_words(jiff::civil::date(2026, 12, 2)), "ngày 02 tháng 12 năm 2026");
    }

    #[test]
    fn a_case_without_the_event_has_not_reached_the_form() {
        let refused = CaseEvent::CaseRefusedAtReception(crate::case::event::CaseRefusedAtReception {
            at: jiff::Timestamp::UNIX_EPOCH,
            reason: "thiếu giấy tờ".into(),
        });
        assert!(Form::Refusal.reached(std::slice::from_ref(&refused)).is_ok());
        let error = Form::Apology.reached(&[refused]).unwrap_err();
        assert_eq!(error.rule, "the case's deadline was not extended");
        assert!(error.to_string().starts_with("form 04"));
        assert!(Form::Register.reached(&[]).is_err());
    }
}
