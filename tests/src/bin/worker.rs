//! The worker binary for integration tests: exactly the `rocketmq-connect` command line.

fn main() -> std::process::ExitCode {
    connect_runtime::cli::run()
}
