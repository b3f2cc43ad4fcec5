//! The sync Lambda: the schedule's fan-out and one tenant's sync. Everything it builds and runs is in
//! `shared::wiring::sync`.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    shared::wiring::run("sync", shared::wiring::sync::serve()).await
}
