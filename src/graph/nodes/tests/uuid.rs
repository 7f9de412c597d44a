//! Cases for `lib.uuid.*`, from NodeTool's node semantics. The expected values are what
//! Python's `uuid` module gives; a UUID's 128-bit `int` is written as decimal text.

use serde_json::{Value, json};

use super::run;

fn ok(ty: &str, props: Value, want: Value) {
    assert_eq!(run(ty, props.clone()), Ok(want), "{ty} {props}");
}

fn err(ty: &str, props: Value, want: &str) {
    assert_eq!(
        run(ty, props.clone()),
        Err(want.to_string()),
        "{ty} {props}"
    );
}

#[test]
fn generate_uuid3() {
    ok(
        "lib.uuid.GenerateUUID3",
        json!({"name": "example.com"}),
        json!("9073926b-929f-31c2-abc9-fad77ae3e8eb"),
    );
    ok(
        "lib.uuid.GenerateUUID3",
        json!({"namespace": "URL", "name": "https://nodetool.ai/ünïcode"}),
        json!("d7705e66-5475-3a4a-b2c2-b1b9b71f018f"),
    );
    ok(
        "lib.uuid.GenerateUUID3",
        json!({"namespace": "oid", "name": ""}),
        json!("596b79dc-00dd-3991-a72f-d3696c38c64f"),
    );
    ok(
        "lib.uuid.GenerateUUID3",
        json!({"namespace": "x500", "name": "cn=x"}),
        json!("dcc2172c-a229-3944-aa35-482747f1711b"),
    );
    ok(
        "lib.uuid.GenerateUUID3",
        json!({"namespace": "{12345678-1234-5678-1234-567812345678}", "name": "a"}),
        json!("4d4eb20f-5d06-31ff-a750-d1d48e14485f"),
    );
    err(
        "lib.uuid.GenerateUUID3",
        json!({"namespace": "nope", "name": "a"}),
        "Invalid namespace: nope. Use dns, url, oid, x500, or a valid UUID string",
    );
}

#[test]
fn generate_uuid5() {
    ok(
        "lib.uuid.GenerateUUID5",
        json!({"name": "example.com"}),
        json!("cfbff0d1-9375-5685-968c-48ce8b15ae17"),
    );
    ok(
        "lib.uuid.GenerateUUID5",
        json!({"namespace": "Dns", "name": "python.org"}),
        json!("886313e1-3b8a-5372-9b90-0c9aee199e5d"),
    );
    ok(
        "lib.uuid.GenerateUUID5",
        json!({"namespace": "urn:uuid:6ba7b811-9dad-11d1-80b4-00c04fd430c8", "name": "x"}),
        json!("4cd605e7-afa2-5360-b5b9-c5e9fb5c76f4"),
    );
    err(
        "lib.uuid.GenerateUUID5",
        json!({"namespace": "6ba7b811-9dad-11d1-80b4-00c04fd430c", "name": "x"}),
        "Invalid namespace: 6ba7b811-9dad-11d1-80b4-00c04fd430c. Use dns, url, oid, x500, or a valid UUID string",
    );
}

