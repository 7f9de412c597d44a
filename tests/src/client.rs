//! A deliberately small HTTP/1.1 client over `TcpStream`, so tests can send what real clients
//! refuse to (duplicate or non-UTF-8 headers) and see the exact status, headers and bytes.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::Value;

/// The first header called `name` (any case) among lower- or mixed-case `headers`.
pub fn find_header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): status {} body {:?}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn detail(&self) -> String {
        self.json()["detail"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// `base` is `http://host:port`. `headers` are raw bytes, sent as given.
pub fn request(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &[u8])],
    body: &[u8],
) -> Reply {
    request_waiting(base, method, path, headers, body, READ_TIMEOUT)
}

/// How long a request waits for data before the test fails.
const READ_TIMEOUT: Duration = Duration::from_secs(60);

/// [`request`] for a call that may rightly take long (a walk over a tree of a thousand
/// folders on a host whose every store operation is a round trip): it waits up to `wait`
/// for data instead of [`READ_TIMEOUT`].
pub fn request_waiting(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &[u8])],
    body: &[u8],
    wait: Duration,
) -> Reply {
    let started = Instant::now();
    let mut stream = send(base, method, path, headers, body, wait);
    let mut raw = Vec::new();
    // The server may answer (413) and close before reading a large body; what it sent counts.
    let read = stream.read_to_end(&mut raw);
    if head_end(&raw).is_none() {
        // No answer: say whether the wait ran out or the server closed the connection, and
        // when, so a failing test tells a slow server from a broken one.
        let how = match read {
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                format!("nothing arrived within {wait:?}")
            }
            Err(e) => format!("reading failed: {e}"),
            Ok(_) => "the server closed the connection".to_string(),
        };
        panic!(
            "no answer to {method} {path} after {:?} ({how}); received {:?}",
            started.elapsed(),
            String::from_utf8_lossy(&raw)
        );
    }
    parse(&raw, method == "HEAD")
}

/// Connects to `base`, sends one `Connection: close` request (headers as raw bytes, body with
/// its Content-Length) and returns the socket, with a read timeout so that a broken server
/// fails the test instead of hanging it.
fn send(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &[u8])],
    body: &[u8],
    wait: Duration,
) -> TcpStream {
    let authority = base.trim_start_matches("http://").trim_end_matches('/');
    let mut stream =
        TcpStream::connect(authority).unwrap_or_else(|e| panic!("connect {authority}: {e}"));
    stream.set_read_timeout(Some(wait)).unwrap();
    let mut req = Vec::new();
    req.extend_from_slice(format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n").as_bytes());
    // A test may name another host (the browser boundary's tests do).
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        req.extend_from_slice(format!("Host: {authority}\r\n").as_bytes());
    }
    for (k, v) in headers {
        req.extend_from_slice(k.as_bytes());
        req.extend_from_slice(b": ");
        req.extend_from_slice(v);
        req.extend_from_slice(b"\r\n");
    }
    if !body.is_empty() || matches!(method, "POST" | "PUT") {
        req.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    }
    req.extend_from_slice(b"\r\n");
    req.extend_from_slice(body);
    // The server may answer (413) and close before it has read a large body: the write then
    // fails, and its answer is what the caller reads next.
    if let Err(e) = stream.write_all(&req) {
        assert!(
            matches!(
                e.kind(),
                std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset
            ),
            "sending to {authority}: {e}"
        );
    }
    stream
}

/// A JSON request with `Authorization: Bearer <token>`.
pub fn bearer(base: &str, method: &str, path: &str, token: &str, body: &[u8]) -> Reply {
    let auth = format!("Bearer {token}");
    request(
        base,
        method,
        path,
        &[
            ("Authorization", auth.as_bytes()),
            ("Content-Type", b"application/json"),
        ],
        body,
    )
}

/// Where the response head ends (its blank line), if it arrived whole.
fn head_end(raw: &[u8]) -> Option<usize> {
    raw.windows(4).position(|w| w == b"\r\n\r\n")
}

