//! Pure rules turning NinjaOne's wire records into the domain's account rows: timestamps, serials,
//! health, antivirus, alert severity, tickets, email domains and reference ids.

use crate::domain::{AlertSeverity, DeviceHealth};
use crate::sources::ninjaone::settings::NinjaoneSettings;
use crate::sources::ninjaone::wire;
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::collections::HashMap;

/// Serials OEMs leave in firmware, upper-cased: they identify nothing (CIPP drops them too).
pub const PLACEHOLDER_SERIALS: &[&str] = &[
    "TO BE FILLED BY O.E.M.",
    "0123456789",
    "DEFAULT STRING",
    "SYSTEM SERIAL NUMBER",
    "NOT APPLICABLE",
    "NONE",
    "N/A",
    "0",
];

/// Epoch numbers at or above this are milliseconds: as seconds they would be past the year 5000.
/// NinjaOne's unit is unconfirmed (the spec says `number`), so each value is read by its size.
const MILLIS_THRESHOLD: f64 = 1e11;

/// A NinjaOne timestamp, in seconds (with a fraction) or milliseconds.
pub fn epoch(value: Option<f64>) -> Option<DateTime<Utc>> {
    let value = value.filter(|v| v.is_finite() && *v > 0.0)?;
    let millis = if value >= MILLIS_THRESHOLD {
        value
    } else {
        value * 1_000.0
    };
    DateTime::from_timestamp_millis(millis.round() as i64)
}

/// A device's serial, trimmed and upper-cased; placeholders and blanks are `None`.
pub fn serial(raw: Option<&str>) -> Option<String> {
    let serial = raw?.trim().to_uppercase();
    (!serial.is_empty() && !PLACEHOLDER_SERIALS.contains(&serial.as_str())).then_some(serial)
}

/// The serial of a detailed device: the system's serial, else its BIOS serial.
pub fn device_serial(device: &wire::Device) -> Option<String> {
    let system = device.system.as_ref()?;
    serial(system.serial_number.as_deref()).or_else(|| serial(system.bios_serial_number.as_deref()))
}

pub fn health(status: Option<&str>) -> Option<DeviceHealth> {
    Some(match status?.to_ascii_uppercase().as_str() {
        "HEALTHY" => DeviceHealth::Healthy,
        "NEEDS_ATTENTION" => DeviceHealth::NeedsAttention,
        "UNHEALTHY" => DeviceHealth::Unhealthy,
        _ => DeviceHealth::Unknown,
    })
}

/// Antivirus off, expired or snoozed, definitions out of date, or active threats.
pub fn antivirus_problem(status: Option<&wire::AntivirusStatus>, active_threats: u32) -> bool {
    let upper = |v: Option<&String>| v.map(|s| s.to_ascii_uppercase()).unwrap_or_default();
    let (state, definitions) = status.map_or((String::new(), String::new()), |s| {
        (
            upper(s.product_state.as_ref()),
            upper(s.definition_status.as_ref()),
        )
    });
    active_threats > 0
        || matches!(state.as_str(), "OFF" | "DISABLED" | "EXPIRED" | "SNOOZED")
        || definitions.contains("OUT_OF_DATE")
}

fn severity_of(name: &str) -> Option<AlertSeverity> {
    Some(match name.to_ascii_uppercase().as_str() {
        "CRITICAL" => AlertSeverity::Critical,
        "MAJOR" => AlertSeverity::Major,
        "MODERATE" => AlertSeverity::Moderate,
        "MINOR" => AlertSeverity::Minor,
        "NONE" => AlertSeverity::None,
        _ => return None,
    })
}

/// An alert's severity: the spec's Alert has none, so it is read where NinjaOne may carry it (the
/// alert itself, or its `data`), with the activities' scale (NONE..CRITICAL); else `None`.
pub fn alert_severity(alert: &wire::Alert) -> AlertSeverity {
    alert
        .severity
        .as_deref()
        .and_then(severity_of)
        .or_else(|| {
            alert
                .data
                .get("severity")
                .and_then(Value::as_str)
                .and_then(severity_of)
        })
        .unwrap_or(AlertSeverity::None)
}

/// A ticket's status name (`status` is an object with `name`, or a plain string).
fn status_name(status: &Value) -> String {
    status
        .get("name")
        .and_then(Value::as_str)
        .or_else(|| status.as_str())
        .unwrap_or_default()
        .to_ascii_uppercase()
}

/// Whether a ticket is still open: anything but resolved or closed.
pub fn ticket_open(row: &wire::TicketRow) -> bool {
    !matches!(status_name(&row.status).as_str(), "RESOLVED" | "CLOSED")
}

pub fn ticket_high_priority(row: &wire::TicketRow) -> bool {
    row.priority
        .as_deref()
        .is_some_and(|p| matches!(p.to_ascii_uppercase().as_str(), "HIGH" | "URGENT"))
}

/// The organisation a ticket row belongs to (`clientId`, or `organization.id`).
pub fn ticket_org(row: &wire::TicketRow) -> Option<u64> {
    row.client_id
        .or_else(|| row.organization.get("id").and_then(Value::as_u64))
}

