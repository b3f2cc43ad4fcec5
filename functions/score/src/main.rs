//! The score Lambda: one tenant's health scores and insights. Everything it builds and runs is in
//! `shared::wiring::score`.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    shared::wiring::run("score", shared::wiring::score::serve()).await
}
