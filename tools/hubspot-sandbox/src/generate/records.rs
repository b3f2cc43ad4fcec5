//! The records of a planned portal: contacts (linked to their companies), deals, tickets and
//! engagements, each following its company's story.

use super::*;

pub(super) fn generate_contacts(
    g: &mut Generator,
    count: usize,
    companies: &mut [CompanyPlan],
    weights: &[f64],
) -> Vec<Record> {
    let mut out = Vec::with_capacity(count);
    for index in 0..count {
        let id = g.id();
        // A few contacts belong to no company, as in every real portal.
        let company = if g.chance(0.03) {
            None
        } else {
            sample(g, weights)
        };
        let story = company.map(|c| companies[c].story);
        let floor = company.map_or(g.anchor_ms - 900 * DAY_MS, |c| companies[c].created_ms);
        let created_ms = g.between(floor, g.anchor_ms - 10 * DAY_MS);
        let first = FIRST_NAMES[g.rng.random_range(0..FIRST_NAMES.len())];
        let last = LAST_NAMES[g.rng.random_range(0..LAST_NAMES.len())];
        let mut p = g.props(ObjectType::Contacts);
        if !g.chance(0.03) {
            p.put(
                "email",
                Some(format!(
                    "{}.{}{}@example.com",
                    first.to_lowercase(),
                    last.to_lowercase(),
                    index
                )),
            );
        }
        p.put("firstname", Some(first.to_owned()));
        p.put("lastname", Some(last.to_owned()));
        let stage = g.pick(&[
            (Some("customer"), 60),
            (Some("salesqualifiedlead"), 10),
            (Some("lead"), 10),
            (Some("opportunity"), 10),
            (Some(""), 5),
            (None, 5),
        ]);
        p.put("lifecyclestage", stage.map(str::to_owned));
        let (opens, replies) = match story {
            Some(Story::Healthy) => (g.between(5, 60), g.between(1, 15)),
            Some(Story::UnansweredOutreach) => (g.between(0, 3), 0),
            Some(Story::Inactive) => (g.between(0, 5), g.between(0, 2)),
            _ => (g.between(1, 30), g.between(0, 6)),
        };
        let clicks = g.between(0, opens / 2 + 1);
        p.put("hs_email_open", Some(opens.to_string()));
        p.put("hs_email_click", Some(clicks.to_string()));
        p.put("hs_email_replied", Some(replies.to_string()));
        let quiet = company.map_or(60.0, |c| companies[c].quiet_days);
        if replies > 0 {
            let replied_ms = g.past_time(quiet, 20.0, created_ms);
            let value = g.mixed_date(replied_ms);
            p.put("hs_sales_email_last_replied", Some(value));
        }
        p.put(
            "hs_analytics_num_visits",
            Some(g.between(0, 120).to_string()),
        );
        if g.chance(0.3) {
            let nps = match story {
                Some(Story::Healthy) => g.between(8, 11),
                Some(Story::SupportBurden) | Some(Story::Declining) => g.between(0, 7),
                _ => g.between(5, 10),
            };
            p.put("hs_feedback_last_nps_rating", Some(nps.to_string()));
        }
        let updated_ms = g.past_time(quiet.min(30.0), 40.0, created_ms);
        let mut record = p.finish(ObjectType::Contacts, id, created_ms, updated_ms);
        if let Some(c) = company {
            record.assoc.push((ObjectType::Companies, companies[c].id));
            companies[c].assoc.push((ObjectType::Contacts, id));
            companies[c].contacts.push(out.len());
        }
        out.push(record);
    }
    out
}

pub(super) fn link_contact(
    g: &mut Generator,
    company: &CompanyPlan,
    contacts: &mut [Record],
    share: f64,
    ty: ObjectType,
    id: u64,
    assoc: &mut Vec<(ObjectType, u64)>,
) {
    if company.contacts.is_empty() || !g.chance(share) {
        return;
    }
    let contact_index = company.contacts[g.rng.random_range(0..company.contacts.len())];
    let contact = &mut contacts[contact_index];
    contact.assoc.push((ty, id));
    assoc.push((ObjectType::Contacts, contact.id));
}

