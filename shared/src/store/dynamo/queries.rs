//! Queries of the DynamoDB table: a plan's key condition and filter as a request, one page of it
//! behind a cursor, or all of it.

use super::item::{corrupt, s, string_attribute, Filter, Item};
use super::{sdk_error, DynamoTable};
use crate::ports::{Page, PageRequest, StoreError};
use crate::store::cursor;
use crate::store::keys;
use crate::store::query::{self, QueryPlan, SortCondition};
use aws_sdk_dynamodb::types::ReturnConsumedCapacity;
use std::collections::BTreeMap;

impl DynamoTable {
    pub(super) fn query_request(
        &self,
        plan: &QueryPlan,
        filter: &Filter,
    ) -> aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder {
        let (pk_name, sk_name) = plan.index.key_attributes();
        let mut key_condition = "#qp = :qp".to_owned();
        let mut request = self
            .client
            .query()
            .table_name(&self.table)
            .set_index_name(plan.index.name().map(str::to_owned))
            .scan_index_forward(plan.forward)
            .return_consumed_capacity(ReturnConsumedCapacity::Indexes)
            .expression_attribute_names("#qp", pk_name)
            .expression_attribute_values(":qp", s(&plan.partition));
        match &plan.condition {
            SortCondition::Any => {}
            SortCondition::BeginsWith(prefix) => {
                key_condition.push_str(" AND begins_with(#qs, :qs)");
                request = request
                    .expression_attribute_names("#qs", sk_name)
                    .expression_attribute_values(":qs", s(prefix));
            }
            SortCondition::Between(low, high) => {
                key_condition.push_str(" AND #qs BETWEEN :ql AND :qh");
                request = request
                    .expression_attribute_names("#qs", sk_name)
                    .expression_attribute_values(":ql", s(low))
                    .expression_attribute_values(":qh", s(high));
            }
        }
        if plan.index == keys::Index::Table {
            request = request.consistent_read(true);
        }
        if let Some(expression) = filter.expression() {
            request = request.filter_expression(expression);
            for (name, attribute) in &filter.names {
                request = request.expression_attribute_names(name, attribute);
            }
            for (name, value) in &filter.values {
                request = request.expression_attribute_values(name, value.clone());
            }
        }
        request.key_condition_expression(key_condition)
    }

    /// One page of a plan: items past the cursor that pass the filter, and a cursor when more exist.
    pub(super) async fn query_page(
        &self,
        plan: &QueryPlan,
        filter: &Filter,
        page: &PageRequest,
    ) -> Result<Page<Item>, StoreError> {
        let limit = query::page_limit(page)?;
        let mut start: Option<Item> = match &page.cursor {
            None => None,
            Some(c) => Some(
                cursor::decode(plan.cursor_scope(), c)?
                    .into_iter()
                    .map(|(name, value)| (name, s(value)))
                    .collect(),
            ),
        };
        let mut items: Vec<Item> = Vec::with_capacity(limit + 1);
        loop {
            // One more than asked tells whether another page exists; a filter may drop many.
            let wanted = limit + 1 - items.len();
            let evaluate = if filter.expression().is_some() {
                (wanted * 4).max(100)
            } else {
                wanted
            };
            let output = self
                .query_request(plan, filter)
                .limit(i32::try_from(evaluate).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| sdk_error("query", e))?;
            self.meter.add(false, output.consumed_capacity());
            items.extend(output.items.unwrap_or_default());
            start = output.last_evaluated_key.filter(|k| !k.is_empty());
            if items.len() > limit || start.is_none() {
                break;
            }
        }
        let next_cursor = if items.len() > limit {
            items.truncate(limit);
            let last = items.last().ok_or_else(|| corrupt("empty page"))?;
            let (pk_name, sk_name) = plan.index.key_attributes();
            let position: BTreeMap<String, String> = [keys::PK, keys::SK, pk_name, sk_name]
                .into_iter()
                .map(|name| {
                    string_attribute(last, name)
                        .map(|value| (name.to_owned(), value))
                        .ok_or_else(|| corrupt(format!("item without {name}")))
                })
                .collect::<Result<_, _>>()?;
            Some(cursor::encode(plan.cursor_scope(), position))
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }

    /// Every item of a plan.
    pub(super) async fn query_all(
        &self,
        plan: &QueryPlan,
        filter: &Filter,
    ) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let output = self
                .query_request(plan, filter)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| sdk_error("query", e))?;
            self.meter.add(false, output.consumed_capacity());
            items.extend(output.items.unwrap_or_default());
            start = output.last_evaluated_key.filter(|k| !k.is_empty());
            if start.is_none() {
                return Ok(items);
            }
        }
    }
}
