//! Keys of the cross-platform items: connections, payer records and correlations.

use super::{free_key_part, tenant_partition, IndexKey, ItemKeys, Key};
use crate::domain::{ClientId, ConnectionId, Correlation, CorrelationStatus, TenantId};
use crate::ports::StoreError;

pub const CONNECTION_PREFIX: &str = "CONN#";
pub const PAYER_PREFIX: &str = "PAYER#";
pub const ACCOUNT_PREFIX: &str = "ACCOUNT#";
pub const CORRELATION_PREFIX: &str = "CORR#";

/// A free-form key part with `%` and `#` escaped (`%25`, `%23`), so it never holds the separator:
/// `PAYER#c#a` stays no prefix of the record `a#b`'s key. The record keeps the value itself.
pub fn escaped_key_part(kind: &str, value: &str) -> Result<String, StoreError> {
    let value = free_key_part(kind, value)?;
    Ok(value.replace('%', "%25").replace('#', "%23"))
}

pub fn connection_key(tenant_id: &TenantId, connection_id: &ConnectionId) -> Key {
    Key {
        pk: tenant_partition(tenant_id),
        sk: format!("{CONNECTION_PREFIX}{connection_id}"),
    }
}

pub fn connection(tenant_id: &TenantId, connection_id: &ConnectionId) -> ItemKeys {
    let key = connection_key(tenant_id, connection_id);
    ItemKeys::primary(key.pk, key.sk)
}

/// The sort-key prefix of every payer record of a connection.
pub fn payers_prefix(connection_id: &ConnectionId) -> String {
    format!("{PAYER_PREFIX}{connection_id}#")
}

pub fn payer(
    tenant_id: &TenantId,
    connection_id: &ConnectionId,
    external_id: &str,
) -> Result<ItemKeys, StoreError> {
    let external = escaped_key_part("external id", external_id)?;
    Ok(ItemKeys::primary(
        tenant_partition(tenant_id),
        format!("{}{external}", payers_prefix(connection_id)),
    ))
}

/// The sort-key prefix of every account record of a connection.
pub fn accounts_prefix(connection_id: &ConnectionId) -> String {
    format!("{ACCOUNT_PREFIX}{connection_id}#")
}

pub fn account(
    tenant_id: &TenantId,
    connection_id: &ConnectionId,
    external_id: &str,
) -> Result<ItemKeys, StoreError> {
    let external = escaped_key_part("external id", external_id)?;
    Ok(ItemKeys::primary(
        tenant_partition(tenant_id),
        format!("{}{external}", accounts_prefix(connection_id)),
    ))
}

/// The sort-key prefix of every correlation of a connection.
pub fn connection_correlations_prefix(connection_id: &ConnectionId) -> String {
    format!("{CORRELATION_PREFIX}{connection_id}#")
}

/// The sort-key prefix of every correlation of one external record (one per candidate client).
pub fn record_correlations_prefix(
    connection_id: &ConnectionId,
    external_id: &str,
) -> Result<String, StoreError> {
    let external = escaped_key_part("external id", external_id)?;
    Ok(format!(
        "{}{external}#",
        connection_correlations_prefix(connection_id)
    ))
}

pub fn correlation_status_name(status: CorrelationStatus) -> &'static str {
    match status {
        CorrelationStatus::Auto => "AUTO",
        CorrelationStatus::NeedsReview => "NEEDS_REVIEW",
        CorrelationStatus::Confirmed => "CONFIRMED",
        CorrelationStatus::Rejected => "REJECTED",
    }
}

/// `gsi1` partition of a tenant's correlations with one status, in key order.
pub fn correlations_by_status_partition(tenant_id: &TenantId, status: CorrelationStatus) -> String {
    format!(
        "{}#CORRS#{}",
        tenant_partition(tenant_id),
        correlation_status_name(status)
    )
}

/// `gsi3` partition of one client's correlations.
pub fn client_correlations_partition(tenant_id: &TenantId, client_id: &ClientId) -> String {
    format!("{}#CLIENT#{client_id}#CORRS", tenant_partition(tenant_id))
}

