//! The export bucket of the local runner: the in-memory object store, with its `memory://` links
//! turned into links to this server (`GET /local/objects?link=...`), which opens them as S3 opens a
//! presigned link: only unaltered and before they expire.

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Utc};
use shared::objects::MemoryObjectStore;
use shared::ports::{DownloadLink, ObjectError, ObjectStore};
use std::collections::HashMap;

/// Where the runner serves its links.
pub const LINK_PATH: &str = "/local/objects";

/// The memory store, its links pointing at `base_url` (the runner's own address).
#[derive(Debug, Clone)]
pub struct LocalObjects {
    pub inner: MemoryObjectStore,
    pub base_url: String,
}

#[async_trait::async_trait]
impl ObjectStore for LocalObjects {
    async fn put_object(
        &self,
        key: &str,
        body: Vec<u8>,
        content_type: &str,
    ) -> Result<(), ObjectError> {
        self.inner.put_object(key, body, content_type).await
    }

    async fn get_object(&self, key: &str) -> Result<Vec<u8>, ObjectError> {
        self.inner.get_object(key).await
    }

    async fn list_objects(&self, prefix: &str) -> Result<Vec<String>, ObjectError> {
        self.inner.list_objects(prefix).await
    }

    async fn delete_prefix(&self, prefix: &str) -> Result<u64, ObjectError> {
        self.inner.delete_prefix(prefix).await
    }

    async fn download_link(
        &self,
        key: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<DownloadLink, ObjectError> {
        let link = self.inner.download_link(key, now, expires_at).await?;
        let encoded: String = url::form_urlencoded::byte_serialize(link.url.as_bytes()).collect();
        Ok(DownloadLink {
            url: format!("{}{LINK_PATH}?link={encoded}", self.base_url),
            expires_at: link.expires_at,
        })
    }
}

/// The route that serves the links (no token: the link is the credential, as on S3).
pub fn routes(objects: MemoryObjectStore) -> Router {
    Router::new()
        .route(LINK_PATH, get(open_link))
        .with_state(objects)
}

async fn open_link(
    State(objects): State<MemoryObjectStore>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let Some(link) = query.get("link") else {
        return (StatusCode::BAD_REQUEST, "no link").into_response();
    };
    match objects.open_link(link, Utc::now()) {
        Ok((body, content_type)) => {
            let name = link
                .split('?')
                .next()
                .and_then(|k| k.rsplit("%2F").next())
                .unwrap_or("export.tar.gz")
                .to_string();
            (
                [
                    (header::CONTENT_TYPE, content_type),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{name}\""),
                    ),
                ],
                body,
            )
                .into_response()
        }
        Err(ObjectError::NotFound(_)) => (StatusCode::NOT_FOUND, "gone").into_response(),
        Err(error) => (StatusCode::FORBIDDEN, error.to_string()).into_response(),
    }
}
