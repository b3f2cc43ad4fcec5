//! A NinjaOne Public API 2.0 simulator (placeholder: being written).
