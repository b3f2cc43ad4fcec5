//! Microsoft Teams workflow webhooks (Power Automate's "When a Teams webhook request is received"):
//! an alert as an Adaptive Card 1.4 in the documented message envelope. Teams refuses messages over
//! about 28 KB, so a digest keeps as many items as fit and says how many more there are.

use crate::channels::wording::{change_line, clip, factor_title, message_title, more_line};
use crate::domain::{AlertItem, AlertMessage};
use serde_json::{json, Value};

/// Teams' documented limit is "about 28 KB"; this keeps a margin below 28 KiB for the envelope
/// Power Automate adds when it posts the card.
pub const MAX_MESSAGE_BYTES: usize = 27 * 1024;
/// Longer texts are cut: one long explanation must not push a digest's other items out.
const MAX_TEXT: usize = 500;
/// A digest card lists at most this many items, even when more would fit.
pub const MAX_DIGEST_ITEMS: usize = 100;

/// The rendered card is larger than Teams takes even with every item but one left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLarge {
    pub bytes: usize,
    pub limit: usize,
}

fn text_block(text: &str) -> Value {
    json!({"type": "TextBlock", "text": clip(text, MAX_TEXT), "wrap": true})
}

fn envelope(body: Vec<Value>, actions: Vec<Value>) -> Value {
    let mut card = json!({
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    });
    if !actions.is_empty() {
        card["actions"] = Value::Array(actions);
    }
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": card,
        }],
    })
}

fn open_url(title: &str, url: &str) -> Value {
    json!({"type": "Action.OpenUrl", "title": title, "url": url})
}

fn title_block(message: &AlertMessage) -> Value {
    json!({
        "type": "TextBlock",
        "text": clip(&message_title(message), MAX_TEXT),
        "size": "Large",
        "weight": "Bolder",
        "wrap": true,
    })
}

fn rule_block(message: &AlertMessage) -> Value {
    let mut text = format!("Rule: {}", message.rule_name);
    if message.test {
        text.push_str(" · This is a test alert");
    }
    json!({"type": "TextBlock", "text": clip(&text, MAX_TEXT), "isSubtle": true, "size": "Small", "wrap": true})
}

/// The message body for `message`, shortened to fit Teams' limit.
pub fn render(message: &AlertMessage) -> Result<Value, TooLarge> {
    let card = match (message.digest, message.items.as_slice()) {
        (false, [item]) => render_item(message, item),
        _ => return render_digest(message),
    };
    fits(card)
}

fn size(card: &Value) -> usize {
    serde_json::to_vec(card)
        .map(|b| b.len())
        .unwrap_or(usize::MAX)
}

fn fits(card: Value) -> Result<Value, TooLarge> {
    let bytes = size(&card);
    if bytes <= MAX_MESSAGE_BYTES {
        Ok(card)
    } else {
        Err(TooLarge {
            bytes,
            limit: MAX_MESSAGE_BYTES,
        })
    }
}

fn render_item(message: &AlertMessage, item: &AlertItem) -> Value {
    let mut body = vec![
        title_block(message),
        json!({"type": "TextBlock", "text": clip(&item.client_name, MAX_TEXT), "weight": "Bolder", "wrap": true}),
        text_block(&change_line(&item.change)),
    ];
    if !item.top_factors.is_empty() {
        let facts: Vec<Value> = item
            .top_factors
            .iter()
            .map(|factor| {
                json!({
                    "title": clip(&factor_title(factor), MAX_TEXT),
                    "value": clip(&factor.explanation, MAX_TEXT),
                })
            })
            .collect();
        body.push(json!({"type": "FactSet", "facts": facts}));
    }
    body.push(rule_block(message));
    let actions = item
        .link
        .as_deref()
        .map(|link| vec![open_url("Open client", link)])
        .unwrap_or_default();
    envelope(body, actions)
}

fn digest_card(message: &AlertMessage, shown: usize) -> Value {
    let mut body = vec![title_block(message), rule_block(message)];
    for item in &message.items[..shown] {
        // A Markdown link in the name: Adaptive Cards have no per-item button outside `actions`.
        let name = match &item.link {
            Some(link) => format!("**[{}]({link})**", clip(&item.client_name, MAX_TEXT)),
            None => format!("**{}**", clip(&item.client_name, MAX_TEXT)),
        };
        body.push(json!({
            "type": "Container",
            "separator": true,
            "items": [
                {"type": "TextBlock", "text": name, "wrap": true},
                text_block(&change_line(&item.change)),
            ],
        }));
    }
    let left_out = message.items.len() - shown;
    if left_out > 0 {
        body.push(json!({"type": "TextBlock", "text": more_line(left_out), "weight": "Bolder", "wrap": true}));
    }
    let actions = message
        .dashboard_url
        .as_deref()
        .map(|url| vec![open_url("See all on the dashboard", url)])
        .unwrap_or_default();
    envelope(body, actions)
}

/// The most items that fit (a binary search over the count: the size grows with it), at least one.
fn render_digest(message: &AlertMessage) -> Result<Value, TooLarge> {
    let most = message.items.len().min(MAX_DIGEST_ITEMS);
    let full = digest_card(message, most);
    if size(&full) <= MAX_MESSAGE_BYTES {
        return Ok(full);
    }
    // Invariant: `low` items fit (or low is the floor), `high` items do not.
    let (mut low, mut high) = (1usize.min(most), most);
    while high - low > 1 {
        let middle = low + (high - low) / 2;
        if size(&digest_card(message, middle)) <= MAX_MESSAGE_BYTES {
            low = middle;
        } else {
            high = middle;
        }
    }
    fits(digest_card(message, low))
}
