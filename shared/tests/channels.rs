//! How alerts render on each channel: the documented shape of a Slack Block Kit message, a Teams
//! workflow card, an email and a signed-webhook body, within each platform's limits.

mod channels_support;

use channels_support::{digest, insight_item, message, single};
use serde_json::Value;
use shared::channels::email::{self, MAX_DIGEST_ITEMS};
use shared::channels::{slack, teams, webhook};

fn texts(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(text)) = map.get("text") {
                out.push(text.clone());
            }
            map.values().for_each(|v| texts(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| texts(v, out)),
        _ => {}
    }
}

/// Checks what Slack documents for a message: a `text` fallback, at most 50 blocks, header texts
/// within 150 characters, section texts within 3000, fields within 2000 and at most 10 of them.
fn assert_slack_limits(rendered: &Value) {
    let fallback = rendered["text"]
        .as_str()
        .expect("a top-level text fallback");
    assert!(!fallback.is_empty());
    let blocks = rendered["blocks"].as_array().expect("blocks");
    assert!(
        !blocks.is_empty() && blocks.len() <= slack::MAX_BLOCKS,
        "{} blocks",
        blocks.len()
    );
    for block in blocks {
        let kind = block["type"].as_str().expect("every block has a type");
        assert!(
            ["header", "section", "context", "actions"].contains(&kind),
            "{kind}"
        );
        match kind {
            "header" => {
                assert_eq!(block["text"]["type"], "plain_text");
                let text = block["text"]["text"].as_str().unwrap();
                assert!(text.chars().count() <= slack::MAX_HEADER_TEXT, "{text}");
            }
            "section" => {
                let text = block["text"]["text"].as_str().unwrap();
                assert!(text.chars().count() <= slack::MAX_SECTION_TEXT);
                if let Some(fields) = block["fields"].as_array() {
                    assert!(fields.len() <= slack::MAX_FIELDS);
                    for field in fields {
                        let text = field["text"].as_str().unwrap();
                        assert!(text.chars().count() <= slack::MAX_FIELD_TEXT);
                    }
                }
            }
            "actions" => {
                for element in block["elements"].as_array().unwrap() {
                    assert_eq!(element["type"], "button");
                    assert!(element["url"].as_str().unwrap().starts_with("https://"));
                    let label = element["text"]["text"].as_str().unwrap();
                    assert!(label.chars().count() <= slack::MAX_BUTTON_TEXT);
                }
            }
            _ => {}
        }
    }
}

#[test]
fn a_slack_alert_has_a_header_the_change_the_factors_and_a_link_to_the_client() {
    let rendered = slack::render(&single());
    assert_slack_limits(&rendered);
    let blocks = rendered["blocks"].as_array().unwrap();
    assert_eq!(blocks[0]["type"], "header");
    let section = blocks[1]["text"]["text"].as_str().unwrap();
    // The client's name is escaped for mrkdwn; the change says before and after.
    assert!(section.contains("*Acme &lt;Ltd&gt; &amp; Co*"), "{section}");
    assert!(section.contains("Watch (61) → At risk (44)"), "{section}");
    let fields = blocks[2]["fields"].as_array().unwrap();
    assert_eq!(fields.len(), 2);
    assert!(fields[0]["text"]
        .as_str()
        .unwrap()
        .contains("No activity logged for 46 days"));
    let button = &blocks[3]["elements"][0];
    assert_eq!(button["url"], "https://app.example.com/clients/client-1");
    assert!(rendered["text"].as_str().unwrap().contains("At risk (44)"));
}

#[test]
fn a_slack_insight_alert_says_the_insight_and_its_next_step() {
    let rendered = slack::render(&message(vec![insight_item()], false));
    assert_slack_limits(&rendered);
    let section = rendered["blocks"][1]["text"]["text"].as_str().unwrap();
    assert!(
        section.contains("New insight: 2 invoices overdue (impact high, confidence 85%)"),
        "{section}"
    );
    assert!(section.contains("Call the finance contact"), "{section}");
}

