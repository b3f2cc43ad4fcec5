//! One suite for the `SecretVault` port, run against both adapters: Secrets Manager (on moto's server,
//! endpoint from `AWS_ENDPOINT_URL_SECRETS_MANAGER`) and the in-process vault.

use secrecy::{ExposeSecret, SecretString};
use shared::ports::vault::{SecretVault, VaultError};
use shared::vault::{InProcessVault, SecretsManagerVault};

fn secret(value: &str) -> SecretString {
    SecretString::from(value.to_string())
}

fn fresh_id() -> String {
    test_support::unique_name("tenant-tokens")
}

async fn create(vault: &dyn SecretVault, id: &str, value: &str) {
    if let Err(error) = vault.create(id, &secret(value)).await {
        panic!("creating {id} failed: {error}");
    }
}

async fn expect_value(vault: &dyn SecretVault, id: &str, expected: &str) -> String {
    match vault.get(id).await {
        Ok(read) => {
            assert_eq!(read.value.expose_secret(), expected);
            read.version_id
        }
        Err(error) => panic!("reading {id} failed: {error}"),
    }
}

/// The cases every adapter must pass. Each works on its own fresh secret id.
mod cases {
    use super::*;

    pub async fn a_created_secret_reads_back_with_a_version(vault: &dyn SecretVault) {
        let id = fresh_id();
        let created = vault
            .create(&id, &secret(r#"{"refresh_token":"r1"}"#))
            .await;
        assert!(created.is_ok(), "create failed: {created:?}");
        let version = expect_value(vault, &id, r#"{"refresh_token":"r1"}"#).await;
        assert!(!version.is_empty());
    }

    pub async fn put_at_the_current_version_replaces_the_value(vault: &dyn SecretVault) {
        let id = fresh_id();
        create(vault, &id, "first").await;
        let first_version = expect_value(vault, &id, "first").await;

        let written = vault
            .put(&id, &secret("second"), Some(&first_version))
            .await;
        let second_version = match written {
            Ok(version) => version,
            Err(error) => panic!("put at the current version was refused: {error}"),
        };
        assert_ne!(second_version, first_version);
        let read_version = expect_value(vault, &id, "second").await;
        assert_eq!(read_version, second_version);
    }

    pub async fn put_at_a_stale_version_is_refused_and_keeps_the_newer_value(
        vault: &dyn SecretVault,
    ) {
        let id = fresh_id();
        create(vault, &id, "first").await;
        let stale = expect_value(vault, &id, "first").await;
        let newer = match vault
            .put(&id, &secret("refreshed by A"), Some(&stale))
            .await
        {
            Ok(version) => version,
            Err(error) => panic!("the first writer was refused: {error}"),
        };

        let late_writer = vault
            .put(&id, &secret("refreshed by B"), Some(&stale))
            .await;
        assert!(
            matches!(late_writer, Err(VaultError::Conflict(ref conflicted)) if conflicted == &id),
            "a write at a stale version must be a conflict, got {late_writer:?}"
        );
        let current = expect_value(vault, &id, "refreshed by A").await;
        assert_eq!(current, newer);
    }

    pub async fn put_without_an_expected_version_overwrites(vault: &dyn SecretVault) {
        let id = fresh_id();
        create(vault, &id, "first").await;
        let written = vault.put(&id, &secret("replaced"), None).await;
        assert!(written.is_ok(), "{written:?}");
        expect_value(vault, &id, "replaced").await;
    }

    pub async fn a_missing_secret_is_not_found(vault: &dyn SecretVault) {
        let id = fresh_id();
        let read = vault.get(&id).await;
        assert!(
            matches!(read, Err(VaultError::NotFound(ref missing)) if missing == &id),
            "{read:?}"
        );
        let written = vault.put(&id, &secret("x"), None).await;
        assert!(
            matches!(written, Err(VaultError::NotFound(_))),
            "{written:?}"
        );
    }

    pub async fn creating_an_existing_secret_is_refused_and_keeps_its_value(
        vault: &dyn SecretVault,
    ) {
        let id = fresh_id();
        create(vault, &id, "original").await;
        let again = vault.create(&id, &secret("intruder")).await;
        assert!(
            matches!(again, Err(VaultError::AlreadyExists(ref existing)) if existing == &id),
            "{again:?}"
        );
        expect_value(vault, &id, "original").await;
    }

    pub async fn a_deleted_secret_is_gone_and_deleting_again_is_fine(vault: &dyn SecretVault) {
        let (id, other) = (fresh_id(), fresh_id());
        create(vault, &id, "to-delete").await;
        create(vault, &other, "to-keep").await;
        vault.delete(&id).await.unwrap();
        assert!(matches!(vault.get(&id).await, Err(VaultError::NotFound(_))));
        vault.delete(&id).await.unwrap();
        vault.delete(&fresh_id()).await.unwrap();
        expect_value(vault, &other, "to-keep").await;
    }

    pub async fn values_do_not_show_in_debug_output(vault: &dyn SecretVault) {
        let id = fresh_id();
        let value = "do-not-print-this-token";
        create(vault, &id, value).await;
        let read = match vault.get(&id).await {
            Ok(read) => read,
            Err(error) => panic!("{error}"),
        };
        assert!(!format!("{read:?}").contains(value));
    }
}

macro_rules! vault_conformance {
    ($adapter:ident, $make:expr) => {
        mod $adapter {
            use super::*;

            #[tokio::test]
            async fn a_created_secret_reads_back_with_a_version() {
                cases::a_created_secret_reads_back_with_a_version(&$make).await;
            }

            #[tokio::test]
            async fn put_at_the_current_version_replaces_the_value() {
                cases::put_at_the_current_version_replaces_the_value(&$make).await;
            }

            #[tokio::test]
            async fn put_at_a_stale_version_is_refused_and_keeps_the_newer_value() {
                cases::put_at_a_stale_version_is_refused_and_keeps_the_newer_value(&$make).await;
            }

            #[tokio::test]
            async fn put_without_an_expected_version_overwrites() {
                cases::put_without_an_expected_version_overwrites(&$make).await;
            }

            #[tokio::test]
            async fn a_missing_secret_is_not_found() {
                cases::a_missing_secret_is_not_found(&$make).await;
            }

            #[tokio::test]
            async fn creating_an_existing_secret_is_refused_and_keeps_its_value() {
                cases::creating_an_existing_secret_is_refused_and_keeps_its_value(&$make).await;
            }

            #[tokio::test]
            async fn a_deleted_secret_is_gone_and_deleting_again_is_fine() {
                cases::a_deleted_secret_is_gone_and_deleting_again_is_fine(&$make).await;
            }

            #[tokio::test]
            async fn values_do_not_show_in_debug_output() {
                cases::values_do_not_show_in_debug_output(&$make).await;
            }
        }
    };
}

vault_conformance!(
    secrets_manager,
    SecretsManagerVault::new(test_support::secrets_manager().await)
);
vault_conformance!(in_process, InProcessVault::new());

/// Only the in-process vault can promise an exact compare-and-set (Secrets Manager has no conditional
/// write; there the store lease serialises refreshes).
#[tokio::test]
async fn in_process_concurrent_writers_at_one_version_have_exactly_one_winner() {
    let vault = InProcessVault::new();
    let id = fresh_id();
    create(&vault, &id, "v0").await;
    let base = expect_value(&vault, &id, "v0").await;

    let writers = (0..8).map(|writer| {
        let vault = vault.clone();
        let id = id.clone();
        let base = base.clone();
        tokio::spawn(async move {
            vault
                .put(&id, &secret(&format!("w{writer}")), Some(&base))
                .await
        })
    });
    let mut won = 0;
    let mut conflicts = 0;
    for writer in writers {
        match writer.await {
            Ok(Ok(_)) => won += 1,
            Ok(Err(VaultError::Conflict(_))) => conflicts += 1,
            other => panic!("unexpected outcome {other:?}"),
        }
    }
    assert_eq!((won, conflicts), (1, 7));
}

/// A Secrets Manager that cannot be reached is `Unavailable` (retry later), not `NotFound`.
#[tokio::test]
async fn secrets_manager_unreachable_is_unavailable() {
    let closed_port = {
        let listener = match std::net::TcpListener::bind("127.0.0.1:0") {
            Ok(listener) => listener,
            Err(error) => panic!("binding a local port failed: {error}"),
        };
        match listener.local_addr() {
            Ok(address) => address.port(),
            Err(error) => panic!("{error}"),
        }
    };
    let config = aws_sdk_secretsmanager::config::Builder::from(&test_support::aws_config().await)
        .endpoint_url(format!("http://127.0.0.1:{closed_port}"))
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .build();
    let vault = SecretsManagerVault::new(aws_sdk_secretsmanager::Client::from_conf(config));
    let read = vault.get("any-secret").await;
    assert!(matches!(read, Err(VaultError::Unavailable(_))), "{read:?}");
}
