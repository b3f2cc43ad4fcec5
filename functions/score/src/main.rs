fn main() {
    println!("score: not wired yet");
}
