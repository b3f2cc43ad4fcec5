//! HubSpot as a `CrmSource`.
//!
//! - Full walks use the list endpoints (100 a page) with the wanted properties and the associations
//!   embedded; when an embedded association list is itself paged, that page's records get their
//!   complete lists from the v4 batch endpoint.
//! - Incremental walks use search on the type's modified-date property inside `[since, until]`,
//!   sorted by `hs_object_id` ascending, and page by key: every page asks for `hs_object_id >= last + 1`
//!   with a zero offset. That is the documented way past search's 10,000-result cap taken to its end
//!   (the offset never grows), costs the same one request a page, and cannot skip or repeat a record
//!   when others change during the walk. Search returns no associations, so each page's are read with
//!   one v4 batch call per association target.
//! - Targeted fetches use batch read (100 ids a call) and v4 associations; ids HubSpot no longer has
//!   come back as `missing`.

use crate::domain::{ObjectRef, ObjectType};
use crate::ports::source::{
    CrmRecord, CrmSource, FetchWindow, FetchedObjects, RecordPage, SourceError,
};
use crate::sources::hubspot::api;
use crate::sources::hubspot::client::HubSpotClient;
use crate::sources::hubspot::error::HubSpotError;
use crate::sources::hubspot::limiter::Budget;
use crate::sources::hubspot::normalise::to_record;
use crate::sources::hubspot::wire::{
    AssociationBatchRequest, AssociationBatchResponse, BatchReadRequest, BatchReadResponse,
    IdInput, RecordsPage, SearchFilter, SearchFilterGroup, SearchRequest, SearchSort, WireRecord,
};
use std::collections::{BTreeMap, HashMap, HashSet};

const LIST_CURSOR: &str = "list:";
const SEARCH_CURSOR: &str = "search:";

pub struct HubSpotSource {
    client: HubSpotClient,
}

impl HubSpotSource {
    pub fn new(client: HubSpotClient) -> Self {
        HubSpotSource { client }
    }

    pub fn client(&self) -> &HubSpotClient {
        &self.client
    }

    async fn list_page(
        &self,
        object_type: ObjectType,
        cursor: Option<&str>,
    ) -> Result<RecordPage, HubSpotError> {
        let after = match cursor {
            None => None,
            Some(c) => Some(
                c.strip_prefix(LIST_CURSOR)
                    .ok_or_else(|| HubSpotError::InvalidCursor("not a list cursor".to_owned()))?,
            ),
        };
        let targets = api::association_targets(object_type);
        let mut query = vec![
            ("limit", api::LIST_PAGE_LIMIT.to_string()),
            ("properties", api::properties(object_type).join(",")),
            ("archived", "false".to_owned()),
        ];
        if !targets.is_empty() {
            let names: Vec<_> = targets.iter().map(|t| t.as_str()).collect();
            query.push(("associations", names.join(",")));
        }
        if let Some(after) = after {
            query.push(("after", after.to_owned()));
        }
        let page: RecordsPage = self
            .client
            .get(&api::list_objects(object_type), &query)
            .await?;
        let mut associations: HashMap<ObjectType, HashMap<String, Vec<String>>> = HashMap::new();
        for &target in targets {
            let mut embedded = HashMap::new();
            let mut incomplete = Vec::new();
            for record in &page.results {
                let list = record
                    .associations
                    .as_ref()
                    .and_then(|a| a.get(target.as_str()));
                let paged = list
                    .and_then(|l| l.paging.as_ref())
                    .is_some_and(|p| p.next.is_some());
                if paged {
                    incomplete.push(record.id.0.clone());
                }
                let ids = list
                    .map(|l| dedupe(l.results.iter().map(|a| a.id.0.clone())))
                    .unwrap_or_default();
                embedded.insert(record.id.0.clone(), ids);
            }
            if !incomplete.is_empty() {
                embedded.extend(self.associations(object_type, target, &incomplete).await?);
            }
            associations.insert(target, embedded);
        }
        Ok(RecordPage {
            next_cursor: page.next_after().map(|a| format!("{LIST_CURSOR}{a}")),
            records: normalise_all(object_type, &page.results, &mut associations),
            total_hint: page.total,
        })
    }

