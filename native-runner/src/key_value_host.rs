//! `fermyon:spin/key-value@2.0.0` for the component, over a [`KvBackend`]. Writes (and every
//! call to a networked backend) run on tokio's blocking pool so a syncing disk or a slow server
//! never stalls other requests; local reads run in place.

use std::sync::Arc;

use wasmtime::component::{HasData, Resource, ResourceTable};

use crate::bindings::fermyon::spin::key_value::{Error, Host, HostStore};
use crate::kv::{KvBackend, KvBackendError, OpenStore};

/// The only label the component may open (declared in `spin.toml` as well).
pub const STORE_LABEL: &str = "default";

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

impl KvView<'_> {
    fn backend_of(&self, store: &Resource<OpenStore>) -> wasmtime::Result<Arc<dyn KvBackend>> {
        Ok(self.table.get(store)?.backend.clone())
    }
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

impl HostStore for KvView<'_> {
    async fn open(
        &mut self,
        label: String,
    ) -> wasmtime::Result<Result<Resource<OpenStore>, Error>> {
        if label != STORE_LABEL {
            return Ok(Err(Error::NoSuchStore));
        }
        let backend = self.backend.clone();
        Ok(Ok(self.table.push(OpenStore { backend })?))
    }

    async fn get(
        &mut self,
        store: Resource<OpenStore>,
        key: String,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, Error>> {
        let backend = self.backend_of(&store)?;
        read(backend, move |b| b.get(&key)).await
    }

    async fn set(
        &mut self,
        store: Resource<OpenStore>,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), Error>> {
        let backend = self.backend_of(&store)?;
        blocking(move || backend.set(&key, &value)).await
    }

    async fn delete(
        &mut self,
        store: Resource<OpenStore>,
        key: String,
    ) -> wasmtime::Result<Result<(), Error>> {
        let backend = self.backend_of(&store)?;
        blocking(move || backend.delete(&key)).await
    }

    async fn exists(
        &mut self,
        store: Resource<OpenStore>,
        key: String,
    ) -> wasmtime::Result<Result<bool, Error>> {
        let backend = self.backend_of(&store)?;
        read(backend, move |b| b.exists(&key)).await
    }

    async fn get_keys(
        &mut self,
        store: Resource<OpenStore>,
    ) -> wasmtime::Result<Result<Vec<String>, Error>> {
        let backend = self.backend_of(&store)?;
        read(backend, |b| b.keys()).await
    }

    async fn drop(&mut self, store: Resource<OpenStore>) -> wasmtime::Result<()> {
        self.table.delete(store)?;
        Ok(())
    }
}

impl Host for KvView<'_> {}
