//! Host bindings for the Spin and wasi:keyvalue interfaces the component imports (see `wit/`).

wasmtime::component::bindgen!({
    path: "wit",
    world: "spin-host",
    imports: { default: async | trappable },
    with: {
        "fermyon:spin/key-value.store": crate::kv::OpenStore,
        // One store resource for both interfaces: a bucket is the labelled store `open` gives.
        "wasi:keyvalue/store.bucket": crate::kv::OpenStore,
        "wasi:keyvalue/atomics.cas": crate::kv::Cas,
    },
});
