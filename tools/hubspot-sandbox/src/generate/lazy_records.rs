//! The records of a lazily generated portal, each built from its own draws and its company's plan.
//! A company's rolled-up properties (open deals, revenue, last contact) are computed from its
//! children, so they agree with what a sync of the children finds.

use super::lazy::{
    record_key, CompanyPlanLite, Draw, LazyPortal, CHILD_TYPES, LINK_SALT, RECORD_SALT,
};
use super::*;

/// What a company's roll-up needs from one deal.
struct DealFacts {
    won: Option<(i64, f64)>,
    open: bool,
}

/// What a company's roll-up needs from one engagement.
struct EngagementFacts {
    ts: i64,
    sales_activity: bool,
}

impl LazyPortal {
    fn draw(&self, ty: ObjectType, index: u64) -> Draw {
        Draw::new(record_key(self.seed, ty, index, RECORD_SALT))
    }

    fn id_of(&self, ty: ObjectType, index: u64) -> u64 {
        self.id_range(ty).start + index
    }

    /// The company of a child record: its index and plan.
    fn owner(&self, ty: ObjectType, index: u64) -> Option<(u64, CompanyPlanLite)> {
        let company = self.layout(ty)?.company_of(index)?;
        Some((company, self.plan(company)))
    }

    /// The contact a child record is linked to (drawn from its company's contacts), if any.
    fn contact_link(&self, ty: ObjectType, index: u64, company: u64) -> Option<u64> {
        let share = match ty {
            ObjectType::Deals => 0.5,
            ObjectType::Tickets => 0.6,
            _ => 0.85,
        };
        let contacts = self.layout(ObjectType::Contacts)?;
        let n = contacts.children_count(company);
        let mut d = Draw::new(record_key(self.seed, ty, index, LINK_SALT));
        if n == 0 || !d.chance(share) {
            return None;
        }
        let contact = contacts.child(company, d.below(n));
        Some(self.id_of(ObjectType::Contacts, contact))
    }

    fn child_links(
        &self,
        ty: ObjectType,
        index: u64,
        plan: &CompanyPlanLite,
        company: u64,
    ) -> Vec<(ObjectType, u64)> {
        let mut assoc = vec![(ObjectType::Companies, plan.id)];
        if let Some(contact) = self.contact_link(ty, index, company) {
            assoc.push((ObjectType::Contacts, contact));
        }
        assoc
    }

    /// A time `quiet + spread-weighted` days before the anchor, never before `floor_ms`.
    fn past_time(&self, d: &mut Draw, quiet_days: f64, spread_days: f64, floor_ms: i64) -> i64 {
        let extra = -spread_days * (1.0 - d.unit()).ln();
        let ms = self.anchor_ms - ((quiet_days + extra) * DAY_MS as f64) as i64;
        if ms < floor_ms {
            d.between(floor_ms, floor_ms + DAY_MS).min(self.anchor_ms)
        } else {
            ms
        }
    }

    fn mixed_date(d: &mut Draw, ms: i64) -> String {
        if d.chance(0.2) {
            ms.to_string()
        } else {
            iso_millis(ms)
        }
    }

