//! The NinjaOne reads a walk is made of, each bounded: `after`-paged lists stop at a short page and
//! refuse an `after` that does not move; cursor queries stop at a short page and after
//! [`MAX_PAGES`] pages at most.

use crate::sources::ninjaone::client::NinjaClient;
use crate::sources::ninjaone::error::NinjaError;
use crate::sources::ninjaone::wire;
use serde::de::DeserializeOwned;

/// Pages one listing reads at most (a million rows at the largest page size): past it the
/// platform is not paging as documented.
pub const MAX_PAGES: usize = 1_000;

/// The device filter for organisations `ids` (`org = 5`, `org in (5,6)`).
pub fn org_filter(ids: &[u64]) -> String {
    match ids {
        [one] => format!("org = {one}"),
        many => format!(
            "org in ({})",
            many.iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(",")
        ),
    }
}

fn stuck(what: &str) -> NinjaError {
    NinjaError::Decode(format!(
        "{what}: paging did not move on (or ran past {MAX_PAGES} pages)"
    ))
}

/// One page of organisations (detailed: with custom fields) whose ids are above `after`.
pub async fn organizations(
    client: &NinjaClient,
    after: u64,
    size: usize,
) -> Result<Vec<wire::Organization>, NinjaError> {
    let mut query = vec![("pageSize", size.to_string())];
    if after > 0 {
        query.push(("after", after.to_string()));
    }
    client.get("/v2/organizations-detailed", &query).await
}

/// Every detailed device the filter keeps, paged by the last node id.
pub async fn devices(client: &NinjaClient, df: &str) -> Result<Vec<wire::Device>, NinjaError> {
    let size = client.settings().page_size();
    let mut all: Vec<wire::Device> = Vec::new();
    let mut after = 0;
    for _ in 0..MAX_PAGES {
        let mut query = vec![("df", df.to_owned()), ("pageSize", size.to_string())];
        if after > 0 {
            query.push(("after", after.to_string()));
        }
        let page: Vec<wire::Device> = client.get("/v2/devices-detailed", &query).await?;
        let full = page.len() >= size;
        let last = page.iter().filter_map(|d| d.id).max();
        all.extend(page);
        if !full {
            return Ok(all);
        }
        match last {
            Some(last) if last > after => after = last,
            _ => return Err(stuck("devices")),
        }
    }
    Err(stuck("devices"))
}

/// Every row of a cursor query (`/v2/queries/...`) the filter keeps.
pub async fn query<T: DeserializeOwned>(
    client: &NinjaClient,
    path: &str,
    df: &str,
) -> Result<Vec<T>, NinjaError> {
    let size = client.settings().page_size();
    let mut all = Vec::new();
    let mut query = vec![("df", df.to_owned()), ("pageSize", size.to_string())];
    for _ in 0..MAX_PAGES {
        let page: wire::CursorPage<T> = client.get(path, &query).await?;
        let full = page.results.len() >= size;
        all.extend(page.results);
        let next = page.cursor.and_then(|c| c.name).filter(|n| !n.is_empty());
        match (full, next) {
            (true, Some(name)) => query = vec![("cursor", name), ("pageSize", size.to_string())],
            _ => return Ok(all),
        }
    }
    Err(stuck(path))
}

pub async fn alerts(client: &NinjaClient, df: &str) -> Result<Vec<wire::Alert>, NinjaError> {
    client.get("/v2/alerts", &[("df", df.to_owned())]).await
}

/// A 403 or 404 from a feature's endpoint: the instance lacks it or the app may not use it.
fn feature_missing(error: &NinjaError) -> bool {
    matches!(
        error,
        NinjaError::Api {
            status: 403 | 404,
            ..
        }
    )
}

/// The board listing every ticket: a system board named like "All tickets", else the first system
/// board, else the first. `None` when the instance has no ticketing (403/404: the spec documents no
/// answer for it, so both are read as "none").
pub async fn ticket_board(client: &NinjaClient) -> Result<Option<u64>, NinjaError> {
    let boards: Vec<wire::Board> = match client.get("/v2/ticketing/trigger/boards", &[]).await {
        Ok(boards) => boards,
        Err(error) if feature_missing(&error) => return Ok(None),
        Err(error) => return Err(error),
    };
    let named_all = |b: &&wire::Board| {
        b.name
            .as_deref()
            .is_some_and(|n| n.to_ascii_lowercase().starts_with("all"))
    };
    let system = |b: &&wire::Board| b.system.unwrap_or(false);
    Ok(boards
        .iter()
        .find(|b| system(b) && named_all(b))
        .or_else(|| boards.iter().find(system))
        .or(boards.first())
        .and_then(|b| b.id))
}

/// One page of the ticket board after ticket `last_id`, optionally only organisations `orgs`.
pub async fn tickets(
    client: &NinjaClient,
    board: u64,
    last_id: Option<u64>,
    orgs: Option<&[u64]>,
) -> Result<Vec<wire::TicketRow>, NinjaError> {
    let filters = orgs
        .map(|ids| {
            vec![wire::Rule {
                field: "clientId".to_owned(),
                operator: "in".to_owned(),
                value: ids.iter().map(u64::to_string).collect::<Vec<_>>().join(","),
            }]
        })
        .unwrap_or_default();
    let run = wire::BoardRun {
        page_size: client.settings().page_size(),
        last_cursor_id: last_id,
        filters,
    };
    let page: wire::BoardPage = client
        .post(&format!("/v2/ticketing/trigger/board/{board}/run"), &run)
        .await?;
    Ok(page.data)
}

/// Every end user of the instance (`organizationId` and email), or none when the app may not list
/// them.
pub async fn end_users(client: &NinjaClient) -> Result<Vec<wire::EndUser>, NinjaError> {
    match client.get("/v2/user/end-users", &[]).await {
        Err(error) if feature_missing(&error) => Ok(Vec::new()),
        answer => answer,
    }
}

/// The end users of one organisation (their `organizationId` filled in when absent).
pub async fn org_end_users(
    client: &NinjaClient,
    org: u64,
) -> Result<Vec<wire::EndUser>, NinjaError> {
    let path = format!("/v2/organization/{org}/end-users");
    let users: Vec<wire::EndUser> = match client.get(&path, &[]).await {
        Err(error) if feature_missing(&error) => Vec::new(),
        answer => answer?,
    };
    Ok(users
        .into_iter()
        .map(|u| wire::EndUser {
            organization_id: u.organization_id.or(Some(org)),
            ..u
        })
        .collect())
}

/// One organisation with its custom fields, or `None` when NinjaOne no longer has it.
pub async fn organization(
    client: &NinjaClient,
    id: u64,
) -> Result<Option<wire::Organization>, NinjaError> {
    let mut org: wire::Organization = match client.get(&format!("/v2/organization/{id}"), &[]).await
    {
        Ok(org) => org,
        Err(NinjaError::Api { status: 404, .. }) => return Ok(None),
        Err(error) => return Err(error),
    };
    if org.fields.is_empty() {
        let path = format!("/v2/organization/{id}/custom-fields");
        match client.get(&path, &[]).await {
            Ok(fields) => org.fields = fields,
            Err(error) if feature_missing(&error) => {}
            Err(error) => return Err(error),
        }
    }
    Ok(Some(org))
}
