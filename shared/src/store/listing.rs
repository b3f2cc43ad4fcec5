//! Whole listings read through the store ports, page after page. They live outside `ports` because
//! they call the ports: `ports` holds only the traits and their types.

use crate::domain::{HealthScore, TenantId};
use crate::ports::{Page, PageRequest, ScoreQuery, ScoreStore, StoreError};

/// Every item of a paged listing: `fetch` is called with the largest page, then with each next
/// cursor, until a page has none. Bounded: a store answering the cursor it was given stops the walk
/// with an error instead of asking for the same page forever.
pub async fn every_page<T, F, Fut>(fetch: F) -> Result<Vec<T>, StoreError>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: std::future::Future<Output = Result<Page<T>, StoreError>>,
{
    every_page_mapped(fetch, |item| item).await
}

/// Like [`every_page`], keeping `map` of each item: a listing of large records (accounts) is held
/// a page at a time, and only what `map` keeps of it stays.
pub async fn every_page_mapped<T, U, F, Fut, M>(
    mut fetch: F,
    mut map: M,
) -> Result<Vec<U>, StoreError>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: std::future::Future<Output = Result<Page<T>, StoreError>>,
    M: FnMut(T) -> U,
{
    let mut items = Vec::new();
    let mut page = PageRequest::first(PageRequest::MAX_LIMIT);
    loop {
        let got = fetch(page.clone()).await?;
        items.extend(got.items.into_iter().map(&mut map));
        match got.next_cursor {
            Some(cursor) if page.cursor.as_deref() == Some(cursor.as_str()) => {
                return Err(StoreError::Corrupt(
                    "a listing answered the cursor it was given".into(),
                ))
            }
            Some(cursor) => page.cursor = Some(cursor),
            None => return Ok(items),
        }
    }
}

/// Every current score of the tenant.
pub async fn every_score<S: ScoreStore + ?Sized>(
    store: &S,
    tenant_id: &TenantId,
) -> Result<Vec<HealthScore>, StoreError> {
    let all = &ScoreQuery::default();
    every_page(|page| async move { store.list_scores(tenant_id, all, &page).await }).await
}