    pub(super) fn company(&self, index: u64) -> Record {
        let plan = self.plan(index);
        let mut assoc = Vec::new();
        let mut last_engagement: Option<i64> = None;
        let mut last_sales: Option<i64> = None;
        let mut open_deals = 0u32;
        let mut won_total = 0.0;
        let mut recent_won: Option<(i64, f64)> = None;
        let mut last_modified = plan.created_ms;
        let mut contacts = 0u64;
        for ty in CHILD_TYPES {
            let Some(layout) = self.layout(ty) else {
                continue;
            };
            for child in layout.children(index) {
                let id = self.id_of(ty, child);
                assoc.push((ty, id));
                match ty {
                    ObjectType::Contacts => contacts += 1,
                    ObjectType::Deals => {
                        let (record, facts) = self.deal_with_facts(child);
                        if let Some((close_ms, amount)) = facts.won {
                            won_total += amount;
                            if recent_won.is_none_or(|(ms, _)| close_ms > ms) {
                                recent_won = Some((close_ms, amount));
                            }
                        }
                        open_deals += u32::from(facts.open);
                        last_modified = last_modified.max(record.updated_ms);
                    }
                    ObjectType::Tickets => {
                        last_modified = last_modified.max(self.ticket(child).updated_ms);
                    }
                    _ => {
                        let (_, facts) = self.engagement_with_facts(ty, child);
                        if facts.ts <= self.anchor_ms {
                            last_engagement = last_engagement.max(Some(facts.ts));
                            if facts.sales_activity {
                                last_sales = last_sales.max(Some(facts.ts));
                            }
                        }
                    }
                }
            }
        }
        let mut d = self.draw(ObjectType::Companies, index);
        let first = d.of(FIRST_WORDS);
        let second = d.of(SECOND_WORDS);
        let suffix = d.of(SUFFIXES);
        let mut p = self.props(ObjectType::Companies);
        p.put(
            "name",
            Some(if suffix.is_empty() {
                format!("{first} {second}")
            } else {
                format!("{first} {second} {suffix}")
            }),
        );
        let tld = d.of(&["com", "io", "co.uk", "de", "net"]);
        if !d.chance(0.03) {
            p.put(
                "domain",
                Some(format!(
                    "{}{}{}.{tld}",
                    first.to_ascii_lowercase(),
                    second.to_ascii_lowercase(),
                    index
                )),
            );
        }
        let stage = d.pick(&[
            (Some("customer"), 80),
            (Some("opportunity"), 8),
            (Some("evangelist"), 5),
            (Some(""), 4),
            (None, 3),
        ]);
        p.put("lifecyclestage", stage.map(str::to_owned));
        if let Some(last) = last_engagement {
            p.put("notes_last_contacted", Some(Self::mixed_date(&mut d, last)));
            p.put("notes_last_updated", Some(iso_millis(last)));
        }
        if let Some(last) = last_sales {
            p.put(
                "hs_last_sales_activity_timestamp",
                Some(Self::mixed_date(&mut d, last)),
            );
        }
        p.put("num_associated_contacts", Some(contacts.to_string()));
        p.put("hs_num_open_deals", Some(open_deals.to_string()));
        if won_total > 0.0 {
            p.put("total_revenue", Some(format!("{won_total:.2}")));
        }
        if let Some((_, amount)) = recent_won {
            p.put("recent_deal_amount", Some(format!("{amount}")));
        }
        let annual = if plan.story == Story::HighRevenueLowTouch {
            d.between(5_000_000, 50_000_000)
        } else {
            d.between(100_000, 5_000_000)
        };
        p.put(
            "annualrevenue",
            match d.pick(&[(0u8, 90), (1, 5), (2, 3), (3, 2)]) {
                0 => Some(annual.to_string()),
                1 => Some(String::new()),
                2 => Some("n/a".to_owned()),
                _ => None,
            },
        );
        if d.chance(0.6) {
            let sentiment = match (plan.trajectory, plan.story) {
                (Trajectory::Cliff, _) => "Negative",
                (_, Story::Healthy) => "Positive",
                (_, Story::SupportBurden | Story::Declining) => "Negative",
                _ => "Neutral",
            };
            p.put("hs_csm_sentiment", Some(sentiment.to_owned()));
        }
        p.put("industry", Some(d.of(INDUSTRIES).to_owned()));
        p.put(
            "hubspot_owner_id",
            crate::crm_schema::generated_owner(plan.id),
        );
        let updated_ms = last_engagement
            .unwrap_or(plan.created_ms)
            .max(last_modified)
            .min(self.anchor_ms);
        let mut record = p.finish(ObjectType::Companies, plan.id, plan.created_ms, updated_ms);
        record.assoc = assoc;
        record
    }

