//! The export bucket on Amazon S3 (moto's server locally and in tests). Objects are encrypted by
//! the bucket's default encryption and expire by its lifecycle rule (infra/template.yaml); links
//! are SigV4 presigned GETs, signed with the function's own credentials, so they work only while
//! its role may `s3:GetObject` and only until they expire.

use super::{check_key, check_prefix, link_lifetime};
use crate::ports::{DownloadLink, ObjectError, ObjectStore};
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use aws_sdk_s3::Client;
use chrono::{DateTime, Utc};
use std::time::{Duration, SystemTime};

/// Port method -> the S3 actions this adapter's implementation of it sends (read by the IAM check
/// of the SAM template; kept next to the calls it describes). A presigned link is a `GetObject`
/// signed by the caller, and `HeadObject` is authorised as `s3:GetObject` too.
pub const IAM_ACTIONS: &[(&str, &[&str])] = &[
    ("put_object", &["s3:PutObject"]),
    ("get_object", &["s3:GetObject"]),
    ("list_objects", &["s3:ListBucket"]),
    ("delete_prefix", &["s3:ListBucket", "s3:DeleteObject"]),
    ("download_link", &["s3:GetObject"]),
];

/// Keys one `DeleteObjects` takes at most.
const DELETE_BATCH: usize = 1000;

/// An S3 client from the shared SDK configuration. With an endpoint override (moto locally and in
/// tests: `AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL`) requests use path-style addressing, which
/// such servers need; on AWS the default virtual-hosted style stays.
pub fn s3_client(aws: &aws_config::SdkConfig) -> Client {
    let endpoint_override = ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"]
        .iter()
        .any(|name| std::env::var(name).is_ok_and(|v| !v.trim().is_empty()));
    let config = aws_sdk_s3::config::Builder::from(aws)
        .force_path_style(endpoint_override)
        .build();
    Client::from_conf(config)
}

/// Objects in one bucket.
#[derive(Debug, Clone)]
pub struct S3ObjectStore {
    client: Client,
    bucket: String,
}

impl S3ObjectStore {
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        Self {
            client,
            bucket: bucket.into(),
        }
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// Keys under `prefix`, a page of up to 1,000 at a time.
    async fn keys_under(&self, prefix: &str) -> Result<Vec<String>, ObjectError> {
        let mut keys = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .client
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(prefix)
                .set_continuation_token(token.take())
                .send()
                .await
                .map_err(|e| object_error(prefix, e))?;
            keys.extend(
                page.contents()
                    .iter()
                    .filter_map(|object| object.key().map(str::to_string)),
            );
            match page.next_continuation_token() {
                Some(next) if page.is_truncated() == Some(true) => token = Some(next.to_string()),
                _ => break,
            }
        }
        // S3 lists in UTF-8 binary order already; sorting keeps the port's promise whatever the
        // server does.
        keys.sort();
        Ok(keys)
    }
}

#[async_trait::async_trait]
impl ObjectStore for S3ObjectStore {
    async fn put_object(
        &self,
        key: &str,
        body: Vec<u8>,
        content_type: &str,
    ) -> Result<(), ObjectError> {
        check_key(key)?;
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(|e| object_error(key, e))?;
        Ok(())
    }

    async fn get_object(&self, key: &str) -> Result<Vec<u8>, ObjectError> {
        check_key(key)?;
        let output = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| object_error(key, e))?;
        let body =
            output.body.collect().await.map_err(|e| {
                ObjectError::Unavailable(format!("reading object {key} failed: {e}"))
            })?;
        Ok(body.into_bytes().to_vec())
    }

    async fn list_objects(&self, prefix: &str) -> Result<Vec<String>, ObjectError> {
        check_prefix(prefix)?;
        self.keys_under(prefix).await
    }

    async fn delete_prefix(&self, prefix: &str) -> Result<u64, ObjectError> {
        check_prefix(prefix)?;
        let keys = self.keys_under(prefix).await?;
        let mut deleted = 0;
        for batch in keys.chunks(DELETE_BATCH) {
            let objects = batch
                .iter()
                .map(|key| ObjectIdentifier::builder().key(key).build())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| ObjectError::InvalidInput(e.to_string()))?;
            let delete = Delete::builder()
                .set_objects(Some(objects))
                .quiet(true)
                .build()
                .map_err(|e| ObjectError::InvalidInput(e.to_string()))?;
            let output = self
                .client
                .delete_objects()
                .bucket(&self.bucket)
                .delete(delete)
                .send()
                .await
                .map_err(|e| object_error(prefix, e))?;
            // Quiet mode lists only the keys that failed.
            if let Some(failed) = output.errors().first() {
                return Err(ObjectError::Unavailable(format!(
                    "deleting {} under {prefix} failed: {}",
                    failed.key().unwrap_or("an object"),
                    failed.code().unwrap_or("unknown error")
                )));
            }
            deleted += batch.len() as u64;
        }
        Ok(deleted)
    }

    async fn download_link(
        &self,
        key: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<DownloadLink, ObjectError> {
        check_key(key)?;
        let seconds = link_lifetime(now, expires_at)?;
        // A link to nothing would only fail later, in a person's browser: refuse it here.
        self.client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| object_error(key, e))?;
        let presigning = PresigningConfig::builder()
            .start_time(SystemTime::from(now))
            .expires_in(Duration::from_secs(seconds.unsigned_abs()))
            .build()
            .map_err(|e| ObjectError::InvalidInput(e.to_string()))?;
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .presigned(presigning)
            .await
            .map_err(|e| object_error(key, e))?;
        Ok(DownloadLink {
            url: request.uri().to_string(),
            expires_at: now + chrono::Duration::seconds(seconds),
        })
    }
}

/// Maps an S3 error to the port's error: a missing key (or `HeadObject`'s bodiless 404) is
/// `NotFound`; everything else (a missing bucket, access denied, throttling, timeouts) is
/// `Unavailable` with the service's code and message, never a body.
fn object_error<E, R>(key: &str, error: SdkError<E, R>) -> ObjectError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + HttpStatus,
{
    let not_found = matches!(error.code(), Some("NoSuchKey" | "NotFound"))
        || matches!(&error, SdkError::ServiceError(e) if e.raw().status_code() == 404
            && error.code() != Some("NoSuchBucket"));
    if not_found {
        return ObjectError::NotFound(key.to_string());
    }
    ObjectError::Unavailable(format!("object {key}: {}", DisplayErrorContext(&error)))
}

/// The HTTP status of a raw response, for errors whose body carries no code.
trait HttpStatus {
    fn status_code(&self) -> u16;
}

impl HttpStatus for aws_sdk_s3::config::http::HttpResponse {
    fn status_code(&self) -> u16 {
        self.status().as_u16()
    }
}
