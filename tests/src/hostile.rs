//! A hostile HTTP server for tests: it answers every connection with a
//! scripted sequence of byte chunks and pauses (a redirect, a stall, a drip,
//! an endless line, a lying header), and remembers the requests it received
//! so a test can prove what a client did or did not send.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Step is one part of the scripted answer.
#[derive(Debug, Clone)]
pub enum Step {
    /// Send these bytes.
    Send(Vec<u8>),
    /// Wait this long.
    Pause(Duration),
    /// Send this byte `n` times, in 64 KiB writes (an endless line, bounded).
    Repeat(u8, usize),
    /// Keep the connection open and silent until the client goes away.
    Hold,
    /// Answer with this status and the received request as the body (a
    /// server that echoes headers back, as some error pages do).
    Echo(u16),
}

/// Hostile is a running scripted server on 127.0.0.1, stopped when dropped.
pub struct Hostile {
    /// Base URL, e.g. `http://127.0.0.1:40123`.
    pub url: String,
    /// Port.
    pub port: u16,
    requests: Arc<Mutex<Vec<String>>>,
}

fn read_request(stream: &TcpStream) -> String {
    let mut reader = BufReader::new(stream);
    let mut head = String::new();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
        head.push_str(&line);
        if line == "\r\n" || line == "\n" {
            break;
        }
    }
    let mut body = vec![0u8; length.min(1 << 20)];
    let _ = reader.read_exact(&mut body);
    head.push_str(&String::from_utf8_lossy(&body));
    head
}

fn answer(mut stream: TcpStream, script: &[Step], request: &str) {
    for step in script {
        let ok = match step {
            Step::Echo(status) => {
                let head = format!(
                    "HTTP/1.1 {status} Echo\r\ncontent-type: text/plain\r\ncontent-length: {}\r\n\r\n",
                    request.len()
                );
                stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(request.as_bytes())).is_ok()
            }
            Step::Send(b) => stream.write_all(b).and_then(|()| stream.flush()).is_ok(),
            Step::Pause(d) => {
                std::thread::sleep(*d);
                true
            }
            Step::Repeat(byte, n) => {
                let chunk = vec![*byte; 64 * 1024];
                let mut left = *n;
                let mut ok = true;
                while left > 0 && ok {
                    let k = left.min(chunk.len());
                    ok = stream.write_all(&chunk[..k]).is_ok();
                    left -= k;
                }
                ok
            }
            Step::Hold => {
                let mut sink = [0u8; 1024];
                let _ = stream.set_read_timeout(Some(Duration::from_secs(60)));
                while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
                false
            }
        };
        if !ok {
            return;
        }
    }
}

impl Hostile {
    /// Hostile::start serves `script` to every connection.
    pub fn start(script: Vec<Step>) -> Hostile {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind hostile server");
        let port = listener.local_addr().expect("local addr").port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&requests);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (script, seen) = (script.clone(), Arc::clone(&seen));
                std::thread::spawn(move || {
                    let req = read_request(&stream);
                    if let Ok(mut s) = seen.lock() {
                        s.push(req.clone());
                    }
                    answer(stream, &script, &req);
                });
            }
        });
        Hostile { url: format!("http://127.0.0.1:{port}"), port, requests }
    }

    /// Hostile::silent accepts connections and never says a word (no request is read).
    pub fn silent() -> Hostile {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind silent server");
        let port = listener.local_addr().expect("local addr").port();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for stream in listener.incoming().flatten() {
                held.push(stream);
            }
        });
        Hostile { url: format!("http://127.0.0.1:{port}"), port, requests: Arc::new(Mutex::new(Vec::new())) }
    }

    /// Hostile::requests is every request received so far (head and body).
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

/// http is a response head with the given status line and headers, ending the head.
pub fn http(status: &str, headers: &[&str]) -> Step {
    let mut s = format!("HTTP/1.1 {status}\r\n");
    for h in headers {
        s.push_str(h);
        s.push_str("\r\n");
    }
    s.push_str("\r\n");
    Step::Send(s.into_bytes())
}

/// text is a chunk of bytes to send.
pub fn text(s: &str) -> Step {
    Step::Send(s.as_bytes().to_vec())
}
