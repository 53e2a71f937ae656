//! Debezium's single message transforms, under their Java class names.

mod extract_new_record_state;

pub use extract_new_record_state::ExtractNewRecordState;
