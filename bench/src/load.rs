//! A small HTTP/1.1 load generator for the `--refresh` credential endpoint (loopback only):
//! sequential requests on kept-alive connections, or a new connection for each request.
//! Every loop is bounded in time and in count.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// Where the endpoint is: `http://127.0.0.1:PORT/PATH` and its token.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub address: String,
    pub path: String,
    pub token: String,
}

impl Endpoint {
    pub fn parse(uri: &str, token: &str) -> Endpoint {
        let rest = uri
            .strip_prefix("http://")
            .unwrap_or_else(|| panic!("not an http URI: {uri}"));
        let (address, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        assert!(
            address.starts_with("127.0.0.1:"),
            "the endpoint must be on loopback: {uri}"
        );
        Endpoint {
            address: address.to_string(),
            path: path.to_string(),
            token: token.to_string(),
        }
    }

    fn request(&self, close: bool) -> Vec<u8> {
        let connection = if close { "close" } else { "keep-alive" };
        format!(
            "GET {} HTTP/1.1\r\nHost: {}\r\nAuthorization: {}\r\nConnection: {connection}\r\n\r\n",
            self.path, self.address, self.token
        )
        .into_bytes()
    }
}

/// What a load run measured.
#[derive(Debug, Clone)]
pub struct Load {
    pub requests: u64,
    pub elapsed: Duration,
    /// Each request's latency in microseconds, sorted (from the first connection only).
    pub latencies_us: Vec<f64>,
}

impl Load {
    pub fn per_second(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    pub fn percentile_us(&self, q: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return f64::NAN;
        }
        let i = ((self.latencies_us.len() - 1) as f64 * q).round() as usize;
        self.latencies_us[i]
    }
}

/// At most this many requests per connection in one run, whatever the duration.
const MAX_REQUESTS: u64 = 5_000_000;

/// `connections` threads, each sending requests one after another on one kept-alive connection
/// for `duration`.
pub fn keep_alive(endpoint: &Endpoint, connections: usize, duration: Duration) -> Load {
    let started = Instant::now();
    let results: Vec<(u64, Vec<f64>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..connections)
            .map(|_| {
                scope.spawn(move || {
                    let mut stream = connect(endpoint);
                    let request = endpoint.request(false);
                    let mut buffer = Vec::with_capacity(8192);
                    let mut latencies = Vec::new();
                    let deadline = Instant::now() + duration;
                    let mut sent = 0;
                    while sent < MAX_REQUESTS && Instant::now() < deadline {
                        let t = Instant::now();
                        stream.write_all(&request).expect("request written");
                        read_response(&mut stream, &mut buffer);
                        latencies.push(t.elapsed().as_secs_f64() * 1e6);
                        sent += 1;
                    }
                    (sent, latencies)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a load thread"))
            .collect()
    });
    let elapsed = started.elapsed();
    let requests = results.iter().map(|(n, _)| n).sum();
    let mut latencies_us = results
        .into_iter()
        .next()
        .map(|(_, l)| l)
        .unwrap_or_default();
    latencies_us.sort_by(|a, b| a.total_cmp(b));
    Load {
        requests,
        elapsed,
        latencies_us,
    }
}

/// One thread opening a new connection for every request, for `duration`.
pub fn new_connection_each(endpoint: &Endpoint, duration: Duration) -> Load {
    let started = Instant::now();
    let request = endpoint.request(true);
    let mut buffer = Vec::with_capacity(8192);
    let mut latencies_us = Vec::new();
    let mut requests = 0;
    while requests < MAX_REQUESTS && started.elapsed() < duration {
        let t = Instant::now();
        let mut stream = connect(endpoint);
        stream.write_all(&request).expect("request written");
        read_response(&mut stream, &mut buffer);
        drop(stream);
        latencies_us.push(t.elapsed().as_secs_f64() * 1e6);
        requests += 1;
    }
    let elapsed = started.elapsed();
    latencies_us.sort_by(|a, b| a.total_cmp(b));
    Load {
        requests,
        elapsed,
        latencies_us,
    }
}

fn connect(endpoint: &Endpoint) -> TcpStream {
    let stream = TcpStream::connect(&endpoint.address)
        .unwrap_or_else(|e| panic!("connecting to {}: {e}", endpoint.address));
    stream.set_nodelay(true).expect("TCP_NODELAY");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("a read timeout");
    stream
}

/// Reads one whole response (head and `Content-Length` body); it must be a 200.
fn read_response(stream: &mut TcpStream, buffer: &mut Vec<u8>) {
    buffer.clear();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(head_end) = find(buffer, b"\r\n\r\n") {
            let head = std::str::from_utf8(&buffer[..head_end]).expect("an ASCII head");
            assert!(
                head.starts_with("HTTP/1.1 200"),
                "the endpoint answered: {head}"
            );
            let length = head
                .lines()
                .find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().ok())?
                })
                .expect("a Content-Length");
            if buffer.len() >= head_end + 4 + length {
                assert_eq!(
                    buffer.len(),
                    head_end + 4 + length,
                    "one response at a time"
                );
                return;
            }
        }
        let n = stream.read(&mut chunk).expect("a response");
        assert!(n > 0, "the endpoint closed the connection early");
        buffer.extend_from_slice(&chunk[..n]);
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