pub(super) fn generate_deals(
    g: &mut Generator,
    count: usize,
    companies: &mut [CompanyPlan],
    contacts: &mut [Record],
    weights: &[f64],
) -> Vec<Record> {
    let stages_open = [
        "appointmentscheduled",
        "qualifiedtobuy",
        "presentationscheduled",
        "contractsent",
    ];
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let id = g.id();
        let Some(c) = sample(g, weights) else { break };
        let story = companies[c].story;
        let (won, open, lost) = match story {
            Story::Healthy => (50, 35, 15),
            Story::Declining => (25, 20, 55),
            Story::HighRevenueLowTouch => (60, 20, 20),
            _ => (35, 35, 30),
        };
        let mut outcome = g.pick(&[("won", won), ("open", open), ("lost", lost)]);
        let mut created_ms = g.between(companies[c].created_ms, g.anchor_ms - 5 * DAY_MS);
        // When the trajectory closed the deal, if it moves it (drawn from the timing stream).
        let moved_close = match (companies[c].trajectory, companies[c].cliff_days, outcome) {
            (Trajectory::Improving, _, "won") if g.timing_chance(0.5) => {
                Some(g.timing_days_ago(1.0, 60.0))
            }
            (Trajectory::Declining, _, "lost") if g.timing_chance(0.6) => {
                Some(g.timing_days_ago(1.0, 80.0))
            }
            // The renewal on the table was lost after the cliff.
            (Trajectory::Cliff, Some(cliff), "open" | "lost") if g.timing_chance(0.7) => {
                outcome = "lost";
                Some(g.timing_days_ago(0.0, cliff))
            }
            _ => None,
        };
        if let Some(close_ms) = moved_close {
            created_ms = created_ms
                .min(close_ms - 5 * DAY_MS)
                .max(companies[c].created_ms);
        }
        let amount = if story == Story::HighRevenueLowTouch {
            g.between(50_000, 500_000) as f64
        } else {
            g.between(1_000, 50_000) as f64
        };
        let mut p = g.props(ObjectType::Deals);
        p.put(
            "dealname",
            Some(format!(
                "{} renewal {}",
                FIRST_WORDS[(id % 30) as usize],
                id % 97
            )),
        );
        let amount_text = g.pick(&[(0u8, 94), (1, 4), (2, 2)]);
        p.put(
            "amount",
            Some(match amount_text {
                0 => format!("{amount}"),
                1 => String::new(),
                _ => "n/a".to_owned(),
            }),
        );
        let (stage, closed, close_ms) = match outcome {
            "won" => ("closedwon", true, g.between(created_ms, g.anchor_ms)),
            "lost" => ("closedlost", true, g.between(created_ms, g.anchor_ms)),
            _ => (
                stages_open[g.rng.random_range(0..stages_open.len())],
                false,
                g.anchor_ms + g.between(DAY_MS, 120 * DAY_MS),
            ),
        };
        // The main stream drew its date all the same, so the draws after it stay in step.
        let close_ms = match moved_close {
            Some(moved) if closed => moved,
            _ => close_ms,
        };
        p.put("dealstage", Some(stage.to_owned()));
        p.put("pipeline", Some("default".to_owned()));
        p.put("closedate", Some(iso_millis(close_ms)));
        p.put("hs_is_closed_won", Some((stage == "closedwon").to_string()));
        p.put("hs_is_closed", Some(closed.to_string()));
        let updated_ms = if closed {
            close_ms.max(created_ms)
        } else {
            g.between(created_ms, g.anchor_ms)
        };
        let mut record = p.finish(ObjectType::Deals, id, created_ms, updated_ms);
        let company = &mut companies[c];
        if stage == "closedwon" && amount_text == 0 {
            company.won_total += amount;
            if company.recent_won.is_none_or(|(ms, _)| close_ms > ms) {
                company.recent_won = Some((close_ms, amount));
            }
        }
        if !closed {
            company.open_deals += 1;
        }
        company.last_modified_ms = company.last_modified_ms.max(updated_ms);
        company.assoc.push((ObjectType::Deals, id));
        record.assoc.push((ObjectType::Companies, company.id));
        let company = &companies[c];
        link_contact(
            g,
            company,
            contacts,
            0.5,
            ObjectType::Deals,
            id,
            &mut record.assoc,
        );
        out.push(record);
    }
    out
}

