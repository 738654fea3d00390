//! Officers' reminders (DESIGN §4.6): on each working day, to the officer
//! holding a file, "due on the next working day" and "overdue", by e-mail to
//! the address on their account. Made at most once per file, kind and day
//! (the reminder's id is derived from them), whichever process makes it and
//! however often it looks; a file nobody holds yet, or whose clock stands
//! (waiting for a supplement or a payment, paused), gets none.

use onestop_domain::ids::{ProcedureCode, UnitCode, UserId};
use onestop_domain::notice::{NoticeChannel, NoticeKind, Params, reminder_day, time_vi};
use onestop_projections::ProjectionError;
use onestop_projections::notices::{Reminder, add_reminders, held_files, reminder_id};

use crate::state::AppState;

/// Makes today's reminders not made yet; returns how many were new.
pub async fn remind(state: &AppState) -> Result<u64, ProjectionError> {
    let catalog = state.catalog.snapshot();
    let now = state.clock.now();
    let Some(day) = reminder_day(&catalog.calendar, now) else {
        return Ok(0);
    };
    let files = held_files(&state.pool, day.due_from, day.due_until, now).await?;
    let mut reminders = Vec::new();
    for file in files {
        let Some(account) = catalog.account(&UserId(file.officer_id)) else { continue };
        if !account.user.active || account.user.email.is_none() {
            continue;
        }
        let kind = if file.overdue { NoticeKind::Overdue } else { NoticeKind::DueTomorrow };
        let mut params = Params::new();
        params.insert("ma_ho_so".to_owned(), file.code.clone().unwrap_or_default());
        params.insert("han_tra".to_owned(), time_vi(file.due_at));
        if let Ok(unit) = file.unit.parse::<UnitCode>() {
            params.insert("don_vi".to_owned(), catalog.unit(&unit).map_or(file.unit.clone(), |u| u.name.clone()));
        }
        if let Ok(code) = file.procedure_code.parse::<ProcedureCode>() {
            let name = catalog.procedure(&code).map_or(file.procedure_code.clone(), |p| p.name.clone());
            params.insert("thu_tuc".to_owned(), name);
        }
        let channel = NoticeChannel::Email;
        reminders.push(Reminder {
            id: reminder_id(file.case_id, kind, day.today, channel),
            case_id: file.case_id,
            officer_id: file.officer_id,
            kind,
            channel,
            params,
        });
    }
    add_reminders(&state.pool, &reminders).await
}
