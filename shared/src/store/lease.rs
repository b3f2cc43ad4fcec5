//! A lease held while work runs: taken for a short term and renewed while the holder works, so a
//! holder that dies (a Lambda killed at its timeout, a local runner killed with `kill -9`) blocks
//! the next one for one term at most, however long the work itself may run.

use crate::domain::{ConnectionId, TenantId};
use crate::ports::{Lease, StoreError, SyncStore};
use chrono::{DateTime, Utc};
use std::future::Future;
use std::time::Duration;

/// How long a lease lasts without renewal, and how often its holder renews it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaseTerms {
    pub term: Duration,
    pub renew_every: Duration,
}

impl LeaseTerms {
    /// The sync lease: a dead sync blocks the tenant's next one for 90 s at most. Renewed every
    /// 30 s, so one failed renewal is retried before the term runs out.
    pub const SYNC: LeaseTerms = LeaseTerms {
        term: Duration::from_secs(90),
        renew_every: Duration::from_secs(30),
    };

    fn until(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now + chrono::Duration::from_std(self.term).unwrap_or(chrono::Duration::seconds(90))
    }
}

/// Why work under a lease was stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LeaseLost {
    #[error("the {0} lease was taken over or ran out while this holder worked")]
    TakenOver(&'static str),
    #[error("the {lease} lease could not be renewed before it ran out: {reason}")]
    NotRenewed { lease: &'static str, reason: String },
}

/// A lease this process holds on a tenant.
pub struct HeldLease<'a, S: ?Sized> {
    store: &'a S,
    tenant_id: TenantId,
    lease: Lease,
    /// The key the store holds it under: the lease's name, or its name on one connection.
    key: String,
    holder: String,
    terms: LeaseTerms,
    until: DateTime<Utc>,
}

impl<'a, S: SyncStore + ?Sized> HeldLease<'a, S> {
    /// Takes `lease` on the tenant for `holder`; `None` while another holder has it.
    pub async fn acquire(
        store: &'a S,
        tenant_id: &TenantId,
        lease: Lease,
        holder: &str,
        terms: LeaseTerms,
    ) -> Result<Option<Self>, StoreError> {
        Self::acquire_key(
            store,
            tenant_id,
            lease,
            lease.name().to_owned(),
            holder,
            terms,
        )
        .await
    }

    /// Takes `lease` on one connection of the tenant for `holder`; `None` while another holder has
    /// it.
    pub async fn acquire_on_connection(
        store: &'a S,
        tenant_id: &TenantId,
        connection_id: &ConnectionId,
        lease: Lease,
        holder: &str,
        terms: LeaseTerms,
    ) -> Result<Option<Self>, StoreError> {
        let key = lease.key_on(connection_id);
        Self::acquire_key(store, tenant_id, lease, key, holder, terms).await
    }

    async fn acquire_key(
        store: &'a S,
        tenant_id: &TenantId,
        lease: Lease,
        key: String,
        holder: &str,
        terms: LeaseTerms,
    ) -> Result<Option<Self>, StoreError> {
        let now = Utc::now();
        let until = terms.until(now);
        let taken = store
            .acquire_lease(tenant_id, &key, holder, until, now)
            .await?;
        Ok(taken.then(|| HeldLease {
            store,
            tenant_id: tenant_id.clone(),
            lease,
            key,
            holder: holder.to_owned(),
            terms,
            until,
        }))
    }

    /// Runs `work` while renewing the lease. When a renewal finds the lease gone (taken over, or
    /// run out while this holder stalled), or cannot renew it before it runs out, `work` is dropped
    /// at its next await and the loss returned: the work must not go on unguarded.
    pub async fn run<F: Future>(&mut self, work: F) -> Result<F::Output, LeaseLost> {
        tokio::select! {
            biased;
            output = work => Ok(output),
            lost = self.keep() => Err(lost),
        }
    }

