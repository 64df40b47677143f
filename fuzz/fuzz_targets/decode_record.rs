//! The stored-record decoder on any text: a record, or absent/corrupt/foreign/future,
//! never a panic; a decoded record encodes and decodes back to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oauth2_wasm_core::session::{decode_record, encode_record, Stored};
use oauth2_wasm_core::ClientConfig;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut client = ClientConfig::new("https://www.autovit.ro/api/open/oauth/token");
    client.client_id = Some(123u64.into());
    if let Stored::Record(record) = decode_record(Some(&text), &client) {
        let again = encode_record(&record, &client);
        assert_eq!(decode_record(Some(&again), &client), Stored::Record(record));
    }
});
