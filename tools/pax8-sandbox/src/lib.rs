//! A Pax8 partner API simulator (placeholder: being written).
