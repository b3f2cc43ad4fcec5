//! Where a walk over a NinjaOne instance stands, serialised into the opaque cursor the sync keeps
//! in its checkpoint. A walk reads organisations a batch at a time (each batch whole: devices,
//! health, antivirus, alerts), then every end user once (email domains), then the tickets of the
//! ticket board page by page.

use crate::ports::source::SourceError;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum Phase {
    /// The next batch of organisations has ids above `after`.
    Organizations {
        after: u64,
    },
    EndUsers,
    /// The next page of the ticket board starts after ticket `last_id`.
    Tickets {
        last_id: Option<u64>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WalkCursor {
    /// Version of this layout: a cursor of another version is refused, not misread.
    pub v: u8,
    pub phase: Phase,
    /// The board whose run lists every ticket, found at the walk's start; `None`: the instance
    /// has no ticketing (or lets this app not see it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket_board: Option<u64>,
}

const VERSION: u8 = 1;
const PREFIX: &str = "ninjaone:";

impl WalkCursor {
    pub fn new(phase: Phase, ticket_board: Option<u64>) -> Self {
        WalkCursor {
            v: VERSION,
            phase,
            ticket_board,
        }
    }

    pub fn encode(&self) -> String {
        // Serialising plain enums and integers cannot fail; an empty cursor would restart the walk.
        format!(
            "{PREFIX}{}",
            serde_json::to_string(self).unwrap_or_default()
        )
    }

    pub fn decode(raw: &str) -> Result<WalkCursor, SourceError> {
        let invalid = || SourceError::InvalidCursor("not a NinjaOne walk cursor".to_string());
        let json = raw.strip_prefix(PREFIX).ok_or_else(invalid)?;
        let cursor: WalkCursor = serde_json::from_str(json).map_err(|_| invalid())?;
        if cursor.v != VERSION {
            return Err(SourceError::InvalidCursor(format!(
                "a NinjaOne cursor of version {} (this source reads {VERSION})",
                cursor.v
            )));
        }
        Ok(cursor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_and_foreign_ones_are_refused() {
        for cursor in [
            WalkCursor::new(Phase::Organizations { after: 42 }, Some(1)),
            WalkCursor::new(Phase::EndUsers, None),
            WalkCursor::new(Phase::Tickets { last_id: Some(9) }, Some(3)),
        ] {
            assert_eq!(WalkCursor::decode(&cursor.encode()).ok(), Some(cursor));
        }
        assert!(matches!(
            WalkCursor::decode("{\"phase\":\"end_users\"}"),
            Err(SourceError::InvalidCursor(_))
        ));
        assert!(matches!(
            WalkCursor::decode("ninjaone:{\"v\":9,\"phase\":{\"phase\":\"end_users\"}}"),
            Err(SourceError::InvalidCursor(_))
        ));
    }
}