    pub(super) fn contact(&self, index: u64) -> Record {
        let owner = self.owner(ObjectType::Contacts, index);
        let id = self.id_of(ObjectType::Contacts, index);
        let story = owner.map(|(_, plan)| plan.story);
        let mut d = self.draw(ObjectType::Contacts, index);
        let floor = owner.map_or(self.anchor_ms - 900 * DAY_MS, |(_, p)| p.created_ms);
        let created_ms = d.between(floor, self.anchor_ms - 10 * DAY_MS);
        let first = d.of(FIRST_NAMES);
        let last = d.of(LAST_NAMES);
        let mut p = self.props(ObjectType::Contacts);
        if !d.chance(0.03) {
            p.put(
                "email",
                Some(format!(
                    "{}.{}{index}@example.com",
                    first.to_lowercase(),
                    last.to_lowercase()
                )),
            );
        }
        p.put("firstname", Some(first.to_owned()));
        p.put("lastname", Some(last.to_owned()));
        let stage = d.pick(&[
            (Some("customer"), 60),
            (Some("salesqualifiedlead"), 10),
            (Some("lead"), 10),
            (Some("opportunity"), 10),
            (Some(""), 5),
            (None, 5),
        ]);
        p.put("lifecyclestage", stage.map(str::to_owned));
        let (opens, replies) = match story {
            Some(Story::Healthy) => (d.between(5, 60), d.between(1, 15)),
            Some(Story::UnansweredOutreach) => (d.between(0, 3), 0),
            Some(Story::Inactive) => (d.between(0, 5), d.between(0, 2)),
            _ => (d.between(1, 30), d.between(0, 6)),
        };
        let clicks = d.between(0, opens / 2 + 1);
        p.put("hs_email_open", Some(opens.to_string()));
        p.put("hs_email_click", Some(clicks.to_string()));
        p.put("hs_email_replied", Some(replies.to_string()));
        let quiet = owner.map_or(60.0, |(_, plan)| plan.quiet_days);
        if replies > 0 {
            let replied_ms = self.past_time(&mut d, quiet, 20.0, created_ms);
            p.put(
                "hs_sales_email_last_replied",
                Some(Self::mixed_date(&mut d, replied_ms)),
            );
        }
        p.put(
            "hs_analytics_num_visits",
            Some(d.between(0, 120).to_string()),
        );
        if d.chance(0.3) {
            let nps = match story {
                Some(Story::Healthy) => d.between(8, 11),
                Some(Story::SupportBurden) | Some(Story::Declining) => d.between(0, 7),
                _ => d.between(5, 10),
            };
            p.put("hs_feedback_last_nps_rating", Some(nps.to_string()));
        }
        let updated_ms = self
            .past_time(&mut d, quiet.min(30.0), 40.0, created_ms)
            .max(created_ms);
        let mut record = p.finish(ObjectType::Contacts, id, created_ms, updated_ms);
        if let Some((company, plan)) = owner {
            record.assoc.push((ObjectType::Companies, plan.id));
            // The company's other children that drew this contact.
            for ty in &CHILD_TYPES[1..] {
                let Some(layout) = self.layout(*ty) else {
                    continue;
                };
                for child in layout.children(company) {
                    if self.contact_link(*ty, child, company) == Some(id) {
                        record.assoc.push((*ty, self.id_of(*ty, child)));
                    }
                }
            }
        }
        record
    }

    pub(super) fn deal(&self, index: u64) -> Record {
        self.deal_with_facts(index).0
    }

    fn deal_with_facts(&self, index: u64) -> (Record, DealFacts) {
        let id = self.id_of(ObjectType::Deals, index);
        let Some((company, plan)) = self.owner(ObjectType::Deals, index) else {
            return (
                Record::empty(id),
                DealFacts {
                    won: None,
                    open: false,
                },
            );
        };
        let mut d = self.draw(ObjectType::Deals, index);
        let (won, open, lost) = match plan.story {
            Story::Healthy => (50, 35, 15),
            Story::Declining => (25, 20, 55),
            Story::HighRevenueLowTouch => (60, 20, 20),
            _ => (35, 35, 30),
        };
        let outcome = d.pick(&[("won", won), ("open", open), ("lost", lost)]);
        let created_ms = d.between(plan.created_ms, self.anchor_ms - 5 * DAY_MS);
        let amount = if plan.story == Story::HighRevenueLowTouch {
            d.between(50_000, 500_000) as f64
        } else {
            d.between(1_000, 50_000) as f64
        };
        let mut p = self.props(ObjectType::Deals);
        p.put(
            "dealname",
            Some(format!(
                "{} renewal {}",
                FIRST_WORDS[(id % 30) as usize],
                id % 97
            )),
        );
        let amount_text = d.pick(&[(0u8, 94), (1, 4), (2, 2)]);
        p.put(
            "amount",
            Some(match amount_text {
                0 => format!("{amount}"),
                1 => String::new(),
                _ => "n/a".to_owned(),
            }),
        );
        let (stage, closed, close_ms) = match outcome {
            "won" => ("closedwon", true, d.between(created_ms, self.anchor_ms)),
            "lost" => ("closedlost", true, d.between(created_ms, self.anchor_ms)),
            _ => (
                d.of(&[
                    "appointmentscheduled",
                    "qualifiedtobuy",
                    "presentationscheduled",
                    "contractsent",
                ]),
                false,
                self.anchor_ms + d.between(DAY_MS, 120 * DAY_MS),
            ),
        };
        p.put("dealstage", Some(stage.to_owned()));
        p.put("pipeline", Some("default".to_owned()));
        p.put("closedate", Some(iso_millis(close_ms)));
        p.put("hs_is_closed_won", Some((stage == "closedwon").to_string()));
        p.put("hs_is_closed", Some(closed.to_string()));
        let updated_ms = if closed {
            close_ms.max(created_ms)
        } else {
            d.between(created_ms, self.anchor_ms)
        };
        let mut record = p.finish(ObjectType::Deals, id, created_ms, updated_ms);
        record.assoc = self.child_links(ObjectType::Deals, index, &plan, company);
        let facts = DealFacts {
            won: (stage == "closedwon" && amount_text == 0).then_some((close_ms, amount)),
            open: !closed,
        };
        (record, facts)
    }

