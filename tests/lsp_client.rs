//! A minimal Language Server Protocol client for tests and the `lsp`
//! benchmark: starts `dddc lsp` as a process and speaks JSON-RPC to it over
//! its stdin and stdout, with `Content-Length` framing.
//!
//! Included by `tests/lsp.rs` and `benches/lsp.rs` (`#[path]`); compiled on
//! its own, it tests its own framing.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// How long a test waits for any one answer before it fails.
pub const PATIENCE: Duration = Duration::from_secs(60);

pub struct Client {
    child: Child,
    stdin: Option<ChildStdin>,
    inbox: Receiver<(Instant, Result<Value, String>)>,
    next_id: i64,
    /// When the last message taken from the server was read whole, before
    /// this client parsed its JSON (the bench's figures leave the parse
    /// out: an editor has its own).
    pub arrived: Option<Instant>,
    /// Notifications received and not yet taken, oldest first.
    pub notifications: VecDeque<Value>,
}

/// One message in the protocol's framing.
pub fn frame(message: &Value) -> Vec<u8> {
    let body = serde_json::to_vec(message).expect("a JSON value serialises");
    let mut out = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    out.extend(body);
    out
}

/// Reads one framed message; `Ok(None)` at the end of the stream.
/// `arrived` is set once its body is read, before it is parsed.
pub fn read_message(r: &mut impl BufRead, arrived: &mut Instant) -> Result<Option<Value>, String> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).map_err(|e| e.to_string())? == 0 {
            return Ok(None);
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(v) = line.strip_prefix("Content-Length: ") {
            length = Some(v.parse::<usize>().map_err(|e| format!("bad Content-Length `{v}`: {e}"))?);
        }
    }
    let length = length.ok_or("a message without Content-Length")?;
    let mut body = vec![0; length];
    r.read_exact(&mut body).map_err(|e| e.to_string())?;
    *arrived = Instant::now();
    serde_json::from_slice(&body).map(Some).map_err(|e| format!("a message that is not JSON: {e}"))
}

impl Client {
    /// Starts `dddc lsp` in `dir`.
    pub fn start(binary: &Path, dir: &Path) -> Client {
        Client::start_with(binary, dir, &[])
    }

    /// [`Client::start`] with `env` set for the server.
    pub fn start_with(binary: &Path, dir: &Path, env: &[(&str, &str)]) -> Client {
        let mut child = Command::new(binary)
            .arg("lsp")
            .envs(env.iter().copied())
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start `{} lsp`: {e}", binary.display()));
        let stdout = child.stdout.take().expect("piped stdout");
        let stdin = child.stdin.take();
        let (tx, inbox) = mpsc::channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            loop {
                let mut arrived = Instant::now();
                match read_message(&mut r, &mut arrived) {
                    Ok(Some(m)) => {
                        if tx.send((arrived, Ok(m))).is_err() {
                            return;
                        }
                    }
                    Ok(None) => return,
                    Err(e) => {
                        let _ = tx.send((arrived, Err(e)));
                        return;
                    }
                }
            }
        });
        Client { child, stdin, inbox, next_id: 1, arrived: None, notifications: VecDeque::new() }
    }

    /// `initialize` and `initialized`, with `root` as the workspace folder.
    pub fn initialize(&mut self, root: &Path) -> Value {
        let uri = uri(root);
        let result = self.request(
            "initialize",
            json!({
                "processId": std::process::id(),
                "rootUri": uri,
                "workspaceFolders": [{ "uri": uri, "name": "test" }],
                "capabilities": {
                    "textDocument": {
                        "publishDiagnostics": { "relatedInformation": true, "versionSupport": true },
                        "hover": { "contentFormat": ["markdown", "plaintext"] },
                        "rename": { "prepareSupport": true }
                    }
                }
            }),
        );
        self.notify("initialized", json!({}));
        result
    }

    pub fn send(&mut self, message: &Value) {
        let stdin = self.stdin.as_mut().expect("the server's stdin is open");
        stdin.write_all(&frame(message)).expect("the server reads its stdin");
        stdin.flush().expect("flush");
    }

    /// Several messages in one write: they reach the server together, as
    /// a burst of keystrokes does.
    pub fn send_all(&mut self, messages: &[Value]) {
        let bytes: Vec<u8> = messages.iter().flat_map(frame).collect();
        let stdin = self.stdin.as_mut().expect("the server's stdin is open");
        stdin.write_all(&bytes).expect("the server reads its stdin");
        stdin.flush().expect("flush");
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// Sends a request and returns its whole response (`result` or
    /// `error`), keeping the notifications that arrive meanwhile.
    pub fn request_raw(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        self.response(id)
    }

    /// The response to request `id`, sent earlier by [`Client::send_all`],
    /// keeping the notifications that arrive meanwhile.
    pub fn response(&mut self, id: i64) -> Value {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let m = self.next(deadline).unwrap_or_else(|| panic!("no answer to request {id} within {PATIENCE:?}"));
            if m.get("id") == Some(&json!(id)) && m.get("method").is_none() {
                return m;
            }
            if m.get("method").is_some() && m.get("id").is_none() {
                self.notifications.push_back(m);
            }
        }
    }

    /// A request's `result`; fails the test on an error response.
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let r = self.request_raw(method, params);
        if let Some(e) = r.get("error") {
            panic!("`{method}` failed: {e}");
        }
        r.get("result").cloned().unwrap_or(Value::Null)
    }

    fn next(&mut self, deadline: Instant) -> Option<Value> {
        let wait = deadline.saturating_duration_since(Instant::now());
        match self.inbox.recv_timeout(wait) {
            Ok((arrived, Ok(m))) => {
                self.arrived = Some(arrived);
                Some(m)
            }
            Ok((_, Err(e))) => panic!("the server wrote a malformed message: {e}"),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => panic!("the server closed its output"),
        }
    }

    /// Waits for a notification `method` whose params satisfy `keep`,
    /// taking it (and dropping older ones of the same kind for the same
    /// document). `None` after `timeout`.
    pub fn wait_for(&mut self, method: &str, timeout: Duration, keep: impl Fn(&Value) -> bool) -> Option<Value> {
        let deadline = Instant::now() + timeout;
        if let Some(i) = self.notifications.iter().position(|n| n["method"] == method && keep(&n["params"])) {
            return self.notifications.remove(i).map(|n| n["params"].clone());
        }
        loop {
            let m = self.next(deadline)?;
            if m["method"] == method && keep(&m["params"]) {
                return Some(m["params"].clone());
            }
            if m.get("method").is_some() {
                self.notifications.push_back(m);
            }
        }
    }

    /// The next diagnostics published for `uri` (at `version`, when
    /// given).
    pub fn diagnostics(&mut self, uri: &str, version: Option<i64>) -> Vec<Value> {
        let p = self
            .wait_for("textDocument/publishDiagnostics", PATIENCE, |p| {
                p["uri"] == uri && version.is_none_or(|v| p["version"] == json!(v))
            })
            .unwrap_or_else(|| panic!("no diagnostics for {uri} within {PATIENCE:?}"));
        p["diagnostics"].as_array().cloned().unwrap_or_default()
    }

    pub fn open(&mut self, uri: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri, "languageId": "ddd", "version": 1, "text": text } }),
        );
    }

    /// Replaces the whole text (a full-document change).
    pub fn replace(&mut self, uri: &str, version: i64, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": [{ "text": text }] }),
        );
    }

    /// `shutdown` then `exit`; returns the exit code.
    pub fn shutdown(mut self) -> Option<i32> {
        let r = self.request_raw("shutdown", Value::Null);
        assert!(r.get("error").is_none(), "shutdown failed: {r}");
        self.exit()
    }

    /// Bytes as they are, framing and all.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("the server's stdin is open");
        stdin.write_all(bytes).expect("the server reads its stdin");
        stdin.flush().expect("flush");
    }

    /// `exit` (with or without `shutdown` before it); returns the exit
    /// code.
    pub fn exit(mut self) -> Option<i32> {
        self.notify("exit", Value::Null);
        self.stdin.take();
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for the server") {
                return status.code();
            }
            assert!(Instant::now() < deadline, "the server did not exit after `exit`");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Copies MiToga's model (no generated files) into `dir/mitoga` and builds
