//! Ports: the small traits handlers use to reach the world (store, bus, vault, and the data sources). Each has an AWS adapter and an in-process
//! adapter, and one conformance suite runs against both.

pub mod alerts;
pub mod audit;
pub mod bus;
pub mod connection_sources;
pub mod connection_store;
pub mod dispatch;
pub mod erasure;
pub mod exports;
pub mod objects;
pub mod outcomes;
pub mod overrides;
pub mod settings_history;
pub mod source;
pub mod store;
pub mod vault;
pub mod writeback;

pub use alerts::{AlertSender, AlertStore, SendError, SendReceipt};
pub use audit::AuditStore;
pub use bus::{BusError, EventBus};
pub use connection_sources::{ConnectionSources, PlatformSources};
pub use connection_store::{AccountStore, ConnectionStore, CorrelationStore, PayerStore};
pub use dispatch::DispatchStore;
pub use erasure::{ErasedPage, ErasureStore};
pub use exports::ExportStore;
pub use objects::{DownloadLink, ObjectError, ObjectStore};
pub use outcomes::OutcomeStore;
pub use overrides::OverrideStore;
pub use settings_history::SettingsHistoryStore;
pub use source::{
    AccountsPage, AccountsSource, AccountsSourceFactory, CompanyFields, CrmRecord, CrmSource,
    FetchWindow, FetchedObjects, PaymentRef, PaymentsPage, PaymentsSource, PaymentsSourceFactory,
    RecordBody, RecordPage, SourceError, SourceFactory, VerifiedWebhook,
};
pub use store::*;
pub use vault::{SecretVault, VaultError};
pub use writeback::{CrmWriteback, WritebackStore};
