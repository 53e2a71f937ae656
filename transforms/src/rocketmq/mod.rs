//! The seed's transforms, `org.apache.rocketmq.connect.transforms.*`, with the Java
//! reference's defects fixed (SetNull$Value works, ExtractNestedField honours
//! `output.field.name`, RegexRouter is instantiable, filters drop records cleanly).

mod change_case;
mod extract_nested_field;
mod pattern_filter;
mod pattern_rename;
mod regex_router;
mod set_maximum_precision;
mod set_null;

pub use change_case::{Case, ChangeCase};
pub use extract_nested_field::ExtractNestedField;
pub use pattern_filter::PatternFilter;
pub use pattern_rename::PatternRename;
pub use regex_router::RegexRouter;
pub use set_maximum_precision::SetMaximumPrecision;
pub use set_null::SetNull;
