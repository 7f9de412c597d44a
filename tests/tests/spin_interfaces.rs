//! The component runs on the Spin people have: every interface it imports is one that Spin's
//! newest release (v4.0.2) provides, and it exports the HTTP handler that release and every
//! Spin since 2.0 accept. The Spin the suite runs under (a build of Spin's main branch)
//! accepts more than v4.0.2 does, so passing there alone would prove nothing about releases.

use std::path::Path;

use wasmparser::{Parser, Payload};

/// What Spin v4.0.2 provides to an HTTP component, by package and interface, with the newest
/// version of each package it carries (its `wit/world.wit` and `wit/deps/`). A WASI 0.2 import
/// resolves to any carried 0.2 release at or above the one asked for; anything newer than the
/// newest carried one may name functions that Spin lacks.
const SPIN_4_0_2: &[(&str, &[&str], &str)] = &[
    (
        "wasi:cli",
        &[
            "environment",
            "exit",
            "stdin",
            "stdout",
            "stderr",
            "terminal-input",
            "terminal-output",
            "terminal-stdin",
            "terminal-stdout",
            "terminal-stderr",
        ],
        "0.2.6",
    ),
    ("wasi:clocks", &["monotonic-clock", "wall-clock"], "0.2.6"),
    ("wasi:filesystem", &["types", "preopens"], "0.2.6"),
    ("wasi:io", &["error", "poll", "streams"], "0.2.6"),
    (
        "wasi:random",
        &["random", "insecure", "insecure-seed"],
        "0.2.6",
    ),
    (
        "wasi:sockets",
        &[
            "network",
            "instance-network",
            "udp",
            "udp-create-socket",
            "tcp",
            "tcp-create-socket",
            "ip-name-lookup",
        ],
        "0.2.6",
    ),
    ("wasi:http", &["types", "outgoing-handler"], "0.2.6"),
    (
        "fermyon:spin",
        &[
            "llm",
            "redis",
            "mqtt",
            "postgres",
            "mysql",
            "sqlite",
            "key-value",
            "variables",
        ],
        "2.0.0",
    ),
    ("spin:key-value", &["key-value"], "3.0.0"),
    ("spin:variables", &["variables"], "3.0.0"),
    // A draft: only this very version matches (see `refusal`).
    (
        "wasi:keyvalue",
        &["store", "atomics", "batch"],
        "0.2.0-draft2",
    ),
];

fn component() -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../target/component/wasm32-wasip2/component/nodetool_edge_spin.wasm");
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (the runner's build or `spin build` makes it)",
            path.display()
        )
    })
}

/// The component's own (top-level) imports and exports, by name.
fn interfaces(wasm: &[u8]) -> (Vec<String>, Vec<String>) {
    let (mut imports, mut exports) = (Vec::new(), Vec::new());
    // Nested modules and components have imports of their own; only depth 0 faces the host.
    let mut depth = 0usize;
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.expect("a valid component") {
            Payload::ModuleSection { .. } | Payload::ComponentSection { .. } => depth += 1,
            Payload::End(_) => depth = depth.saturating_sub(1),
            Payload::ComponentImportSection(section) if depth == 0 => {
                for import in section {
                    imports.push(import.unwrap().name.0.to_string());
                }
            }
            Payload::ComponentExportSection(section) if depth == 0 => {
                for export in section {
                    exports.push(export.unwrap().name.0.to_string());
                }
            }
            _ => {}
        }
    }
    (imports, exports)
}

/// `wasi:http/types@0.2.3` as (`wasi:http`, `types`, (0, 2, 3)).
fn split(name: &str) -> Option<(&str, &str, (u64, u64, u64))> {
    let (path, version) = name.split_once('@')?;
    let (package, interface) = path.rsplit_once('/')?;
    let mut parts = version.split('.').map(|p| p.parse::<u64>().ok());
    let v = (parts.next()??, parts.next()??, parts.next()??);
    if parts.next().is_some() {
        return None;
    }
    Some((package, interface, v))
}

