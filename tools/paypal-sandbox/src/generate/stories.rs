//! Each payer's history: invoices and their payments, subscription charges, refunds, disputes and
//! chargebacks, as the Transaction Search rows, invoices, disputes and subscriptions PayPal keeps.

use chrono::Duration;
use rand::Rng;

use super::{alnum, invoice_business_name, invoice_id, transaction_id, Generator};
use crate::model::{
    date_of, DisputeRec, InvoicePayment, InvoiceRec, PaymentStory, SubscriptionRec, TxnRow, DAY_MS,
};

const HOUR_MS: i64 = 3_600_000;
const CYCLE_MS: i64 = 30 * DAY_MS;

/// PayPal's fee on a received payment: 2.99 % plus 49 cents, as a negative amount.
pub(crate) fn fee_for(cents: i64) -> i64 {
    -(cents * 299 / 10_000 + 49)
}

impl Generator<'_> {
    /// The row's visibility lag: anything up to the configured maximum.
    fn lateness(&mut self) -> i64 {
        let max = (self.config.max_lateness_secs as i64) * 1_000;
        if max == 0 {
            0
        } else {
            self.rng.random_range(0..=max)
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn row(
        &mut self,
        payer: usize,
        event_code: &'static str,
        at_ms: i64,
        cents: i64,
        status: char,
        reference: Option<(String, &'static str)>,
        id: Option<String>,
    ) -> usize {
        let lateness = self.lateness();
        let custom_field = self.world.payers[payer].custom_id.clone();
        let fee = if matches!(event_code, "T0006" | "T0002") && status == 'S' {
            fee_for(cents)
        } else {
            0
        };
        let transaction_id = id.unwrap_or_else(|| transaction_id(&mut self.rng));
        self.world.transactions.push(TxnRow {
            transaction_id,
            event_code,
            initiation_ms: at_ms,
            updated_ms: at_ms,
            visible_ms: at_ms + lateness,
            amount_cents: cents,
            fee_cents: fee,
            status,
            payer,
            reference,
            invoice_number: None,
            paypal_invoice_id: None,
            custom_field,
            subject: None,
            balance_affecting: true,
        });
        self.world.transactions.len() - 1
    }
}

pub(super) fn write_histories(g: &mut Generator) {
    let anchor = g.world.anchor_ms;
    let history = i64::from(g.config.history_days.max(60)) * DAY_MS;
    for payer in 0..g.world.payers.len() {
        let since = anchor - g.rng.random_range(90 * DAY_MS..=history.max(91 * DAY_MS));
        let monthly = g.rng.random_range(40..1_000) * 500;
        match g.world.payers[payer].story {
            PaymentStory::HealthySubscription | PaymentStory::FailedSubscription => {
                subscription_history(g, payer, since, monthly)
            }
            _ => invoice_history(g, payer, since, monthly),
        }
    }
    late_rows(g);
    number_invoices(g);
}

fn invoice_history(g: &mut Generator, payer: usize, since: i64, monthly: i64) {
    let anchor = g.world.anchor_ms;
    let story = g.world.payers[payer].story;
    let term_days = g.pick(&[15i64, 30, 30, 45]);
    let business_name = invoice_business_name(g, &g.world.payers[payer]);
    let reference = g.world.payers[payer].custom_id.clone();
    let cycles = ((anchor - since) / CYCLE_MS).max(1);
    let mut paid_rows: Vec<(usize, usize)> = Vec::new();
    for k in 0..cycles {
        let created = since + k * CYCLE_MS + g.rng.random_range(0..8 * HOUR_MS);
        let delay_days = match story {
            PaymentStory::LatePayer => term_days + g.rng.random_range(5..45),
            _ => g.rng.random_range(1..term_days.min(25)),
        };
        let paid_at = created + delay_days * DAY_MS + g.rng.random_range(0..10 * HOUR_MS);
        let late_unpaid = story == PaymentStory::LatePayer && k >= cycles - 3;
        let invoice_date = date_of(created);
        let mut invoice = InvoiceRec {
            id: invoice_id(&mut g.rng),
            number: String::new(),
            payer,
            status: "SENT",
            invoice_date,
            term_type: match term_days {
                15 => "NET_15",
                45 => "NET_45",
                _ => "NET_30",
            },
            due_date: Some(invoice_date + Duration::days(term_days)),
            amount_cents: monthly,
            payments: Vec::new(),
            refunds: Vec::new(),
            business_name: business_name.clone(),
            reference: reference.clone(),
            created_ms: created,
            updated_ms: created,
        };
        if late_unpaid {
            if k == cycles - 3 {
                let part = monthly * 2 / 5;
                let row = g.row(
                    payer,
                    "T0006",
                    paid_at.min(anchor - DAY_MS),
                    part,
                    'S',
                    None,
                    None,
                );
                invoice.payments.push(InvoicePayment {
                    transaction_id: g.world.transactions[row].transaction_id.clone(),
                    date: date_of(g.world.transactions[row].initiation_ms),
                    cents: part,
                });
                invoice.status = "PARTIALLY_PAID";
                invoice.updated_ms = g.world.transactions[row].initiation_ms;
                link_invoice(g, row, &invoice);
            } else if g.chance(0.5) {
                invoice.status = "UNPAID";
            }
        } else if paid_at < anchor - HOUR_MS {
            let row = g.row(payer, "T0006", paid_at, monthly, 'S', None, None);
            invoice.payments.push(InvoicePayment {
                transaction_id: g.world.transactions[row].transaction_id.clone(),
                date: date_of(paid_at),
                cents: monthly,
            });
            invoice.status = "PAID";
            invoice.updated_ms = paid_at;
            link_invoice(g, row, &invoice);
            paid_rows.push((row, g.world.invoices.len()));
        }
        g.world.invoices.push(invoice);
    }
    match story {
        PaymentStory::Refunds => refunds(g, &paid_rows),
        PaymentStory::DisputeChargeback => disputes(g, payer, &paid_rows),
        _ => {}
    }
}

fn link_invoice(g: &mut Generator, row: usize, invoice: &InvoiceRec) {
    let txn = &mut g.world.transactions[row];
    txn.paypal_invoice_id = Some(invoice.id.clone());
    txn.subject = Some("Managed IT services".to_owned());
}

/// One paid invoice refunded in full, one in part.
fn refunds(g: &mut Generator, paid: &[(usize, usize)]) {
    let anchor = g.world.anchor_ms;
    let candidates: Vec<(usize, usize)> = paid.iter().rev().skip(1).take(6).copied().collect();
    for (n, (row, invoice)) in candidates.into_iter().take(2).enumerate() {
        let original = g.world.transactions[row].clone();
        let full = n == 0;
        let cents = if full {
            original.amount_cents
        } else {
            original.amount_cents * 3 / 10
        };
        let at =
            (original.initiation_ms + g.rng.random_range(2..20) * DAY_MS).min(anchor - HOUR_MS);
        let refund = g.row(
            original.payer,
            "T1107",
            at,
            -cents,
            'S',
            Some((original.transaction_id.clone(), "TXN")),
            None,
        );
        g.world.transactions[refund].paypal_invoice_id = original.paypal_invoice_id.clone();
        if full {
            let txn = &mut g.world.transactions[row];
            txn.status = 'V';
            txn.updated_ms = at;
        }
        let refund_id = g.world.transactions[refund].transaction_id.clone();
        let inv = &mut g.world.invoices[invoice];
        inv.refunds.push(InvoicePayment {
            transaction_id: refund_id,
            date: date_of(at),
            cents,
        });
        inv.status = if full {
            "REFUNDED"
        } else {
            "PARTIALLY_REFUNDED"
        };
        inv.updated_ms = at;
    }
}

/// A payment disputed, held (T1110), then lost as a chargeback: the hold is released (T1111) and
/// the chargeback (T1201) taken, with PayPal's reversal (T1106) sharing the chargeback's transaction
/// id as a non-balance-affecting row. Also a fresh open inquiry, and an old one only reachable by
/// transaction id (older than the 180 days the dispute list covers).
fn disputes(g: &mut Generator, payer: usize, paid: &[(usize, usize)]) {
    let anchor = g.world.anchor_ms;
    let pick = |min_days: i64, max_days: i64| {
        paid.iter().rev().copied().find(|(row, _)| {
            let age = anchor - g.world.transactions[*row].initiation_ms;
            age >= min_days * DAY_MS && age <= max_days * DAY_MS
        })
    };
    let chargeback = pick(45, 170);
    let inquiry = pick(5, 44);
    let old = pick(200, 3 * 365);
    if let Some((row, _)) = chargeback {
        let original = g.world.transactions[row].clone();
        let opened = original.initiation_ms + g.rng.random_range(5..15) * DAY_MS;
        let decided = opened + g.rng.random_range(15..30) * DAY_MS;
        let reference = Some((original.transaction_id.clone(), "TXN"));
        let cents = original.amount_cents;
        g.row(payer, "T1110", opened, -cents, 'S', reference.clone(), None);
        g.row(payer, "T1111", decided, cents, 'S', reference.clone(), None);
        let chargeback_row = g.row(
            payer,
            "T1201",
            decided,
            -cents,
            'S',
            reference.clone(),
            None,
        );
        let shared_id = g.world.transactions[chargeback_row].transaction_id.clone();
        let reversal = g.row(
            payer,
            "T1106",
            decided,
            -cents,
            'S',
            reference,
            Some(shared_id),
        );
        g.world.transactions[reversal].balance_affecting = false;
        let txn = &mut g.world.transactions[row];
        txn.status = 'V';
        txn.updated_ms = decided;
        push_dispute(
            g,
            payer,
            &original,
            opened,
            decided,
            DisputeKind::LostChargeback,
        );
    }
    if let Some((row, _)) = inquiry {
        let original = g.world.transactions[row].clone();
        let opened = (original.initiation_ms + 3 * DAY_MS).min(anchor - 2 * DAY_MS);
        let reference = Some((original.transaction_id.clone(), "TXN"));
        g.row(
            payer,
            "T1110",
            opened,
            -original.amount_cents,
            'S',
            reference,
            None,
        );
        push_dispute(
            g,
            payer,
            &original,
            opened,
            opened,
            DisputeKind::OpenInquiry,
        );
    }
    if let Some((row, _)) = old {
        let original = g.world.transactions[row].clone();
        let opened = original.initiation_ms + 4 * DAY_MS;
        push_dispute(
            g,
            payer,
            &original,
            opened,
            opened + 12 * DAY_MS,
            DisputeKind::WonInquiry,
        );
    }
}

#[derive(Clone, Copy)]
enum DisputeKind {
    LostChargeback,
    OpenInquiry,
    WonInquiry,
}

fn push_dispute(
    g: &mut Generator,
    payer: usize,
    original: &TxnRow,
    opened: i64,
    updated: i64,
    kind: DisputeKind,
) {
    let number = g.world.disputes.len() + 1;
    let id = format!("PP-D-{}", 20_000 + number * 7 + g.rng.random_range(0..7));
    let (reason, status, state, stage, outcome) = match kind {
        DisputeKind::LostChargeback => (
            "UNAUTHORISED",
            "RESOLVED",
            "RESOLVED",
            "CHARGEBACK",
            Some("RESOLVED_BUYER_FAVOUR"),
        ),
        DisputeKind::OpenInquiry => (
            "MERCHANDISE_OR_SERVICE_NOT_AS_DESCRIBED",
            "WAITING_FOR_SELLER_RESPONSE",
            "REQUIRED_ACTION",
            "INQUIRY",
            None,
        ),
        DisputeKind::WonInquiry => (
            "MERCHANDISE_OR_SERVICE_NOT_RECEIVED",
            "RESOLVED",
            "RESOLVED",
            "INQUIRY",
            Some("RESOLVED_SELLER_FAVOUR"),
        ),
    };
    g.world.disputes.push(DisputeRec {
        id,
        payer,
        transaction_id: original.transaction_id.clone(),
        invoice_number: original.paypal_invoice_id.clone(),
        reason,
        status,
        state,
        stage,
        outcome,
        amount_cents: original.amount_cents,
        created_ms: opened,
        updated_ms: updated,
    });
}

fn subscription_history(g: &mut Generator, payer: usize, since: i64, monthly: i64) {
    let anchor = g.world.anchor_ms;
    let failing = g.world.payers[payer].story == PaymentStory::FailedSubscription;
    let id = format!("I-{}", alnum(&mut g.rng, 12));
    let plan_id = format!("P-{}", alnum(&mut g.rng, 24));
    let reference = || Some((id.clone(), "SUB"));
    let cycles = ((anchor - since) / CYCLE_MS).max(1);
    let mut completed = 0;
    let mut last_payment = None;
    let mut last_failed = None;
    let mut failures = 0;
    let mut status_update = since;
    for k in 0..cycles {
        let at = since + k * CYCLE_MS + g.rng.random_range(0..6 * HOUR_MS);
        if failing && k >= cycles - 3 {
            // The charge and PayPal's retries were denied.
            let reason = g.pick(&[
                "PAYER_CANNOT_PAY",
                "PAYMENT_DENIED",
                "PAYER_ACCOUNT_RESTRICTED",
            ]);
            let row = g.row(payer, "T0002", at, monthly, 'D', reference(), None);
            g.world.transactions[row].subject = Some("Managed services plan".to_owned());
            failures += 1;
            last_failed = Some((monthly, at, reason));
            status_update = at;
            continue;
        }
        let row = g.row(payer, "T0002", at, monthly, 'S', reference(), None);
        g.world.transactions[row].subject = Some("Managed services plan".to_owned());
        completed += 1;
        last_payment = Some((monthly, at));
    }
    let last_charge = since + (cycles - 1) * CYCLE_MS;
    g.world.subscriptions.push(SubscriptionRec {
        id: id.clone(),
        plan_id,
        payer,
        status: if failing { "SUSPENDED" } else { "ACTIVE" },
        custom_id: g.world.payers[payer].custom_id.clone(),
        amount_cents: monthly,
        start_ms: since,
        created_ms: since - DAY_MS,
        updated_ms: status_update.max(last_payment.map_or(since, |(_, at)| at)),
        status_update_ms: status_update,
        cycles_completed: completed,
        failed_payments_count: failures,
        last_failed,
        last_payment,
        next_billing_ms: (!failing).then_some(last_charge + CYCLE_MS),
        outstanding_cents: monthly * i64::from(failures),
    });
}

/// A few payments made in the last hour that Transaction Search does not show yet: they appear only
/// after the full reporting lag.
fn late_rows(g: &mut Generator) {
    let max = (g.config.max_lateness_secs as i64) * 1_000;
    if max == 0 || g.world.payers.is_empty() {
        return;
    }
    let anchor = g.world.anchor_ms;
    for _ in 0..3 {
        let payer = g.rng.random_range(0..g.world.payers.len());
        let at = anchor - g.rng.random_range(10..60) * 60_000;
        let cents = g.rng.random_range(20..200) * 500;
        let row = g.row(payer, "T0006", at, cents, 'S', None, None);
        let txn = &mut g.world.transactions[row];
        txn.visible_ms = at + max;
        txn.subject = Some("Ad-hoc project work".to_owned());
    }
    // One pending eCheck and one denied payment, to exercise P and D.
    let payer = g.rng.random_range(0..g.world.payers.len());
    g.row(payer, "T0006", anchor - 2 * DAY_MS, 12_500, 'P', None, None);
    g.row(payer, "T0006", anchor - 9 * DAY_MS, 48_000, 'D', None, None);
}

/// Invoice numbers follow creation order across payers, as PayPal's auto-increment does.
fn number_invoices(g: &mut Generator) {
    g.world.invoices.sort_by_key(|i| i.created_ms);
    for invoice in g.world.invoices.iter_mut() {
        invoice.number = format!("{:04}", g.world.next_invoice_number);
        g.world.next_invoice_number += 1;
    }
    let numbers: std::collections::HashMap<String, String> = g
        .world
        .invoices
        .iter()
        .map(|i| (i.id.clone(), i.number.clone()))
        .collect();
    for txn in g.world.transactions.iter_mut() {
        if let Some(number) = txn
            .paypal_invoice_id
            .as_ref()
            .and_then(|id| numbers.get(id))
        {
            txn.invoice_number = Some(number.clone());
        }
    }
    for dispute in g.world.disputes.iter_mut() {
        dispute.invoice_number = dispute
            .invoice_number
            .as_ref()
            .and_then(|id| numbers.get(id))
            .cloned();
    }
    g.world.transactions.sort_by_key(|t| t.initiation_ms);
    // Rows were indexed during generation; payers and invoices refer to ids, not indexes, from here on.
}
