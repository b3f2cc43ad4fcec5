//! PayPal's hosts, paths and limits, as its specs and guides state them.

use crate::domain::PaypalEnvironment;

pub const SANDBOX_BASE_URL: &str = "https://api-m.sandbox.paypal.com";
pub const LIVE_BASE_URL: &str = "https://api-m.paypal.com";

pub fn base_url(environment: PaypalEnvironment) -> &'static str {
    match environment {
        PaypalEnvironment::Sandbox => SANDBOX_BASE_URL,
        PaypalEnvironment::Live => LIVE_BASE_URL,
    }
}

pub const TRANSACTIONS: &str = "/v1/reporting/transactions";
pub const SEARCH_INVOICES: &str = "/v2/invoicing/search-invoices";
pub const DISPUTES: &str = "/v1/customer/disputes";
pub const VERIFY_WEBHOOK_SIGNATURE: &str = "/v1/notifications/verify-webhook-signature";

pub fn invoice(id: &str) -> String {
    format!("/v2/invoicing/invoices/{}", segment(id))
}

pub fn dispute(id: &str) -> String {
    format!("{DISPUTES}/{}", segment(id))
}

pub fn subscription(id: &str) -> String {
    format!("/v1/billing/subscriptions/{}", segment(id))
}

/// An id as one path segment: PayPal's ids are `[A-Za-z0-9-]`; anything else is escaped so an id
/// from a webhook can never reach another path.
fn segment(id: &str) -> String {
    url::form_urlencoded::byte_serialize(id.as_bytes()).collect()
}

/// Transaction Search: at most 31 days a query, history three years back, rows up to three hours
/// late, up to 500 rows a page.
pub const TRANSACTION_WINDOW_DAYS: i64 = 31;
pub const TRANSACTION_HISTORY_DAYS: i64 = 3 * 365;
pub const TRANSACTION_LATENESS_HOURS: i64 = 3;
pub const TRANSACTION_PAGE_SIZE: u32 = 500;

/// Invoicing: pages 1-1000 of up to 100.
pub const INVOICE_PAGE_SIZE: u32 = 100;
pub const INVOICE_MAX_PAGE: u32 = 1_000;

/// Disputes: listed at most 180 days back, up to 50 a page.
pub const DISPUTE_HISTORY_DAYS: i64 = 180;
pub const DISPUTE_PAGE_SIZE: u32 = 20;

/// Subscriptions read per step.
pub const SUBSCRIPTIONS_PER_STEP: usize = 20;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_stay_one_path_segment() {
        assert_eq!(invoice("INV2-Z56S"), "/v2/invoicing/invoices/INV2-Z56S");
        assert_eq!(
            subscription("../x?y"),
            "/v1/billing/subscriptions/..%2Fx%3Fy"
        );
    }
}
