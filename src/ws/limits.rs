//! The settings of sockets and jobs: one name and one default for every host that holds
//! sockets (the runner reads each as a flag or a variable, Workers as a variable).

/// A setting's variable name and its default.
#[derive(Debug, Clone, Copy)]
pub struct Setting {
    pub name: &'static str,
    pub default: u64,
}

pub const MAX_SOCKETS_PER_USER: Setting = Setting {
    name: "WS_MAX_SOCKETS_PER_USER",
    default: 64,
};
pub const MAX_MESSAGE_BYTES: Setting = Setting {
    name: "WS_MAX_MESSAGE_BYTES",
    default: 1 << 20,
};
/// NodeTool's heartbeat.
pub const HEARTBEAT_SECS: Setting = Setting {
    name: "WS_HEARTBEAT_SECS",
    default: 25,
};
pub const IDLE_SECS: Setting = Setting {
    name: "WS_IDLE_SECS",
    default: 120,
};
pub const AUTH_CHECK_SECS: Setting = Setting {
    name: "WS_AUTH_CHECK_SECS",
    default: 30,
};
pub const MAX_JOBS_PER_USER: Setting = Setting {
    name: "MAX_JOBS_PER_USER",
    default: 8,
};
pub const JOB_RETENTION_SECS: Setting = Setting {
    name: "JOB_RETENTION_SECS",
    default: 600,
};

/// Bytes of messages one job keeps for replay; beyond them only the job's first message and
/// its end are kept once it has ended.
pub const REPLAY_BYTES: usize = 16 << 20;
