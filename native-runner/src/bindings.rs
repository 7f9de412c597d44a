//! Host bindings for the Spin interfaces the component imports (see `wit/`).

wasmtime::component::bindgen!({
    path: "wit",
    world: "spin-host",
    imports: { default: trappable },
    with: {
        "spin:key-value/key-value.store": crate::key_value_host::OpenStore,
    },
});
