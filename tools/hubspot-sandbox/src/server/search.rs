//! CRM search: filters, sorts, paging and the 10,000-result cap.

use std::borrow::Cow;

use super::*;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SearchRequest {
    #[serde(default)]
    filter_groups: Vec<FilterGroup>,
    #[serde(default)]
    sorts: Vec<SortSpec>,
    #[serde(default)]
    properties: Vec<String>,
    #[serde(default)]
    limit: Option<Value>,
    #[serde(default)]
    after: Option<Value>,
    #[serde(default)]
    query: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct FilterGroup {
    #[serde(default)]
    filters: Vec<Filter>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Filter {
    property_name: String,
    operator: String,
    #[serde(default)]
    value: Option<Value>,
    #[serde(default)]
    values: Option<Vec<Value>>,
    #[serde(default)]
    high_value: Option<Value>,
}

#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum SortSpec {
    Text(String),
    Object {
        #[serde(rename = "propertyName")]
        property_name: String,
        #[serde(default)]
        direction: Option<String>,
    },
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Operator {
    Eq,
    Neq,
    Lt,
    Lte,
    Gt,
    Gte,
    Between,
    In,
    NotIn,
    HasProperty,
    NotHasProperty,
    ContainsToken,
    NotContainsToken,
}

/// A filter checked and with its values parsed once, so matching a record costs no parsing of the filter.
pub(super) struct CompiledFilter {
    property: String,
    operator: Operator,
    value: Option<(String, Option<f64>)>,
    high: Option<(String, Option<f64>)>,
    values: Vec<(String, Option<f64>)>,
}

pub(super) fn value_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

pub(super) fn compile_filter(filter: &Filter) -> Result<CompiledFilter, ApiError> {
    let operator = match filter.operator.to_ascii_uppercase().as_str() {
        "EQ" => Operator::Eq,
        "NEQ" => Operator::Neq,
        "LT" => Operator::Lt,
        "LTE" => Operator::Lte,
        "GT" => Operator::Gt,
        "GTE" => Operator::Gte,
        "BETWEEN" => Operator::Between,
        "IN" => Operator::In,
        "NOT_IN" => Operator::NotIn,
        "HAS_PROPERTY" => Operator::HasProperty,
        "NOT_HAS_PROPERTY" => Operator::NotHasProperty,
        "CONTAINS_TOKEN" => Operator::ContainsToken,
        "NOT_CONTAINS_TOKEN" => Operator::NotContainsToken,
        other => {
            return Err(validation_error(format!(
                "Unknown filter operator: {other}"
            )))
        }
    };
    let parsed = |v: &Value| {
        let text = value_text(v);
        let number = numeric_value(&text);
        (text, number)
    };
    let compiled = CompiledFilter {
        property: filter.property_name.clone(),
        operator,
        value: filter.value.as_ref().map(parsed),
        high: filter.high_value.as_ref().map(parsed),
        values: filter.values.iter().flatten().map(parsed).collect(),
    };
    let needs_value = matches!(
        operator,
        Operator::Eq
            | Operator::Neq
            | Operator::Lt
            | Operator::Lte
            | Operator::Gt
            | Operator::Gte
            | Operator::Between
            | Operator::ContainsToken
            | Operator::NotContainsToken
    );
    if needs_value && compiled.value.is_none() {
        return Err(validation_error(format!(
            "Filter on {} with operator {} needs a value",
            filter.property_name, filter.operator
        )));
    }
    if operator == Operator::Between && compiled.high.is_none() {
        return Err(validation_error("BETWEEN needs a highValue"));
    }
    if matches!(operator, Operator::In | Operator::NotIn) && compiled.values.is_empty() {
        return Err(validation_error("IN and NOT_IN need values"));
    }
    Ok(compiled)
}

/// A record's value for a property, in the forms the comparisons need.
pub(super) enum Field<'a> {
    Missing,
    Number(f64, Option<&'a str>),
    Text(&'a str),
}

pub(super) fn field<'a>(ty: ObjectType, rec: &'a Record, property: &str) -> Field<'a> {
    if property == "hs_object_id" {
        return Field::Number(rec.id as f64, None);
    }
    if property == ty.modified_property() {
        return Field::Number(rec.updated_ms as f64, None);
    }
    if property == "createdate" {
        return Field::Number(rec.created_ms as f64, None);
    }
    match rec.get(property).and_then(|v| v.as_deref()) {
        None | Some("") => Field::Missing,
        Some(text) => match numeric_value(text) {
            Some(number) => Field::Number(number, Some(text)),
            None => Field::Text(text),
        },
    }
}

pub(super) fn compare(field: &Field<'_>, target: &(String, Option<f64>)) -> Option<Ordering> {
    match (field, target.1) {
        (Field::Missing, _) => None,
        (Field::Number(number, _), Some(wanted)) => number.partial_cmp(&wanted),
        (Field::Number(number, text), None) => {
            let own = text.map_or_else(|| number.to_string(), str::to_owned);
            Some(own.to_lowercase().cmp(&target.0.to_lowercase()))
        }
        (Field::Text(text), _) => Some(text.to_lowercase().cmp(&target.0.to_lowercase())),
    }
}

pub(super) fn matches(filter: &CompiledFilter, ty: ObjectType, rec: &Record) -> bool {
    let field = field(ty, rec, &filter.property);
    let value = filter.value.as_ref();
    let with = |t: Option<&(String, Option<f64>)>| t.and_then(|t| compare(&field, t));
    match filter.operator {
        Operator::Eq => with(value) == Some(Ordering::Equal),
        Operator::Neq => with(value) != Some(Ordering::Equal),
        Operator::Lt => with(value) == Some(Ordering::Less),
        Operator::Lte => matches!(with(value), Some(Ordering::Less | Ordering::Equal)),
        Operator::Gt => with(value) == Some(Ordering::Greater),
        Operator::Gte => matches!(with(value), Some(Ordering::Greater | Ordering::Equal)),
        Operator::Between => {
            matches!(with(value), Some(Ordering::Greater | Ordering::Equal))
                && matches!(
                    with(filter.high.as_ref()),
                    Some(Ordering::Less | Ordering::Equal)
                )
        }
        Operator::In => filter
            .values
            .iter()
            .any(|v| compare(&field, v) == Some(Ordering::Equal)),
        Operator::NotIn => !filter
            .values
            .iter()
            .any(|v| compare(&field, v) == Some(Ordering::Equal)),
        Operator::HasProperty => !matches!(field, Field::Missing),
        Operator::NotHasProperty => matches!(field, Field::Missing),
        Operator::ContainsToken | Operator::NotContainsToken => {
            let token = value.map(|v| v.0.to_lowercase()).unwrap_or_default();
            let token = token.trim_matches('*');
            let contains = match &field {
                Field::Missing => false,
                Field::Number(_, Some(text)) | Field::Text(text) => {
                    text.to_lowercase().contains(token)
                }
                Field::Number(number, None) => number.to_string().contains(token),
            };
            contains == (filter.operator == Operator::ContainsToken)
        }
    }
}

pub(super) fn sort_key_cmp(ty: ObjectType, property: &str, a: &Record, b: &Record) -> Ordering {
    let (fa, fb) = (field(ty, a, property), field(ty, b, property));
    let ordered = match (&fa, &fb) {
        (Field::Missing, Field::Missing) => Ordering::Equal,
        (Field::Missing, _) => Ordering::Greater,
        (_, Field::Missing) => Ordering::Less,
        (Field::Number(x, _), Field::Number(y, _)) => x.partial_cmp(y).unwrap_or(Ordering::Equal),
        (Field::Text(x), Field::Text(y)) => x.to_lowercase().cmp(&y.to_lowercase()),
        (Field::Number(..), Field::Text(_)) => Ordering::Less,
        (Field::Text(_), Field::Number(..)) => Ordering::Greater,
    };
    ordered.then(a.id.cmp(&b.id))
}

#[derive(Serialize)]
pub(super) struct SearchPage<'a> {
    total: usize,
    results: Vec<RecordJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    paging: Option<Paging>,
}

