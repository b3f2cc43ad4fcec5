//! HubSpot webhook signatures (HUBSPOT.md, Webhooks). Pure: the caller passes the clock.
//!
//! v3 is checked whenever its header is present; v1 is accepted only when v3 is absent, because a
//! request carrying a bad v3 signature must not get a second chance through the weaker scheme. v2 is
//! refused: HubSpot sends it only for workflow actions and CRM cards, never for app webhooks.

use base64::Engine as _;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

pub const SIGNATURE_V3_HEADER: &str = "x-hubspot-signature-v3";
pub const TIMESTAMP_HEADER: &str = "x-hubspot-request-timestamp";
pub const SIGNATURE_HEADER: &str = "x-hubspot-signature";
pub const SIGNATURE_VERSION_HEADER: &str = "x-hubspot-signature-version";

/// How far a v3 timestamp may be from our clock, either way (HubSpot: reject older than 5 minutes;
/// the same bound in the future tolerates clock skew without accepting requests signed for later).
pub const MAX_TIMESTAMP_SKEW_MS: i64 = 5 * 60 * 1000;

/// Percent-encodings HubSpot decodes before signing the URI; anything else stays encoded.
const DECODED_IN_SIGNED_URI: [(&str, char); 12] = [
    ("3A", ':'),
    ("2F", '/'),
    ("3F", '?'),
    ("40", '@'),
    ("21", '!'),
    ("24", '$'),
    ("27", '\''),
    ("28", '('),
    ("29", ')'),
    ("2A", '*'),
    ("2C", ','),
    ("3B", ';'),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureVersion {
    V1,
    V3,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("no HubSpot signature header")]
    Missing,
    #[error("X-HubSpot-Request-Timestamp is missing")]
    MissingTimestamp,
    #[error("X-HubSpot-Request-Timestamp is not epoch milliseconds")]
    BadTimestamp,
    #[error("the request timestamp is {skew_ms} ms away from now (at most 300000 allowed)")]
    Stale { skew_ms: i64 },
    #[error("signature version {0:?} is not accepted")]
    UnsupportedVersion(String),
    #[error("the signature does not match the request")]
    Mismatch,
}

/// The signature headers of a request, as received.
#[derive(Debug, Clone, Copy, Default)]
pub struct SignatureHeaders<'a> {
    pub v3_signature: Option<&'a str>,
    pub timestamp: Option<&'a str>,
    pub signature: Option<&'a str>,
    pub version: Option<&'a str>,
}

impl<'a> SignatureHeaders<'a> {
    /// Reads the headers; a value that is not visible ASCII counts as absent.
    pub fn from_headers(headers: &'a http::HeaderMap) -> Self {
        let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        Self {
            v3_signature: get(SIGNATURE_V3_HEADER),
            timestamp: get(TIMESTAMP_HEADER),
            signature: get(SIGNATURE_HEADER),
            version: get(SIGNATURE_VERSION_HEADER),
        }
    }
}

/// What a signature covers besides the secret.
#[derive(Debug, Clone, Copy)]
pub struct SignedRequest<'a> {
    pub method: &'a str,
    /// The public URI HubSpot called, as rebuilt by [`signed_uri`].
    pub uri: &'a str,
    pub body: &'a [u8],
}

/// Verifies a webhook request: v3 when present, else v1.
pub fn verify(
    headers: &SignatureHeaders<'_>,
    request: &SignedRequest<'_>,
    client_secret: &SecretString,
    now: DateTime<Utc>,
) -> Result<SignatureVersion, SignatureError> {
    if let Some(signature) = headers.v3_signature {
        let timestamp = headers.timestamp.ok_or(SignatureError::MissingTimestamp)?;
        verify_v3(signature, timestamp, request, client_secret, now)?;
        return Ok(SignatureVersion::V3);
    }
    let signature = headers.signature.ok_or(SignatureError::Missing)?;
    match headers.version {
        Some(version) if version.eq_ignore_ascii_case("v1") => {
            verify_v1(signature, request.body, client_secret)?;
            Ok(SignatureVersion::V1)
        }
        Some(other) => Err(SignatureError::UnsupportedVersion(other.to_string())),
        None => Err(SignatureError::UnsupportedVersion(String::new())),
    }
}