#[test]
fn a_200_item_slack_digest_is_shortened_to_50_blocks_and_says_how_many_more() {
    let rendered = slack::render(&digest(200));
    assert_slack_limits(&rendered);
    let blocks = rendered["blocks"].as_array().unwrap();
    assert_eq!(blocks.len(), slack::MAX_BLOCKS);
    let header = blocks[0]["text"]["text"].as_str().unwrap();
    assert!(header.starts_with("200 client alerts"), "{header}");
    let items = blocks
        .iter()
        .filter(|b| b["accessory"]["type"] == "button")
        .count();
    let mut all = Vec::new();
    texts(&rendered, &mut all);
    let more = all
        .iter()
        .find(|t| t.starts_with("…and"))
        .expect("an 'and N more' line");
    assert_eq!(more, &format!("…and {} more alerts", 200 - items));
    let last = blocks.last().unwrap();
    assert_eq!(
        last["elements"][0]["url"],
        "https://app.example.com/clients"
    );
}

#[test]
fn a_small_slack_digest_lists_every_item_without_a_more_line() {
    let rendered = slack::render(&digest(3));
    assert_slack_limits(&rendered);
    let mut all = Vec::new();
    texts(&rendered, &mut all);
    assert!(!all.iter().any(|t| t.contains("more alert")));
    assert_eq!(all.iter().filter(|t| t.starts_with("*Client ")).count(), 3);
}

#[test]
fn very_long_names_are_cut_to_slacks_limits() {
    let mut long = single();
    long.items[0].client_name = "N".repeat(5000);
    long.items[0].headline = "H".repeat(500);
    long.items[0].top_factors[0].explanation = "E".repeat(5000);
    assert_slack_limits(&slack::render(&long));
}

