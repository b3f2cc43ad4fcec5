//! The notify Lambda: alerts for a batch of client changes, and the HubSpot write-back. Everything
//! it builds and runs is in `shared::wiring::notify`.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    shared::wiring::run("notify", shared::wiring::notify::serve()).await
}
