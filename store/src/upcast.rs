//! Old stored schema versions are lifted to the current one on read; history itself
//! is never rewritten (DESIGN §1).

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use serde_json::Value;

type Step = Arc<dyn Fn(Value) -> Result<Value, String> + Send + Sync>;

/// The registered upcasting steps, each lifting one event type by one schema version.
#[derive(Clone, Default)]
pub struct Upcasters {
    steps: HashMap<(String, i32), Step>,
}

impl fmt::Debug for Upcasters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut keys: Vec<_> = self.steps.keys().collect();
        keys.sort();
        f.debug_struct("Upcasters").field("steps", &keys).finish()
    }
}

impl Upcasters {
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers the step lifting `event_type` payloads from `from_version` to
    /// `from_version + 1`. Steps chain: a v1 event passes through v1→v2, v2→v3, …
    pub fn register(
        mut self,
        event_type: impl Into<String>,
        from_version: i32,
        step: impl Fn(Value) -> Result<Value, String> + Send + Sync + 'static,
    ) -> Self {
        self.steps.insert((event_type.into(), from_version), Arc::new(step));
        self
    }

    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// Whether an event of this type and version needs lifting.
    pub fn applies_to(&self, event_type: &str, schema_version: i32) -> bool {
        !self.steps.is_empty() && self.steps.contains_key(&(event_type.to_owned(), schema_version))
    }

    /// Lifts `payload` as far as the registered steps go; returns the final version.
    pub fn upcast(
        &self,
        event_type: &str,
        mut schema_version: i32,
        mut payload: Value,
    ) -> Result<(i32, Value), (i32, String)> {
        let mut key = (event_type.to_owned(), schema_version);
        while let Some(step) = self.steps.get(&key) {
            payload = step(payload).map_err(|reason| (schema_version, reason))?;
            schema_version += 1;
            key.1 = schema_version;
        }
        Ok((schema_version, payload))
    }
}
