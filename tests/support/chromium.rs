//! Headless Chromium driven over the DevTools protocol, through the pipe
//! Chromium opens on file descriptors 3 (commands in) and 4 (replies and
//! events out) with `--remote-debugging-pipe`: no port, no network, no
//! WebSocket library. Enough of the protocol to open a page, run a script
//! in it, take a screenshot, and collect what the page logged and
//! requested.
//!
//! `DDDC_CHROMIUM` names the binary (default `/usr/bin/chromium`, then
//! `chromium` on the `PATH`).

use std::io::{BufRead, BufReader, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// How long any one step may take before the test fails.
const STEP: Duration = Duration::from_secs(60);

pub struct Browser {
    child: Child,
    commands: std::fs::File,
    replies: Receiver<Value>,
    next_id: u64,
    /// Events read while waiting for something else, oldest first.
    events: Vec<Value>,
    _profile: tempfile::TempDir,
}

/// One tab, attached in flat mode: commands carry its session id.
pub struct Page {
    session: String,
}

/// What a page did while it loaded and ran.
#[derive(Debug, Default)]
pub struct Activity {
    /// Every URL the page requested.
    pub requests: Vec<String>,
    /// Console errors, uncaught exceptions and browser log errors
    /// (content-security-policy violations are among them).
    pub errors: Vec<String>,
}

fn binary() -> String {
    if let Ok(b) = std::env::var("DDDC_CHROMIUM") {
        return b;
    }
    if std::path::Path::new("/usr/bin/chromium").exists() {
        return "/usr/bin/chromium".into();
    }
    "chromium".into()
}

/// A pipe, both ends closed on exec.
fn pipe() -> (OwnedFd, OwnedFd) {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    let rc = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
    assert_eq!(rc, 0, "pipe2: {}", std::io::Error::last_os_error());
    // SAFETY: pipe2 succeeded, so both are open descriptors we own.
    unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
}

impl Browser {
    pub fn launch() -> Browser {
        use std::os::fd::AsRawFd;
        let profile = tempfile::tempdir().expect("profile folder");
        let (cmd_read, cmd_write) = pipe();
        let (reply_read, reply_write) = pipe();
        let (cr, rw) = (cmd_read.as_raw_fd(), reply_write.as_raw_fd());
        let mut command = Command::new(binary());
        command
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--remote-debugging-pipe",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-extensions",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-default-apps",
                "--metrics-recording-only",
                "--mute-audio",
                "--hide-scrollbars",
                "--font-render-hinting=none",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // SAFETY: only async-signal-safe calls between fork and exec: the
        // two ends move above 9 first, so that placing them on 3 and 4
        // cannot close one with the other, and dup2 leaves 3 and 4 open
        // across exec.
        unsafe {
            command.pre_exec(move || {
                let a = libc::fcntl(cr, libc::F_DUPFD, 10);
                let b = libc::fcntl(rw, libc::F_DUPFD, 10);
                if a < 0 || b < 0 || libc::dup2(a, 3) < 0 || libc::dup2(b, 4) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = command.spawn().unwrap_or_else(|e| {
            panic!("cannot start {} ({e}); install chromium (Debian: apt-get install chromium)", binary())
        });
        drop(cmd_read);
        drop(reply_write);
        let (tx, replies) = mpsc::channel();
        let reader = std::fs::File::from(reply_read);
        std::thread::spawn(move || {
            let mut reader = BufReader::new(reader);
            loop {
                let mut message = Vec::new();
                match reader.read_until(0, &mut message) {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
                if message.last() == Some(&0) {
                    message.pop();
                }
                let Ok(value) = serde_json::from_slice::<Value>(&message) else { continue };
                if tx.send(value).is_err() {
                    return;
                }
            }
        });
        Browser {
            child,
            commands: std::fs::File::from(cmd_write),
            replies,
            next_id: 0,
            events: Vec::new(),
            _profile: profile,
        }
    }

    /// Sends a command and waits for its reply; events that arrive
    /// meanwhile are kept.
    pub fn call(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({ "id": id, "method": method, "params": params });
        if let Some(s) = session {
            message["sessionId"] = json!(s);
        }
        let mut bytes = serde_json::to_vec(&message).expect("json");
        bytes.push(0);
        self.commands.write_all(&bytes).unwrap_or_else(|e| panic!("chromium is gone ({e})"));
        let deadline = Instant::now() + STEP;
        loop {
            let v = self.next_message(deadline, method);
            if v.get("id").and_then(Value::as_u64) == Some(id) {
                if let Some(err) = v.get("error") {
                    panic!("{method}: {err}");
                }
                return v.get("result").cloned().unwrap_or(Value::Null);
            }
            self.events.push(v);
        }
    }

    fn next_message(&mut self, deadline: Instant, waiting_for: &str) -> Value {
        let left = deadline.saturating_duration_since(Instant::now());
        match self.replies.recv_timeout(left) {
            Ok(v) => v,
            Err(RecvTimeoutError::Timeout) => panic!("chromium did not answer `{waiting_for}` within {STEP:?}"),
            Err(RecvTimeoutError::Disconnected) => {
                panic!("chromium closed the pipe while we waited for `{waiting_for}`")
            }
        }
    }

    /// Waits for an event of the session, keeping the others.
    fn wait_event(&mut self, session: &str, method: &str) -> Value {
        let is = |v: &Value| v["method"] == method && v["sessionId"] == session;
        if let Some(i) = self.events.iter().position(is) {
            return self.events.remove(i);
        }
        let deadline = Instant::now() + STEP;
        loop {
            let v = self.next_message(deadline, method);
            if is(&v) {
                return v;
            }
            self.events.push(v);
        }
    }

    /// A new tab of the given size, with the page, runtime, log and network
    /// domains on.
    pub fn page(&mut self, width: u32, height: u32) -> Page {
        let target = self.call(None, "Target.createTarget", json!({ "url": "about:blank" }));
        let target_id = target["targetId"].as_str().expect("targetId").to_string();
        let attached = self.call(None, "Target.attachToTarget", json!({ "targetId": target_id, "flatten": true }));
        let session = attached["sessionId"].as_str().expect("sessionId").to_string();
        for domain in ["Page.enable", "Runtime.enable", "Log.enable", "Network.enable"] {
            self.call(Some(&session), domain, json!({}));
        }
        self.call(
            Some(&session),
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": false }),
        );
        Page { session }
    }

    /// Opens `url` in the page and waits for its load event (scripts run,
    /// `DOMContentLoaded` handlers done). Returns what the page requested
    /// and logged until then.
    pub fn open(&mut self, page: &Page, url: &str) -> Activity {
        self.events.retain(|e| e["sessionId"] != page.session.as_str());
        self.call(Some(&page.session), "Page.navigate", json!({ "url": url }));
        self.wait_event(&page.session, "Page.loadEventFired");
        // Whatever the page's scripts log right after load.
        self.evaluate(page, "new Promise(r => setTimeout(() => r(true), 50))");
        self.activity(page)
    }

    /// The requests and errors of the page seen so far (and forgets them).
    pub fn activity(&mut self, page: &Page) -> Activity {
        let mut out = Activity::default();
        let mine: Vec<Value> = {
            let (mine, rest): (Vec<Value>, Vec<Value>) =
                std::mem::take(&mut self.events).into_iter().partition(|e| e["sessionId"] == page.session.as_str());
            self.events = rest;
            mine
        };
        for e in mine {
            let p = &e["params"];
            match e["method"].as_str().unwrap_or("") {
                "Network.requestWillBeSent" => out.requests.push(p["request"]["url"].as_str().unwrap_or("").into()),
                "Runtime.exceptionThrown" => out.errors.push(format!("exception: {}", p["exceptionDetails"])),
                "Runtime.consoleAPICalled" if p["type"] == "error" || p["type"] == "assert" => {
                    out.errors.push(format!("console.{}: {}", p["type"], p["args"]))
                }
                "Log.entryAdded" if p["entry"]["level"] == "error" => {
                    out.errors.push(format!("log: {}", p["entry"]["text"]))
                }
                _ => {}
            }
        }
        out
    }

    /// Runs a script in the page and returns its value (promises awaited).
    pub fn evaluate(&mut self, page: &Page, expression: &str) -> Value {
        let r = self.call(
            Some(&page.session),
            "Runtime.evaluate",
            json!({ "expression": expression, "returnByValue": true, "awaitPromise": true }),
        );
        if let Some(ex) = r.get("exceptionDetails") {
            panic!("the script threw: {ex}");
        }
        r["result"]["value"].clone()
    }

    /// A PNG of the page; `clip` is `(x, y, width, height)` in CSS pixels
    /// of the document, or the whole document when `None`.
    pub fn screenshot(&mut self, page: &Page, clip: Option<(f64, f64, f64, f64)>) -> Vec<u8> {
        let mut params = json!({ "format": "png", "captureBeyondViewport": true });
        if let Some((x, y, width, height)) = clip {
            params["clip"] = json!({ "x": x, "y": y, "width": width, "height": height, "scale": 1 });
        }
        let r = self.call(Some(&page.session), "Page.captureScreenshot", params);
        base64(r["data"].as_str().expect("screenshot data"))
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Standard base64, as the protocol sends binary data.
fn base64(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for v in text.bytes().filter_map(value) {
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

/// Width and height of a PNG, from its header.
pub fn png_size(png: &[u8]) -> Option<(u32, u32)> {
    if png.len() < 24 || !png.starts_with(b"\x89PNG\r\n\x1a\n") || &png[12..16] != b"IHDR" {
        return None;
    }
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    Some((be(&png[16..20]), be(&png[20..24])))
}

#[test]
fn base64_decodes() {
    assert_eq!(base64("aGVsbG8="), b"hello");
    assert_eq!(base64("AAEC/w=="), [0, 1, 2, 255]);
}
