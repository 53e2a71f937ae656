//! Property tests: the primitive converters give back exactly what they were given.

use connect_api::{RecordConverter, Value};
use proptest::prelude::*;

use crate::number::{Double, Float, Integer, Long, Short};
use crate::{ByteArrayConverter, NumberConverter, StringConverter};

fn roundtrip(converter: &dyn RecordConverter, value: &Value) -> Value {
    let bytes = converter.encode("t", None, value).unwrap();
    converter.decode("t", bytes.as_deref()).unwrap().value
}

proptest! {
    #[test]
    fn numbers_round_trip(s in any::<i16>(), i in any::<i32>(), l in any::<i64>(), f in any::<f32>(), d in any::<f64>()) {
        prop_assert_eq!(roundtrip(&NumberConverter::<Short>::default(), &Value::Int16(s)), Value::Int16(s));
        prop_assert_eq!(roundtrip(&NumberConverter::<Integer>::default(), &Value::Int32(i)), Value::Int32(i));
        prop_assert_eq!(roundtrip(&NumberConverter::<Long>::default(), &Value::Int64(l)), Value::Int64(l));
        // Compare bits: NaN payloads must survive too.
        match roundtrip(&NumberConverter::<Float>::default(), &Value::Float32(f)) {
            Value::Float32(back) => prop_assert_eq!(back.to_bits(), f.to_bits()),
            other => prop_assert!(false, "got {:?}", other),
        }
        match roundtrip(&NumberConverter::<Double>::default(), &Value::Float64(d)) {
            Value::Float64(back) => prop_assert_eq!(back.to_bits(), d.to_bits()),
            other => prop_assert!(false, "got {:?}", other),
        }
    }

    #[test]
    fn strings_and_bytes_round_trip(text in ".*", bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        prop_assert_eq!(roundtrip(&StringConverter::default(), &Value::String(text.clone())), Value::String(text));
        prop_assert_eq!(roundtrip(&ByteArrayConverter::default(), &Value::Bytes(bytes.clone())), Value::Bytes(bytes));
    }

    /// Arbitrary bytes never panic a number or string decoder.
    #[test]
    fn decoders_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..16)) {
        let _ = NumberConverter::<Long>::default().decode("t", Some(&bytes));
        let _ = NumberConverter::<Float>::default().decode("t", Some(&bytes));
        let _ = StringConverter::default().decode("t", Some(&bytes));
    }
}
