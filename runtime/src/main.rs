//! The `rocketmq-connect` binary; everything lives in [`connect_runtime::cli`]. The process
//! allocator is `connect_allocator`'s (mimalloc; why is there).

use connect_allocator as _;

fn main() -> std::process::ExitCode {
    connect_allocator::tune();
    connect_runtime::cli::run()
}
