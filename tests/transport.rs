//! The server's HTTP/2 transport against published attacks, spoken frame by frame
//! over loopback (RFC 9113 framing, HPACK literals without Huffman coding): the
//! limits it advertises, and GOAWAY for a peer that makes it reset streams
//! (MadeYouReset, CVE-2025-8671).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::mpsc;
use std::time::{Duration, Instant};

const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
const HEADERS: u8 = 0x1;
const SETTINGS: u8 = 0x4;
const GOAWAY: u8 = 0x7;
const WINDOW_UPDATE: u8 = 0x8;
const RST_STREAM: u8 = 0x3;
const END_HEADERS: u8 = 0x4;
const ACK: u8 = 0x1;
const SETTINGS_MAX_CONCURRENT_STREAMS: u16 = 0x3;

/// A frame: 24-bit length, type, flags, 31-bit stream id, payload.
fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(9 + payload.len());
    out.extend_from_slice(&(payload.len() as u32).to_be_bytes()[1..]);
    out.push(kind);
    out.push(flags);
    out.extend_from_slice(&(stream & 0x7fff_ffff).to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// A header field as an HPACK literal without indexing, new name, no Huffman.
fn literal(block: &mut Vec<u8>, name: &str, value: &str) {
    assert!(name.len() < 127 && value.len() < 127);
    block.push(0x00);
    block.push(name.len() as u8);
    block.extend_from_slice(name.as_bytes());
    block.push(value.len() as u8);
    block.extend_from_slice(value.as_bytes());
}

fn plan_request_headers() -> Vec<u8> {
    let mut block = Vec::new();
    for (name, value) in [
        (":method", "POST"),
        (":scheme", "http"),
        (":path", "/fluidity.v1.FluidityService/Plan"),
        (":authority", "localhost"),
        ("content-type", "application/grpc"),
        ("te", "trailers"),
    ] {
        literal(&mut block, name, value);
    }
    block
}

/// A server on a loopback port, on its own runtime (kept alive by the caller).
fn start_server(
    config: fluidity::server::ServerConfig,
) -> (tokio::runtime::Runtime, std::net::SocketAddr) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let addr = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(fluidity::server::serve(
            listener,
            config,
            std::future::pending(),
        ));
        addr
    });
    (runtime, addr)
}

/// A frame the server sent: type, flags, stream, payload.
type Received = (u8, u8, u32, Vec<u8>);

/// An HTTP/2 connection to a fresh server, with the server's frames arriving on a
/// channel (read on a thread, so that writing never waits for reading).
struct Connection {
    socket: TcpStream,
    frames: mpsc::Receiver<Received>,
    _runtime: tokio::runtime::Runtime,
}

impl Connection {
    fn open() -> Connection {
        let (runtime, addr) = start_server(fluidity::server::ServerConfig::default());
        let mut socket = TcpStream::connect(addr).unwrap();
        socket.set_nodelay(true).unwrap();
        socket.write_all(PREFACE).unwrap();
        socket.write_all(&frame(SETTINGS, 0, 0, &[])).unwrap();
        let mut reader = socket.try_clone().unwrap();
        let (send, frames) = mpsc::channel();
        std::thread::spawn(move || loop {
            let mut head = [0u8; 9];
            if reader.read_exact(&mut head).is_err() {
                return;
            }
            let length = u32::from_be_bytes([0, head[0], head[1], head[2]]) as usize;
            let mut payload = vec![0u8; length];
            if reader.read_exact(&mut payload).is_err() {
                return;
            }
            let stream = u32::from_be_bytes([head[5], head[6], head[7], head[8]]) & 0x7fff_ffff;
            if send.send((head[3], head[4], stream, payload)).is_err() {
                return;
            }
        });
        Connection {
            socket,
            frames,
            _runtime: runtime,
        }
    }

