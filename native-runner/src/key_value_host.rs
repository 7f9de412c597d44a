//! The component's key-value imports over a [`KvBackend`]: `fermyon:spin/key-value@2.0.0`
//! for reads and writes, and `wasi:keyvalue/store` and `atomics` (0.2.0-draft2) for
//! compare-and-swap, both on the same labelled store. Writes (and every call to a networked
//! backend) run on tokio's blocking pool so a syncing disk or a slow server never stalls other
//! requests; local reads run in place.

use std::sync::Arc;

use wasmtime::component::{HasData, Resource, ResourceTable};

use crate::bindings::fermyon::spin::key_value::{Error, Host, HostStore};
use crate::bindings::wasi::keyvalue::{atomics, batch, store};
use crate::kv::{Cas, KvBackend, KvBackendError, OpenStore};

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

/// Detail stays in the host log; the guest only needs to know the store failed.
fn log_backend_error(e: &KvBackendError) -> String {
    eprintln!("key-value backend error: {e}");
    "storage backend error".into()
}

impl From<KvBackendError> for Error {
    fn from(e: KvBackendError) -> Error {
        Error::Other(log_backend_error(&e))
    }
}

impl From<KvBackendError> for store::Error {
    fn from(e: KvBackendError) -> store::Error {
        store::Error::Other(log_backend_error(&e))
    }
}

impl KvView<'_> {
    fn backend_of(&self, store: &Resource<OpenStore>) -> wasmtime::Result<Arc<dyn KvBackend>> {
        Ok(self.table.get(store)?.backend.clone())
    }

    /// The store behind `label`, as a resource of this instance, or `None` for a label the
    /// component may not open. Both interfaces open stores through here.
    fn open_label(&mut self, label: &str) -> wasmtime::Result<Option<Resource<OpenStore>>> {
        if label != STORE_LABEL {
            return Ok(None);
        }
        let backend = self.backend.clone();
        Ok(Some(self.table.push(OpenStore { backend })?))
    }
}

/// A write: it waits for the disk (SQLite syncs every commit), so it runs on tokio's blocking
/// pool and other requests go on meanwhile.
async fn blocking<R: Send + 'static, E: From<KvBackendError>>(
    f: impl FnOnce() -> Result<R, KvBackendError> + Send + 'static,
) -> wasmtime::Result<Result<R, E>> {
    let out = tokio::task::spawn_blocking(f).await?;
    Ok(out.map_err(E::from))
}

/// A read: it runs in place. A read of a WAL database comes from the page cache in
/// microseconds, less than the hand-over to the blocking pool and back costs (a workflow list
/// makes one read per workflow). A backend that may wait on the network (Redis) says so, and
/// its reads go to the blocking pool like writes.
async fn read<R: Send + 'static, E: From<KvBackendError>>(
    backend: Arc<dyn KvBackend>,
    f: impl FnOnce(&dyn KvBackend) -> Result<R, KvBackendError> + Send + 'static,
) -> wasmtime::Result<Result<R, E>> {
    if backend.reads_block() {
        return blocking(move || f(&*backend)).await;
    }
    Ok(f(&*backend).map_err(E::from))
}

impl HostStore for KvView<'_> {
    async fn open(
        &mut self,
        label: String,
    ) -> wasmtime::Result<Result<Resource<OpenStore>, Error>> {
        Ok(self.open_label(&label)?.ok_or(Error::NoSuchStore))
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

impl store::Host for KvView<'_> {
    async fn open(
        &mut self,
        identifier: String,
    ) -> wasmtime::Result<Result<Resource<OpenStore>, store::Error>> {
        Ok(self
            .open_label(&identifier)?
            .ok_or(store::Error::NoSuchStore))
    }
}

impl store::HostBucket for KvView<'_> {
    async fn get(
        &mut self,
        bucket: Resource<OpenStore>,
        key: String,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, store::Error>> {
        let backend = self.backend_of(&bucket)?;
        read(backend, move |b| b.get(&key)).await
    }

    async fn set(
        &mut self,
        bucket: Resource<OpenStore>,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), store::Error>> {
        let backend = self.backend_of(&bucket)?;
        blocking(move || backend.set(&key, &value)).await
    }

    async fn delete(
        &mut self,
        bucket: Resource<OpenStore>,
        key: String,
    ) -> wasmtime::Result<Result<(), store::Error>> {
        let backend = self.backend_of(&bucket)?;
        blocking(move || backend.delete(&key)).await
    }

    async fn exists(
        &mut self,
        bucket: Resource<OpenStore>,
        key: String,
    ) -> wasmtime::Result<Result<bool, store::Error>> {
        let backend = self.backend_of(&bucket)?;
        read(backend, move |b| b.exists(&key)).await
    }

    /// Every key in one answer, as `get-keys` gives them: no cursor is ever handed out, so
    /// there is none to continue from.
    async fn list_keys(
        &mut self,
        bucket: Resource<OpenStore>,
        _cursor: Option<String>,
    ) -> wasmtime::Result<Result<store::KeyResponse, store::Error>> {
        let backend = self.backend_of(&bucket)?;
        let keys = read(backend, |b| b.keys()).await?;
        Ok(keys.map(|keys| store::KeyResponse { keys, cursor: None }))
    }

    async fn drop(&mut self, bucket: Resource<OpenStore>) -> wasmtime::Result<()> {
        self.table.delete(bucket)?;
        Ok(())
    }
}

