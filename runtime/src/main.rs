//! The `rocketmq-connect` binary; everything lives in [`connect_runtime::cli`].

fn main() -> std::process::ExitCode {
    connect_runtime::cli::run()
}