/// One whole HTTP/1.1 response as read off a socket (`head_only` for a HEAD request).
pub fn parse(raw: &[u8], head_only: bool) -> Reply {
    let split = head_end(raw)
        .unwrap_or_else(|| panic!("no response head in {:?}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    let status: u16 = status_line.split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let rest = &raw[split + 4..];
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    let body = if head_only {
        Vec::new()
    } else if chunked {
        dechunk(rest)
    } else {
        rest.to_vec()
    };
    Reply {
        status,
        headers,
        body,
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = data.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size_str = String::from_utf8_lossy(&data[..eol]);
        let size =
            usize::from_str_radix(size_str.split(';').next().unwrap().trim(), 16).unwrap_or(0);
        data = &data[eol + 2..];
        if size == 0 || data.len() < size {
            return out;
        }
        out.extend_from_slice(&data[..size]);
        data = &data[(size + 2).min(data.len())..];
    }
}

/// An HTTP/1.1 response read incrementally, to see when each piece arrives. Dropping it closes
/// the connection, which is how a test hangs up mid-response.
pub struct StreamReader {
    pub status: u16,
    /// Names lower-case.
    pub headers: Vec<(String, String)>,
    reader: BufReader<TcpStream>,
    body: Framing,
    sent: Instant,
    truncated: bool,
}

/// How the rest of the body is delimited, or that it has ended.
enum Framing {
    Chunked,
    Length(usize),
    UntilClose,
    Done,
}

impl StreamReader {
    /// Sends the request (with `Connection: close`, Content-Length body) and reads the status
    /// line and headers.
    pub fn open(
        base: &str,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> StreamReader {
        let raw: Vec<(&str, &[u8])> = headers.iter().map(|(k, v)| (*k, v.as_bytes())).collect();
        let stream = send(base, method, path, &raw, body, READ_TIMEOUT);
        let sent = Instant::now();
        let mut reader = StreamReader {
            status: 0,
            headers: Vec::new(),
            reader: BufReader::new(stream),
            body: Framing::Done,
            sent,
            truncated: false,
        };
        // Interim answers (100 Continue) come before the real one.
        loop {
            reader.read_head(method, path);
            if !(100..200).contains(&reader.status) || reader.status == 101 {
                break;
            }
        }
        let chunked = reader
            .header("transfer-encoding")
            .is_some_and(|v| v.to_ascii_lowercase().ends_with("chunked"));
        let length = reader.header("content-length").map(|v| {
            v.parse::<usize>()
                .unwrap_or_else(|_| panic!("bad content-length {v:?}"))
        });
        reader.body = if method == "HEAD" || matches!(reader.status, 204 | 304) {
            Framing::Done
        } else if chunked {
            Framing::Chunked
        } else {
            match length {
                Some(0) => Framing::Done,
                Some(n) => Framing::Length(n),
                None => Framing::UntilClose,
            }
        };
        reader
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// Whether the body ended before its framing said it would: the connection closed or broke
    /// before the last chunk or the whole Content-Length.
    pub fn truncated(&self) -> bool {
        self.truncated
    }

    /// The next piece of the body as it arrived: one decoded HTTP chunk for chunked bodies, or
    /// whatever one read() returned otherwise; None at the end.
    pub fn next_chunk(&mut self) -> Option<Vec<u8>> {
        match self.body {
            Framing::Done => None,
            Framing::Chunked => self.next_http_chunk(),
            Framing::Length(left) => {
                let mut buf = vec![0; left.min(64 * 1024)];
                let n = self.read(&mut buf);
                if n == 0 {
                    self.end(true);
                    return None;
                }
                buf.truncate(n);
                self.body = if n == left {
                    Framing::Done
                } else {
                    Framing::Length(left - n)
                };
                Some(buf)
            }
            Framing::UntilClose => {
                let mut buf = vec![0; 64 * 1024];
                let n = self.read(&mut buf);
                if n == 0 {
                    self.end(self.truncated);
                    return None;
                }
                buf.truncate(n);
                Some(buf)
            }
        }
    }

    /// Reads to the end; each piece with the time since `open` sent the request.
    pub fn read_all(mut self) -> Vec<(Duration, Vec<u8>)> {
        let mut pieces = Vec::new();
        while let Some(piece) = self.next_chunk() {
            pieces.push((self.sent.elapsed(), piece));
        }
        pieces
    }

    fn read_head(&mut self, method: &str, path: &str) {
        let Some(status_line) = self.read_line() else {
            panic!("{method} {path}: connection closed before a response head");
        };
        self.status = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("{method} {path}: bad status line {status_line:?}"));
        self.headers.clear();
        loop {
            let Some(line) = self.read_line() else {
                panic!("{method} {path}: connection closed inside the response head");
            };
            if line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                self.headers
                    .push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
            }
        }
    }

    fn next_http_chunk(&mut self) -> Option<Vec<u8>> {
        let Some(line) = self.read_line() else {
            self.end(true);
            return None;
        };
        let size = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size, 16)
            .unwrap_or_else(|_| panic!("bad chunk size line {line:?}"));
        if size == 0 {
            // Trailers, if any, end with an empty line.
            while self.read_line().is_some_and(|l| !l.is_empty()) {}
            self.end(false);
            return None;
        }
        let mut data = vec![0; size];
        let mut filled = 0;
        while filled < size {
            let n = self.read(&mut data[filled..]);
            if n == 0 {
                self.end(true);
                return None;
            }
            filled += n;
        }
        if self.read_line().is_none_or(|l| !l.is_empty()) {
            // The data arrived whole; the framing after it did not.
            self.end(true);
        }
        Some(data)
    }

    fn end(&mut self, truncated: bool) {
        self.body = Framing::Done;
        self.truncated = truncated;
    }

    /// One read; 0 at the end of the stream or when the connection broke (noted as truncation).
    fn read(&mut self, buf: &mut [u8]) -> usize {
        loop {
            match self.reader.read(buf) {
                Ok(n) => return n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return self.broken(e),
            }
        }
    }

    /// One line without its CRLF; None if the stream ended or broke first.
    fn read_line(&mut self) -> Option<String> {
        let mut line = Vec::new();
        if let Err(e) = self.reader.read_until(b'\n', &mut line) {
            self.broken(e);
            return None;
        }
        if line.pop() != Some(b'\n') {
            return None;
        }
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        Some(String::from_utf8_lossy(&line).into_owned())
    }

    fn broken(&mut self, e: io::Error) -> usize {
        if matches!(
            e.kind(),
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
        ) {
            panic!("no response data for {READ_TIMEOUT:?} ({e})");
        }
        self.truncated = true;
        0
    }
}