    /// The next frame of `kind`, answering the server's SETTINGS on the way.
    fn next(&mut self, kind: u8, within: Duration) -> Option<Received> {
        let until = Instant::now() + within;
        loop {
            let left = until.checked_duration_since(Instant::now())?;
            let received = self.frames.recv_timeout(left).ok()?;
            if received.0 == SETTINGS && received.1 & ACK == 0 {
                let _ = self.socket.write_all(&frame(SETTINGS, ACK, 0, &[]));
            }
            if received.0 == kind {
                return Some(received);
            }
        }
    }
}

#[test]
fn the_server_advertises_a_limit_on_concurrent_streams() {
    let mut connection = Connection::open();
    let (_, _, _, payload) = connection
        .next(SETTINGS, Duration::from_secs(10))
        .expect("the server's SETTINGS");
    let advertised = payload.chunks(6).find_map(|setting| {
        let id = u16::from_be_bytes([setting[0], setting[1]]);
        (id == SETTINGS_MAX_CONCURRENT_STREAMS)
            .then(|| u32::from_be_bytes([setting[2], setting[3], setting[4], setting[5]]))
    });
    assert_eq!(
        advertised,
        Some(fluidity::server::ServerConfig::default().max_concurrent_streams)
    );
}

#[test]
fn a_peer_that_makes_the_server_reset_streams_gets_goaway() {
    let mut connection = Connection::open();
    connection
        .next(SETTINGS, Duration::from_secs(10))
        .expect("the server's SETTINGS");
    let headers = plan_request_headers();
    let overflow = 0x7fff_ffffu32.to_be_bytes();
    // MadeYouReset: each stream opens a Plan call, then overflows its own flow-control
    // window, which the server must answer by resetting the stream itself.
    let mut burst = Vec::new();
    for k in 0..2_000u32 {
        let stream = 2 * k + 1;
        burst.extend(frame(HEADERS, END_HEADERS, stream, &headers));
        burst.extend(frame(WINDOW_UPDATE, 0, stream, &overflow));
        burst.extend(frame(WINDOW_UPDATE, 0, stream, &overflow));
    }
    // The server may close the connection before it has read everything.
    let _ = connection.socket.write_all(&burst);
    let mut resets = 0;
    let deadline = Instant::now() + Duration::from_secs(30);
    let goaway = loop {
        let Some(left) = deadline.checked_duration_since(Instant::now()) else {
            break None;
        };
        match connection.frames.recv_timeout(left) {
            Ok((RST_STREAM, ..)) => resets += 1,
            Ok((GOAWAY, _, _, payload)) => break Some(payload),
            Ok(_) => {}
            Err(_) => break None,
        }
    };
    let payload = goaway.unwrap_or_else(|| panic!("no GOAWAY after {resets} resets"));
    // ENHANCE_YOUR_CALM (0xb) or another error code: any GOAWAY ends the attack.
    let code = u32::from_be_bytes([payload[4], payload[5], payload[6], payload[7]]);
    assert_ne!(code, 0, "a GOAWAY without an error ({resets} resets)");
}

#[test]
fn streams_beyond_the_advertised_limit_are_refused() {
    let mut connection = Connection::open();
    connection
        .next(SETTINGS, Duration::from_secs(10))
        .expect("the server's SETTINGS");
    let limit = fluidity::server::ServerConfig::default().max_concurrent_streams;
    // Calls whose bodies never come stay open; the ones past the limit are refused.
    let headers = plan_request_headers();
    let mut burst = Vec::new();
    for k in 0..limit + 20 {
        burst.extend(frame(HEADERS, END_HEADERS, 2 * k + 1, &headers));
    }
    let _ = connection.socket.write_all(&burst);
    let refused = 0x7u32; // REFUSED_STREAM
    let mut refusals = 0;
    while let Some((_, _, _, payload)) = connection.next(RST_STREAM, Duration::from_secs(5)) {
        if u32::from_be_bytes([payload[0], payload[1], payload[2], payload[3]]) == refused {
            refusals += 1;
        }
    }
    assert!(refusals >= 20, "{refusals} streams refused beyond {limit}");
}