    pub(super) fn ticket(&self, index: u64) -> Record {
        let id = self.id_of(ObjectType::Tickets, index);
        let Some((company, plan)) = self.owner(ObjectType::Tickets, index) else {
            return Record::empty(id);
        };
        let mut d = self.draw(ObjectType::Tickets, index);
        let burdened = plan.story == Story::SupportBurden;
        let mut priority = if burdened {
            d.pick(&[("URGENT", 35), ("HIGH", 35), ("MEDIUM", 20), ("LOW", 10)])
        } else {
            d.pick(&[("LOW", 40), ("MEDIUM", 35), ("HIGH", 20), ("URGENT", 5)])
        };
        let mut open = d.chance(if burdened { 0.7 } else { 0.2 });
        let mut created_ms = self.anchor_ms - d.between(HOUR_MS, 180 * DAY_MS);
        // Most of a cliff's tickets arrive after it, urgent, and nobody has solved them.
        if let Some(cliff) = plan.cliff_days.filter(|_| d.chance(0.8)) {
            let days = d.range_f64(0.0, cliff);
            created_ms = self.anchor_ms - ((days * DAY_MS as f64) as i64).max(HOUR_MS);
            open = true;
            priority = if d.chance(0.5) { "URGENT" } else { "HIGH" };
        }
        let mut p = self.props(ObjectType::Tickets);
        p.put("subject", Some(format!("Ticket #{}", id % 100_000)));
        p.put("hs_pipeline", Some("0".to_owned()));
        let stage = if open {
            d.pick(&[("1", 50), ("2", 25), ("3", 25)])
        } else {
            "4"
        };
        p.put("hs_pipeline_stage", Some(stage.to_owned()));
        p.put("hs_ticket_priority", Some(priority.to_owned()));
        let mut updated_ms = d.between(created_ms, self.anchor_ms);
        if !open {
            let time_to_close = d
                .between(HOUR_MS, 20 * DAY_MS)
                .min(self.anchor_ms - created_ms);
            let closed_ms = created_ms + time_to_close;
            p.put("closed_date", Some(iso_millis(closed_ms)));
            p.put("time_to_close", Some(time_to_close.to_string()));
            updated_ms = updated_ms.max(closed_ms);
        }
        let mut record = p.finish(ObjectType::Tickets, id, created_ms, updated_ms);
        record.assoc = self.child_links(ObjectType::Tickets, index, &plan, company);
        record
    }

    pub(super) fn engagement(&self, ty: ObjectType, index: u64) -> Record {
        self.engagement_with_facts(ty, index).0
    }