#[test]
fn parse_uuid() {
    ok(
        "lib.uuid.ParseUUID",
        json!({"uuid_string": "6ba7b810-9dad-11d1-80b4-00c04fd430c8"}),
        json!({"uuid": "6ba7b810-9dad-11d1-80b4-00c04fd430c8", "version": 1, "variant": "specified in RFC 4122", "hex": "6ba7b8109dad11d180b400c04fd430c8", "int": "143098242404177361603877621312831893704", "is_valid": true}),
    );
    ok(
        "lib.uuid.ParseUUID",
        json!({"uuid_string": "{urn:uuid:12345678-1234-5678-1234-567812345678}"}),
        json!({"uuid": "12345678-1234-5678-1234-567812345678", "version": null, "variant": "reserved for NCS compatibility", "hex": "12345678123456781234567812345678", "int": "24197857161011715162171839636988778104", "is_valid": true}),
    );
    ok(
        "lib.uuid.ParseUUID",
        json!({"uuid_string": "ffffffff-ffff-ffff-ffff-ffffffffffff"}),
        json!({"uuid": "ffffffff-ffff-ffff-ffff-ffffffffffff", "version": null, "variant": "reserved for future definition", "hex": "ffffffffffffffffffffffffffffffff", "int": "340282366920938463463374607431768211455", "is_valid": true}),
    );
    ok(
        "lib.uuid.ParseUUID",
        json!({"uuid_string": "00000000-0000-0000-c000-000000000000"}),
        json!({"uuid": "00000000-0000-0000-c000-000000000000", "version": null, "variant": "reserved for Microsoft compatibility", "hex": "0000000000000000c000000000000000", "int": "13835058055282163712", "is_valid": true}),
    );
    ok(
        "lib.uuid.ParseUUID",
        json!({"uuid_string": "00000000-0000-f000-a000-000000000000"}),
        json!({"uuid": "00000000-0000-f000-a000-000000000000", "version": 15, "variant": "specified in RFC 4122", "hex": "000000000000f000a000000000000000", "int": "1133379485103760919756800", "is_valid": true}),
    );
    ok(
        "lib.uuid.ParseUUID",
        json!({"uuid_string": "not-a-uuid"}),
        json!({"uuid": "not-a-uuid", "is_valid": false, "error": "badly formed hexadecimal UUID string"}),
    );
    ok(
        "lib.uuid.ParseUUID",
        json!({"uuid_string": ""}),
        json!({"uuid": "", "is_valid": false, "error": "badly formed hexadecimal UUID string"}),
    );
    ok(
        "lib.uuid.ParseUUID",
        json!({"uuid_string": "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz"}),
        json!({"uuid": "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz", "is_valid": false, "error": "invalid literal for int() with base 16: 'zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz'"}),
    );
    ok(
        "lib.uuid.ParseUUID",
        json!({"uuid_string": "0x345678123456781234567812345678"}),
        json!({"uuid": "00345678-1234-5678-1234-567812345678", "version": null, "variant": "reserved for NCS compatibility", "hex": "00345678123456781234567812345678", "int": "271753236883229449903312551942575736", "is_valid": true}),
    );
    ok(
        "lib.uuid.ParseUUID",
        json!({"uuid_string": "+2345678123456781234567812345678"}),
        json!({"uuid": "02345678-1234-5678-1234-567812345678", "version": null, "variant": "reserved for NCS compatibility", "hex": "02345678123456781234567812345678", "int": "2930209228453061195710926672503264888", "is_valid": true}),
    );
    ok(
        "lib.uuid.ParseUUID",
        json!({"uuid_string": " 2345678123456781234567812345678"}),
        json!({"uuid": "02345678-1234-5678-1234-567812345678", "version": null, "variant": "reserved for NCS compatibility", "hex": "02345678123456781234567812345678", "int": "2930209228453061195710926672503264888", "is_valid": true}),
    );
    ok(
        "lib.uuid.ParseUUID",
        json!({"uuid_string": "1_345678123456781234567812345678"}),
        json!({"uuid": "01345678-1234-5678-1234-567812345678", "version": null, "variant": "reserved for NCS compatibility", "hex": "01345678123456781234567812345678", "int": "1600981232668145322807119612222920312", "is_valid": true}),
    );
    ok(
        "lib.uuid.ParseUUID",
        json!({"uuid_string": "1__45678123456781234567812345678"}),
        json!({"uuid": "1__45678123456781234567812345678", "is_valid": false, "error": "invalid literal for int() with base 16: '1__45678123456781234567812345678'"}),
    );
    ok(
        "lib.uuid.ParseUUID",
        json!({"uuid_string": "_2345678123456781234567812345678"}),
        json!({"uuid": "_2345678123456781234567812345678", "is_valid": false, "error": "invalid literal for int() with base 16: '_2345678123456781234567812345678'"}),
    );
    ok(
        "lib.uuid.ParseUUID",
        json!({"uuid_string": "234567812345678123456781234567_"}),
        json!({"uuid": "234567812345678123456781234567_", "is_valid": false, "error": "badly formed hexadecimal UUID string"}),
    );
    ok(
        "lib.uuid.ParseUUID",
        json!({"uuid_string": "0x_45678123456781234567812345678"}),
        json!({"uuid": "00045678-1234-5678-1234-567812345678", "version": null, "variant": "reserved for NCS compatibility", "hex": "00045678123456781234567812345678", "int": "22522987673557723733848728140011128", "is_valid": true}),
    );
    ok(
        "lib.uuid.ParseUUID",
        json!({"uuid_string": "٣2345678123456781234567812345678"}),
        json!({"uuid": "32345678-1234-5678-1234-567812345678", "version": null, "variant": "reserved for NCS compatibility", "hex": "32345678123456781234567812345678", "int": "66733153026129023095093665565959804536", "is_valid": true}),
    );
    ok(
        "lib.uuid.ParseUUID",
        json!({"uuid_string": "\u{a0}2345678123456781234567812345678"}),
        json!({"uuid": "02345678-1234-5678-1234-567812345678", "version": null, "variant": "reserved for NCS compatibility", "hex": "02345678123456781234567812345678", "int": "2930209228453061195710926672503264888", "is_valid": true}),
    );
    ok(
        "lib.uuid.ParseUUID",
        json!({"uuid_string": "\u{1c}2345678123456781234567812345678"}),
        json!({"uuid": "\u{1c}2345678123456781234567812345678", "is_valid": false, "error": "invalid literal for int() with base 16: '\\x1c2345678123456781234567812345678'"}),
    );
    ok(
        "lib.uuid.ParseUUID",
        json!({"uuid_string": "é2345678123456781234567812345678"}),
        json!({"uuid": "é2345678123456781234567812345678", "is_valid": false, "error": "invalid literal for int() with base 16: 'é2345678123456781234567812345678'"}),
    );
    ok(
        "lib.uuid.ParseUUID",
        json!({"uuid_string": "{{12345678123456781234567812345678}"}),
        json!({"uuid": "12345678-1234-5678-1234-567812345678", "version": null, "variant": "reserved for NCS compatibility", "hex": "12345678123456781234567812345678", "int": "24197857161011715162171839636988778104", "is_valid": true}),
    );
    ok(
        "lib.uuid.ParseUUID",
        json!({"uuid_string": "uurn:uid:12345678123456781234567812345678"}),
        json!({"uuid": "12345678-1234-5678-1234-567812345678", "version": null, "variant": "reserved for NCS compatibility", "hex": "12345678123456781234567812345678", "int": "24197857161011715162171839636988778104", "is_valid": true}),
    );
    ok(
        "lib.uuid.ParseUUID",
        json!({"uuid_string": "1234567812345678123456781234567\n"}),
        json!({"uuid": "01234567-8123-4567-8123-456781234567", "version": 4, "variant": "specified in RFC 4122", "hex": "01234567812345678123456781234567", "int": "1512366072563232197635739977311798631", "is_valid": true}),
    );
    ok(
        "lib.uuid.ParseUUID",
        json!({"uuid_string": "ABCDEF78-1234-5678-1234-567812345678"}),
        json!({"uuid": "abcdef78-1234-5678-1234-567812345678", "version": null, "variant": "reserved for NCS compatibility", "hex": "abcdef78123456781234567812345678", "int": "228367265144129031049194349727698933368", "is_valid": true}),
    );
}

