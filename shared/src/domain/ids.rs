//! Validated identifiers. Every key in the store is built from these, so they refuse the characters
//! the key scheme uses as separators.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("{kind} must not be empty")]
    Empty { kind: &'static str },
    #[error("{kind} is longer than {max} characters")]
    TooLong { kind: &'static str, max: usize },
    #[error("{kind} may only contain letters, digits, '-', '_' and '.'")]
    BadCharacter { kind: &'static str },
}

fn validate(kind: &'static str, value: &str, max: usize) -> Result<(), IdError> {
    if value.is_empty() {
        return Err(IdError::Empty { kind });
    }
    if value.len() > max {
        return Err(IdError::TooLong { kind, max });
    }
    if !value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return Err(IdError::BadCharacter { kind });
    }
    Ok(())
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $kind:literal, $max:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn parse(value: impl Into<String>) -> Result<Self, IdError> {
                let value = value.into();
                validate($kind, &value, $max)?;
                Ok(Self(value))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(value)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }
    };
}

id_type!(
    /// A customer of Connected Insights (one connected CRM portal).
    TenantId, "tenant id", 64
);
id_type!(
    /// A client of the tenant: a HubSpot company, or its equivalent in another source.
    ClientId, "client id", 64
);
id_type!(
    /// Derived from tenant, client and rule, so a re-run updates an insight instead of duplicating it.
    InsightId, "insight id", 128
);
id_type!(
    /// One sync run; sortable by start time.
    SyncId, "sync id", 64
);

id_type!(
    /// One connection of a tenant to a source platform (`hubspot`, or a generated id such as
    /// `paypal-3f9a1c2e`). Checkpoints, leases, credentials and sync runs belong to a connection.
    ConnectionId, "connection id", 64
);

id_type!(
    /// One alert rule of a tenant (generated: `rule-3f9a1c2e`).
    AlertRuleId, "alert rule id", 64
);

id_type!(
    /// One channel of an alert rule (generated: `slack-1`, `email-2`); unique within the rule.
    AlertChannelId, "alert channel id", 64
);

id_type!(
    /// One export of a tenant's data (`POST /v1/exports`); sortable by request time.
    ExportId, "export id", 64
);

impl ExportId {
    /// A new export id, made like a sync id: the request time to the millisecond, then a random
    /// suffix.
    pub fn requested_at(now: chrono::DateTime<chrono::Utc>) -> ExportId {
        let suffix = uuid::Uuid::new_v4().simple().to_string();
        let id = format!("{}-{}", now.format("%Y%m%dT%H%M%S%3fZ"), &suffix[..8]);
        ExportId::parse(id)
            .unwrap_or_else(|_| unreachable!("export ids are made of valid characters"))
    }
}

impl SyncId {
    /// A new sync id: its start time to the millisecond, then a random suffix, so ids sort by start
    /// and concurrent requests never collide. The one generator of sync ids (API and sync handler).
    pub fn starting_at(now: chrono::DateTime<chrono::Utc>) -> SyncId {
        let suffix = uuid::Uuid::new_v4().simple().to_string();
        let id = format!("{}-{}", now.format("%Y%m%dT%H%M%S%3fZ"), &suffix[..8]);
        // Digits, letters and '-' only: always a valid id.
        SyncId::parse(id).unwrap_or_else(|_| unreachable!("sync ids are made of valid characters"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sync_ids_sort_by_start_time_and_do_not_collide() {
        use chrono::TimeZone;
        let earlier = chrono::Utc.with_ymd_and_hms(2026, 3, 1, 9, 59, 59).unwrap();
        let later = earlier + chrono::Duration::milliseconds(1);
        let a = SyncId::starting_at(earlier);
        let b = SyncId::starting_at(later);
        assert!(a < b, "{a} should sort before {b}");
        assert!(a.as_str().starts_with("20260301T095959000Z-"));
        assert_ne!(SyncId::starting_at(earlier), SyncId::starting_at(earlier));
    }

    #[test]
    fn rejects_key_separators_and_empty_values() {
        assert_eq!(
            TenantId::parse(""),
            Err(IdError::Empty { kind: "tenant id" })
        );
        assert!(matches!(
            TenantId::parse("a#b"),
            Err(IdError::BadCharacter { .. })
        ));
        assert!(TenantId::parse("acme-01").is_ok());
        assert!(matches!(
            ClientId::parse("x".repeat(65)),
            Err(IdError::TooLong { max: 64, .. })
        ));
    }

    #[test]
    fn deserialising_validates() {
        let bad: Result<TenantId, _> = serde_json::from_str("\"a/b\"");
        assert!(bad.is_err());
        let good: TenantId = serde_json::from_str("\"t1\"").unwrap();
        assert_eq!(good.as_str(), "t1");
    }
}
