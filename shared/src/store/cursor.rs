//! Page cursors, shared by both adapters: base64url of a small JSON document naming the tenant, the
//! query and the key position of the last item returned. A cursor is refused (`InvalidInput`) for any
//! other tenant or query, and its key values must lie inside the tenant's key space, so an edited
//! cursor cannot start a query in another tenant's items.

use crate::domain::TenantId;
use crate::ports::StoreError;
use crate::store::keys::{self, Index};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What a cursor is bound to: the tenant (none for cross-tenant directory listings) and a string
/// naming the query and its key conditions.
#[derive(Debug, Clone, Copy)]
pub struct CursorScope<'a> {
    pub tenant: Option<&'a TenantId>,
    pub query: &'a str,
    pub index: Index,
    /// The partition the query reads; a cursor positioned elsewhere is refused.
    pub partition: &'a str,
}

#[derive(Serialize, Deserialize)]
struct CursorBody {
    #[serde(rename = "t")]
    tenant: Option<String>,
    #[serde(rename = "q")]
    query: String,
    #[serde(rename = "k")]
    position: BTreeMap<String, String>,
}

/// Encodes the position (key attributes of the last item returned) for `scope`.
pub fn encode(scope: CursorScope<'_>, position: BTreeMap<String, String>) -> String {
    let body = CursorBody {
        tenant: scope.tenant.map(ToString::to_string),
        query: scope.query.to_owned(),
        position,
    };
    // Serialising a struct of strings cannot fail.
    let json = serde_json::to_vec(&body).unwrap_or_default();
    URL_SAFE_NO_PAD.encode(json)
}

fn refused(reason: &str) -> StoreError {
    StoreError::InvalidInput(format!("invalid cursor: {reason}"))
}

/// Decodes a cursor made by [`encode`] for the same scope; returns the key position to resume after.
pub fn decode(
    scope: CursorScope<'_>,
    cursor: &str,
) -> Result<BTreeMap<String, String>, StoreError> {
    let json = URL_SAFE_NO_PAD
        .decode(cursor.as_bytes())
        .map_err(|_| refused("not base64url"))?;
    let body: CursorBody = serde_json::from_slice(&json).map_err(|_| refused("malformed"))?;
    if body.tenant.as_deref() != scope.tenant.map(TenantId::as_str) {
        return Err(refused("made for another tenant"));
    }
    if body.query != scope.query {
        return Err(refused("made for another query"));
    }
    let (index_pk, index_sk) = scope.index.key_attributes();
    for required in [keys::PK, keys::SK, index_pk, index_sk] {
        if !body.position.contains_key(required) {
            return Err(refused("incomplete position"));
        }
    }
    for name in body.position.keys() {
        if ![keys::PK, keys::SK, index_pk, index_sk].contains(&name.as_str()) {
            return Err(refused("unexpected attribute"));
        }
    }
    if body.position.get(index_pk).map(String::as_str) != Some(scope.partition) {
        return Err(refused("made for another query"));
    }
    if let Some(tenant) = scope.tenant {
        let outside = [keys::PK, index_pk]
            .iter()
            .filter_map(|name| body.position.get(*name))
            .any(|value| !keys::belongs_to_tenant(value, tenant));
        if outside {
            return Err(refused("made for another tenant"));
        }
    }
    Ok(body.position)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn position(pk: &str) -> BTreeMap<String, String> {
        BTreeMap::from([
            ("pk".to_owned(), pk.to_owned()),
            ("sk".to_owned(), "SCORE#c1".to_owned()),
            ("gsi1pk".to_owned(), format!("{pk}#SCORES")),
            ("gsi1sk".to_owned(), "010#c1".to_owned()),
        ])
    }

    #[test]
    fn round_trips_for_its_own_tenant_and_query_only() {
        let a = TenantId::parse("a").unwrap();
        let b = TenantId::parse("b").unwrap();
        let scope = |tenant| CursorScope {
            tenant: Some(tenant),
            query: "scores",
            index: Index::Gsi1,
            partition: if tenant.as_str() == "a" {
                "TENANT#a#SCORES"
            } else {
                "TENANT#b#SCORES"
            },
        };
        let cursor = encode(scope(&a), position("TENANT#a"));
        assert_eq!(decode(scope(&a), &cursor).unwrap(), position("TENANT#a"));
        assert!(matches!(
            decode(scope(&b), &cursor),
            Err(StoreError::InvalidInput(_))
        ));
        let other_query = CursorScope {
            query: "insights",
            ..scope(&a)
        };
        assert!(decode(other_query, &cursor).is_err());
        assert!(decode(scope(&a), "not a cursor!").is_err());
    }

    #[test]
    fn an_edited_cursor_cannot_point_into_another_tenant() {
        let a = TenantId::parse("a").unwrap();
        let scope = CursorScope {
            tenant: Some(&a),
            query: "scores",
            index: Index::Gsi1,
            partition: "TENANT#a#SCORES",
        };
        // Claims tenant `a` but positions in tenant `ab`'s partition.
        let forged = encode(scope, position("TENANT#ab"));
        assert!(matches!(
            decode(scope, &forged),
            Err(StoreError::InvalidInput(_))
        ));
        let mut elsewhere = position("TENANT#a");
        elsewhere.insert("gsi1pk".into(), "TENANT#a#SYNCS".into());
        let forged = encode(scope, elsewhere);
        assert!(decode(scope, &forged).is_err());
    }
}
