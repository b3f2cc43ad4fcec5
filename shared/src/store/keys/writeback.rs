//! Keys of write-back's bookkeeping: the schema mark, each company's last written digest, and each
//! insight's task.

use super::{tenant_partition, ItemKeys};
use crate::domain::{ClientId, InsightId, TenantId};

/// Every write-back item's sort key begins with this.
pub const WRITEBACK_PREFIX: &str = "WB#";
pub const WRITTEN_COMPANY_PREFIX: &str = "WB#CO#";
pub const INSIGHT_TASK_PREFIX: &str = "WB#TASK#";
const WRITEBACK_SCHEMA: &str = "WB#SCHEMA";

pub fn writeback_schema(tenant_id: &TenantId) -> ItemKeys {
    ItemKeys::primary(tenant_partition(tenant_id), WRITEBACK_SCHEMA.to_owned())
}

pub fn written_company(tenant_id: &TenantId, client_id: &ClientId) -> ItemKeys {
    ItemKeys::primary(
        tenant_partition(tenant_id),
        format!("{WRITTEN_COMPANY_PREFIX}{client_id}"),
    )
}

pub fn insight_task(tenant_id: &TenantId, insight_id: &InsightId) -> ItemKeys {
    ItemKeys::primary(
        tenant_partition(tenant_id),
        format!("{INSIGHT_TASK_PREFIX}{insight_id}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writeback_items_live_in_the_tenant_partition_under_their_own_prefixes() {
        let tenant = TenantId::parse("acme").unwrap();
        let client = ClientId::parse("1000001").unwrap();
        let insight = InsightId::parse("ins-1").unwrap();
        assert_eq!(writeback_schema(&tenant).key.sk, "WB#SCHEMA");
        assert_eq!(written_company(&tenant, &client).key.pk, "TENANT#acme");
        assert_eq!(written_company(&tenant, &client).key.sk, "WB#CO#1000001");
        assert_eq!(insight_task(&tenant, &insight).key.sk, "WB#TASK#ins-1");
        assert!(insight_task(&tenant, &insight).gsi1.is_none());
    }
}
