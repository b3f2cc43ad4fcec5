//! PayPal's wire format, as the official OpenAPI specs describe it
//! (`paypal/paypal-rest-api-specifications`: `reporting_transactions_v1`, `invoicing_v2`,
//! `customer_disputes_v1`, `billing_subscriptions_v1`, `notifications_webhooks_v1`). Only the fields
//! we read are declared; every one is optional because PayPal promises none of them, and unknown
//! fields are ignored.

use serde::{Deserialize, Serialize};

/// `POST /v1/oauth2/token` (client credentials).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct TokenResponse {
    #[serde(default)]
    pub access_token: Option<String>,
    #[serde(default)]
    pub token_type: Option<String>,
    /// Seconds.
    #[serde(default)]
    pub expires_in: Option<u64>,
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub app_id: Option<String>,
}

/// An error body: the REST form (`name`, `message`, `debug_id`, `details`) or the OAuth form
/// (`error`, `error_description`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ErrorBody {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub debug_id: Option<String>,
    #[serde(default)]
    pub details: Vec<ErrorDetail>,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub error_description: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ErrorDetail {
    #[serde(default)]
    pub field: Option<String>,
    #[serde(default)]
    pub issue: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Money {
    #[serde(default)]
    pub currency_code: Option<String>,
    /// A decimal string (`"10.00"`, `"-3.5"`).
    #[serde(default)]
    pub value: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Link {
    #[serde(default)]
    pub href: Option<String>,
    #[serde(default)]
    pub rel: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Name {
    #[serde(default)]
    pub given_name: Option<String>,
    #[serde(default)]
    pub surname: Option<String>,
    #[serde(default)]
    pub full_name: Option<String>,
    #[serde(default)]
    pub alternate_full_name: Option<String>,
}

// ---- Transaction Search: GET /v1/reporting/transactions ----

#[derive(Debug, Clone, Default, Deserialize)]
pub struct TransactionSearch {
    #[serde(default)]
    pub transaction_details: Vec<TransactionDetail>,
    #[serde(default)]
    pub page: Option<u64>,
    #[serde(default)]
    pub total_items: Option<u64>,
    #[serde(default)]
    pub total_pages: Option<u64>,
    #[serde(default)]
    pub links: Vec<Link>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct TransactionDetail {
    #[serde(default)]
    pub transaction_info: Option<TransactionInfo>,
    #[serde(default)]
    pub payer_info: Option<PayerInfo>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct TransactionInfo {
    #[serde(default)]
    pub transaction_id: Option<String>,
    #[serde(default)]
    pub paypal_reference_id: Option<String>,
    /// `ODR`, `TXN`, `SUB`, `PAP`.
    #[serde(default)]
    pub paypal_reference_id_type: Option<String>,
    #[serde(default)]
    pub transaction_event_code: Option<String>,
    #[serde(default)]
    pub transaction_initiation_date: Option<String>,
    #[serde(default)]
    pub transaction_updated_date: Option<String>,
    #[serde(default)]
    pub transaction_amount: Option<Money>,
    /// `D`, `P`, `S`, `V`.
    #[serde(default)]
    pub transaction_status: Option<String>,
    #[serde(default)]
    pub invoice_id: Option<String>,
    #[serde(default)]
    pub custom_field: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct PayerInfo {
    #[serde(default)]
    pub account_id: Option<String>,
    #[serde(default)]
    pub email_address: Option<String>,
    #[serde(default)]
    pub payer_name: Option<Name>,
    #[serde(default)]
    pub country_code: Option<String>,
}

// ---- Invoicing v2: POST /v2/invoicing/search-invoices, GET /v2/invoicing/invoices/{id} ----

#[derive(Debug, Clone, Default, Deserialize)]
pub struct InvoicePage {
    #[serde(default)]
    pub total_pages: Option<u64>,
    #[serde(default)]
    pub total_items: Option<u64>,
    #[serde(default)]
    pub items: Vec<WireInvoice>,
    #[serde(default)]
    pub links: Vec<Link>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct WireInvoice {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub detail: Option<InvoiceDetail>,
    #[serde(default)]
    pub primary_recipients: Vec<RecipientInfo>,
    #[serde(default)]
    pub amount: Option<Money>,
    #[serde(default)]
    pub due_amount: Option<Money>,
    #[serde(default)]
    pub payments: Option<InvoicePayments>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct InvoiceDetail {
    #[serde(default)]
    pub invoice_number: Option<String>,
    /// The merchant's own reference (`detail.reference`).
    #[serde(default)]
    pub reference: Option<String>,
    #[serde(default)]
    pub currency_code: Option<String>,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    pub invoice_date: Option<String>,
    #[serde(default)]
    pub payment_term: Option<PaymentTerm>,
    #[serde(default)]
    pub metadata: Option<InvoiceMetadata>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct PaymentTerm {
    #[serde(default)]
    pub term_type: Option<String>,
    #[serde(default)]
    pub due_date: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct InvoiceMetadata {
    #[serde(default)]
    pub create_time: Option<String>,
    #[serde(default)]
    pub last_update_time: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct RecipientInfo {
    #[serde(default)]
    pub billing_info: Option<BillingInfo>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct BillingInfo {
    #[serde(default)]
    pub business_name: Option<String>,
    #[serde(default)]
    pub name: Option<Name>,
    #[serde(default)]
    pub email_address: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct InvoicePayments {
    #[serde(default)]
    pub paid_amount: Option<Money>,
    #[serde(default)]
    pub transactions: Vec<InvoicePayment>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct InvoicePayment {
    #[serde(default)]
    pub payment_id: Option<String>,
    /// `YYYY-MM-DD` (the spec's `date_no_time`).
    #[serde(default)]
    pub payment_date: Option<String>,
    #[serde(default)]
    pub amount: Option<Money>,
}

/// The search-invoices body; absent criteria are not sent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InvoiceSearch {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub status: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_date_range: Option<DateTimeRange>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_date_range: Option<DateTimeRange>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DateTimeRange {
    pub start: String,
    pub end: String,
}

// ---- Disputes: GET /v1/customer/disputes, GET /v1/customer/disputes/{id} ----

#[derive(Debug, Clone, Default, Deserialize)]
pub struct DisputeList {
    #[serde(default)]
    pub items: Vec<WireDispute>,
    #[serde(default)]
    pub links: Vec<Link>,
}

/// A dispute: the list's summary (`dispute_info`) and the details (`dispute`) share these fields;
/// `disputed_transactions` comes only with the details.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct WireDispute {
    #[serde(default)]
    pub dispute_id: Option<String>,
    #[serde(default)]
    pub create_time: Option<String>,
    #[serde(default)]
    pub update_time: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub dispute_state: Option<String>,
    #[serde(default)]
    pub dispute_amount: Option<Money>,
    #[serde(default)]
    pub dispute_life_cycle_stage: Option<String>,
    #[serde(default)]
    pub disputed_transactions: Vec<DisputedTransaction>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct DisputedTransaction {
    #[serde(default)]
    pub seller_transaction_id: Option<String>,
    #[serde(default)]
    pub buyer_transaction_id: Option<String>,
    #[serde(default)]
    pub create_time: Option<String>,
    #[serde(default)]
    pub invoice_number: Option<String>,
    #[serde(default)]
    pub custom: Option<String>,
    #[serde(default)]
    pub buyer: Option<DisputeBuyer>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct DisputeBuyer {
    #[serde(default)]
    pub name: Option<String>,
}

// ---- Subscriptions: GET /v1/billing/subscriptions/{id} ----

#[derive(Debug, Clone, Default, Deserialize)]
pub struct WireSubscription {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub status_update_time: Option<String>,
    #[serde(default)]
    pub custom_id: Option<String>,
    #[serde(default)]
    pub subscriber: Option<Subscriber>,
    #[serde(default)]
    pub billing_info: Option<SubscriptionBillingInfo>,
    #[serde(default)]
    pub update_time: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Subscriber {
    #[serde(default)]
    pub email_address: Option<String>,
    #[serde(default)]
    pub payer_id: Option<String>,
    #[serde(default)]
    pub name: Option<Name>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct SubscriptionBillingInfo {
    #[serde(default)]
    pub outstanding_balance: Option<Money>,
    #[serde(default)]
    pub last_payment: Option<PaymentAt>,
    #[serde(default)]
    pub next_billing_time: Option<String>,
    #[serde(default)]
    pub failed_payments_count: Option<u32>,
    #[serde(default)]
    pub last_failed_payment: Option<FailedPayment>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct PaymentAt {
    #[serde(default)]
    pub amount: Option<Money>,
    #[serde(default)]
    pub time: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct FailedPayment {
    #[serde(default)]
    pub amount: Option<Money>,
    #[serde(default)]
    pub time: Option<String>,
    #[serde(default)]
    pub reason_code: Option<String>,
}

// ---- Webhooks ----

/// A delivered event (`notifications_webhooks_v1` `event`). `resource` stays a JSON value: its shape
/// depends on `resource_type`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct WebhookEvent {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub create_time: Option<String>,
    #[serde(default)]
    pub resource_type: Option<String>,
    #[serde(default)]
    pub event_type: Option<String>,
    #[serde(default)]
    pub resource: Option<serde_json::Value>,
}

/// `POST /v1/notifications/verify-webhook-signature` without `webhook_event`, which is spliced in
/// as received (see `webhook::verify_body`).
#[derive(Debug, Clone, Serialize)]
pub struct VerifySignatureFields<'a> {
    pub auth_algo: &'a str,
    pub cert_url: &'a str,
    pub transmission_id: &'a str,
    pub transmission_sig: &'a str,
    pub transmission_time: &'a str,
    pub webhook_id: &'a str,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct VerifySignatureResponse {
    /// `SUCCESS` or `FAILURE`.
    #[serde(default)]
    pub verification_status: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_transaction_search_page_shaped_like_the_spec_and_ignores_unknown_fields() {
        let body = r#"{
          "transaction_details": [{
            "transaction_info": {
              "paypal_account_id": "6STWC2LSUYYYE",
              "transaction_id": "5TY05013RG002845M",
              "transaction_event_code": "T0006",
              "transaction_initiation_date": "2014-07-11T04:03:52+0000",
              "transaction_updated_date": "2014-07-11T04:03:52+0000",
              "transaction_amount": {"currency_code": "USD", "value": "465.00"},
              "transaction_status": "S",
              "invoice_id": "Invoice-005",
              "custom_field": "hubspot:1234",
              "something_new": 1
            },
            "payer_info": {"account_id": "6STWC2LSUYYYE", "email_address": "consumer@example.com",
              "payer_name": {"given_name": "test", "surname": "consumer", "alternate_full_name": "test consumer"},
              "country_code": "US"}
          }],
          "account_number": "XZXSPECYZZ3N2",
          "page": 1, "total_items": 1, "total_pages": 1,
          "links": [{"href": "https://api-m.sandbox.paypal.com/v1/reporting/transactions?page=1", "rel": "self", "method": "GET"}]
        }"#;
        let page: TransactionSearch = serde_json::from_str(body).expect("spec-shaped page");
        assert_eq!(page.total_pages, Some(1));
        let info = page.transaction_details[0]
            .transaction_info
            .as_ref()
            .expect("info");
        assert_eq!(info.custom_field.as_deref(), Some("hubspot:1234"));
        let empty: TransactionSearch = serde_json::from_str("{}").expect("all optional");
        assert!(empty.transaction_details.is_empty());
    }
}
