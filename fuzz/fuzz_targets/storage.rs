//! Any storage key, `Range` header and content: a key is refused with a `detail` or stores the
//! content, and a read gives back exactly the bytes the range names.
//!
//! Input: the key up to a newline, the `Range` value up to the next, then the content.

#![no_main]

use http::Method;
use libfuzzer_sys::fuzz_target;
use nodetool_edge_fuzz::{authorized, call, line, segment, static_server};

fn content_range(value: &str) -> (usize, usize, usize) {
    let rest = value.strip_prefix("bytes ").expect("bytes unit");
    let (span, len) = rest.split_once('/').expect("a length");
    let (a, b) = span.split_once('-').expect("a span");
    (a.parse().unwrap(), b.parse().unwrap(), len.parse().unwrap())
}

fuzz_target!(|data: &[u8]| {
    let (key, rest) = line(data);
    let (range, content) = line(rest);
    let host = static_server();
    let auth = authorized();
    let path = format!("/admin/storage/assets/{}", segment(key));
    let Some(put) = call(&host, &Method::PUT, &path, &auth, content) else {
        return;
    };
    if put.status != 200 {
        assert_eq!(put.status, 400, "PUT {path}");
        return;
    }
    let mut headers = auth.clone();
    headers.push(("range", range));
    let Some(get) = call(&host, &Method::GET, &path, &headers, b"") else {
        return;
    };
    match get.status {
        200 => assert_eq!(get.body, content),
        206 => {
            let (a, b, len) = content_range(get.header("content-range").unwrap());
            assert_eq!(len, content.len());
            assert!(a <= b && b < len, "{a}-{b}/{len}");
            assert_eq!(get.body, &content[a..=b]);
        }
        416 => assert_eq!(
            get.header("content-range"),
            Some(format!("bytes */{}", content.len()).as_str())
        ),
        other => panic!("GET {path} with range {range:?}: {other}"),
    }
});
