//! The worker binary for integration tests: exactly the `rocketmq-connect` command line, with
//! the same allocator.

fn main() -> std::process::ExitCode {
    connect_allocator::tune();
    connect_runtime::cli::run()
}