pub(super) fn usize_param(value: Option<&Value>, name: &str) -> Result<Option<usize>, ApiError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_u64()
            .map(|n| Some(n as usize))
            .ok_or_else(|| validation_error(format!("{name} must be a non-negative integer"))),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => s.parse::<usize>().map(Some).map_err(|_| {
            validation_error(format!("{name} must be a non-negative integer, got {s:?}"))
        }),
        Some(_) => Err(validation_error(format!(
            "{name} must be a non-negative integer"
        ))),
    }
}

pub(super) async fn search(
    State(shared): AppState,
    Path(object_type): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let route = format!("POST /crm/v3/objects/{object_type}/search");
    if let Err(error) = gate(&shared, &headers, Kind::Search, route).await {
        return error.into_response();
    }
    run_search(&shared, &object_type, &body).unwrap_or_else(IntoResponse::into_response)
}

pub(super) fn run_search(
    shared: &Shared,
    object_type: &str,
    body: &Bytes,
) -> Result<Response, ApiError> {
    let ty = parse_type(object_type)?;
    let request: SearchRequest = parse_json(body)?;
    let limit = usize_param(request.limit.as_ref(), "limit")?.unwrap_or(10);
    if limit > SEARCH_MAX_LIMIT {
        return Err(validation_error(format!(
            "limit must be less than or equal to {SEARCH_MAX_LIMIT}"
        )));
    }
    let after = usize_param(request.after.as_ref(), "after")?.unwrap_or(0);
    if after >= SEARCH_RESULT_CAP {
        return Err(validation_error(format!(
            "Search requests are limited to {SEARCH_RESULT_CAP} results; `after` {after} is past that limit. \
             Narrow the query with filters instead of paging further."
        )));
    }
    if request.filter_groups.len() > 5 {
        return Err(validation_error("At most 5 filterGroups are allowed"));
    }
    if request.filter_groups.iter().any(|g| g.filters.len() > 6) {
        return Err(validation_error(
            "At most 6 filters are allowed in a filterGroup",
        ));
    }
    if request
        .filter_groups
        .iter()
        .map(|g| g.filters.len())
        .sum::<usize>()
        > 18
    {
        return Err(validation_error("At most 18 filters are allowed in all"));
    }
    if request.sorts.len() > 1 {
        return Err(validation_error("Only one sort is allowed"));
    }
    let groups: Vec<Vec<CompiledFilter>> = request
        .filter_groups
        .iter()
        .map(|g| g.filters.iter().map(compile_filter).collect())
        .collect::<Result<_, _>>()?;
    let sort = request.sorts.first().map(|s| match s {
        SortSpec::Text(text) => match text.strip_prefix('-') {
            Some(name) => (name.to_owned(), true),
            None => (text.clone(), false),
        },
        SortSpec::Object {
            property_name,
            direction,
        } => (
            property_name.clone(),
            direction
                .as_deref()
                .is_some_and(|d| d.eq_ignore_ascii_case("DESCENDING")),
        ),
    });
    let query = request
        .query
        .as_deref()
        .map(str::to_lowercase)
        .filter(|q| !q.trim().is_empty());
    let props = PropSelection::from_names(request.properties.iter().map(String::as_str));
    let visible_before = now_ms() - shared.config.search_lag_ms as i64;
    let lag = shared.config.search_lag_ms > 0;

    let portal = read(&shared.portal);
    // Records come in id order, so an ascending id sort (or none) needs only the page's window;
    // another sort keeps the best 10,000 (all search ever serves), trimmed as they come.
    let sorted_by_id = sort
        .as_ref()
        .is_none_or(|(property, descending)| property == "hs_object_id" && !*descending);
    let page_end = (after + limit).min(SEARCH_RESULT_CAP);
    let order = |a: &Record, b: &Record| match &sort {
        Some((property, descending)) => {
            let ordered = sort_key_cmp(ty, property, a, b);
            if *descending {
                ordered.reverse()
            } else {
                ordered
            }
        }
        None => a.id.cmp(&b.id),
    };
    let base_can_match = base_can_match(&groups, ty, portal.base_modified_bound());
    let mut total = 0usize;
    let mut kept: Vec<Cow<'_, Record>> = Vec::new();
    portal.walk(ty, lowest_id(&groups), &|_| base_can_match, &mut |rec| {
        let hit = rec.is_live()
            && (!lag || rec.updated_ms <= visible_before)
            && (groups.is_empty()
                || groups
                    .iter()
                    .any(|g| g.iter().all(|f| matches(f, ty, &rec))))
            && query.as_ref().is_none_or(|q| {
                rec.props.iter().any(|(_, v)| {
                    v.as_deref()
                        .is_some_and(|v| v.to_lowercase().contains(q.as_str()))
                })
            });
        if hit {
            if sorted_by_id {
                if (after..page_end).contains(&total) {
                    kept.push(rec);
                }
            } else {
                kept.push(rec);
                if kept.len() >= 2 * SEARCH_RESULT_CAP {
                    kept.sort_by(|a, b| order(a, b));
                    kept.truncate(SEARCH_RESULT_CAP);
                }
            }
            total += 1;
        }
        true
    });
    let end = (after + limit).min(total).min(SEARCH_RESULT_CAP);
    let start = after.min(end);
    let page: &[Cow<'_, Record>] = if sorted_by_id {
        &kept
    } else {
        kept.sort_by(|a, b| order(a, b));
        &kept[start.min(kept.len())..end.min(kept.len())]
    };
    let results = page
        .iter()
        .map(|rec| RecordJson {
            ty,
            rec,
            props: &props,
            assoc: &[],
        })
        .collect();
    let paging = (end < total).then(|| Paging {
        next: NextPage {
            after: end.to_string(),
            link: None,
        },
    });
    Ok(json_response(
        StatusCode::OK,
        &SearchPage {
            total,
            results,
            paging,
        },
    ))
}