pub(super) fn generate_tickets(
    g: &mut Generator,
    count: usize,
    companies: &mut [CompanyPlan],
    contacts: &mut [Record],
    weights: &[f64],
) -> Vec<Record> {
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let id = g.id();
        let Some(c) = sample(g, weights) else { break };
        let burdened = companies[c].story == Story::SupportBurden;
        let mut priority = if burdened {
            g.pick(&[("URGENT", 35), ("HIGH", 35), ("MEDIUM", 20), ("LOW", 10)])
        } else {
            g.pick(&[("LOW", 40), ("MEDIUM", 35), ("HIGH", 20), ("URGENT", 5)])
        };
        let mut open = g.chance(if burdened { 0.7 } else { 0.2 });
        let mut created_ms = g.anchor_ms - g.between(HOUR_MS, 180 * DAY_MS);
        match (companies[c].trajectory, companies[c].cliff_days) {
            // Tickets from months ago, solved since.
            (Trajectory::Improving, _) => {
                let age = 180.0 * g.timing.random::<f64>().sqrt();
                created_ms = g.timing_days_ago(age, age);
                if created_ms < g.anchor_ms - 30 * DAY_MS {
                    open = false;
                }
            }
            // Tickets piling up lately, more of them still open.
            (Trajectory::Declining, _) => {
                let age = 180.0 * (1.0 - (1.0 - g.timing.random::<f64>()).sqrt());
                created_ms = g.timing_days_ago(age, age);
                open = open || g.timing_chance(0.4);
            }
            // Most arrive after the cliff, urgent, and nobody has solved them.
            (Trajectory::Cliff, Some(cliff)) if g.timing_chance(0.8) => {
                created_ms = g.timing_days_ago(0.0, cliff);
                open = true;
                priority = if g.timing_chance(0.5) {
                    "URGENT"
                } else {
                    "HIGH"
                };
            }
            _ => {}
        }
        let mut p = g.props(ObjectType::Tickets);
        p.put("subject", Some(format!("Ticket #{}", id % 100_000)));
        p.put("hs_pipeline", Some("0".to_owned()));
        let stage = if open {
            g.pick(&[("1", 50), ("2", 25), ("3", 25)])
        } else {
            "4"
        };
        p.put("hs_pipeline_stage", Some(stage.to_owned()));
        p.put("hs_ticket_priority", Some(priority.to_owned()));
        let mut updated_ms = g.between(created_ms, g.anchor_ms);
        if !open {
            let time_to_close = g
                .between(HOUR_MS, 20 * DAY_MS)
                .min(g.anchor_ms - created_ms);
            let closed_ms = created_ms + time_to_close;
            p.put("closed_date", Some(iso_millis(closed_ms)));
            p.put("time_to_close", Some(time_to_close.to_string()));
            updated_ms = updated_ms.max(closed_ms);
        }
        let mut record = p.finish(ObjectType::Tickets, id, created_ms, updated_ms);
        let company = &mut companies[c];
        company.assoc.push((ObjectType::Tickets, id));
        company.last_modified_ms = company.last_modified_ms.max(updated_ms);
        record.assoc.push((ObjectType::Companies, company.id));
        let company = &companies[c];
        link_contact(
            g,
            company,
            contacts,
            0.6,
            ObjectType::Tickets,
            id,
            &mut record.assoc,
        );
        out.push(record);
    }
    out
}

