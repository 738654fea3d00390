//! An SMS to a citizen whose ticket's turn nears: they left a phone number at
//! the kiosk, and once no more than [`NEAR`] tickets of their group are to be
//! called before theirs, they are told (once), so they can wait outside the
//! crowded hall. The numbers are kept for the day only (`queue_contacts`, not
//! the log), and deleted with it.
//!
//! Each number is claimed with a lease before sending, so several server
//! processes do not send the same message at once; the message's id (the
//! gateway's idempotency key) is derived from the unit, day and ticket, so a
//! resend after a crash is the same message to the gateway.

use std::collections::BTreeMap;
use std::time::Duration;

use onestop_domain::ids::UnitCode;
use onestop_domain::notice::NoticeChannel;
use onestop_domain::queue::{TicketNumber, TicketStatus};
use onestop_projections::queue::{self as queue_model, Contact, ContactOutcome};

use super::channels::{Channels, Message, Recipient};
use crate::state::AppState;

/// Tickets ahead of a citizen's when they are told.
pub const NEAR: usize = 3;

/// Attempts before a message is given up.
const ATTEMPTS: i32 = 5;

/// How long a claimed number is kept from other processes.
const LEASE: Duration = Duration::from_secs(60);

/// The message's words, without diacritics (an SMS in Unicode holds 70
/// characters, not 160).
fn words(number: &str, ahead: usize, unit_name: &str) -> String {
    let place = onestop_domain::search::fold(unit_name);
    let place: String = place.split_whitespace().collect::<Vec<_>>().join(" ");
    format!("So {number} tai {}: con {ahead} so nua den luot ban. Vui long den gan khu vuc quay.", capitalised(&place))
}

fn capitalised(text: &str) -> String {
    text.split(' ')
        .map(|w| {
            let mut chars = w.chars();
            chars.next().map(|c| c.to_uppercase().chain(chars).collect::<String>()).unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// One round: tells every citizen whose turn nears; returns how many were
/// sent. Contacts of tickets already called, finished or absent are closed
/// unsent.
pub async fn tell(state: &AppState, channels: &Channels) -> Result<usize, String> {
    let today = onestop_domain::calendar::local(state.queue.now()).date();
    let open = queue_model::open_contacts(&state.pool, today).await.map_err(|e| e.to_string())?;
    let mut by_unit: BTreeMap<String, Vec<Contact>> = BTreeMap::new();
    for contact in open {
        by_unit.entry(contact.unit.clone()).or_default().push(contact);
    }
    let mut sent = 0;
    for (unit, contacts) in by_unit {
        let Ok(code) = unit.parse::<UnitCode>() else { continue };
        let (queue, _) = state.queue.today(&code).await.map_err(|e| e.to_string())?;
        let unit_name = state.catalog.snapshot().unit(&code).map(|u| u.name.clone()).unwrap_or_default();
        for contact in contacts {
            let Some(ticket) = TicketNumber::parse(&contact.number).and_then(|n| queue.tickets.get(&n)) else {
                continue;
            };
            let outcome = if ticket.status == TicketStatus::Waiting {
                let ahead = queue.ahead_of(ticket).unwrap_or(0);
                if ahead > NEAR {
                    continue;
                }
                if !queue_model::claim_contact(&state.pool, &contact, LEASE).await.map_err(|e| e.to_string())? {
                    continue;
                }
                let id = uuid::Uuid::new_v5(
                    &uuid::Uuid::NAMESPACE_URL,
                    format!("queue-turn:{}:{}:{}", contact.unit, contact.day, contact.number).as_bytes(),
                );
                let to = Recipient { name: String::new(), phone: Some(contact.phone.clone()), email: None };
                let message = Message {
                    subject: String::new(),
                    body: words(&contact.number, ahead, &unit_name),
                    zalo_template_id: None,
                    params: BTreeMap::new(),
                };
                match channels.send(NoticeChannel::Sms, id, &to, &message).await {
                    Ok(()) => {
                        sent += 1;
                        ContactOutcome::Sent
                    }
                    Err(error) => ContactOutcome::Failed {
                        give_up: error.permanent || contact.attempts + 1 >= ATTEMPTS,
                        error: error.reason,
                    },
                }
            } else {
                ContactOutcome::Passed
            };
            queue_model::record_contact(&state.pool, &contact, &outcome).await.map_err(|e| e.to_string())?;
        }
    }
    Ok(sent)
}

/// Deletes the numbers of earlier days.
pub async fn forget_old(state: &AppState) -> Result<u64, String> {
    let today = onestop_domain::calendar::local(state.queue.now()).date();
    queue_model::forget_contacts_before(&state.pool, today).await.map_err(|e| e.to_string())
}