/// it once, so that its lock holds V1; returns the project folder.
pub fn mitoga_built(dddc: &Path, dir: &Path) -> std::path::PathBuf {
    let root = dir.canonicalize().expect("canonical temp dir").join("mitoga");
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/mitoga");
    std::fs::create_dir_all(root.join("contexts")).expect("mkdir");
    for f in ["dddc.toml", "mitoga.ddd"] {
        std::fs::copy(example.join(f), root.join(f)).expect("copy");
    }
    for e in std::fs::read_dir(example.join("contexts")).expect("contexts") {
        let p = e.expect("entry").path();
        std::fs::copy(&p, root.join("contexts").join(p.file_name().expect("name"))).expect("copy");
    }
    let out = Command::new(dddc).arg("-C").arg(&root).args(["build", "-q"]).output().expect("dddc build");
    assert!(out.status.success(), "dddc build failed: {}", String::from_utf8_lossy(&out.stderr));
    root
}

/// The `file:` URI of a path, as editors write them.
pub fn uri(path: &Path) -> String {
    let mut out = String::from("file://");
    for b in path.to_string_lossy().bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A protocol position (line, UTF-16 character) of the `n`th occurrence
/// (from 0) of `needle` in `text`, plus `shift` characters.
pub fn position(text: &str, needle: &str, n: usize, shift: usize) -> Value {
    let at = text.match_indices(needle).nth(n).unwrap_or_else(|| panic!("`{needle}` #{n} is not in the text")).0;
    let before = &text[..at];
    let line = before.matches('\n').count();
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    let character: usize = text[start..at].chars().map(char::len_utf16).sum::<usize>() + shift;
    json!({ "line": line, "character": character })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framing_round_trips() {
        let m = json!({ "jsonrpc": "2.0", "id": 1, "result": { "ñ": "💡" } });
        let mut bytes = frame(&m);
        bytes.extend(frame(&json!({ "jsonrpc": "2.0", "method": "x" })));
        let mut r = std::io::Cursor::new(bytes);
        let before = Instant::now();
        let mut arrived = before;
        assert_eq!(read_message(&mut r, &mut arrived).unwrap(), Some(m));
        assert!(arrived >= before, "set once the body is read");
        assert_eq!(read_message(&mut r, &mut arrived).unwrap().unwrap()["method"], "x");
        assert_eq!(read_message(&mut r, &mut arrived).unwrap(), None);
        let mut bad = std::io::Cursor::new(b"Content-Length: 3\r\n\r\n{]}".to_vec());
        assert!(read_message(&mut bad, &mut arrived).is_err());
    }

    #[test]
    fn positions_count_utf16() {
        let text = "ab\n𝄞 x\n";
        assert_eq!(position(text, "x", 0, 0), json!({ "line": 1, "character": 3 }));
        assert_eq!(uri(Path::new("/a b/c.ddd")), "file:///a%20b/c.ddd");
    }
}
