//! What tests make happen in the account (a payment, a failed charge, a dispute, a refund) and the
//! webhooks PayPal would send about it.

use rand::Rng;
use serde_json::Value;

use crate::generate::{alnum, transaction_id};
use crate::model::{date_of, rfc3339, DisputeRec, InvoicePayment, TxnRow, World, DAY_MS};
use crate::routes::{dispute_json, invoice_json, subscription_json};
use crate::state::{lock, write, Delivery, Shared};
use crate::truth::WebhookDelivery;
use crate::webhook::{cert_url, envelope, sign, AUTH_ALGO};
use crate::{Sandbox, SandboxError};

/// PayPal suspends a subscription after this many consecutive failures (the plan's
/// `payment_failure_threshold`).
const FAILURE_THRESHOLD: u32 = 3;

impl Shared {
    fn lateness_ms(&self) -> i64 {
        let max = (self.config.max_lateness_secs as i64) * 1_000;
        if max == 0 {
            0
        } else {
            lock(&self.rng).random_range(0..=max)
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn push_row(
        &self,
        world: &mut World,
        payer: usize,
        event_code: &'static str,
        cents: i64,
        status: char,
        reference: Option<(String, &'static str)>,
        now: i64,
    ) -> String {
        let id = transaction_id(&mut *lock(&self.rng));
        let fee = if matches!(event_code, "T0006" | "T0002") && status == 'S' {
            crate::generate::fee_for(cents)
        } else {
            0
        };
        world.transactions.push(TxnRow {
            transaction_id: id.clone(),
            event_code,
            initiation_ms: now,
            updated_ms: now,
            visible_ms: now + self.lateness_ms(),
            amount_cents: cents,
            fee_cents: fee,
            status,
            payer,
            reference,
            invoice_number: None,
            paypal_invoice_id: None,
            custom_field: world.payers[payer].custom_id.clone(),
            subject: None,
            balance_affecting: true,
        });
        id
    }
}

impl Sandbox {
    /// The payer pays what is due on the invoice now: status PAID, a T0006 row (visible after the
    /// reporting lag). Returns the invoice as the API now shows it (the webhook resource), or `None`
    /// for an unknown or settled invoice.
    pub fn pay_invoice(&self, invoice_id: &str) -> Option<Value> {
        let shared = &self.running.shared;
        let now = shared.now_ms();
        let mut world = write(&shared.world);
        let index = world.invoices.iter().position(|i| i.id == invoice_id)?;
        let (payer, due, id, number) = {
            let invoice = &world.invoices[index];
            (
                invoice.payer,
                invoice.due_cents(),
                invoice.id.clone(),
                invoice.number.clone(),
            )
        };
        if due <= 0 {
            return None;
        }
        let txn = shared.push_row(&mut world, payer, "T0006", due, 'S', None, now);
        if let Some(row) = world.transactions.last_mut() {
            row.paypal_invoice_id = Some(id);
            row.invoice_number = Some(number);
            row.subject = Some("Managed IT services".to_owned());
        }
        let invoice = &mut world.invoices[index];
        invoice.payments.push(InvoicePayment {
            transaction_id: txn,
            date: date_of(now),
            cents: due,
        });
        invoice.status = "PAID";
        invoice.updated_ms = now;
        Some(invoice_json(
            &world,
            &world.invoices[index],
            &shared.base_url,
        ))
    }

    /// A charge of the subscription is denied now: `failed_payments_count` rises, a denied T0002 row
    /// appears, and at the third failure in a row the subscription is SUSPENDED. Returns the
    /// subscription as the API shows it with `fields=last_failed_payment`, or `None` if unknown or
    /// not active.
    pub fn fail_subscription_payment(&self, subscription_id: &str) -> Option<Value> {
        let shared = &self.running.shared;
        let now = shared.now_ms();
        let mut world = write(&shared.world);
        let index = world
            .subscriptions
            .iter()
            .position(|s| s.id == subscription_id)?;
        let (payer, cents, status) = {
            let sub = &world.subscriptions[index];
            (sub.payer, sub.amount_cents, sub.status)
        };
        if status != "ACTIVE" {
            return None;
        }
        let reference = Some((subscription_id.to_owned(), "SUB"));
        shared.push_row(&mut world, payer, "T0002", cents, 'D', reference, now);
        let sub = &mut world.subscriptions[index];
        sub.failed_payments_count += 1;
        sub.last_failed = Some((cents, now, "PAYER_CANNOT_PAY"));
        sub.outstanding_cents += cents;
        sub.updated_ms = now;
        if sub.failed_payments_count >= FAILURE_THRESHOLD {
            sub.status = "SUSPENDED";
            sub.status_update_ms = now;
            sub.next_billing_ms = None;
        } else {
            sub.next_billing_ms = Some(now + 5 * DAY_MS);
        }
        Some(subscription_json(
            &world,
            &world.subscriptions[index],
            &shared.base_url,
            true,
            false,
        ))
    }

    /// The payer disputes a received payment now: an INQUIRY waiting for the seller, and a T1110 hold.
    /// Returns the dispute as the API shows it, or `None` for an unknown transaction.
    pub fn open_dispute(&self, transaction_id: &str) -> Option<Value> {
        let shared = &self.running.shared;
        let now = shared.now_ms();
        let mut world = write(&shared.world);
        let original = world
            .transactions
            .iter()
            .find(|t| t.transaction_id == transaction_id && t.amount_cents > 0)?
            .clone();
        let reference = Some((original.transaction_id.clone(), "TXN"));
        shared.push_row(
            &mut world,
            original.payer,
            "T1110",
            -original.amount_cents,
            'S',
            reference,
            now,
        );
        let id = format!("PP-D-{}", 90_000 + world.disputes.len() * 7);
        world.disputes.push(DisputeRec {
            id,
            payer: original.payer,
            transaction_id: original.transaction_id.clone(),
            invoice_number: original.invoice_number.clone(),
            reason: "MERCHANDISE_OR_SERVICE_NOT_RECEIVED",
            status: "WAITING_FOR_SELLER_RESPONSE",
            state: "REQUIRED_ACTION",
            stage: "INQUIRY",
            outcome: None,
            amount_cents: original.amount_cents,
            created_ms: now,
            updated_ms: now,
        });
        world
            .disputes
            .last()
            .map(|d| dispute_json(&world, d, &shared.base_url))
    }

    /// The merchant refunds a received payment in full now: a T1107 row, the original turns `V`, its
    /// invoice REFUNDED. Returns the refund's transaction id, or `None` for an unknown transaction.
    pub fn refund_transaction(&self, transaction_id: &str) -> Option<String> {
        let shared = &self.running.shared;
        let now = shared.now_ms();
        let mut world = write(&shared.world);
        let index = world.transactions.iter().position(|t| {
            t.transaction_id == transaction_id && t.amount_cents > 0 && t.status == 'S'
        })?;
        let original = world.transactions[index].clone();
        let reference = Some((original.transaction_id.clone(), "TXN"));
        let refund = shared.push_row(
            &mut world,
            original.payer,
            "T1107",
            -original.amount_cents,
            'S',
            reference,
            now,
        );
        world.transactions[index].status = 'V';
        world.transactions[index].updated_ms = now;
        if let Some(invoice) = world.invoices.iter_mut().find(|i| {
            i.payments
                .iter()
                .any(|p| p.transaction_id == original.transaction_id)
        }) {
            invoice.refunds.push(InvoicePayment {
                transaction_id: refund.clone(),
                date: date_of(now),
                cents: original.amount_cents,
            });
            invoice.status = "REFUNDED";
            invoice.updated_ms = now;
        }
        Some(refund)
    }

    /// Posts a webhook event, as PayPal does, to `url`: the documented envelope around `resource`,
    /// with the `PAYPAL-*` transmission headers. The delivery is remembered, so verify-webhook-signature
    /// answers SUCCESS for it (and only for it, unchanged).
    pub async fn send_webhook(
        &self,
        url: &str,
        event_type: &str,
        resource: Value,
    ) -> Result<WebhookDelivery, SandboxError> {
        let shared = &self.running.shared;
        let now = rfc3339(shared.now_ms());
        let (event_id, transmission_id) = {
            let mut rng = lock(&shared.rng);
            let event_id = format!("WH-{}-{}", alnum(&mut *rng, 17), alnum(&mut *rng, 17));
            let hex: u128 = rng.random();
            let hex = format!("{hex:032x}");
            let transmission_id = format!(
                "{}-{}-{}-{}-{}",
                &hex[0..8],
                &hex[8..12],
                &hex[12..16],
                &hex[16..20],
                &hex[20..32]
            );
            (event_id, transmission_id)
        };
        let event = envelope(&event_id, event_type, resource, &now, &shared.base_url);
        let body = serde_json::to_vec(&event)?;
        let webhook_id = shared.config.webhook_id.clone();
        let signature = sign(
            &shared.webhook_secret,
            &transmission_id,
            &now,
            &webhook_id,
            &body,
        );
        // Remembered before sending: the receiver verifies while the delivery is in flight.
        lock(&shared.deliveries).insert(
            transmission_id.clone(),
            Delivery {
                webhook_id,
                transmission_time: now.clone(),
                transmission_sig: signature.clone(),
                event: event.clone(),
            },
        );
        let response = shared
            .http
            .post(url)
            .header("content-type", "application/json")
            .header("user-agent", "PayPal/AUHD-214.0-58341217")
            .header("paypal-auth-algo", AUTH_ALGO)
            .header("paypal-cert-url", cert_url(&shared.base_url))
            .header("paypal-transmission-id", &transmission_id)
            .header("paypal-transmission-sig", &signature)
            .header("paypal-transmission-time", &now)
            .body(body)
            .send()
            .await
            .map_err(|source| SandboxError::Webhook {
                url: url.to_owned(),
                source,
            })?;
        Ok(WebhookDelivery {
            status: response.status().as_u16(),
            transmission_id,
            event,
        })
    }
}
