//! A Microsoft Graph (Microsoft 365) simulator (placeholder: being written).
