use super::*;

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or_default()
}

/// Walks the transactions phase with one page a window; returns the windows asked for.
fn windows(cursor: &mut WalkCursor) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let mut seen = Vec::new();
    for _ in 0..1_000 {
        let Phase::Transactions { window_end, .. } = cursor.phase else {
            return seen;
        };
        seen.push(WalkCursor::transaction_window(window_end, cursor.floor));
        cursor.after_transactions(1);
    }
    panic!("the transactions phase did not end");
}

#[test]
fn a_full_walk_covers_three_years_newest_first_in_windows_of_at_most_31_days() {
    let now = at("2026-11-30T12:00:00Z");
    let mut cursor = WalkCursor::start(FetchWindow::All, now);
    let seen = windows(&mut cursor);
    assert_eq!(seen.first().map(|w| w.1), Some(now));
    assert_eq!(seen.last().map(|w| w.0), Some(now - Duration::days(1_095)));
    for pair in seen.windows(2) {
        assert_eq!(pair[0].0, pair[1].1, "windows meet without gaps");
    }
    assert!(seen
        .iter()
        .all(|(start, end)| *end - *start <= Duration::days(31) && start < end));
    assert_eq!(seen.len(), 36);
    assert!(matches!(cursor.phase, Phase::Invoices { .. }));
}

#[test]
fn an_incremental_walk_reaches_three_hours_before_since() {
    let since = at("2026-11-29T12:00:00Z");
    let until = at("2026-11-30T12:00:00Z");
    let mut cursor = WalkCursor::start(FetchWindow::ChangedBetween { since, until }, until);
    let seen = windows(&mut cursor);
    assert_eq!(seen, vec![(at("2026-11-29T09:00:00Z"), until)]);
    let Phase::Invoices { queries, .. } = &cursor.phase else {
        panic!("invoices follow");
    };
    let filters: Vec<_> = queries.iter().rev().map(|q| q.filter).collect();
    assert_eq!(
        filters,
        vec![
            InvoiceFilter::Created,
            InvoiceFilter::Paid,
            InvoiceFilter::Open
        ]
    );
    let open = queries[0].search_body();
    assert_eq!(open.status.len(), 4);
    let paid = queries[1].search_body();
    assert_eq!(
        paid.payment_date_range.map(|r| r.start),
        Some("2026-11-29T09:00:00Z".to_string())
    );
}

#[test]
fn pages_within_a_window_come_before_the_next_window() {
    let now = at("2026-11-30T12:00:00Z");
    let mut cursor = WalkCursor::start(FetchWindow::All, now);
    cursor.after_transactions(3);
    assert_eq!(
        cursor.phase,
        Phase::Transactions {
            window_end: now,
            page: 2
        }
    );
    cursor.after_transactions(3);
    cursor.after_transactions(3);
    assert_eq!(
        cursor.phase,
        Phase::Transactions {
            window_end: now - Duration::days(31),
            page: 1
        }
    );
}

#[test]
fn an_invoice_query_beyond_the_page_cap_is_split_newest_half_first_and_the_walk_moves_on() {
    let now = at("2026-11-30T12:00:00Z");
    let mut cursor = WalkCursor {
        phase: Phase::Invoices {
            queries: vec![InvoiceQuery {
                filter: InvoiceFilter::All,
                range: None,
            }],
            page: 1,
        },
        ..WalkCursor::start(FetchWindow::All, now)
    };
    assert!(cursor.after_invoices(Some(150_000), Some(1_500)));
    let Phase::Invoices { queries, page } = &cursor.phase else {
        panic!("still invoices");
    };
    assert_eq!(*page, 1);
    assert_eq!(queries.len(), 2);
    let newest = queries[1].range.expect("a range");
    assert_eq!(newest.1, now);
    assert_eq!(queries[0].range.map(|r| r.1), Some(newest.0));
    // The newer half fits: it is paged to its end, then the older half.
    assert!(!cursor.after_invoices(Some(60_000), Some(600)));
    for _ in 0..599 {
        cursor.after_invoices(Some(60_000), Some(600));
    }
    let Phase::Invoices { queries, page } = &cursor.phase else {
        panic!("still invoices");
    };
    assert_eq!((queries.len(), *page), (1, 1));
    cursor.after_invoices(Some(10), Some(1));
    assert!(matches!(cursor.phase, Phase::Disputes { .. }));
}

#[test]
fn splitting_stops_at_narrow_ranges_so_the_walk_still_ends() {
    let start = at("2026-11-30T12:00:00Z");
    let narrow = InvoiceQuery {
        filter: InvoiceFilter::Created,
        range: Some((start, start + Duration::seconds(90))),
    };
    assert!(narrow.split(start).is_none());
}

#[test]
fn disputes_page_until_no_new_token_then_subscriptions_until_none_are_left() {
    let now = at("2026-11-30T12:00:00Z");
    let mut cursor = WalkCursor {
        phase: Phase::Disputes {
            next_page_token: None,
            pages: 0,
        },
        ..WalkCursor::start(FetchWindow::All, now)
    };
    let query = cursor.dispute_query(now);
    assert!(query.contains(&("start_time", "2026-06-03T12:05:00Z".to_string())));
    cursor.after_disputes(Some("abc=".into()));
    assert!(cursor
        .dispute_query(now)
        .contains(&("next_page_token", "abc=".to_string())));
    // The same token again would loop: the phase ends instead.
    cursor.after_disputes(Some("abc=".into()));
    assert_eq!(cursor.phase, Phase::Subscriptions);
    cursor.subscription_ids = (0..25).map(|i| format!("I-{i:02}")).collect();
    assert_eq!(cursor.take_subscriptions(20).len(), 20);
    assert_eq!(cursor.phase, Phase::Subscriptions);
    assert_eq!(cursor.take_subscriptions(20).len(), 5);
    assert_eq!(cursor.phase, Phase::Done);
    assert_eq!(cursor.next(), None);
}

#[test]
fn a_cursor_round_trips_and_is_refused_for_another_window() {
    let now = at("2026-11-30T12:00:00Z");
    let mut cursor = WalkCursor::start(FetchWindow::All, now);
    cursor.subscription_ids.insert("I-1".into());
    cursor.after_transactions(1);
    let text = cursor.encode();
    assert_eq!(
        WalkCursor::decode(&text, FetchWindow::All).ok(),
        Some(cursor)
    );
    let other = FetchWindow::ChangedBetween {
        since: now,
        until: now,
    };
    assert!(matches!(
        WalkCursor::decode(&text, other),
        Err(PaypalError::InvalidCursor(_))
    ));
    assert!(WalkCursor::decode("list:abc", FetchWindow::All).is_err());
}