#[test]
fn a_call_that_is_not_grpc_gets_http_415() {
    let (runtime, addr) = start_server(fluidity::server::ServerConfig::default());
    runtime.block_on(async {
        let socket = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (mut client, connection) = h2::client::handshake(socket).await.unwrap();
        tokio::spawn(connection);
        for content_type in [Some("text/plain"), Some("application/json"), None] {
            let mut request = tonic::codegen::http::Request::builder()
                .method("POST")
                .uri(format!("http://{addr}/fluidity.v1.FluidityService/Plan"))
                .header("te", "trailers");
            if let Some(value) = content_type {
                request = request.header("content-type", value);
            }
            let (response, mut body) = client
                .send_request(request.body(()).unwrap(), false)
                .unwrap();
            // An empty gRPC frame: what a plan request of no fields looks like. The
            // server may have answered 415 from the headers alone and closed the
            // stream before this is sent (CI saw InactiveStreamId): that is fine.
            let _ = body.send_data(bytes::Bytes::from_static(&[0, 0, 0, 0, 0]), true);
            let response = response.await.unwrap();
            assert_eq!(response.status().as_u16(), 415, "{content_type:?}");
        }
    });
}

#[test]
fn a_connection_that_sends_nothing_or_part_of_the_preface_is_closed_after_the_start_timeout() {
    let (_runtime, addr) = start_server(fluidity::server::ServerConfig {
        connection_start_timeout: Duration::from_millis(300),
        ..fluidity::server::ServerConfig::default()
    });
    // Silent, or stalled part-way through the preface.
    let silent: Vec<TcpStream> = (0..50)
        .map(|k| {
            let mut socket = TcpStream::connect(addr).unwrap();
            if k % 2 == 1 {
                socket.write_all(&PREFACE[..1 + k % 20]).unwrap();
            }
            socket
        })
        .collect();
    for mut socket in silent {
        socket
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut buf = [0u8; 64];
        // Closed by the server: end of stream (or a reset), not a read timeout.
        match socket.read(&mut buf) {
            Ok(0) => {}
            Ok(n) => panic!("the server sent {n} bytes to a silent connection"),
            Err(e) => assert!(
                !matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ),
                "a silent connection is still open after 10 s"
            ),
        }
    }
    // A real client is still served.
    let mut connection = Connection::open();
    assert!(connection.next(SETTINGS, Duration::from_secs(10)).is_some());
}

#[test]
fn a_deadline_that_passes_while_the_body_arrives_is_deadline_exceeded_and_counted() {
    let config = fluidity::server::ServerConfig::default();
    let metrics = config.metrics.clone();
    let (runtime, addr) = start_server(config);
    runtime.block_on(async {
        let socket = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (mut client, connection) = h2::client::handshake(socket).await.unwrap();
        tokio::spawn(connection);
        let request = tonic::codegen::http::Request::builder()
            .method("POST")
            .uri(format!("http://{addr}/fluidity.v1.FluidityService/Plan"))
            .header("content-type", "application/grpc")
            .header("te", "trailers")
            .header("grpc-timeout", "200m")
            .body(())
            .unwrap();
        // The headers now, the body never: the deadline passes while it "arrives".
        let (response, _body) = client.send_request(request, false).unwrap();
        let response = tokio::time::timeout(Duration::from_secs(10), response)
            .await
            .expect("an answer within 10 s")
            .unwrap();
        let status = response
            .headers()
            .get("grpc-status")
            .map(|v| v.to_str().unwrap().to_string());
        assert_eq!(status.as_deref(), Some("4"), "{:?}", response.headers());
    });
    assert!(metrics
        .render()
        .contains("fluidity_calls_total{method=\"Plan\",code=\"DEADLINE_EXCEEDED\"} 1"));
}
