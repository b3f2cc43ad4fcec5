//! Pax8's wire format: only the fields the source reads (contact names and phones are never
//! deserialised), and its dates in the several forms its examples show.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

/// `{content, page:{size,totalElements,totalPages,number}}`.
#[derive(Debug, Deserialize)]
pub struct Page<T> {
    #[serde(default = "Vec::new")]
    pub content: Vec<T>,
    #[serde(default)]
    pub page: Option<PageInfo>,
}

/// Pax8 types these as `number`: read as floats and rounded.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageInfo {
    pub size: Option<f64>,
    pub total_elements: Option<f64>,
    pub total_pages: Option<f64>,
    pub number: Option<f64>,
}

impl<T> Page<T> {
    /// Whether a page follows page `number`: by `totalPages` when given, else by a full page.
    pub fn has_next(&self, number: u32, asked_size: u32) -> bool {
        match self.page.as_ref().and_then(|p| p.total_pages) {
            Some(total) => f64::from(number) + 1.0 < total,
            None => self.content.len() >= asked_size as usize && !self.content.is_empty(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireCompany {
    pub id: Option<String>,
    pub name: Option<String>,
    pub website: Option<String>,
    pub external_id: Option<String>,
    pub status: Option<String>,
    pub updated_date: Option<String>,
}

/// A contact: its email only, for its domain.
#[derive(Debug, Clone, Deserialize)]
pub struct WireContact {
    pub email: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireCommitment {
    pub end_date: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireSubscription {
    pub id: Option<String>,
    pub company_id: Option<String>,
    pub product_id: Option<String>,
    pub product_name: Option<String>,
    pub quantity: Option<f64>,
    pub status: Option<String>,
    pub billing_term: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub created_date: Option<String>,
    pub updated_date: Option<String>,
    pub price: Option<f64>,
    pub commitment_term: Option<WireCommitment>,
}

/// `GET /subscriptions/{id}/history`: past versions, newest first in Pax8's example.
#[derive(Debug, Deserialize)]
pub struct History {
    #[serde(default)]
    pub content: Vec<WireSubscription>,
}

#[derive(Debug, Serialize)]
pub struct TokenRequest<'a> {
    pub client_id: &'a str,
    pub client_secret: &'a str,
    pub audience: &'a str,
    pub grant_type: &'static str,
}

#[derive(Debug, Deserialize)]
pub struct TokenResponse {
    pub access_token: Option<String>,
    pub expires_in: Option<f64>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateWebhook<'a> {
    pub display_name: &'a str,
    pub url: &'a str,
    pub authorization: &'a str,
    pub active: bool,
    pub error_threshold: u8,
    pub webhook_topics: Vec<WebhookTopic>,
}

#[derive(Debug, Serialize)]
pub struct WebhookTopic {
    pub topic: &'static str,
    pub filters: Vec<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
pub struct WireWebhook {
    pub id: Option<String>,
    pub url: Option<String>,
}

/// Pax8's instants: `2021-01-01T08:30:00Z`, `2020-12-01T13:20:13.153-0700` (an offset without a
/// colon), a local time without offset (read as UTC), or a bare date (midnight UTC).
pub fn parse_instant(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    if let Ok(at) = DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%z") {
        return Some(at.with_timezone(&Utc));
    }
    if let Ok(at) = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f") {
        return Some(at.and_utc());
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|at| at.and_utc())
}

pub fn parse_date(text: &str) -> Option<NaiveDate> {
    parse_instant(text).map(|at| at.date_naive())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_date_form_of_pax8s_examples() {
        let at = |s| parse_instant(s).map(|d| d.to_rfc3339());
        assert_eq!(
            at("2021-01-01T08:30:00Z").as_deref(),
            Some("2021-01-01T08:30:00+00:00")
        );
        assert_eq!(
            at("2020-12-01T13:20:13.153-0700").as_deref(),
            Some("2020-12-01T20:20:13.153+00:00")
        );
        assert_eq!(
            at("2020-12-03").as_deref(),
            Some("2020-12-03T00:00:00+00:00")
        );
        assert_eq!(
            at("2020-12-03T10:00:00").as_deref(),
            Some("2020-12-03T10:00:00+00:00")
        );
        assert_eq!(at("soon"), None);
        assert_eq!(
            parse_date("2000-10-31T01:30:00.000-05:00"),
            NaiveDate::from_ymd_opt(2000, 10, 31)
        );
    }

    #[test]
    fn a_page_follows_by_total_pages_or_a_full_page() {
        let page: Page<WireContact> = serde_json::from_str(
            r#"{"content":[{"email":"a@b.c"}],"page":{"size":200,"totalElements":201,"totalPages":2,"number":0}}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(page.has_next(0, 200));
        assert!(!page.has_next(1, 200));
        let bare: Page<WireContact> = serde_json::from_str(r#"{"content":[{"email":"a@b.c"}]}"#)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(bare.has_next(0, 1));
        assert!(!bare.has_next(0, 200));
    }
}
