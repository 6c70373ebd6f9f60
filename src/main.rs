fn main() {
    resilience_playground::run();
}
