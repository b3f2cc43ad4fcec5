//! The channels an alert goes to, behind the `AlertSender` port: Slack incoming webhooks (Block
//! Kit), Microsoft Teams workflow webhooks (Adaptive Cards), email through Amazon SES, and signed
//! webhooks to any HTTPS endpoint (Standard Webhooks). `wording` holds the words they share; each
//! channel's module only lays them out. `ChannelSender` reaches the real channels, reading each
//! channel's URL from its secret; `RecordingSender` keeps messages in process for the local runner
//! and tests.

pub mod email;
pub mod recording;
pub mod secret;
pub mod sender;
pub mod slack;
pub mod teams;
pub mod webhook;
pub mod wording;

pub use email::SesEmail;
pub use recording::{RecordedSend, RecordingSender};
pub use secret::{
    channel_secret_id, display_hint, ChannelSecret, ChannelSecretError, ChannelUrlError, UrlPolicy,
};
pub use sender::{ChannelSender, SenderOptions};
