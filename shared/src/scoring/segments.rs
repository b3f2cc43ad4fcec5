//! Which settings score a client: its segment's weights and thresholds (the first segment whose
//! rule matches), else the tenant's. Everything else (window, retention, the account and
//! cross-source rules, the tenant-wide figures such as the revenue distribution) stays tenant-wide.

use crate::domain::segment::segment_of;
use crate::domain::{ScoringSettings, Segment};
use crate::scoring::ClientFeatures;
use std::borrow::Cow;

/// A client's segment and the settings it is scored with.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientSettings<'a> {
    pub segment: Option<&'a Segment>,
    /// The tenant's settings, with the segment's weights and thresholds when it has its own.
    pub settings: Cow<'a, ScoringSettings>,
}

/// The settings `features`' client is scored with. A client in no segment, or in one without its
/// own weights and thresholds, gets the tenant's settings themselves (borrowed, not copied).
pub fn settings_for<'a>(
    features: &ClientFeatures,
    settings: &'a ScoringSettings,
) -> ClientSettings<'a> {
    let revenue = features.revenue.value().map(|(amount, _)| amount);
    let segment = segment_of(
        &settings.segments,
        features.lifecycle_stage.as_deref(),
        revenue,
    );
    let own = segment.filter(|s| s.weights.is_some() || s.thresholds.is_some());
    let settings = match own {
        None => Cow::Borrowed(settings),
        Some(segment) => {
            let mut effective = settings.clone();
            if let Some(weights) = segment.weights {
                effective.weights = weights;
            }
            if let Some(thresholds) = &segment.thresholds {
                effective.thresholds = thresholds.clone();
            }
            // The segments are read once per client here, not again below.
            effective.segments = Vec::new();
            Cow::Owned(effective)
        }
    };
    ClientSettings { segment, settings }
}