impl atomics::HostCas for KvView<'_> {
    /// Reads the key's value now: the swap succeeds only if it is still the same.
    async fn new(
        &mut self,
        bucket: Resource<OpenStore>,
        key: String,
    ) -> wasmtime::Result<Result<Resource<Cas>, store::Error>> {
        let backend = self.backend_of(&bucket)?;
        let read_key = key.clone();
        let current = match read(backend.clone(), move |b| b.get(&read_key)).await? {
            Ok(current) => current,
            Err(e) => return Ok(Err(e)),
        };
        let cas = Cas {
            backend,
            key,
            current,
        };
        Ok(Ok(self.table.push(cas)?))
    }

    async fn current(
        &mut self,
        cas: Resource<Cas>,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, store::Error>> {
        Ok(Ok(self.table.get(&cas)?.current.clone()))
    }

    async fn drop(&mut self, cas: Resource<Cas>) -> wasmtime::Result<()> {
        self.table.delete(cas)?;
        Ok(())
    }
}

/// Why an increment could not be done, when the store itself did not fail.
enum NotIncremented {
    NotANumber,
    Overflow,
}

impl atomics::Host for KvView<'_> {
    /// The value is an i64 in decimal text (an absent key counts as 0), as Redis's INCRBY
    /// keeps it. Atomic through the backend's swap: read, add, swap, and again from the read
    /// when another writer came between.
    async fn increment(
        &mut self,
        bucket: Resource<OpenStore>,
        key: String,
        delta: i64,
    ) -> wasmtime::Result<Result<i64, store::Error>> {
        let backend = self.backend_of(&bucket)?;
        let out = blocking::<_, store::Error>(move || {
            loop {
                let old = backend.get(&key)?;
                let n = match old.as_deref() {
                    None => 0,
                    Some(text) => match std::str::from_utf8(text).ok().and_then(|t| t.parse().ok())
                    {
                        Some(n) => n,
                        None => return Ok(Err(NotIncremented::NotANumber)),
                    },
                };
                let Some(next) = i64::checked_add(n, delta) else {
                    return Ok(Err(NotIncremented::Overflow));
                };
                if backend.swap(&key, old.as_deref(), next.to_string().as_bytes())? {
                    return Ok(Ok(next));
                }
            }
        })
        .await?;
        Ok(match out {
            Ok(Ok(n)) => Ok(n),
            Ok(Err(NotIncremented::NotANumber)) => Err(store::Error::Other(
                "the value is not a decimal integer".into(),
            )),
            Ok(Err(NotIncremented::Overflow)) => {
                Err(store::Error::Other("the increment overflows an s64".into()))
            }
            Err(e) => Err(e),
        })
    }

    /// Writes only if the key still holds the value `cas` was made with. When it does not,
    /// the guest gets a new handle holding the value now stored, to retry from.
    async fn swap(
        &mut self,
        cas: Resource<Cas>,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), atomics::CasError>> {
        let Cas {
            backend,
            key,
            current,
        } = self.table.delete(cas)?;
        let out = blocking::<_, store::Error>(move || {
            if backend.swap(&key, current.as_deref(), &value)? {
                return Ok(None);
            }
            let current = backend.get(&key)?;
            Ok(Some(Cas {
                backend,
                key,
                current,
            }))
        })
        .await?;
        Ok(match out {
            Ok(None) => Ok(()),
            Ok(Some(fresh)) => Err(atomics::CasError::CasFailed(self.table.push(fresh)?)),
            Err(e) => Err(atomics::CasError::StoreError(e)),
        })
    }
}

impl batch::Host for KvView<'_> {
    /// Every key paired with its value or none, in the order asked: the backend reads them
    /// together (one SQLite transaction, one Redis `MGET`).
    async fn get_many(
        &mut self,
        bucket: Resource<OpenStore>,
        keys: Vec<String>,
    ) -> wasmtime::Result<Result<Vec<(String, Option<Vec<u8>>)>, store::Error>> {
        let backend = self.backend_of(&bucket)?;
        read(backend, move |b| {
            let values = b.get_many(&keys)?;
            Ok(keys.into_iter().zip(values).collect())
        })
        .await
    }
}
