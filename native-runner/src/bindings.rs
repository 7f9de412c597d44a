//! Host bindings for the Spin interfaces the component imports (see `wit/`).

wasmtime::component::bindgen!({
    path: "wit",
    world: "spin-host",
    imports: { default: async | trappable },
    with: {
        "fermyon:spin/key-value.store": crate::kv::OpenStore,
    },
});
