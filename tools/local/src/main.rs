fn main() { println!("local runner: not wired yet"); }