    async fn search_page(
        &self,
        object_type: ObjectType,
        since: chrono::DateTime<chrono::Utc>,
        until: chrono::DateTime<chrono::Utc>,
        cursor: Option<&str>,
    ) -> Result<RecordPage, HubSpotError> {
        let min_id = match cursor {
            None => None,
            Some(c) => Some(
                c.strip_prefix(SEARCH_CURSOR)
                    .and_then(|id| id.parse::<u64>().ok())
                    .ok_or_else(|| HubSpotError::InvalidCursor("not a search cursor".to_owned()))?,
            ),
        };
        let modified = api::modified_date_property(object_type);
        let mut filters = vec![
            SearchFilter {
                property_name: modified,
                operator: "GTE",
                value: since.timestamp_millis().to_string(),
            },
            SearchFilter {
                property_name: modified,
                operator: "LTE",
                value: until.timestamp_millis().to_string(),
            },
        ];
        if let Some(min_id) = min_id {
            filters.push(SearchFilter {
                property_name: "hs_object_id",
                operator: "GTE",
                value: min_id.to_string(),
            });
        }
        let request = SearchRequest {
            filter_groups: vec![SearchFilterGroup { filters }],
            sorts: vec![SearchSort {
                property_name: "hs_object_id",
                direction: "ASCENDING",
            }],
            properties: api::properties(object_type),
            limit: api::SEARCH_PAGE_LIMIT,
            after: None,
        };
        let page: RecordsPage = self
            .client
            .post(&api::search_objects(object_type), &request, Budget::Search)
            .await?;
        let ids: Vec<String> = page.results.iter().map(|r| r.id.0.clone()).collect();
        let mut associations = HashMap::new();
        if !ids.is_empty() {
            for &target in api::association_targets(object_type) {
                associations.insert(target, self.associations(object_type, target, &ids).await?);
            }
        }
        let next_cursor = match (page.next_after(), page.results.last()) {
            (Some(_), Some(last)) => {
                let last_id = last.id.0.parse::<u64>().map_err(|_| {
                    HubSpotError::Decode(format!(
                        "search returned a non-numeric id {:?}",
                        last.id.0
                    ))
                })?;
                Some(format!("{SEARCH_CURSOR}{}", last_id + 1))
            }
            _ => None,
        };
        Ok(RecordPage {
            next_cursor,
            records: normalise_all(object_type, &page.results, &mut associations),
            total_hint: if cursor.is_none() { page.total } else { None },
        })
    }

    /// The `to` ids associated with each of `ids` (v4 batch read, 1,000 ids a call). Ids HubSpot
    /// reports in `errors` (a 207) have no associations of that type.
    async fn associations(
        &self,
        from: ObjectType,
        to: ObjectType,
        ids: &[String],
    ) -> Result<HashMap<String, Vec<String>>, HubSpotError> {
        let mut found: HashMap<String, Vec<String>> = HashMap::new();
        for chunk in ids.chunks(api::ASSOCIATION_BATCH_LIMIT) {
            let request = AssociationBatchRequest {
                inputs: chunk.iter().map(|id| IdInput { id }).collect(),
            };
            let response: AssociationBatchResponse = self
                .client
                .post(
                    &api::batch_read_associations(from, to),
                    &request,
                    Budget::General,
                )
                .await?;
            for error in &response.errors {
                if error.is_not_found() {
                    tracing::debug!(from = from.as_str(), to = to.as_str(), error = %error.describe(),
                        "association batch read: ids without associations");
                } else {
                    tracing::warn!(from = from.as_str(), to = to.as_str(), error = %error.describe(),
                        "association batch read error");
                }
            }
            for result in response.results {
                if result.paging.as_ref().is_some_and(|p| p.next.is_some()) {
                    tracing::warn!(from = from.as_str(), to = to.as_str(), id = %result.from.id.0,
                        "more associations than one v4 page; only the first page is used");
                }
                let entry = found.entry(result.from.id.0).or_default();
                entry.extend(result.to.into_iter().map(|t| t.to_object_id.0));
                *entry = dedupe(entry.drain(..));
            }
        }
        Ok(found)
    }

