//! A recorded Kubernetes API for tests and the demo: serves fixture JSON in
//! the API's real shapes so the real kubectl can run against it (no cluster
//! runs on these machines). Fixtures map request paths to bodies:
//! `tests/fixtures/k8s/healthy.json`, with a variant file overlaid (a `null`
//! value removes a path, which then answers 404 as the API would).
//!
//! Usage: recorded-k8s-api PORT [VARIANT] [FIXTURE_DIR]. Every requested
//! path is logged to stderr, so one can see what kubectl asks for.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;

use serde_json::Value;

fn load(dir: &std::path::Path, variant: &str) -> Result<BTreeMap<String, Value>, String> {
    let read = |name: &str| -> Result<BTreeMap<String, Value>, String> {
        let p = dir.join(format!("{name}.json"));
        let text = std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", p.display()))
    };
    let mut all = read("healthy")?;
    if variant != "healthy" {
        for (k, v) in read(variant)? {
            if v.is_null() {
                all.remove(&k);
            } else {
                all.insert(k, v);
            }
        }
    }
    Ok(all)
}

fn answer(stream: TcpStream, routes: &BTreeMap<String, Value>, stand_in: &str) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line)? == 0 {
            return Ok(());
        }
        let target = request_line.split_whitespace().nth(1).unwrap_or("/").to_string();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h)? == 0 || h == "\r\n" || h == "\n" {
                break;
            }
        }
        eprintln!("recorded-k8s-api: GET {target}");
        // kubectl adds parameters of its own (e.g. timeout); match the fixture key with the fewest extras.
        let (path, query) = target.split_once('?').unwrap_or((&target, ""));
        let keep: Vec<&str> = query.split('&').filter(|kv| !kv.is_empty() && !kv.starts_with("timeout=")).collect();
        let key = if keep.is_empty() { path.to_string() } else { format!("{path}?{}", keep.join("&")) };
        let found = routes.get(&key).or_else(|| routes.get(path));
        let (status, ctype, body) = match found {
            // The stand-in declares itself where a real API server has no such field.
            Some(Value::Object(v)) if path == "/version" => {
                let mut v = v.clone();
                v.insert(navikit::provenance::VERSION_FIELD.into(), Value::String(stand_in.to_string()));
                ("200 OK", "application/json", Value::Object(v).to_string())
            }
            Some(Value::String(text)) => ("200 OK", "text/plain", text.clone()),
            Some(v) => ("200 OK", "application/json", v.to_string()),
            None => (
                "404 Not Found",
                "application/json",
                serde_json::json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                    "message": format!("the server could not find the requested resource ({path})"), "reason": "NotFound", "code": 404})
                .to_string(),
            ),
        };
        write!(out, "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n\r\n{body}", body.len())?;
        out.flush()?;
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let port = args.next().unwrap_or_else(|| "0".into());
    let variant = args.next().unwrap_or_else(|| "healthy".into());
    let dir = args.next().map(std::path::PathBuf::from).unwrap_or_else(|| navi_testkit::fixture("k8s"));
    let routes = match load(&dir, &variant) {
        Ok(r) => Arc::new(r),
        Err(e) => {
            eprintln!("recorded-k8s-api: {e}");
            std::process::exit(2);
        }
    };
    let listener = match TcpListener::bind(format!("127.0.0.1:{port}")) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("recorded-k8s-api: cannot listen on {port}: {e}");
            std::process::exit(2);
        }
    };
    if let Ok(addr) = listener.local_addr() {
        eprintln!("recorded-k8s-api: listening on http://{addr} ({variant})");
    }
    let stand_in: Arc<str> = Arc::from(format!("recorded Kubernetes API ({variant})"));
    for stream in listener.incoming().flatten() {
        let routes = Arc::clone(&routes);
        let stand_in = Arc::clone(&stand_in);
        std::thread::spawn(move || {
            let _ = answer(stream, &routes, &stand_in);
        });
    }
}
