//! The runtime: everything that turns the SDK, converters and transforms into a running
//! service.
//!
//! # Codemap
//! - [`plugins`]: the plugin registry — every converter, transform and predicate (and, with
//!   the worker, every connector) by Java class name and alias; backs `/plugin/list`.
//! - [`pipeline`]: converter + transform chain for one connector configuration, as the data
//!   path applies them; used by the `transform` command to try a configuration on real
//!   messages.
//! - `main.rs`: the `rocketmq-connect` command line.

pub mod plugins;
