//! The store adapters: [`DynamoStore`] (one DynamoDB table) and [`MemoryStore`] (in-process, for the
//! local runner and fast tests). Both are [`TableStore`], the store ports written once over a small
//! [`Table`] port ([`row`]), with the same key design
//! ([`keys`], whose module doc has the key and index table), the same query plans ([`query`]), the
//! same change detection ([`content`]) and the same cursors ([`cursor`]);
//! `shared/tests/store_conformance.rs` runs one suite against both.

pub mod content;
pub mod cursor;
pub mod dynamo;
pub mod entities;
pub mod keys;
pub mod lease;
pub mod listing;
pub mod memory;
pub mod query;
pub mod row;
pub mod table;

pub use dynamo::{CapacityReport, ConsumedCapacityTotals, DynamoStore, DynamoTable};
pub use entities::TableStore;
pub use lease::{HeldLease, LeaseLost, LeaseTerms};
pub use listing::{every_page, every_page_mapped, every_score};
pub use memory::{MemoryStore, MemoryTable};
pub use row::{RecordingTable, Table, TableOp};
pub use table::{create_table, table_definition, TableDefinition};
