//! A real WebSocket client (tungstenite over a blocking TCP stream) for `/ws`: frames as
//! NodeTool's clients send them, JSON in text frames or MessagePack in binary ones.

use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::Value;
use tungstenite::client::IntoClientRequest;
use tungstenite::protocol::WebSocketConfig;
use tungstenite::{Message, WebSocket};

/// How a socket ended, as the server closed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closed {
    pub code: u16,
    pub reason: String,
}

pub struct Socket {
    ws: WebSocket<TcpStream>,
}

/// Why the upgrade was refused: the HTTP status and body.
#[derive(Debug)]
pub struct Refused {
    pub status: u16,
    pub body: Value,
}

/// Opens `path` (with its query) on the server at `base` (`http://host:port`), with `headers`.
pub fn connect(base: &str, path: &str, headers: &[(&str, &str)]) -> Result<Socket, Refused> {
    let authority = base.trim_start_matches("http://").trim_end_matches('/');
    let mut req = format!("ws://{authority}{path}")
        .into_client_request()
        .expect("a valid WebSocket URL");
    for (k, v) in headers {
        req.headers_mut().insert(
            tungstenite::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            tungstenite::http::HeaderValue::from_str(v).unwrap(),
        );
    }
    let stream = TcpStream::connect(authority).expect("connecting to the server");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut rest = stream
        .try_clone()
        .expect("a second handle on the connection");
    let config = WebSocketConfig::default().max_message_size(Some(256 << 20));
    match tungstenite::client::client_with_config(req, stream, Some(config)) {
        Ok((ws, _)) => Ok(Socket { ws }),
        Err(tungstenite::HandshakeError::Failure(tungstenite::Error::Http(resp))) => {
            // tungstenite keeps only the body bytes that came with the head; a server that
            // sends the body in a later write (workerd) has the rest still on the wire.
            let mut bytes = resp.body().clone().unwrap_or_default();
            let want = resp
                .headers()
                .get(tungstenite::http::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
                .unwrap_or(bytes.len());
            let mut buf = [0u8; 4096];
            while bytes.len() < want {
                match std::io::Read::read(&mut rest, &mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => bytes.extend_from_slice(&buf[..n]),
                }
            }
            let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            Err(Refused {
                status: resp.status().as_u16(),
                body,
            })
        }
        Err(e) => panic!("WebSocket handshake failed: {e}"),
    }
}

/// What [`Socket::recv`] got.
#[derive(Debug, Clone, PartialEq)]
pub enum Got {
    Text(Value),
    Binary(Value),
    Closed(Closed),
}

impl Socket {
    pub fn send_text(&mut self, raw: &str) {
        // A server that closed on what it read first makes the rest of the write fail: the
        // close is read next.
        let _ = self.ws.send(Message::text(raw));
    }

    pub fn send_binary(&mut self, raw: Vec<u8>) {
        let _ = self.ws.send(Message::binary(raw));
    }

    pub fn send_json(&mut self, v: &Value) {
        self.send_text(&v.to_string());
    }

    pub fn send_msgpack(&mut self, v: &Value) {
        self.send_binary(rmp_serde::to_vec_named(v).unwrap());
    }

    /// The next message or the close, skipping pings and the server's heartbeat.
    pub fn recv(&mut self) -> Got {
        loop {
            match self.ws.read() {
                Ok(Message::Text(t)) => {
                    let v: Value = serde_json::from_str(t.as_str()).expect("JSON in a text frame");
                    if v["type"] == "ping" {
                        continue;
                    }
                    return Got::Text(v);
                }
                Ok(Message::Binary(b)) => {
                    let v: Value =
                        rmp_serde::from_slice(&b).expect("MessagePack in a binary frame");
                    if v["type"] == "ping" {
                        continue;
                    }
                    return Got::Binary(v);
                }
                Ok(Message::Close(frame)) => {
                    let (code, reason) = frame
                        .map(|f| (u16::from(f.code), f.reason.to_string()))
                        .unwrap_or((1005, String::new()));
                    return Got::Closed(Closed { code, reason });
                }
                Ok(_) => continue,
                Err(tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed) => {
                    return Got::Closed(Closed {
                        code: 1006,
                        reason: String::new(),
                    });
                }
                Err(e) => panic!("reading the socket: {e}"),
            }
        }
    }

    /// The next message, whichever encoding; panics on a close.
    pub fn message(&mut self) -> Value {
        match self.recv() {
            Got::Text(v) | Got::Binary(v) => v,
            Got::Closed(c) => panic!("socket closed: {c:?}"),
        }
    }

    /// Messages until one satisfies `last` (included), within `within`.
    pub fn until(&mut self, within: Duration, last: impl Fn(&Value) -> bool) -> Vec<Value> {
        let started = Instant::now();
        let mut out = Vec::new();
        loop {
            let left = within.saturating_sub(started.elapsed());
            assert!(!left.is_zero(), "no end within {within:?}: {out:?}");
            // The server's heartbeats are skipped, so the wait is bounded on the socket too.
            let _ = self.ws.get_mut().set_read_timeout(Some(left));
            let v = self.message();
            let done = last(&v);
            out.push(v);
            if done {
                let _ = self
                    .ws
                    .get_mut()
                    .set_read_timeout(Some(Duration::from_secs(30)));
                return out;
            }
        }
    }

    /// The close the server sends next (messages before it are skipped).
    pub fn closed(&mut self) -> Closed {
        loop {
            if let Got::Closed(c) = self.recv() {
                return c;
            }
        }
    }

    /// Closes from the client's side.
    pub fn close(mut self) {
        let _ = self.ws.close(None);
        let _ = self.ws.flush();
    }

    /// Stops reading and writing for `wait`, as a client that hung, then reads what the
    /// server sent meanwhile straight off the connection (no pongs are written back, so a
    /// server that closed finds nothing to refuse) and answers the close among it.
    pub fn hang(self, wait: Duration) -> Option<Closed> {
        use std::io::Read;
        let mut stream = self.ws.into_inner();
        std::thread::sleep(wait);
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut raw = Vec::new();
        let _ = stream.read_to_end(&mut raw);
        // Server frames are unmasked: opcode, length (7 bits, or 16 or 64 more), payload.
        let mut at = 0;
        while at + 2 <= raw.len() {
            let opcode = raw[at] & 0x0f;
            let (len, head) = match raw[at + 1] & 0x7f {
                126 if at + 4 <= raw.len() => {
                    (u16::from_be_bytes([raw[at + 2], raw[at + 3]]) as usize, 4)
                }
                127 if at + 10 <= raw.len() => {
                    let mut b = [0u8; 8];
                    b.copy_from_slice(&raw[at + 2..at + 10]);
                    (u64::from_be_bytes(b) as usize, 10)
                }
                n if n < 126 => (n as usize, 2),
                _ => return None,
            };
            let payload = raw.get(at + head..at + head + len)?;
            if opcode == 0x8 && payload.len() >= 2 {
                return Some(Closed {
                    code: u16::from_be_bytes([payload[0], payload[1]]),
                    reason: String::from_utf8_lossy(&payload[2..]).into_owned(),
                });
            }
            at += head + len;
        }
        None
    }

    /// Drops the connection without a close frame, as a client that vanished.
    pub fn drop_connection(self) {
        let stream = self.ws.into_inner();
        let _ = stream.shutdown(std::net::Shutdown::Both);
    }
}
