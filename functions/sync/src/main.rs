fn main() {
    println!("sync: not wired yet");
}