fn teams_card(rendered: &Value) -> &Value {
    assert_eq!(rendered["type"], "message");
    let attachments = rendered["attachments"].as_array().unwrap();
    assert_eq!(attachments.len(), 1);
    assert_eq!(
        attachments[0]["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );
    let card = &attachments[0]["content"];
    assert_eq!(card["type"], "AdaptiveCard");
    assert_eq!(card["version"], "1.4");
    card
}

#[test]
fn a_teams_alert_is_an_adaptive_card_with_facts_and_an_open_url_action() {
    let rendered = teams::render(&single()).unwrap();
    let card = teams_card(&rendered);
    let body = card["body"].as_array().unwrap();
    assert_eq!(body[0]["type"], "TextBlock");
    assert_eq!(body[1]["text"], "Acme <Ltd> & Co");
    let facts = body
        .iter()
        .find(|b| b["type"] == "FactSet")
        .expect("a FactSet of the factors")["facts"]
        .as_array()
        .unwrap();
    assert_eq!(facts.len(), 2);
    assert_eq!(facts[1]["value"], "7 tickets open, 3 past their SLA");
    let action = &card["actions"][0];
    assert_eq!(action["type"], "Action.OpenUrl");
    assert_eq!(action["url"], "https://app.example.com/clients/client-1");
}

#[test]
fn a_large_teams_digest_is_shortened_to_fit_28_kb_and_says_how_many_more() {
    let mut big = digest(200);
    for item in &mut big.items {
        item.client_name = format!(
            "{} {}",
            item.client_name,
            "Holdings International ".repeat(10)
        );
    }
    let rendered = teams::render(&big).unwrap();
    let size = serde_json::to_vec(&rendered).unwrap().len();
    assert!(size < 28 * 1024, "{size} bytes");
    let card = teams_card(&rendered);
    let body = card["body"].as_array().unwrap();
    let shown = body.iter().filter(|b| b["type"] == "Container").count();
    assert!(shown > 5 && shown < 200, "{shown} items shown");
    let more = body.last().unwrap()["text"].as_str().unwrap();
    assert_eq!(more, format!("…and {} more alerts", 200 - shown));
    // Nearly full: one more item would not have fitted.
    assert!(size > teams::MAX_MESSAGE_BYTES - 1500, "{size} bytes");
    assert_eq!(card["actions"][0]["url"], "https://app.example.com/clients");
}

#[test]
fn an_email_has_a_subject_and_both_parts_with_every_value_escaped_in_html() {
    let parts = email::render(&single());
    assert_eq!(
        parts.subject,
        "Acme <Ltd> & Co moved from Watch to At risk (61 → 44)"
    );
    assert!(
        parts
            .text
            .contains("Acme <Ltd> & Co\nWatch (61) → At risk (44)"),
        "{}",
        parts.text
    );
    assert!(parts.text.contains("No activity logged for 46 days"));
    assert!(parts
        .text
        .contains("Open client: https://app.example.com/clients/client-1"));
    assert!(
        parts.html.contains("Acme &lt;Ltd&gt; &amp; Co"),
        "{}",
        parts.html
    );
    assert!(!parts.html.contains("<Ltd>"));
    assert!(parts
        .html
        .contains("<a href=\"https://app.example.com/clients/client-1\">"));
}

#[test]
fn email_markup_in_data_never_becomes_markup() {
    let mut hostile = single();
    hostile.items[0].client_name = "<script>alert('x')</script>".into();
    hostile.items[0].top_factors[0].explanation = "<img src=x onerror=alert(1)>".into();
    hostile.items[0].link = Some("javascript:alert(1)".into());
    hostile.rule_name = "\"><b>rule</b>".into();
    let parts = email::render(&hostile);
    for needle in ["<script>", "<img", "javascript:", "<b>rule"] {
        assert!(!parts.html.contains(needle), "{needle} in {}", parts.html);
    }
    assert!(parts.html.contains("&lt;script&gt;"));
}

#[test]
fn an_email_subject_has_no_line_breaks_and_a_digest_lists_at_most_its_cap() {
    let mut many = digest(MAX_DIGEST_ITEMS + 25);
    many.rule_name = "line\r\nBcc: someone@example.com".into();
    let parts = email::render(&many);
    assert!(!parts.subject.contains('\n') && !parts.subject.contains('\r'));
    assert!(parts
        .subject
        .starts_with(&format!("{} client alerts", MAX_DIGEST_ITEMS + 25)));
    assert!(parts.text.contains("…and 25 more alerts"));
    assert!(parts.html.contains("…and 25 more alerts"));
}

#[test]
fn webhook_bodies_name_their_event_type_and_carry_the_items() {
    let now = chrono::Utc::now();
    let body = webhook::render(&single(), now);
    assert_eq!(body["type"], "client.health_changed");
    assert_eq!(body["data"]["items"][0]["client_id"], "client-1");
    assert_eq!(
        body["data"]["items"][0]["change"]["after"]["band"],
        "at_risk"
    );
    assert!(chrono::DateTime::parse_from_rfc3339(body["timestamp"].as_str().unwrap()).is_ok());
    assert_eq!(
        webhook::render(&message(vec![insight_item()], false), now)["type"],
        "insight.opened"
    );
    assert_eq!(webhook::render(&digest(3), now)["type"], "alert.digest");
    let mut test = single();
    test.test = true;
    assert_eq!(webhook::render(&test, now)["type"], "alert.test");
}

#[test]
fn a_test_alert_says_it_is_a_test_on_every_channel() {
    let mut test = single();
    test.test = true;
    test.rule_id = None;
    let slack_json = slack::render(&test).to_string();
    assert!(slack_json.contains("[Test]"));
    assert!(teams::render(&test)
        .unwrap()
        .to_string()
        .contains("test alert"));
    assert!(email::render(&test).subject.starts_with("[Test]"));
}