    fn engagement_with_facts(&self, ty: ObjectType, index: u64) -> (Record, EngagementFacts) {
        let id = self.id_of(ty, index);
        let Some((company, plan)) = self.owner(ty, index) else {
            let facts = EngagementFacts {
                ts: 0,
                sales_activity: false,
            };
            return (Record::empty(id), facts);
        };
        let mut d = self.draw(ty, index);
        let story = plan.story;
        let extra = plan.trajectory.engagement_age(d.unit());
        let mut ts = self.anchor_ms - ((plan.quiet_days + extra) * DAY_MS as f64) as i64;
        if ts < plan.created_ms {
            ts = d
                .between(plan.created_ms, plan.created_ms + DAY_MS)
                .min(self.anchor_ms);
        }
        let mut p = self.props(ty);
        let mut sales_activity = true;
        match ty {
            ObjectType::Emails => {
                let direction = match story {
                    Story::UnansweredOutreach => {
                        d.pick(&[("EMAIL", 97), ("INCOMING_EMAIL", 1), ("FORWARDED_EMAIL", 2)])
                    }
                    Story::Healthy => d.pick(&[
                        ("EMAIL", 55),
                        ("INCOMING_EMAIL", 40),
                        ("FORWARDED_EMAIL", 5),
                    ]),
                    _ => d.pick(&[
                        ("EMAIL", 65),
                        ("INCOMING_EMAIL", 30),
                        ("FORWARDED_EMAIL", 5),
                    ]),
                };
                if story == Story::UnansweredOutreach && direction == "INCOMING_EMAIL" {
                    // Their last answer is long past.
                    ts = self.past_time(&mut d, plan.quiet_days + 60.0, 60.0, plan.created_ms);
                }
                p.put("hs_email_subject", Some("Checking in".to_owned()));
                p.put("hs_email_direction", Some(direction.to_owned()));
                let status = d.pick(&[
                    ("SENT", 90),
                    ("BOUNCED", 4),
                    ("FAILED", 2),
                    ("SCHEDULED", 4),
                ]);
                p.put("hs_email_status", Some(status.to_owned()));
            }
            ObjectType::Calls => {
                let (direction, status) = if story == Story::UnansweredOutreach {
                    (
                        "OUTBOUND",
                        d.pick(&[("NO_ANSWER", 70), ("BUSY", 15), ("COMPLETED", 15)]),
                    )
                } else {
                    (
                        d.pick(&[("OUTBOUND", 60), ("INBOUND", 40)]),
                        d.pick(&[
                            ("COMPLETED", 75),
                            ("NO_ANSWER", 15),
                            ("BUSY", 5),
                            ("FAILED", 5),
                        ]),
                    )
                };
                p.put("hs_call_title", Some("Call".to_owned()));
                p.put("hs_call_direction", Some(direction.to_owned()));
                p.put("hs_call_status", Some(status.to_owned()));
                let duration = if status == "COMPLETED" {
                    d.between(60_000, 3_600_000)
                } else {
                    0
                };
                p.put("hs_call_duration", Some(duration.to_string()));
            }
            ObjectType::Meetings => {
                let outcome = match story {
                    Story::UnansweredOutreach | Story::Declining => {
                        d.pick(&[("COMPLETED", 30), ("NO_SHOW", 35), ("CANCELED", 35)])
                    }
                    Story::Healthy => {
                        d.pick(&[("COMPLETED", 75), ("SCHEDULED", 20), ("CANCELED", 5)])
                    }
                    _ => d.pick(&[
                        ("COMPLETED", 65),
                        ("SCHEDULED", 10),
                        ("NO_SHOW", 10),
                        ("CANCELED", 15),
                    ]),
                };
                if outcome == "SCHEDULED" && story == Story::Healthy {
                    ts = self.anchor_ms + d.between(HOUR_MS, 14 * DAY_MS);
                    sales_activity = false;
                }
                p.put("hs_meeting_title", Some("Account review".to_owned()));
                p.put("hs_meeting_outcome", Some(outcome.to_owned()));
                p.put("hs_meeting_start_time", Some(Self::mixed_date(&mut d, ts)));
                p.put("hs_meeting_end_time", Some(iso_millis(ts + HOUR_MS)));
            }
            ObjectType::Notes => {
                p.put("hs_note_body", Some(d.of(NOTE_BODIES).to_owned()));
                sales_activity = false;
            }
            _ => {
                p.put("hs_task_subject", Some("Follow up".to_owned()));
                let done = ts < self.anchor_ms - 7 * DAY_MS || d.chance(0.5);
                p.put(
                    "hs_task_status",
                    Some(if done { "COMPLETED" } else { "NOT_STARTED" }.to_owned()),
                );
                p.put(
                    "hs_task_priority",
                    Some(d.pick(&[("LOW", 1), ("MEDIUM", 2), ("HIGH", 1)]).to_owned()),
                );
                sales_activity = false;
            }
        }
        p.put("hs_timestamp", Some(iso_millis(ts)));
        let created_ms = ts.min(self.anchor_ms);
        let updated_ms = (created_ms + d.between(0, 2 * DAY_MS)).min(self.anchor_ms);
        let mut record = p.finish(ty, id, created_ms, updated_ms);
        record.assoc = self.child_links(ty, index, &plan, company);
        (record, EngagementFacts { ts, sales_activity })
    }
}
