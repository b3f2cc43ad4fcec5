fn main() {
    println!("api: not wired yet");
}
