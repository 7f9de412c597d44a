//! Builds the Spin component (edge/spin) for wasm32-wasip2 so the runner can embed the very
//! file `spin up` runs. A separate target directory keeps the nested cargo from waiting on the
//! lock the outer build holds. Set NODETOOL_EDGE_COMPONENT to embed a prebuilt file instead.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=NODETOOL_EDGE_COMPONENT");
    if let Ok(path) = std::env::var("NODETOOL_EDGE_COMPONENT") {
        println!("cargo:rerun-if-changed={path}");
        println!("cargo:rustc-env=NODETOOL_EDGE_COMPONENT_PATH={path}");
        return;
    }

    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let root = manifest_dir.parent().unwrap().to_path_buf();
    for watched in [
        "src",
        "edge/spin/src",
        "edge/spin/Cargo.toml",
        "Cargo.toml",
        "Cargo.lock",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }

    let target_dir = root.join("target").join("component");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(&root)
        .args([
            "build",
            "--package",
            "nodetool-edge-spin",
            "--target",
            "wasm32-wasip2",
            "--profile",
            "component",
            "--locked",
        ])
        .arg("--target-dir")
        .arg(&target_dir);
    // The outer build's flags, wrappers (clippy) and target settings are not the component's.
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTC_WORKSPACE_WRAPPER",
        "RUSTC_WRAPPER",
        "CARGO_BUILD_TARGET",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_RUSTFLAGS",
        "__CARGO_FIX_PLZ",
    ] {
        cmd.env_remove(var);
    }
    let status = cmd.status().expect("failed to run cargo for the component");
    if !status.success() {
        panic!(
            "building the component failed; is the wasm32-wasip2 target installed? (rustup target add wasm32-wasip2)"
        );
    }
    let wasm = target_dir.join("wasm32-wasip2/component/nodetool_edge_spin.wasm");
    println!(
        "cargo:rustc-env=NODETOOL_EDGE_COMPONENT_PATH={}",
        wasm.display()
    );
}