    async fn batch_read(
        &self,
        object_type: ObjectType,
        ids: &[String],
    ) -> Result<(Vec<CrmRecord>, Vec<ObjectRef>), HubSpotError> {
        let mut wire_records: Vec<WireRecord> = Vec::new();
        for chunk in ids.chunks(api::BATCH_READ_LIMIT) {
            let request = BatchReadRequest {
                inputs: chunk.iter().map(|id| IdInput { id }).collect(),
                properties: api::properties(object_type),
            };
            let response: BatchReadResponse = self
                .client
                .post(
                    &api::batch_read_objects(object_type),
                    &request,
                    Budget::General,
                )
                .await?;
            if let Some(errors) = response.num_errors.filter(|n| *n > 0) {
                tracing::debug!(
                    object_type = object_type.as_str(),
                    errors,
                    "batch read: some ids not found"
                );
            }
            for error in response.errors.iter().filter(|e| !e.is_not_found()) {
                tracing::warn!(object_type = object_type.as_str(), error = %error.describe(), "batch read error");
            }
            wire_records.extend(
                response
                    .results
                    .into_iter()
                    .filter(|r| r.archived != Some(true)),
            );
        }
        let found: HashSet<&str> = wire_records.iter().map(|r| r.id.0.as_str()).collect();
        let missing = ids
            .iter()
            .filter(|id| !found.contains(id.as_str()))
            .map(|id| ObjectRef {
                object_type,
                id: id.clone(),
            })
            .collect();
        let found_ids: Vec<String> = wire_records.iter().map(|r| r.id.0.clone()).collect();
        let mut associations = HashMap::new();
        if !found_ids.is_empty() {
            for &target in api::association_targets(object_type) {
                associations.insert(
                    target,
                    self.associations(object_type, target, &found_ids).await?,
                );
            }
        }
        Ok((
            normalise_all(object_type, &wire_records, &mut associations),
            missing,
        ))
    }
}

fn dedupe(ids: impl Iterator<Item = String>) -> Vec<String> {
    let mut seen = HashSet::new();
    ids.filter(|id| seen.insert(id.clone())).collect()
}

fn normalise_all(
    object_type: ObjectType,
    records: &[WireRecord],
    associations: &mut HashMap<ObjectType, HashMap<String, Vec<String>>>,
) -> Vec<CrmRecord> {
    let mut take = |target: ObjectType, id: &str| {
        associations
            .get_mut(&target)
            .and_then(|m| m.remove(id))
            .unwrap_or_default()
    };
    let mut out = Vec::with_capacity(records.len());
    for wire in records {
        let companies = take(ObjectType::Companies, &wire.id.0);
        let contacts = take(ObjectType::Contacts, &wire.id.0);
        match to_record(object_type, wire, companies, contacts) {
            Some(record) => out.push(record),
            None => tracing::warn!(
                object_type = object_type.as_str(),
                id = %wire.id.0,
                "skipping a record with no usable time"
            ),
        }
    }
    out
}

#[async_trait::async_trait]
impl CrmSource for HubSpotSource {
    fn name(&self) -> &'static str {
        "hubspot"
    }

    fn object_types(&self) -> &[ObjectType] {
        &ObjectType::ALL
    }

    async fn fetch_page(
        &self,
        object_type: ObjectType,
        window: FetchWindow,
        cursor: Option<&str>,
    ) -> Result<RecordPage, SourceError> {
        let page = match window {
            FetchWindow::All => self.list_page(object_type, cursor).await?,
            FetchWindow::ChangedBetween { since, until } => {
                self.search_page(object_type, since, until, cursor).await?
            }
        };
        Ok(page)
    }

    async fn fetch_objects(&self, refs: &[ObjectRef]) -> Result<FetchedObjects, SourceError> {
        let mut by_type: BTreeMap<ObjectType, Vec<String>> = BTreeMap::new();
        for r in refs {
            let ids = by_type.entry(r.object_type).or_default();
            if !ids.contains(&r.id) {
                ids.push(r.id.clone());
            }
        }
        let mut fetched = FetchedObjects::default();
        for (object_type, ids) in by_type {
            let (records, missing) = self.batch_read(object_type, &ids).await?;
            fetched.records.extend(records);
            fetched.missing.extend(missing);
        }
        Ok(fetched)
    }

    fn requests_made(&self) -> u64 {
        self.client.stats().requests
    }
}
