//! NodeTool's unified WebSocket protocol (`/ws`), as a state machine with no I/O: a host
//! pumps frames in ([`Session::on_frame`]) and carries out what comes back ([`Action`]);
//! messages a job emits pass through [`Session::job_message`] on their way out. Which runs
//! exist, who owns them and how they are stopped stay with the host and the core's HTTP
//! routes (`/api/workflows/{id}/run` with a job id, `/api/jobs/{id}/cancel`), so a socket
//! decides nothing that HTTP would decide differently.

pub mod calls;
pub mod frame;
pub mod job_log;
pub mod limits;
pub mod session;

pub use frame::{Close, Frame, Mode};
pub use job_log::JobLog;
pub use session::{Action, Session};
