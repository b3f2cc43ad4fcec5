//! Accessibility checks run on every view: axe-core (npm, pinned in tests/axe/package-lock.json and
//! installed into .cache/axe by scripts/install-axe.sh) injected into the page, and the focus ring's
//! contrast against what lies behind it, which axe does not measure (WCAG 2.2 2.4.13 and 1.4.11).

use super::harness::{workspace_root, Ui};
use serde_json::{json, Value};
use std::sync::OnceLock;

/// The axe-core script, read once.
fn axe_source() -> &'static str {
    static SOURCE: OnceLock<String> = OnceLock::new();
    SOURCE.get_or_init(|| {
        let path = std::env::var_os("AXE_CORE_JS")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| {
                workspace_root().join(".cache/axe/node_modules/axe-core/axe.min.js")
            });
        std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "axe-core is not installed ({}: {e}). Run scripts/install-axe.sh (npm ci of \
                 tests/axe into .cache/axe); ./scripts/test does this.",
                path.display()
            )
        })
    })
}

/// One axe rule broken on the page, with a few of the offending elements.
#[derive(Debug)]
pub struct Violation {
    pub rule: String,
    pub impact: String,
    pub help: String,
    pub nodes: Vec<String>,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "[{}] {}: {}", self.impact, self.rule, self.help)?;
        for node in &self.nodes {
            write!(f, "\n      {node}")?;
        }
        Ok(())
    }
}

/// Runs axe-core on the whole document as it is now; injects it first when the page has none (a
/// reload loses it, a hash change keeps it).
pub async fn axe_violations(ui: &Ui) -> Vec<Violation> {
    let present = ui
        .js("return typeof window.axe === 'object';", vec![])
        .await;
    if present != json!(true) {
        ui.js(&format!("{}\n;return true;", axe_source()), vec![])
            .await;
    }
    let result = ui
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { resultTypes: ['violations'] })
               .then((r) => done(r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
                 nodes: v.nodes.slice(0, 4).map((n) => n.target.join(' ') + ' | ' + (n.failureSummary || '').replace(/\\s+/g, ' ')) }))))
               .catch((e) => done({ error: String(e) }));",
            vec![],
        )
        .await
        .unwrap_or_else(|e| panic!("axe.run failed: {e}"));
    if let Some(error) = result.get("error") {
        panic!("axe.run failed in the page: {error}");
    }
    result
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| Violation {
            rule: text(&v["id"]),
            impact: text(&v["impact"]),
            help: text(&v["help"]),
            nodes: v["nodes"]
                .as_array()
                .into_iter()
                .flatten()
                .map(text)
                .collect(),
        })
        .collect()
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_string()
}

/// Asserts axe finds no serious or critical violation; prints the lesser ones.
pub async fn assert_no_serious_violations(ui: &Ui, view: &str) {
    let violations = axe_violations(ui).await;
    let (serious, lesser): (Vec<_>, Vec<_>) = violations
        .iter()
        .partition(|v| v.impact == "serious" || v.impact == "critical");
    for v in &lesser {
        eprintln!("axe on {view} (not failing): {v}");
    }
    assert!(
        serious.is_empty(),
        "axe-core found {} serious or critical violation(s) on {view}:\n  {}",
        serious.len(),
        serious
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n  ")
    );
}

/// WCAG relative luminance contrast of two `rgb(...)`/`rgba(...)` colours.
pub fn contrast(a: [f64; 3], b: [f64; 3]) -> f64 {
    let luminance = |c: [f64; 3]| {
        let channel = |v: f64| {
            let v = v / 255.0;
            if v <= 0.039_28 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(c[0]) + 0.7152 * channel(c[1]) + 0.0722 * channel(c[2])
    };
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

fn rgb(value: &Value) -> Option<[f64; 3]> {
    let parts: Vec<f64> = value.as_array()?.iter().filter_map(Value::as_f64).collect();
    (parts.len() == 3).then(|| [parts[0], parts[1], parts[2]])
}

/// Focuses each focusable element of the view (up to `limit`, spread over the page) as the keyboard
/// would and measures the focus ring: it must be drawn (outline or box-shadow) and reach 3:1 against
/// the background it is drawn on (the nearest opaque background of an ancestor, as the ring sits
/// outside the element). Returns how many elements were measured.
pub async fn assert_focus_ring_contrast(ui: &Ui, view: &str, limit: usize) -> usize {
    // A real key press first: focus moved by script after it shows as the keyboard's
    // (:focus-visible), which is the ring being measured.
    ui.press(&[fantoccini::key::Key::Shift.into()]).await;
    let measured = ui
        .js(
            "const limit = arguments[0];
             const colour = (s) => { const m = s && s.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
               const p = m[1].split(',').map((x) => parseFloat(x)); return (p.length > 3 && p[3] === 0) ? null : p.slice(0, 3); };
             const behind = (el) => { for (let e = el.parentElement; e; e = e.parentElement) {
                 const c = colour(getComputedStyle(e).backgroundColor); if (c) return c; } return [255, 255, 255]; };
             const all = [...document.querySelectorAll('a[href], button:not([disabled]), input:not([type=hidden]), select, textarea, summary, [tabindex]:not([tabindex=\"-1\"])')]
               // Rendered and reachable: not hidden, not inside a closed <details>.
               .filter((e) => e.checkVisibility({ visibilityProperty: true }));
             const step = Math.max(1, Math.floor(all.length / limit));
             const picked = all.filter((_, i) => i % step === 0).slice(0, limit);
             const out = [];
             for (const el of picked) {
               el.focus({ preventScroll: true });
               const s = getComputedStyle(el);
               const width = parseFloat(s.outlineWidth) || 0;
               const ring = s.outlineStyle !== 'none' && width >= 2 ? colour(s.outlineColor) : null;
               out.push({ what: el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + ' ' + (el.textContent || '').trim().slice(0, 30),
                          visible: el.matches(':focus-visible'), ring, width, behind: behind(el) });
               el.blur();
             }
             return out;",
            vec![json!(limit)],
        )
        .await;
    let rows = measured.as_array().cloned().unwrap_or_default();
    let mut failures = Vec::new();
    for row in &rows {
        let what = text(&row["what"]);
        match (rgb(&row["ring"]), rgb(&row["behind"])) {
            (Some(ring), Some(behind)) => {
                let ratio = contrast(ring, behind);
                if ratio < 3.0 {
                    failures.push(format!(
                        "{what}: ring {ring:?} on {behind:?} is {ratio:.2}:1"
                    ));
                }
            }
            _ => failures.push(format!("{what}: no focus ring drawn ({row})")),
        }
    }
    assert!(
        failures.is_empty(),
        "focus ring under 3:1 or missing on {view}:\n  {}",
        failures.join("\n  ")
    );
    rows.len()
}

#[test]
fn contrast_matches_wcag_examples() {
    assert!((contrast([0.0; 3], [255.0; 3]) - 21.0).abs() < 0.01);
    assert!((contrast([255.0; 3], [255.0; 3]) - 1.0).abs() < 0.01);
    // The old ring (#ffbf47) on white: the 1.6:1 of the issue.
    let old = contrast([255.0, 191.0, 71.0], [255.0; 3]);
    assert!((1.5..1.7).contains(&old), "{old}");
}