#[test]
fn format_uuid() {
    ok(
        "lib.uuid.FormatUUID",
        json!({"uuid_string": "ABCDEF78-1234-5678-1234-567812345678"}),
        json!("abcdef78-1234-5678-1234-567812345678"),
    );
    ok(
        "lib.uuid.FormatUUID",
        json!({"uuid_string": "ABCDEF78-1234-5678-1234-567812345678", "format": "hex"}),
        json!("abcdef78123456781234567812345678"),
    );
    ok(
        "lib.uuid.FormatUUID",
        json!({"uuid_string": "ABCDEF78-1234-5678-1234-567812345678", "format": "urn"}),
        json!("urn:uuid:abcdef78-1234-5678-1234-567812345678"),
    );
    ok(
        "lib.uuid.FormatUUID",
        json!({"uuid_string": "ABCDEF78-1234-5678-1234-567812345678", "format": "int"}),
        json!("228367265144129031049194349727698933368"),
    );
    ok(
        "lib.uuid.FormatUUID",
        json!({"uuid_string": "ABCDEF78-1234-5678-1234-567812345678", "format": "bytes_hex"}),
        json!("abcdef78123456781234567812345678"),
    );
    err(
        "lib.uuid.FormatUUID",
        json!({"uuid_string": "nope\n", "format": "hex"}),
        "Invalid UUID string: nope\n",
    );
}

#[test]
fn is_valid_uuid() {
    ok(
        "lib.uuid.IsValidUUID",
        json!({"uuid_string": "ABCDEF78-1234-5678-1234-567812345678"}),
        json!(true),
    );
    ok(
        "lib.uuid.IsValidUUID",
        json!({"uuid_string": "ABCDEF78-1234-5678-1234-56781234567"}),
        json!(false),
    );
    ok("lib.uuid.IsValidUUID", json!({}), json!(false));
}

#[test]
fn generate_uuid4() {
    // The test host's entropy is all 7s: only the version and variant bits change.
    ok(
        "lib.uuid.GenerateUUID4",
        json!({}),
        json!("07070707-0707-4707-8707-070707070707"),
    );
}

#[test]
fn generate_uuid1() {
    // 2023-11-14T22:13:20Z in 100-ns steps since 1582, 14 random bits of clock sequence and a
    // random node with the multicast bit set; a second UUID in the same instant is one step
    // later, as Python keeps them apart.
    ok(
        "lib.uuid.GenerateUUID1",
        json!({}),
        json!("04afc000-833b-11ee-8707-070707070707"),
    );
    ok(
        "lib.uuid.GenerateUUID1",
        json!({}),
        json!("04afc001-833b-11ee-8707-070707070707"),
    );
}

#[test]
fn format_must_be_one_nodetool_knows() {
    err(
        "lib.uuid.FormatUUID",
        json!({"uuid_string": "6ba7b810-9dad-11d1-80b4-00c04fd430c8", "format": "base64"}),
        "Invalid value for property `format`: 'base64' (expected one of standard, hex, urn, \
         int, bytes_hex)",
    );
}