/// The lowest id any filter group can match (its `hs_object_id` lower bounds), so a walk starts
/// there instead of at the first record.
fn lowest_id(groups: &[Vec<CompiledFilter>]) -> u64 {
    let group_floor = |group: &Vec<CompiledFilter>| {
        group
            .iter()
            .filter(|f| f.property == "hs_object_id")
            .filter_map(|f| {
                let value = f.value.as_ref()?.1?;
                match f.operator {
                    Operator::Gte | Operator::Eq | Operator::Between => Some(value.ceil()),
                    Operator::Gt => Some(value.floor() + 1.0),
                    _ => None,
                }
            })
            .fold(0.0_f64, f64::max)
    };
    groups
        .iter()
        .map(group_floor)
        .reduce(f64::min)
        .map_or(0, |floor| floor.max(0.0) as u64)
}

/// Whether a base record (all modified at or before `bound`) can match: not when every group asks
/// for records modified after the bound, as an incremental sync's search does.
fn base_can_match(groups: &[Vec<CompiledFilter>], ty: ObjectType, bound: Option<i64>) -> bool {
    let Some(bound) = bound else { return true };
    let bound = bound as f64;
    let excludes_base = |group: &Vec<CompiledFilter>| {
        group.iter().any(|f| {
            f.property == ty.modified_property()
                && f.value
                    .as_ref()
                    .and_then(|v| v.1)
                    .is_some_and(|value| match f.operator {
                        Operator::Gt => value >= bound,
                        Operator::Gte | Operator::Eq | Operator::Between => value > bound,
                        _ => false,
                    })
        })
    };
    groups.is_empty() || !groups.iter().all(excludes_base)
}