/// Why Spin v4.0.2 could not provide `import`, if it could not.
fn refusal(import: &str) -> Option<String> {
    // A draft version (`0.2.0-draft2`) is compatible with nothing but itself.
    if let Some((path, version)) = import.split_once('@')
        && let Some((package, interface)) = path.rsplit_once('/')
        && SPIN_4_0_2
            .iter()
            .any(|(p, i, v)| *p == package && i.contains(&interface) && *v == version)
    {
        return None;
    }
    let Some((package, interface, version)) = split(import) else {
        return Some(format!("{import}: not a released interface version"));
    };
    let Some((_, interfaces, newest)) = SPIN_4_0_2.iter().find(|(p, _, _)| *p == package) else {
        return Some(format!("{import}: Spin v4.0.2 has no package {package}"));
    };
    if !interfaces.contains(&interface) {
        return Some(format!(
            "{import}: {package} in Spin v4.0.2 has no {interface}"
        ));
    }
    let Some((_, _, newest)) = split(&format!("x/y@{newest}")) else {
        return Some(format!(
            "{import}: Spin v4.0.2 carries {package} only at {newest}"
        ));
    };
    // Same major and minor (0.2.x), no newer than the newest carried.
    if (version.0, version.1) != (newest.0, newest.1) || version > newest {
        return Some(format!(
            "{import}: Spin v4.0.2 carries {package} up to {}.{}.{}",
            newest.0, newest.1, newest.2
        ));
    }
    None
}

#[test]
fn the_component_needs_only_what_spin_4_0_2_provides() {
    let (imports, exports) = interfaces(&component());
    println!("imports: {imports:?}\nexports: {exports:?}");
    assert!(
        !imports.is_empty(),
        "no imports read: the parser missed them"
    );
    let refused: Vec<String> = imports.iter().filter_map(|i| refusal(i)).collect();
    assert!(refused.is_empty(), "{}", refused.join("\n"));

    // Spin 2.0 to 4.x accept a wasi:http 0.2 incoming handler; v4.0.2 accepts no 0.3 but
    // one release candidate, and older Spins none.
    let handlers: Vec<&String> = exports
        .iter()
        .filter(|e| e.starts_with("wasi:http/"))
        .collect();
    assert_eq!(handlers.len(), 1, "exactly one HTTP handler: {exports:?}");
    let (_, interface, version) = split(handlers[0]).expect("a released version");
    assert_eq!(interface, "incoming-handler");
    assert_eq!((version.0, version.1), (0, 2), "{}", handlers[0]);

    // Key-value and variables from the package Spin 2.x, 3.x and 4.x, SpinKube's shim and
    // hosted Spin all provide, not from `spin:*@3.0.0`, which only Spin 4 has; the store
    // through the draft wasi:keyvalue every Spin since 3.0 carries. (Its `atomics` join the
    // imports once the core calls `KeyValue::swap`: the linker drops what nothing calls.)
    for needed in [
        "fermyon:spin/key-value@2.0.0",
        "fermyon:spin/variables@2.0.0",
        "wasi:keyvalue/store@0.2.0-draft2",
    ] {
        assert!(imports.iter().any(|i| i == needed), "{needed} missing");
    }
    let spin4_only: Vec<&String> = imports.iter().filter(|i| i.starts_with("spin:")).collect();
    assert!(spin4_only.is_empty(), "only Spin 4 has {spin4_only:?}");
}

#[test]
fn the_check_refuses_what_spin_4_0_2_lacks() {
    for (import, why) in [
        ("spin:key-value/key-value@3.0.1", "up to 3.0.0"),
        ("spin:kv/key-value@3.0.0", "no package spin:kv"),
        ("wasi:http/types@0.3.0", "up to 0.2.6"),
        ("wasi:http/types@0.2.7", "up to 0.2.6"),
        ("wasi:http/client@0.2.6", "has no client"),
        ("fermyon:spin/key-value@2.1.0", "up to 2.0.0"),
        ("wasi:http/types@0.3.0-rc-2026-03-15", "not a released"),
        ("wasi:http/types", "not a released"),
        ("wasi:keyvalue/store@0.2.0-draft3", "not a released"),
        ("wasi:keyvalue/store@0.2.0", "only at 0.2.0-draft2"),
        ("wasi:keyvalue/watcher@0.2.0-draft2", "not a released"),
    ] {
        let refused = refusal(import).unwrap_or_else(|| panic!("{import} passed"));
        assert!(refused.contains(why), "{refused}");
    }
    for ok in [
        "wasi:io/streams@0.2.0",
        "wasi:http/outgoing-handler@0.2.6",
        "fermyon:spin/variables@2.0.0",
        "wasi:keyvalue/atomics@0.2.0-draft2",
    ] {
        assert_eq!(refusal(ok), None, "{ok}");
    }
}
