//! One suite for the `ObjectStore` port, run against both adapters: S3 (moto) and memory. Each case
//! works under its own fresh tenant prefix.

use chrono::{DateTime, Duration, TimeZone, Utc};
use shared::objects::{MemoryObjectStore, S3ObjectStore};
use shared::ports::{ObjectError, ObjectStore};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap()
}

fn fresh_prefix() -> String {
    format!("{}/", test_support::unique_name("tenant"))
}

/// Fetches a download link without credentials, as a browser would.
pub enum Fetch {
    Http,
    Memory(MemoryObjectStore),
}

impl Fetch {
    async fn get(&self, url: &str) -> Result<Vec<u8>, String> {
        match self {
            Fetch::Http => {
                let response = reqwest::get(url).await.map_err(|e| e.to_string())?;
                if !response.status().is_success() {
                    return Err(format!("HTTP {}", response.status()));
                }
                Ok(response.bytes().await.map_err(|e| e.to_string())?.to_vec())
            }
            // The memory store's links are checked against the real clock.
            Fetch::Memory(store) => store
                .open_link(url, Utc::now())
                .map(|(body, _)| body)
                .map_err(|e| e.to_string()),
        }
    }
}

mod cases {
    use super::*;

    pub async fn a_written_object_reads_back_and_a_rewrite_replaces_it(store: &dyn ObjectStore) {
        let key = format!("{}exports/a.tar.gz", fresh_prefix());
        store
            .put_object(&key, b"first".to_vec(), "application/gzip")
            .await
            .unwrap();
        assert_eq!(store.get_object(&key).await.unwrap(), b"first");
        store
            .put_object(&key, b"second".to_vec(), "application/gzip")
            .await
            .unwrap();
        assert_eq!(store.get_object(&key).await.unwrap(), b"second");
    }

    pub async fn a_large_binary_object_reads_back_byte_for_byte(store: &dyn ObjectStore) {
        let key = format!("{}exports/large.bin", fresh_prefix());
        let body: Vec<u8> = (0..3 * 1024 * 1024u32)
            .map(|i| (i * 7 % 251) as u8)
            .collect();
        store
            .put_object(&key, body.clone(), "application/octet-stream")
            .await
            .unwrap();
        assert_eq!(store.get_object(&key).await.unwrap(), body);
    }

    pub async fn a_missing_object_is_not_found(store: &dyn ObjectStore) {
        let key = format!("{}exports/none.tar.gz", fresh_prefix());
        let read = store.get_object(&key).await;
        assert!(matches!(read, Err(ObjectError::NotFound(k)) if k == key));
    }

    pub async fn listing_gives_the_keys_under_a_prefix_in_order_and_no_others(
        store: &dyn ObjectStore,
    ) {
        let tenant = fresh_prefix();
        // A tenant whose id extends this one's must not show up under `<tenant>/`.
        let neighbour = format!("{}-2/", tenant.trim_end_matches('/'));
        for key in ["exports/b", "exports/a", "z", "exports/c/d"] {
            store
                .put_object(&format!("{tenant}{key}"), vec![1], "text/plain")
                .await
                .unwrap();
        }
        store
            .put_object(&format!("{neighbour}exports/a"), vec![1], "text/plain")
            .await
            .unwrap();
        let listed = store.list_objects(&tenant).await.unwrap();
        let expected: Vec<String> = ["exports/a", "exports/b", "exports/c/d", "z"]
            .iter()
            .map(|k| format!("{tenant}{k}"))
            .collect();
        assert_eq!(listed, expected);
        let exports = store
            .list_objects(&format!("{tenant}exports/"))
            .await
            .unwrap();
        assert_eq!(exports.len(), 3);
        assert!(store
            .list_objects(&format!("{tenant}nothing/"))
            .await
            .unwrap()
            .is_empty());
    }

    pub async fn deleting_a_prefix_removes_exactly_its_objects(store: &dyn ObjectStore) {
        let tenant = fresh_prefix();
        let other = fresh_prefix();
        for i in 0..5 {
            store
                .put_object(&format!("{tenant}exports/{i}"), vec![i], "text/plain")
                .await
                .unwrap();
        }
        store
            .put_object(&format!("{other}exports/0"), vec![0], "text/plain")
            .await
            .unwrap();
        assert_eq!(store.delete_prefix(&tenant).await.unwrap(), 5);
        assert!(store.list_objects(&tenant).await.unwrap().is_empty());
        assert!(matches!(
            store.get_object(&format!("{tenant}exports/0")).await,
            Err(ObjectError::NotFound(_))
        ));
        assert_eq!(store.list_objects(&other).await.unwrap().len(), 1);
        // Nothing left is not an error.
        assert_eq!(store.delete_prefix(&tenant).await.unwrap(), 0);
    }

    pub async fn an_empty_prefix_and_malformed_keys_are_refused(store: &dyn ObjectStore) {
        assert!(matches!(
            store.list_objects("").await,
            Err(ObjectError::InvalidInput(_))
        ));
        assert!(matches!(
            store.delete_prefix("").await,
            Err(ObjectError::InvalidInput(_))
        ));
        for key in ["", "/abs", "a/../b", "bad\nkey"] {
            assert!(
                matches!(
                    store.put_object(key, vec![1], "text/plain").await,
                    Err(ObjectError::InvalidInput(_))
                ),
                "{key:?}"
            );
        }
    }

