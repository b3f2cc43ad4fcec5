//! Capacity units DynamoDB reports as consumed (every request asks `ReturnConsumedCapacity::Indexes`:
//! the total, and the share of the table and of each global secondary index), summed in atomics a
//! caller reads or takes (reads and resets) between steps of a measurement.

use crate::store::keys::Index;
use aws_sdk_dynamodb::types::ConsumedCapacity;
use std::sync::atomic::{AtomicU64, Ordering};

/// Capacity units DynamoDB reported as consumed.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ConsumedCapacityTotals {
    pub read_units: f64,
    pub write_units: f64,
}

/// Consumed units in all, and per table and index.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CapacityReport {
    pub total: ConsumedCapacityTotals,
    /// `("table", ..)` then each global secondary index by its name, in [`Index`] order. A write
    /// to an item an index projects costs units on the table and on that index.
    pub by_index: Vec<(&'static str, ConsumedCapacityTotals)>,
}

/// The slots of the table and its indexes, in [`Index`] order.
const INDEXES: [Index; 4] = [Index::Table, Index::Gsi1, Index::Gsi2, Index::Gsi3];

fn index_label(index: Index) -> &'static str {
    index.name().unwrap_or("table")
}

#[derive(Default)]
struct Pair {
    /// Thousandths of a unit, so the sums fit in atomics.
    read_milli: AtomicU64,
    write_milli: AtomicU64,
}

impl Pair {
    fn add(&self, write: bool, units: f64) {
        let milli = (units.max(0.0) * 1000.0).round() as u64;
        let counter = if write {
            &self.write_milli
        } else {
            &self.read_milli
        };
        counter.fetch_add(milli, Ordering::Relaxed);
    }

    fn totals(&self, reset: bool) -> ConsumedCapacityTotals {
        let load = |counter: &AtomicU64| {
            let milli = if reset {
                counter.swap(0, Ordering::Relaxed)
            } else {
                counter.load(Ordering::Relaxed)
            };
            milli as f64 / 1000.0
        };
        ConsumedCapacityTotals {
            read_units: load(&self.read_milli),
            write_units: load(&self.write_milli),
        }
    }
}

/// The store's counters (shared by its clones).
#[derive(Default)]
pub(super) struct CapacityMeter {
    total: Pair,
    by_index: [Pair; 4],
}

impl CapacityMeter {
    pub(super) fn add(&self, write: bool, consumed: Option<&ConsumedCapacity>) {
        let Some(consumed) = consumed else { return };
        let total = consumed.capacity_units().unwrap_or(0.0);
        self.total.add(write, total);
        let table = consumed.table().and_then(|t| t.capacity_units());
        let indexes = consumed.global_secondary_indexes();
        if table.is_none() && indexes.is_none_or(|i| i.is_empty()) {
            // No breakdown (DynamoDB Local gives none for some calls): all of it is the table's.
            self.by_index[0].add(write, total);
            return;
        }
        self.by_index[0].add(write, table.unwrap_or(0.0));
        for (name, capacity) in indexes.into_iter().flatten() {
            let slot = INDEXES.iter().position(|i| i.name() == Some(name.as_str()));
            if let (Some(slot), Some(units)) = (slot, capacity.capacity_units()) {
                self.by_index[slot].add(write, units);
            }
        }
    }

    pub(super) fn add_all(&self, write: bool, consumed: &[ConsumedCapacity]) {
        for c in consumed {
            self.add(write, Some(c));
        }
    }

    pub(super) fn totals(&self) -> ConsumedCapacityTotals {
        self.total.totals(false)
    }

    /// The counts so far; with `reset`, they start again from zero.
    pub(super) fn report(&self, reset: bool) -> CapacityReport {
        CapacityReport {
            total: self.total.totals(reset),
            by_index: INDEXES
                .iter()
                .zip(&self.by_index)
                .map(|(index, pair)| (index_label(*index), pair.totals(reset)))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::types::Capacity;

    #[test]
    fn units_add_up_per_index_and_a_take_resets_them() {
        let meter = CapacityMeter::default();
        let gsi1 = Index::Gsi1.name().unwrap_or_default().to_owned();
        let write = ConsumedCapacity::builder()
            .capacity_units(3.0)
            .table(Capacity::builder().capacity_units(2.0).build())
            .global_secondary_indexes(gsi1, Capacity::builder().capacity_units(1.0).build())
            .build();
        let read = ConsumedCapacity::builder().capacity_units(0.5).build();
        meter.add(true, Some(&write));
        meter.add_all(false, &[read.clone(), read]);
        meter.add(false, None);
        let report = meter.report(true);
        assert_eq!(
            report.total,
            ConsumedCapacityTotals {
                read_units: 1.0,
                write_units: 3.0
            }
        );
        let of = |label: &str| {
            report
                .by_index
                .iter()
                .find(|(l, _)| *l == label)
                .map(|(_, t)| *t)
                .unwrap_or_default()
        };
        assert_eq!(of("table").write_units, 2.0);
        assert_eq!(of("table").read_units, 1.0, "no breakdown: the table's");
        assert_eq!(of(Index::Gsi1.name().unwrap_or_default()).write_units, 1.0);
        assert_eq!(meter.report(false).total, ConsumedCapacityTotals::default());
    }
}
