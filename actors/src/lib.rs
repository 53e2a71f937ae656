//! The worker's actix actor system.
//!
//! This crate is reserved for the actor runtime (issue 3): the controller, worker, connector
//! and task actors, config store, state manager, offset committer and rebalancer, exchanging
//! typed messages and reached through cloneable handles. It holds no code yet; the record data
//! path (converters and the transform chain) it will drive lives in `connect-converters`,
//! `connect-transforms` and `connect-runtime::pipeline` today.
