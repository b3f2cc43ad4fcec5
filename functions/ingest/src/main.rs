fn main() {
    println!("ingest: not wired yet");
}