pub(super) fn generate_engagements(
    g: &mut Generator,
    count: usize,
    companies: &mut [CompanyPlan],
    contacts: &mut [Record],
    weights: &[f64],
) -> Vec<(ObjectType, Vec<Record>)> {
    let mut by_type: Vec<(ObjectType, Vec<Record>)> = ObjectType::ENGAGEMENTS
        .iter()
        .map(|ty| (*ty, Vec::new()))
        .collect();
    for _ in 0..count {
        let ty = g.pick(&[
            (ObjectType::Emails, 35),
            (ObjectType::Calls, 20),
            (ObjectType::Meetings, 10),
            (ObjectType::Notes, 20),
            (ObjectType::Tasks, 15),
        ]);
        let Some(c) = sample(g, weights) else { break };
        let id = g.id();
        let story = companies[c].story;
        let (quiet, floor) = (companies[c].quiet_days, companies[c].created_ms);
        let mut ts = g.engagement_time((quiet, companies[c].trajectory, floor));
        let mut p = g.props(ty);
        let mut sales_activity = true;
        match ty {
            ObjectType::Emails => {
                let direction = match story {
                    Story::UnansweredOutreach => {
                        g.pick(&[("EMAIL", 97), ("INCOMING_EMAIL", 1), ("FORWARDED_EMAIL", 2)])
                    }
                    Story::Healthy => g.pick(&[
                        ("EMAIL", 55),
                        ("INCOMING_EMAIL", 40),
                        ("FORWARDED_EMAIL", 5),
                    ]),
                    _ => g.pick(&[
                        ("EMAIL", 65),
                        ("INCOMING_EMAIL", 30),
                        ("FORWARDED_EMAIL", 5),
                    ]),
                };
                if story == Story::UnansweredOutreach && direction == "INCOMING_EMAIL" {
                    // Their last answer is long past.
                    ts = g.past_time(quiet + 60.0, 60.0, floor);
                }
                p.put("hs_email_subject", Some("Checking in".to_owned()));
                p.put("hs_email_direction", Some(direction.to_owned()));
                let status = g.pick(&[
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
                        g.pick(&[("NO_ANSWER", 70), ("BUSY", 15), ("COMPLETED", 15)]),
                    )
                } else {
                    (
                        g.pick(&[("OUTBOUND", 60), ("INBOUND", 40)]),
                        g.pick(&[
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
                    g.between(60_000, 3_600_000)
                } else {
                    0
                };
                p.put("hs_call_duration", Some(duration.to_string()));
            }
            ObjectType::Meetings => {
                let outcome = match story {
                    Story::UnansweredOutreach | Story::Declining => {
                        g.pick(&[("COMPLETED", 30), ("NO_SHOW", 35), ("CANCELED", 35)])
                    }
                    Story::Healthy => {
                        g.pick(&[("COMPLETED", 75), ("SCHEDULED", 20), ("CANCELED", 5)])
                    }
                    _ => g.pick(&[
                        ("COMPLETED", 65),
                        ("SCHEDULED", 10),
                        ("NO_SHOW", 10),
                        ("CANCELED", 15),
                    ]),
                };
                if outcome == "SCHEDULED" && story == Story::Healthy {
                    ts = g.anchor_ms + g.between(HOUR_MS, 14 * DAY_MS);
                    sales_activity = false;
                }
                p.put("hs_meeting_title", Some("Account review".to_owned()));
                p.put("hs_meeting_outcome", Some(outcome.to_owned()));
                let start = g.mixed_date(ts);
                p.put("hs_meeting_start_time", Some(start));
                p.put("hs_meeting_end_time", Some(iso_millis(ts + HOUR_MS)));
            }
            ObjectType::Notes => {
                let body = NOTE_BODIES[g.rng.random_range(0..NOTE_BODIES.len())];
                p.put("hs_note_body", Some(body.to_owned()));
                sales_activity = false;
            }
            _ => {
                p.put("hs_task_subject", Some("Follow up".to_owned()));
                let done = ts < g.anchor_ms - 7 * DAY_MS || g.chance(0.5);
                p.put(
                    "hs_task_status",
                    Some(if done { "COMPLETED" } else { "NOT_STARTED" }.to_owned()),
                );
                p.put(
                    "hs_task_priority",
                    Some(g.pick(&[("LOW", 1), ("MEDIUM", 2), ("HIGH", 1)]).to_owned()),
                );
                sales_activity = false;
            }
        }
        p.put("hs_timestamp", Some(iso_millis(ts)));
        let created_ms = ts.min(g.anchor_ms);
        let updated_ms = (created_ms + g.between(0, 2 * DAY_MS)).min(g.anchor_ms);
        let mut record = p.finish(ty, id, created_ms, updated_ms);
        let company = &mut companies[c];
        if ts <= g.anchor_ms {
            company.last_engagement_ms = company.last_engagement_ms.max(Some(ts));
            if sales_activity {
                company.last_sales_activity_ms = company.last_sales_activity_ms.max(Some(ts));
            }
        }
        company.assoc.push((ty, id));
        record.assoc.push((ObjectType::Companies, company.id));
        let company = &companies[c];
        link_contact(g, company, contacts, 0.85, ty, id, &mut record.assoc);
        if let Some((_, records)) = by_type.iter_mut().find(|(t, _)| *t == ty) {
            records.push(record);
        }
    }
    by_type
}