    pub async fn a_download_link_fetches_the_object_without_credentials(
        store: &dyn ObjectStore,
        fetch: &Fetch,
    ) {
        let key = format!("{}exports/20261201T100000000Z-abc.tar.gz", fresh_prefix());
        store
            .put_object(&key, b"archive bytes".to_vec(), "application/gzip")
            .await
            .unwrap();
        // Signed at the real clock, so the server accepts it now.
        let now = Utc::now();
        let link = store
            .download_link(&key, now, now + Duration::minutes(15))
            .await
            .unwrap();
        assert!(
            (link.expires_at - (now + Duration::minutes(15)))
                .num_seconds()
                .abs()
                <= 1
        );
        assert_eq!(fetch.get(&link.url).await.unwrap(), b"archive bytes");
    }

    pub async fn a_link_to_nothing_or_for_too_long_is_refused(store: &dyn ObjectStore) {
        let key = format!("{}exports/none.tar.gz", fresh_prefix());
        assert!(matches!(
            store
                .download_link(&key, now(), now() + Duration::minutes(15))
                .await,
            Err(ObjectError::NotFound(_))
        ));
        store
            .put_object(&key, vec![1], "application/gzip")
            .await
            .unwrap();
        for expires in [now() - Duration::seconds(1), now() + Duration::days(8)] {
            assert!(matches!(
                store.download_link(&key, now(), expires).await,
                Err(ObjectError::InvalidInput(_))
            ));
        }
    }
}

macro_rules! conformance {
    ($adapter:ident, $make:expr, $fetch:ident) => {
        mod $adapter {
            use super::*;

            #[tokio::test]
            async fn a_written_object_reads_back_and_a_rewrite_replaces_it() {
                let (store, _) = $make.await;
                cases::a_written_object_reads_back_and_a_rewrite_replaces_it(&store).await;
            }

            #[tokio::test]
            async fn a_large_binary_object_reads_back_byte_for_byte() {
                let (store, _) = $make.await;
                cases::a_large_binary_object_reads_back_byte_for_byte(&store).await;
            }

            #[tokio::test]
            async fn a_missing_object_is_not_found() {
                let (store, _) = $make.await;
                cases::a_missing_object_is_not_found(&store).await;
            }

            #[tokio::test]
            async fn listing_gives_the_keys_under_a_prefix_in_order_and_no_others() {
                let (store, _) = $make.await;
                cases::listing_gives_the_keys_under_a_prefix_in_order_and_no_others(&store).await;
            }

            #[tokio::test]
            async fn deleting_a_prefix_removes_exactly_its_objects() {
                let (store, _) = $make.await;
                cases::deleting_a_prefix_removes_exactly_its_objects(&store).await;
            }

            #[tokio::test]
            async fn an_empty_prefix_and_malformed_keys_are_refused() {
                let (store, _) = $make.await;
                cases::an_empty_prefix_and_malformed_keys_are_refused(&store).await;
            }

            #[tokio::test]
            async fn a_download_link_fetches_the_object_without_credentials() {
                let (store, raw) = $make.await;
                let fetch = $fetch(raw);
                cases::a_download_link_fetches_the_object_without_credentials(&store, &fetch).await;
            }

            #[tokio::test]
            async fn a_link_to_nothing_or_for_too_long_is_refused() {
                let (store, _) = $make.await;
                cases::a_link_to_nothing_or_for_too_long_is_refused(&store).await;
            }
        }
    };
}

/// A store on a fresh moto bucket (and nothing extra to fetch links with).
async fn s3_store() -> (S3ObjectStore, ()) {
    let client = test_support::s3().await;
    let bucket = test_support::create_bucket(&client, "exports").await;
    (S3ObjectStore::new(client, bucket), ())
}

async fn memory_store() -> (MemoryObjectStore, MemoryObjectStore) {
    let store = MemoryObjectStore::new();
    (store.clone(), store)
}

fn over_http(_: ()) -> Fetch {
    Fetch::Http
}

fn in_memory(store: MemoryObjectStore) -> Fetch {
    Fetch::Memory(store)
}

conformance!(s3, s3_store(), over_http);
conformance!(memory, memory_store(), in_memory);

#[tokio::test]
async fn a_memory_link_that_was_altered_or_expired_opens_nothing() {
    let store = MemoryObjectStore::new();
    store
        .put_object("acme/exports/a.tar.gz", vec![1, 2], "application/gzip")
        .await
        .unwrap();
    store
        .put_object("other/exports/b.tar.gz", vec![3], "application/gzip")
        .await
        .unwrap();
    let link = store
        .download_link(
            "acme/exports/a.tar.gz",
            now(),
            now() + Duration::minutes(15),
        )
        .await
        .unwrap();
    assert_eq!(store.open_link(&link.url, now()).unwrap().0, vec![1, 2]);
    assert!(store
        .open_link(&link.url, now() + Duration::minutes(15))
        .is_err());
    let other_key = link
        .url
        .replace("acme%2Fexports%2Fa", "other%2Fexports%2Fb");
    assert!(store.open_link(&other_key, now()).is_err());
    let longer = link.url.replace("expires=", "expires=9");
    assert!(store.open_link(&longer, now()).is_err());
    // Another store (another process) never opens this one's links.
    assert!(MemoryObjectStore::new()
        .open_link(&link.url, now())
        .is_err());
}

#[tokio::test]
async fn s3_unreachable_is_unavailable() {
    let config = aws_sdk_s3::config::Builder::from(&test_support::aws_config().await)
        .endpoint_url("http://127.0.0.1:9")
        .force_path_style(true)
        .build();
    let store = S3ObjectStore::new(aws_sdk_s3::Client::from_conf(config), "none");
    let read = store.get_object("acme/exports/a").await;
    assert!(matches!(&read, Err(e) if e.is_retryable()), "{read:?}");
}
