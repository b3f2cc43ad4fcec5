//! The ingest Lambda: HubSpot webhooks in, one targeted `SyncRequested` per tenant out. Everything
//! it builds and runs is in `shared::wiring::ingest`.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    shared::wiring::run("ingest", shared::wiring::ingest::serve()).await
}
