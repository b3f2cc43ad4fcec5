//! Slack incoming webhooks: an alert as a Block Kit message, within Slack's documented limits (50
//! blocks a message, 3000 characters a section text, 2000 a field, 150 a header, 75 a button label),
//! with a top-level `text` fallback for notifications and clients without blocks.

use crate::channels::wording::{
    change_line, clip, digest_line, factor_title, message_title, more_line,
};
use crate::domain::{AlertItem, AlertMessage};
use serde_json::{json, Value};

pub const MAX_BLOCKS: usize = 50;
pub const MAX_SECTION_TEXT: usize = 3000;
pub const MAX_FIELD_TEXT: usize = 2000;
pub const MAX_FIELDS: usize = 10;
pub const MAX_HEADER_TEXT: usize = 150;
pub const MAX_BUTTON_TEXT: usize = 75;
pub const MAX_CONTEXT_ELEMENTS: usize = 10;
/// The fallback `text` shows in notifications; Slack cuts longer ones.
pub const MAX_FALLBACK_TEXT: usize = 3000;
/// Blocks a digest keeps for its frame: header, context, "and N more", the dashboard button.
const DIGEST_FRAME_BLOCKS: usize = 4;

/// Slack's mrkdwn treats `&`, `<` and `>` as control characters: names and explanations are escaped.
pub fn escape_mrkdwn(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn mrkdwn(text: String, max: usize) -> Value {
    json!({"type": "mrkdwn", "text": clip(&text, max)})
}

fn plain(text: &str, max: usize) -> Value {
    json!({"type": "plain_text", "text": clip(text, max), "emoji": true})
}

fn button(label: &str, url: &str) -> Value {
    json!({"type": "button", "text": plain(label, MAX_BUTTON_TEXT), "url": url})
}

fn context(message: &AlertMessage) -> Value {
    let mut text = format!("Rule: {}", escape_mrkdwn(&message.rule_name));
    if message.test {
        text.push_str(" · This is a test alert");
    }
    json!({"type": "context", "elements": [mrkdwn(text, MAX_SECTION_TEXT)]})
}

/// "*Acme Ltd*" over the change, before → after.
fn client_change(item: &AlertItem) -> Value {
    mrkdwn(
        format!(
            "*{}*\n{}",
            escape_mrkdwn(&item.client_name),
            escape_mrkdwn(&change_line(&item.change))
        ),
        MAX_SECTION_TEXT,
    )
}

/// The Block Kit body for `message`: one client's alert, or a digest.
pub fn render(message: &AlertMessage) -> Value {
    match (message.digest, message.items.as_slice()) {
        (false, [item]) => render_item(message, item),
        _ => render_digest(message),
    }
}

fn render_item(message: &AlertMessage, item: &AlertItem) -> Value {
    let title = message_title(message);
    let mut blocks = vec![
        json!({"type": "header", "text": plain(&title, MAX_HEADER_TEXT)}),
        json!({
            "type": "section",
            "text": client_change(item),
        }),
    ];
    if !item.top_factors.is_empty() {
        let fields: Vec<Value> = item
            .top_factors
            .iter()
            .take(MAX_FIELDS)
            .map(|factor| {
                mrkdwn(
                    format!(
                        "*{}*\n{}",
                        escape_mrkdwn(&factor_title(factor)),
                        escape_mrkdwn(&factor.explanation)
                    ),
                    MAX_FIELD_TEXT,
                )
            })
            .collect();
        blocks.push(json!({
            "type": "section",
            "text": mrkdwn("*What moved*".to_string(), MAX_SECTION_TEXT),
            "fields": fields,
        }));
    }
    if let Some(link) = &item.link {
        blocks.push(json!({"type": "actions", "elements": [button("Open client", link)]}));
    }
    blocks.push(context(message));
    json!({
        "text": clip(&format!("{title}: {}", change_line(&item.change)), MAX_FALLBACK_TEXT),
        "blocks": blocks,
    })
}

fn render_digest(message: &AlertMessage) -> Value {
    let title = message_title(message);
    let room = MAX_BLOCKS - DIGEST_FRAME_BLOCKS;
    let shown = message.items.len().min(room);
    let mut blocks = vec![
        json!({"type": "header", "text": plain(&title, MAX_HEADER_TEXT)}),
        context(message),
    ];
    for item in &message.items[..shown] {
        let mut section = json!({
            "type": "section",
            "text": client_change(item),
        });
        if let Some(link) = &item.link {
            section["accessory"] = button("Open", link);
        }
        blocks.push(section);
    }
    let left_out = message.items.len() - shown;
    if left_out > 0 {
        blocks.push(json!({
            "type": "section",
            "text": mrkdwn(more_line(left_out), MAX_SECTION_TEXT),
        }));
    }
    if let Some(dashboard) = &message.dashboard_url {
        blocks.push(
            json!({"type": "actions", "elements": [button("See all on the dashboard", dashboard)]}),
        );
    }
    let mut fallback = title.clone();
    for item in message.items.iter().take(3) {
        fallback.push_str(&format!("\n• {}", digest_line(item)));
    }
    if message.items.len() > 3 {
        fallback.push_str(&format!("\n{}", more_line(message.items.len() - 3)));
    }
    json!({"text": clip(&fallback, MAX_FALLBACK_TEXT), "blocks": blocks})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mrkdwn_control_characters_are_escaped() {
        assert_eq!(escape_mrkdwn("A&B <!channel>"), "A&amp;B &lt;!channel&gt;");
    }
}
