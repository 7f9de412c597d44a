//! `spin:key-value/key-value@3.0.0` for the component, over a [`KvBackend`]. Writes (and every
//! call to a networked backend) run on tokio's blocking pool so a syncing disk or a slow server
//! never stalls other requests; local reads run in place.

use std::sync::Arc;

use wasmtime::component::{Accessor, FutureReader, HasData, Resource, ResourceTable, StreamReader};

use crate::bindings::spin::key_value::key_value::{Error, Host, HostStore, HostStoreWithStore};
use crate::kv::{KvBackend, KvBackendError};

/// The only label the component may open (declared in `spin.toml` as well).
pub const STORE_LABEL: &str = "default";

/// An opened store handle held by the guest.
pub struct OpenStore {
    backend: Arc<dyn KvBackend>,
}

/// What the key-value host functions see of the per-request state.
pub struct KvView<'a> {
    pub table: &'a mut ResourceTable,
    pub backend: &'a Arc<dyn KvBackend>,
}

/// Marker tying the bindings to [`KvView`].
pub struct SpinKeyValue;

impl HasData for SpinKeyValue {
    type Data<'a> = KvView<'a>;
}

fn other(e: KvBackendError) -> Error {
    // Detail stays in the host log; the guest only needs to know the store failed.
    eprintln!("key-value backend error: {e}");
    Error::Other("storage backend error".into())
}

fn backend_of<T>(
    accessor: &Accessor<T, SpinKeyValue>,
    store: &Resource<OpenStore>,
) -> wasmtime::Result<Arc<dyn KvBackend>> {
    accessor.with(|mut access| {
        let view = access.get();
        Ok(view.table.get(store)?.backend.clone())
    })
}

/// A write: it waits for the disk (SQLite syncs every commit), so it runs on tokio's blocking
/// pool and other requests go on meanwhile.
async fn blocking<R: Send + 'static>(
    f: impl FnOnce() -> Result<R, KvBackendError> + Send + 'static,
) -> wasmtime::Result<Result<R, Error>> {
    let out = tokio::task::spawn_blocking(f).await?;
    Ok(out.map_err(other))
}

/// A read: it runs in place. A read of a WAL database comes from the page cache in
/// microseconds, less than the hand-over to the blocking pool and back costs (a workflow list
/// makes one read per workflow). A backend that may wait on the network (Redis) says so, and
/// its reads go to the blocking pool like writes.
async fn read<R: Send + 'static>(
    backend: Arc<dyn KvBackend>,
    f: impl FnOnce(&dyn KvBackend) -> Result<R, KvBackendError> + Send + 'static,
) -> wasmtime::Result<Result<R, Error>> {
    if backend.reads_block() {
        return blocking(move || f(&*backend)).await;
    }
    Ok(f(&*backend).map_err(other))
}

impl<T: Send> HostStoreWithStore<T> for SpinKeyValue {
    async fn open(
        accessor: &Accessor<T, Self>,
        label: String,
    ) -> wasmtime::Result<Result<Resource<OpenStore>, Error>> {
        if label != STORE_LABEL {
            return Ok(Err(Error::NoSuchStore));
        }
        accessor.with(|mut access| {
            let view = access.get();
            let backend = view.backend.clone();
            Ok(Ok(view.table.push(OpenStore { backend })?))
        })
    }

    async fn get(
        accessor: &Accessor<T, Self>,
        store: Resource<OpenStore>,
        key: String,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, Error>> {
        let backend = backend_of(accessor, &store)?;
        read(backend, move |b| b.get(&key)).await
    }

    async fn set(
        accessor: &Accessor<T, Self>,
        store: Resource<OpenStore>,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), Error>> {
        let backend = backend_of(accessor, &store)?;
        blocking(move || backend.set(&key, &value)).await
    }

    async fn delete(
        accessor: &Accessor<T, Self>,
        store: Resource<OpenStore>,
        key: String,
    ) -> wasmtime::Result<Result<(), Error>> {
        let backend = backend_of(accessor, &store)?;
        blocking(move || backend.delete(&key)).await
    }

    async fn exists(
        accessor: &Accessor<T, Self>,
        store: Resource<OpenStore>,
        key: String,
    ) -> wasmtime::Result<Result<bool, Error>> {
        let backend = backend_of(accessor, &store)?;
        read(backend, move |b| b.exists(&key)).await
    }

    async fn get_keys(
        accessor: &Accessor<T, Self>,
        store: Resource<OpenStore>,
    ) -> wasmtime::Result<(StreamReader<String>, FutureReader<Result<(), Error>>)> {
        let backend = backend_of(accessor, &store)?;
        let (keys, result) = match read(backend, |b| b.keys()).await? {
            Ok(keys) => (keys, Ok(())),
            Err(e) => (Vec::new(), Err(e)),
        };
        accessor.with(|mut access| {
            let stream = StreamReader::new(&mut access, keys)?;
            let future =
                FutureReader::new(
                    &mut access,
                    async move { wasmtime::Result::<_>::Ok(result) },
                )?;
            Ok((stream, future))
        })
    }
}

impl HostStore for KvView<'_> {
    fn drop(&mut self, store: Resource<OpenStore>) -> wasmtime::Result<()> {
        self.table.delete(store)?;
        Ok(())
    }
}

impl Host for KvView<'_> {}
