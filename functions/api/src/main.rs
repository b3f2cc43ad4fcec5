//! The api Lambda: the HTTP API and dashboard behind API Gateway. Everything it builds and runs is
//! in `shared::wiring::api`.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    shared::wiring::run("api", shared::wiring::api::serve()).await
}
