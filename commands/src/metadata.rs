//! What is recorded about each command beside its events (DESIGN §2): who, from
//! where, as part of what.

use onestop_domain::access::Actor;
use serde_json::{Value, json};
use uuid::Uuid;

/// Facts about the request that carried a command.
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    pub request_id: Option<String>,
    pub client_ip: Option<String>,
    /// Ties together the commands of one business flow.
    pub correlation_id: Option<Uuid>,
    /// The event or command that caused this one, if any.
    pub causation_id: Option<Uuid>,
    /// The client's `Idempotency-Key`: events get ids derived from it, so a retry
    /// can never append twice.
    pub idempotency_key: Option<String>,
}

impl RequestMeta {
    /// The event metadata object for one command.
    pub fn to_metadata(&self, actor: &Actor, action: &str, command_id: Uuid) -> Value {
        json!({
            "actor": {
                "user_id": actor.user_id,
                "name": actor.name,
                "role": actor.role,
                "units": actor.units,
            },
            "command": action,
            "command_id": command_id,
            "correlation_id": self.correlation_id.unwrap_or(command_id),
            "causation_id": self.causation_id,
            "request_id": self.request_id,
            "client_ip": self.client_ip,
        })
    }

    /// The event metadata of a command made without an account (the hall's
    /// kiosk, a citizen booking online): no actor, the rest as for any other.
    pub fn to_public_metadata(&self, action: &str, command_id: Uuid) -> Value {
        json!({
            "command": action,
            "command_id": command_id,
            "correlation_id": self.correlation_id.unwrap_or(command_id),
            "request_id": self.request_id,
            "client_ip": self.client_ip,
        })
    }

    /// The id of this command: derived from the idempotency key when there is one.
    pub fn command_id(&self, actor: &Actor, scope: &str) -> Uuid {
        match &self.idempotency_key {
            Some(key) => Uuid::new_v5(&actor.user_id.0, format!("{scope}\u{1f}{key}").as_bytes()),
            None => Uuid::now_v7(),
        }
    }
}

/// The id of the `index`-th event of a command.
pub fn event_id(command_id: Uuid, index: usize) -> Uuid {
    Uuid::new_v5(&command_id, &index.to_be_bytes())
}