    /// Renews the lease every `renew_every`; returns only when it is lost.
    async fn keep(&mut self) -> LeaseLost {
        let name = self.lease.name();
        loop {
            tokio::time::sleep(self.terms.renew_every).await;
            let now = Utc::now();
            let until = self.terms.until(now);
            match self
                .store
                .renew_lease(&self.tenant_id, &self.key, &self.holder, until, now)
                .await
            {
                Ok(true) => self.until = until,
                Ok(false) => return LeaseLost::TakenOver(name),
                Err(error) => {
                    tracing::warn!(%error, tenant = %self.tenant_id, lease = name, "could not renew a lease");
                    let next_try = now
                        + chrono::Duration::from_std(self.terms.renew_every)
                            .unwrap_or(chrono::Duration::zero());
                    if next_try >= self.until {
                        return LeaseLost::NotRenewed {
                            lease: name,
                            reason: error.to_string(),
                        };
                    }
                }
            }
        }
    }

    /// Gives the lease back. A failure is only logged: the lease runs out by itself within a term.
    pub async fn release(self) {
        let released = self
            .store
            .release_lease(&self.tenant_id, &self.key, &self.holder)
            .await;
        if let Err(error) = released {
            tracing::warn!(%error, tenant = %self.tenant_id, lease = %self.key, "could not release a lease");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;
    use std::sync::atomic::{AtomicBool, Ordering};

    const QUICK: LeaseTerms = LeaseTerms {
        term: Duration::from_millis(300),
        renew_every: Duration::from_millis(100),
    };

    fn acme() -> TenantId {
        TenantId::parse("acme").unwrap()
    }

    async fn free_for(store: &MemoryStore, holder: &str) -> bool {
        let now = Utc::now();
        let until = now + chrono::Duration::seconds(1);
        let name = Lease::Sync.name();
        let taken = store
            .acquire_lease(&acme(), name, holder, until, now)
            .await
            .unwrap();
        if taken {
            store.release_lease(&acme(), name, holder).await.unwrap();
        }
        taken
    }

    #[tokio::test]
    async fn work_longer_than_the_term_keeps_the_lease_and_gives_it_back_at_the_end() {
        let store = MemoryStore::new();
        let mut held = HeldLease::acquire(&store, &acme(), Lease::Sync, "worker-a", QUICK)
            .await
            .unwrap()
            .expect("a free lease is taken");
        assert!(
            HeldLease::acquire(&store, &acme(), Lease::Sync, "worker-b", QUICK)
                .await
                .unwrap()
                .is_none(),
            "held"
        );

        let outcome = held
            .run(async {
                // Three terms long: only renewals keep the lease.
                tokio::time::sleep(QUICK.term * 3).await;
                free_for(&store, "worker-b").await
            })
            .await;

        assert_eq!(outcome, Ok(false), "still held after three terms");
        held.release().await;
        assert!(free_for(&store, "worker-b").await);
    }

    #[tokio::test]
    async fn work_stops_when_another_holder_took_the_lease() {
        let store = MemoryStore::new();
        let mut held = HeldLease::acquire(&store, &acme(), Lease::Sync, "worker-a", QUICK)
            .await
            .unwrap()
            .unwrap();
        let finished = AtomicBool::new(false);

        let outcome = held
            .run(async {
                // Another process believes the lease ran out (its clock is ahead) and takes it.
                let later = Utc::now() + chrono::Duration::seconds(10);
                let until = later + chrono::Duration::seconds(90);
                let name = Lease::Sync.name();
                assert!(store
                    .acquire_lease(&acme(), name, "worker-b", until, later)
                    .await
                    .unwrap());
                tokio::time::sleep(QUICK.term * 10).await;
                finished.store(true, Ordering::SeqCst);
            })
            .await;

        assert_eq!(outcome, Err(LeaseLost::TakenOver("sync")));
        assert!(!finished.load(Ordering::SeqCst), "the work was stopped");
        held.release().await;
        assert!(
            !free_for(&store, "worker-c").await,
            "the old holder's release leaves the new holder's lease alone"
        );
    }

    #[tokio::test]
    async fn a_holder_that_dies_blocks_others_for_one_term_at_most() {
        let store = MemoryStore::new();
        let held = HeldLease::acquire(&store, &acme(), Lease::Sync, "worker-a", QUICK)
            .await
            .unwrap();
        // Dies: never renews, never releases.
        std::mem::forget(held);
        assert!(!free_for(&store, "worker-b").await);

        tokio::time::sleep(QUICK.term + Duration::from_millis(50)).await;

        assert!(free_for(&store, "worker-b").await);
    }
}