/// Lower-cased domains of `emails`, most common first (ties by name); never the addresses.
pub fn email_domains<'a>(emails: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for email in emails {
        let Some((local, domain)) = email.trim().rsplit_once('@') else {
            continue;
        };
        let domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
        if local.is_empty() || !domain.contains('.') || domain.contains(char::is_whitespace) {
            continue;
        }
        *counts.entry(domain).or_default() += 1;
    }
    let mut domains: Vec<(String, usize)> = counts.into_iter().collect();
    domains.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    domains.into_iter().map(|(d, _)| d).collect()
}

/// Values that may hold the client's HubSpot id: the configured custom field and tags with the
/// configured prefix.
pub fn reference_ids(
    fields: &std::collections::BTreeMap<String, Value>,
    tags: &[String],
    settings: &NinjaoneSettings,
) -> Vec<String> {
    let mut ids = Vec::new();
    let from_field = match fields.get(&settings.reference_field) {
        Some(Value::String(s)) => Some(s.trim().to_owned()),
        Some(Value::Number(n)) => Some(n.to_string()),
        // Some custom field types answer `{ "value": ... }`.
        Some(Value::Object(o)) => o.get("value").and_then(|v| match v {
            Value::String(s) => Some(s.trim().to_owned()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }),
        _ => None,
    };
    ids.extend(from_field.filter(|s| !s.is_empty()));
    let prefix = settings.reference_tag_prefix.to_ascii_lowercase();
    for tag in tags {
        let tag = tag.trim();
        if !prefix.is_empty() && tag.to_ascii_lowercase().starts_with(&prefix) {
            let id = tag[prefix.len()..].trim();
            if !id.is_empty() && !ids.iter().any(|known| known == id) {
                ids.push(id.to_owned());
            }
        }
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn epochs_in_seconds_or_milliseconds_read_the_same() {
        let seconds = epoch(Some(1_764_500_000.25)).expect("seconds");
        let millis = epoch(Some(1_764_500_000_250.0)).expect("millis");
        assert_eq!(seconds, millis);
        assert_eq!(epoch(Some(0.0)), None);
        assert_eq!(epoch(Some(f64::NAN)), None);
        assert_eq!(epoch(None), None);
    }

    #[test]
    fn serials_are_upper_cased_and_placeholders_dropped() {
        assert_eq!(serial(Some(" sn0001 ")), Some("SN0001".into()));
        for placeholder in [
            "To Be Filled By O.E.M.",
            "0123456789",
            "Default string",
            "  ",
        ] {
            assert_eq!(serial(Some(placeholder)), None, "{placeholder}");
        }
        let device = wire::Device {
            system: Some(wire::ComputerSystem {
                serial_number: Some("Default string".into()),
                bios_serial_number: Some("abc123".into()),
            }),
            ..wire::Device::default()
        };
        assert_eq!(device_serial(&device), Some("ABC123".into()));
    }

    #[test]
    fn severity_is_read_from_the_alert_or_its_data() {
        let top = wire::Alert {
            severity: Some("critical".into()),
            ..wire::Alert::default()
        };
        assert_eq!(alert_severity(&top), AlertSeverity::Critical);
        let data = wire::Alert {
            data: json!({ "severity": "MAJOR" }),
            ..wire::Alert::default()
        };
        assert_eq!(alert_severity(&data), AlertSeverity::Major);
        assert_eq!(alert_severity(&wire::Alert::default()), AlertSeverity::None);
    }

    #[test]
    fn domains_are_counted_and_addresses_never_kept() {
        let domains = email_domains([
            "a@Acme.com",
            "b@acme.com",
            "c@gmail.com",
            "not-an-email",
            "@nolocal.com",
        ]);
        assert_eq!(domains, ["acme.com", "gmail.com"]);
    }

    #[test]
    fn references_come_from_the_field_and_tags() {
        let settings = NinjaoneSettings::default();
        let fields = [("hubspot_company_id".to_owned(), json!(1001))]
            .into_iter()
            .collect();
        let tags = vec!["managed".to_owned(), "HubSpot:2002".to_owned()];
        assert_eq!(reference_ids(&fields, &tags, &settings), ["1001", "2002"]);
        let boxed = [("hubspot_company_id".to_owned(), json!({ "value": " 7 " }))]
            .into_iter()
            .collect();
        assert_eq!(reference_ids(&boxed, &[], &settings), ["7"]);
    }

    #[test]
    fn antivirus_problems_and_tickets() {
        let ok = wire::AntivirusStatus {
            product_state: Some("ON".into()),
            definition_status: Some("UP_TO_DATE".into()),
            ..wire::AntivirusStatus::default()
        };
        assert!(!antivirus_problem(Some(&ok), 0));
        assert!(antivirus_problem(Some(&ok), 1));
        let old = wire::AntivirusStatus {
            definition_status: Some("OUT_OF_DATE".into()),
            ..ok
        };
        assert!(antivirus_problem(Some(&old), 0));
        let closed = wire::TicketRow {
            status: json!({ "name": "Resolved" }),
            priority: Some("HIGH".into()),
            organization: json!({ "id": 4 }),
            ..wire::TicketRow::default()
        };
        assert!(!ticket_open(&closed));
        assert!(ticket_high_priority(&closed));
        assert_eq!(ticket_org(&closed), Some(4));
    }
}