fn verify_v3(
    signature: &str,
    timestamp: &str,
    request: &SignedRequest<'_>,
    client_secret: &SecretString,
    now: DateTime<Utc>,
) -> Result<(), SignatureError> {
    let timestamp_ms: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| SignatureError::BadTimestamp)?;
    let skew_ms = now.timestamp_millis().saturating_sub(timestamp_ms);
    if skew_ms.saturating_abs() > MAX_TIMESTAMP_SKEW_MS {
        return Err(SignatureError::Stale { skew_ms });
    }
    let provided = base64::engine::general_purpose::STANDARD
        .decode(signature.trim())
        .map_err(|_| SignatureError::Mismatch)?;
    // `verify_slice` compares in constant time.
    v3_mac(client_secret, request, timestamp)
        .verify_slice(&provided)
        .map_err(|_| SignatureError::Mismatch)
}

fn v3_mac(
    client_secret: &SecretString,
    request: &SignedRequest<'_>,
    timestamp: &str,
) -> Hmac<Sha256> {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(client_secret.expose_secret().as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(request.method.as_bytes());
    mac.update(request.uri.as_bytes());
    mac.update(request.body);
    mac.update(timestamp.as_bytes());
    mac
}

/// The v3 signature of a request: base64 HMAC-SHA256 over method, URI, body and timestamp.
/// Verification uses the same computation; the sandbox and tests use this to sign.
pub fn sign_v3(
    client_secret: &SecretString,
    request: &SignedRequest<'_>,
    timestamp: &str,
) -> String {
    base64::engine::general_purpose::STANDARD.encode(
        v3_mac(client_secret, request, timestamp)
            .finalize()
            .into_bytes(),
    )
}

fn verify_v1(
    signature: &str,
    body: &[u8],
    client_secret: &SecretString,
) -> Result<(), SignatureError> {
    let expected = sign_v1(client_secret, body);
    let provided = signature.trim().to_ascii_lowercase();
    if bool::from(provided.as_bytes().ct_eq(expected.as_bytes())) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// The v1 signature: lower-case hex SHA-256 of the client secret followed by the body.
pub fn sign_v1(client_secret: &SecretString, body: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(client_secret.expose_secret().as_bytes());
    hasher.update(body);
    hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The URI HubSpot signed: our public base URL (scheme, host and any prefix the router does not
/// see) followed by the request's path and query, with the characters HubSpot decodes decoded.
pub fn signed_uri(public_base_url: &str, path_and_query: &str) -> String {
    let base = public_base_url.trim_end_matches('/');
    let path = if path_and_query.starts_with('/') {
        path_and_query.to_string()
    } else {
        format!("/{path_and_query}")
    };
    decode_for_signature(&format!("{base}{path}"))
}

/// Decodes the twelve percent-encodings HubSpot decodes (either hex case); leaves the rest as sent.
pub fn decode_for_signature(uri: &str) -> String {
    let mut decoded = String::with_capacity(uri.len());
    let mut rest = uri;
    while let Some(percent) = rest.find('%') {
        decoded.push_str(&rest[..percent]);
        let after = &rest[percent + 1..];
        let replacement = after.get(..2).and_then(|hex| {
            DECODED_IN_SIGNED_URI
                .iter()
                .find(|(code, _)| code.eq_ignore_ascii_case(hex))
                .map(|(_, c)| *c)
        });
        match replacement {
            Some(c) => {
                decoded.push(c);
                rest = &after[2..];
            }
            None => {
                decoded.push('%');
                rest = after;
            }
        }
    }
    decoded.push_str(rest);
    decoded
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const VECTOR_SECRET: &str = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy";
    const VECTOR_URI: &str = "https://www.example.com/webhook_uri";
    const VECTOR_BODY: &str = "{'example_field':'example_value'}";
    const VECTOR_TIMESTAMP: &str = "1693657560000";
    const VECTOR_SIGNATURE: &str = "K36dawei4A+QBNolUOqo7s91KQDWQ5MXZ/QufNYuk/Y=";

    fn secret(value: &str) -> SecretString {
        SecretString::from(value.to_string())
    }

    fn at_ms(ms: i64) -> DateTime<Utc> {
        Utc.timestamp_millis_opt(ms).single().unwrap()
    }

    fn vector_request() -> SignedRequest<'static> {
        SignedRequest {
            method: "POST",
            uri: VECTOR_URI,
            body: VECTOR_BODY.as_bytes(),
        }
    }

    fn v3_headers<'a>(signature: &'a str, timestamp: &'a str) -> SignatureHeaders<'a> {
        SignatureHeaders {
            v3_signature: Some(signature),
            timestamp: Some(timestamp),
            ..Default::default()
        }
    }

    #[test]
    fn sign_v3_reproduces_hubspots_test_vector() {
        let signature = sign_v3(&secret(VECTOR_SECRET), &vector_request(), VECTOR_TIMESTAMP);
        assert_eq!(signature, VECTOR_SIGNATURE);
    }

    #[test]
    fn valid_v3_signature_within_five_minutes_is_accepted() {
        let now = at_ms(1_693_657_560_000 + 4 * 60 * 1000);
        let headers = v3_headers(VECTOR_SIGNATURE, VECTOR_TIMESTAMP);
        let verified = verify(&headers, &vector_request(), &secret(VECTOR_SECRET), now);
        assert_eq!(verified, Ok(SignatureVersion::V3));
    }

    #[test]
    fn tampered_body_is_rejected() {
        let now = at_ms(1_693_657_560_000);
        let request = SignedRequest {
            body: b"{'example_field':'other_value'}",
            ..vector_request()
        };
        let headers = v3_headers(VECTOR_SIGNATURE, VECTOR_TIMESTAMP);
        let verified = verify(&headers, &request, &secret(VECTOR_SECRET), now);
        assert_eq!(verified, Err(SignatureError::Mismatch));
    }

    #[test]
    fn signature_made_with_another_secret_is_rejected() {
        let now = at_ms(1_693_657_560_000);
        let headers = v3_headers(VECTOR_SIGNATURE, VECTOR_TIMESTAMP);
        let verified = verify(
            &headers,
            &vector_request(),
            &secret("zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz"),
            now,
        );
        assert_eq!(verified, Err(SignatureError::Mismatch));
    }

    #[test]
    fn timestamp_covered_by_the_signature_cannot_be_swapped() {
        let now = at_ms(1_693_657_561_000);
        let headers = v3_headers(VECTOR_SIGNATURE, "1693657561000");
        let verified = verify(&headers, &vector_request(), &secret(VECTOR_SECRET), now);
        assert_eq!(verified, Err(SignatureError::Mismatch));
    }

    #[test]
    fn timestamp_older_than_five_minutes_is_stale_even_when_signed() {
        let now = at_ms(1_693_657_560_000 + 5 * 60 * 1000 + 1);
        let headers = v3_headers(VECTOR_SIGNATURE, VECTOR_TIMESTAMP);
        let verified = verify(&headers, &vector_request(), &secret(VECTOR_SECRET), now);
        assert_eq!(verified, Err(SignatureError::Stale { skew_ms: 300_001 }));
    }

    #[test]
    fn timestamp_more_than_five_minutes_ahead_is_refused() {
        let now = at_ms(1_693_657_560_000 - 5 * 60 * 1000 - 1);
        let headers = v3_headers(VECTOR_SIGNATURE, VECTOR_TIMESTAMP);
        let verified = verify(&headers, &vector_request(), &secret(VECTOR_SECRET), now);
        assert_eq!(verified, Err(SignatureError::Stale { skew_ms: -300_001 }));
    }

    #[test]
    fn v3_without_timestamp_or_with_a_junk_one_is_rejected() {
        let now = at_ms(1_693_657_560_000);
        let no_timestamp = SignatureHeaders {
            v3_signature: Some(VECTOR_SIGNATURE),
            ..Default::default()
        };
        let request = vector_request();
        let key = secret(VECTOR_SECRET);
        assert_eq!(
            verify(&no_timestamp, &request, &key, now),
            Err(SignatureError::MissingTimestamp)
        );
        let junk = v3_headers(VECTOR_SIGNATURE, "yesterday");
        assert_eq!(
            verify(&junk, &request, &key, now),
            Err(SignatureError::BadTimestamp)
        );
    }

    #[test]
    fn v3_signature_that_is_not_base64_is_a_mismatch() {
        let now = at_ms(1_693_657_560_000);
        let headers = v3_headers("not base64 at all!", VECTOR_TIMESTAMP);
        let verified = verify(&headers, &vector_request(), &secret(VECTOR_SECRET), now);
        assert_eq!(verified, Err(SignatureError::Mismatch));
    }

    #[test]
    fn v1_is_accepted_when_v3_is_absent() {
        let key = secret("client-secret");
        let body = br#"[{"eventId":1}]"#;
        let signature = sign_v1(&key, body);
        let headers = SignatureHeaders {
            signature: Some(&signature),
            version: Some("v1"),
            ..Default::default()
        };
        let request = SignedRequest {
            method: "POST",
            uri: "https://example.com/webhooks/hubspot",
            body,
        };
        // v1 carries no timestamp, so the clock plays no part.
        let verified = verify(&headers, &request, &key, at_ms(0));
        assert_eq!(verified, Ok(SignatureVersion::V1));
    }

    #[test]
    fn v1_over_another_body_is_rejected() {
        let key = secret("client-secret");
        let signature = sign_v1(&key, br#"[{"eventId":1}]"#);
        let headers = SignatureHeaders {
            signature: Some(&signature),
            version: Some("v1"),
            ..Default::default()
        };
        let request = SignedRequest {
            method: "POST",
            uri: "https://example.com/webhooks/hubspot",
            body: br#"[{"eventId":2}]"#,
        };
        assert_eq!(
            verify(&headers, &request, &key, at_ms(0)),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn valid_v1_does_not_rescue_a_bad_v3() {
        let key = secret("client-secret");
        let body = br#"[{"eventId":1}]"#;
        let v1 = sign_v1(&key, body);
        let headers = SignatureHeaders {
            v3_signature: Some(VECTOR_SIGNATURE),
            timestamp: Some("0"),
            signature: Some(&v1),
            version: Some("v1"),
        };
        let request = SignedRequest {
            method: "POST",
            uri: "https://example.com/webhooks/hubspot",
            body,
        };
        assert_eq!(
            verify(&headers, &request, &key, at_ms(0)),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn missing_signature_and_other_versions_are_rejected() {
        let key = secret("client-secret");
        let request = vector_request();
        assert_eq!(
            verify(&SignatureHeaders::default(), &request, &key, at_ms(0)),
            Err(SignatureError::Missing)
        );
        let v2 = SignatureHeaders {
            signature: Some("abc"),
            version: Some("v2"),
            ..Default::default()
        };
        assert_eq!(
            verify(&v2, &request, &key, at_ms(0)),
            Err(SignatureError::UnsupportedVersion("v2".into()))
        );
    }

    #[test]
    fn signed_uri_decodes_only_the_characters_hubspot_decodes() {
        let uri = signed_uri(
            "https://hooks.example.com/prod/",
            "/webhooks/hubspot?next=%2Fa%3Ab%40c%21%24%27%28%29%2a%2C%3B%3F&space=%20&pct=%25",
        );
        assert_eq!(
            uri,
            "https://hooks.example.com/prod/webhooks/hubspot?next=/a:b@c!$'()*,;?&space=%20&pct=%25"
        );
    }

    #[test]
    fn decoding_leaves_truncated_escapes_alone() {
        assert_eq!(decode_for_signature("a%3"), "a%3");
        assert_eq!(decode_for_signature("%"), "%");
        assert_eq!(decode_for_signature("%%3A"), "%:");
    }

    #[test]
    fn v3_over_a_uri_with_encoded_characters_verifies_against_the_decoded_form() {
        let key = secret("client-secret");
        let body = b"[]";
        let timestamp = "1700000000000";
        let decoded = "https://hooks.example.com/webhooks/hubspot?portal=a:b";
        let signature = sign_v3(
            &key,
            &SignedRequest {
                method: "POST",
                uri: decoded,
                body,
            },
            timestamp,
        );
        let rebuilt = signed_uri(
            "https://hooks.example.com",
            "/webhooks/hubspot?portal=a%3Ab",
        );
        let request = SignedRequest {
            method: "POST",
            uri: &rebuilt,
            body,
        };
        let headers = v3_headers(&signature, timestamp);
        assert_eq!(
            verify(&headers, &request, &key, at_ms(1_700_000_000_000)),
            Ok(SignatureVersion::V3)
        );
        // The still-encoded form is not what HubSpot signed.
        let raw = SignedRequest {
            uri: "https://hooks.example.com/webhooks/hubspot?portal=a%3Ab",
            ..request
        };
        assert_eq!(
            verify(&headers, &raw, &key, at_ms(1_700_000_000_000)),
            Err(SignatureError::Mismatch)
        );
    }
}
