//! Reading and changing the portal whether its records are all held (the eager presets) or built
//! on demand from a lazy base with the run's changes kept as an overlay (the largest preset). The
//! server reads through these calls only, so both kinds answer every endpoint the same way.

use std::borrow::Cow;

use crate::model::{ObjectType, Portal, Record};

impl Portal {
    /// The record with this id, archived or not: the overlay's copy if it has one, else the base's.
    pub(crate) fn record(&self, ty: ObjectType, id: u64) -> Option<Cow<'_, Record>> {
        if let Some(found) = self.table(ty).get(id) {
            return Some(Cow::Borrowed(found));
        }
        self.lazy.as_ref()?.record(ty, id).map(Cow::Owned)
    }

    /// The record if it exists and is not archived.
    pub(crate) fn live(&self, ty: ObjectType, id: u64) -> Option<Cow<'_, Record>> {
        self.record(ty, id).filter(|r| r.is_live())
    }

    /// The record to change: a base record is copied into the overlay first (from then on the
    /// overlay's copy is the record).
    pub(crate) fn record_mut(&mut self, ty: ObjectType, id: u64) -> Option<&mut Record> {
        if self.table(ty).position(id).is_none() {
            let base = self.lazy.as_ref()?.record(ty, id)?;
            let table = self.table_mut(ty);
            let at = table.first_at_or_after(id);
            table.records.insert(at, base);
        }
        self.table_mut(ty).get_mut(id)
    }

    /// Visits the records of a type in id order from `start_id` (the overlay's copy where it has
    /// one) until `visit` answers false. A base record is built only if `base_wanted` accepts its
    /// id, so a caller that knows no base record can match skips building millions of them.
    pub(crate) fn walk<'a>(
        &'a self,
        ty: ObjectType,
        start_id: u64,
        base_wanted: &dyn Fn(u64) -> bool,
        visit: &mut dyn FnMut(Cow<'a, Record>) -> bool,
    ) {
        let overlay = &self.table(ty).records;
        let mut next_overlay = self.table(ty).first_at_or_after(start_id);
        let (lazy, end) = match &self.lazy {
            Some(lazy) => {
                let range = lazy.id_range(ty);
                (Some(lazy), range.end)
            }
            None => (None, 0),
        };
        let mut next_base = lazy.map_or(0, |l| l.id_range(ty).start.max(start_id));
        loop {
            let own = overlay.get(next_overlay);
            let base = (lazy.is_some() && next_base < end).then_some(next_base);
            let go_on = match (own, base) {
                (None, None) => return,
                (Some(rec), Some(id)) if id < rec.id => {
                    next_base += 1;
                    self.visit_base(ty, id, base_wanted, visit)
                }
                (Some(rec), base) => {
                    if base == Some(rec.id) {
                        next_base += 1;
                    }
                    next_overlay += 1;
                    visit(Cow::Borrowed(rec))
                }
                (None, Some(id)) => {
                    next_base += 1;
                    self.visit_base(ty, id, base_wanted, visit)
                }
            };
            if !go_on {
                return;
            }
        }
    }

    fn visit_base<'a>(
        &'a self,
        ty: ObjectType,
        id: u64,
        base_wanted: &dyn Fn(u64) -> bool,
        visit: &mut dyn FnMut(Cow<'a, Record>) -> bool,
    ) -> bool {
        if !base_wanted(id) {
            return true;
        }
        match self.lazy.as_ref().and_then(|l| l.record(ty, id)) {
            Some(rec) => visit(Cow::Owned(rec)),
            None => true,
        }
    }

    /// Ids of the live records of a type, in id order (built without building the records).
    pub(crate) fn live_ids(&self, ty: ObjectType) -> Vec<u64> {
        let table = self.table(ty);
        let Some(lazy) = &self.lazy else {
            return table
                .records
                .iter()
                .filter(|r| r.is_live())
                .map(|r| r.id)
                .collect();
        };
        let range = lazy.id_range(ty);
        let mut ids: Vec<u64> = range
            .clone()
            .filter(|id| table.get(*id).is_none_or(Record::is_live))
            .collect();
        ids.extend(
            table
                .records
                .iter()
                .filter(|r| !range.contains(&r.id) && r.is_live())
                .map(|r| r.id),
        );
        ids.sort_unstable();
        ids
    }

    /// How many live records of a type the portal holds.
    pub(crate) fn live_count(&self, ty: ObjectType) -> usize {
        let table = self.table(ty);
        let live_held = table.records.iter().filter(|r| r.is_live()).count();
        match &self.lazy {
            None => live_held,
            Some(lazy) => {
                let range = lazy.id_range(ty);
                let held_from_base = table
                    .records
                    .iter()
                    .filter(|r| range.contains(&r.id))
                    .count();
                (range.end - range.start) as usize - held_from_base + live_held
            }
        }
    }

    /// Records held in memory: all of them for an eager portal, the overlay for a lazy one.
    pub(crate) fn materialised(&self) -> usize {
        self.tables.iter().map(|t| t.records.len()).sum()
    }

    /// The latest modification time of any base record (`None`: no lazy base). A search that asks
    /// for records modified after it needs to look at the overlay only.
    pub(crate) fn base_modified_bound(&self) -> Option<i64> {
        self.lazy.as_ref().map(|l| l.anchor_ms())
    }
}