/// Keys of a correlation; the tenant is the correlation's own.
pub fn correlation(correlation: &Correlation) -> Result<ItemKeys, StoreError> {
    let tenant_id = &correlation.tenant_id;
    let record = record_correlations_prefix(&correlation.connection_id, &correlation.external_id)?;
    let sk = format!("{record}{}", correlation.client_id);
    let in_key_order = sk
        .strip_prefix(CORRELATION_PREFIX)
        .unwrap_or(&sk)
        .to_owned();
    let of_record = record
        .strip_prefix(CORRELATION_PREFIX)
        .and_then(|rest| rest.strip_suffix('#'))
        .unwrap_or(&record)
        .to_owned();
    Ok(ItemKeys {
        key: Key {
            pk: tenant_partition(tenant_id),
            sk,
        },
        gsi1: Some(IndexKey {
            pk: correlations_by_status_partition(tenant_id, correlation.status),
            sk: in_key_order,
        }),
        gsi2: None,
        gsi3: Some(IndexKey {
            pk: client_correlations_partition(tenant_id, &correlation.client_id),
            sk: of_record,
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{MatchMethod, Platform};
    use chrono::{TimeZone, Utc};

    fn t(id: &str) -> TenantId {
        TenantId::parse(id).unwrap()
    }

    fn conn(id: &str) -> ConnectionId {
        ConnectionId::parse(id).unwrap()
    }

    fn corr(external_id: &str, status: CorrelationStatus) -> Correlation {
        let at = Utc.timestamp_opt(0, 0).unwrap();
        Correlation {
            tenant_id: t("acme"),
            client_id: ClientId::parse("c1").unwrap(),
            platform: Platform::Paypal,
            connection_id: conn("paypal-1"),
            external_id: external_id.into(),
            method: MatchMethod::EmailDomain,
            evidence: vec![],
            confidence: 0.8,
            status,
            decided_by: None,
            decided_at: None,
            created_at: at,
            updated_at: at,
        }
    }

    #[test]
    fn connections_and_payers_live_in_the_tenant_partition() {
        let acme = t("acme");
        let keys = connection(&acme, &conn("paypal-1"));
        assert_eq!(
            (keys.key.pk.as_str(), keys.key.sk.as_str()),
            ("TENANT#acme", "CONN#paypal-1")
        );
        let payer = payer(&acme, &conn("paypal-1"), "PAYER42").unwrap();
        assert_eq!(payer.key.sk, "PAYER#paypal-1#PAYER42");
        assert!(payer.key.sk.starts_with(&payers_prefix(&conn("paypal-1"))));
        assert!(!payer.key.sk.starts_with(&payers_prefix(&conn("paypal"))));
    }

    #[test]
    fn correlations_are_indexed_by_status_and_by_client() {
        let keys = correlation(&corr("PAYER42", CorrelationStatus::NeedsReview)).unwrap();
        assert_eq!(keys.key.pk, "TENANT#acme");
        assert_eq!(keys.key.sk, "CORR#paypal-1#PAYER42#c1");
        let by_status = keys.gsi1.unwrap();
        assert_eq!(by_status.pk, "TENANT#acme#CORRS#NEEDS_REVIEW");
        assert_eq!(by_status.sk, "paypal-1#PAYER42#c1");
        let by_client = keys.gsi3.unwrap();
        assert_eq!(by_client.pk, "TENANT#acme#CLIENT#c1#CORRS");
        assert_eq!(by_client.sk, "paypal-1#PAYER42");
        assert!(keys
            .key
            .sk
            .starts_with(&record_correlations_prefix(&conn("paypal-1"), "PAYER42").unwrap()));
    }

    #[test]
    fn a_separator_in_an_external_id_cannot_reach_another_record() {
        let plain = record_correlations_prefix(&conn("p"), "a").unwrap();
        let tricky = correlation(&Correlation {
            connection_id: conn("p"),
            ..corr("a#b", CorrelationStatus::Auto)
        })
        .unwrap();
        assert_eq!(tricky.key.sk, "CORR#p#a%23b#c1");
        assert!(!tricky.key.sk.starts_with(&plain));
        assert_eq!(escaped_key_part("x", "50%#").unwrap(), "50%25%23");
        assert!(payer(&t("a"), &conn("p"), "").is_err());
        assert!(payer(&t("a"), &conn("p"), "a\nb").is_err());
    }
}
