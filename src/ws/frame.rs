//! Frames on `/ws`: a text frame carries JSON, a binary frame MessagePack (NodeTool's two
//! modes), both decoding to the same JSON value. What cannot be decoded closes the socket
//! with the status RFC 6455 names for it; it never reaches a command.

use serde_json::Value;

/// How replies are encoded: the mode a client chose with `set_mode`, or the one of the last
/// frame it sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Text frames of JSON.
    Text,
    /// Binary frames of MessagePack.
    Binary,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Text => "text",
            Mode::Binary => "binary",
        }
    }

    pub fn parse(name: &str) -> Option<Mode> {
        match name {
            "text" => Some(Mode::Text),
            "binary" => Some(Mode::Binary),
            _ => None,
        }
    }
}

/// One frame as the host received it or is to send it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    Text(String),
    Binary(Vec<u8>),
}

impl Frame {
    pub fn mode(&self) -> Mode {
        match self {
            Frame::Text(_) => Mode::Text,
            Frame::Binary(_) => Mode::Binary,
        }
    }
}

/// Close statuses of RFC 6455 section 7.4.1 that this protocol uses.
pub mod close {
    /// The server is going away (shutdown).
    pub const GOING_AWAY: u16 = 1001;
    /// A frame of a kind the protocol does not take.
    pub const UNSUPPORTED: u16 = 1003;
    /// A frame whose payload is not what its kind promises (bad JSON, bad MessagePack).
    pub const INVALID_PAYLOAD: u16 = 1007;
    /// Authentication or policy: a token that expired or was revoked, a foreign page.
    pub const POLICY: u16 = 1008;
    /// A message over the size limit.
    pub const TOO_BIG: u16 = 1009;
    /// Idle past the timeout, or the server's own failure.
    pub const INTERNAL: u16 = 1011;
}

/// Why a socket is closed: a status and a reason for the client (at most 123 bytes, as a
/// close frame allows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Close {
    pub code: u16,
    pub reason: String,
}

impl Close {
    pub fn new(code: u16, reason: &str) -> Close {
        let mut end = reason.len().min(123);
        while !reason.is_char_boundary(end) {
            end -= 1;
        }
        Close {
            code,
            reason: reason[..end].to_string(),
        }
    }
}

/// Nesting deeper than this is refused as it is read: a hostile frame of `[[[[...` would
/// otherwise cost stack in every step that walks the value (JSON text stops at 128 already).
pub const MAX_DEPTH: usize = 128;

/// The value a frame carries.
pub fn decode(frame: &Frame) -> Result<Value, Close> {
    let value: Value = match frame {
        Frame::Text(text) => serde_json::from_str(text)
            .map_err(|_| Close::new(close::INVALID_PAYLOAD, "A text frame must hold JSON"))?,
        Frame::Binary(bytes) => {
            let mut de = rmp_serde::Deserializer::new(bytes.as_slice());
            de.set_max_depth(MAX_DEPTH);
            let value = serde::Deserialize::deserialize(&mut de).map_err(|_| {
                Close::new(
                    close::INVALID_PAYLOAD,
                    "A binary frame must hold MessagePack",
                )
            })?;
            // Trailing bytes are a second document or garbage: neither is one message.
            if !de.get_ref().is_empty() {
                return Err(Close::new(
                    close::INVALID_PAYLOAD,
                    "A binary frame must hold one MessagePack document",
                ));
            }
            value
        }
    };
    if !value.is_object() {
        return Err(Close::new(
            close::UNSUPPORTED,
            "A frame must hold an object with a \"command\"",
        ));
    }
    Ok(value)
}

/// A value as a frame of `mode`.
pub fn encode(mode: Mode, value: &Value) -> Frame {
    match mode {
        // Encoding our own JSON values cannot fail.
        Mode::Text => Frame::Text(value.to_string()),
        Mode::Binary => Frame::Binary(rmp_serde::to_vec_named(value).unwrap_or_default()),
    }
}
