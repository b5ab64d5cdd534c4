//! The server loop: one thread owns the state (open documents, projects,
//! their snapshots) and answers every message; one worker thread runs the
//! full analyses.
//!
//! An edit is applied at once, and the diagnostics follow when the edits
//! pause for [`DEBOUNCE`]: the edited files' first, from a slice of the
//! project ([`analysis::quick`]), then everyone's, from the worker's full
//! pass. Requests are answered from a full snapshot of the current text;
//! when the text changed since, they wait for the worker's next result
//! (a hover answered from an older text would point at the wrong place).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use lsp_server::{ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::{
    DiagnosticSeverity, DidChangeTextDocumentParams, DidChangeWatchedFilesParams, DidCloseTextDocumentParams,
    DidOpenTextDocumentParams, PublishDiagnosticsParams, Uri,
};
use serde_json::{json, Value};

use super::analysis::{self, absolute, Overlay, ParseCache, ProjectSpec, Snapshot};
use super::stdio::{Connection, Outgoing};
use super::text::{apply_change, uri_to_path, Encoding};
use super::view::{uri_for, View};
use super::{actions, completion, diagnostics, format, hover, lens, navigation, project, rename};
use crate::diagnostics::FileId;
use crate::syntax;

/// How long edits must pause before the diagnostics are computed: a burst
/// of keystrokes is analysed once.
pub const DEBOUNCE: Duration = Duration::from_millis(25);

/// The server's input: the client's messages, and the worker's results.
enum Event {
    Message(Message),
    Analyzed { key: PathBuf, generation: u64, result: Result<Box<Snapshot>, String> },
    Disconnected,
}

/// A full analysis to run.
struct Job {
    key: PathBuf,
    generation: u64,
    spec: ProjectSpec,
    buffers: Arc<HashMap<PathBuf, String>>,
    cache: Arc<ParseCache>,
}

struct Document {
    text: String,
    version: i32,
}

struct Project {
    spec: ProjectSpec,
    /// Bumped by every change to one of its files.
    generation: u64,
    snapshot: Option<Arc<Snapshot>>,
    /// The generation `snapshot` was computed at.
    snapshot_generation: u64,
    /// The generation of the last job sent to the worker.
    requested: u64,
    /// The generation whose analysis failed (panicked): requests on it are
    /// answered with an error until the next edit, not kept waiting.
    failed: u64,
    cache: Arc<ParseCache>,
    /// Files edited since `snapshot`, for the quick pass.
    edited: BTreeSet<PathBuf>,
    /// Files it published diagnostics for: cleared when they have none.
    published: BTreeSet<PathBuf>,
}

impl Project {
    fn new(spec: ProjectSpec) -> Project {
        Project {
            spec,
            generation: 1,
            snapshot: None,
            snapshot_generation: 0,
            requested: 0,
            failed: 0,
            cache: Arc::default(),
            edited: BTreeSet::new(),
            published: BTreeSet::new(),
        }
    }

    fn fresh(&self) -> Option<&Arc<Snapshot>> {
        self.snapshot.as_ref().filter(|_| self.snapshot_generation == self.generation)
    }

    fn contains(&self, path: &Path) -> bool {
        self.snapshot.as_ref().is_some_and(|s| s.file_of(path).is_some())
    }
}

/// A request waiting for fresh snapshots of these projects.
struct Deferred {
    request: Request,
    projects: Vec<PathBuf>,
    /// Each project's generation when the request came: an edit after it
    /// makes its positions point elsewhere.
    generations: Vec<u64>,
}

/// The requests about a document that [`Server::answer`] answers: one
/// list for the dispatch, the answer about a document outside every model
/// and the test that `initialize` offers each (a method added to one
/// list and not the other was answered `MethodNotFound`, or `null` about
/// a document outside every model).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DocRequest {
    Hover,
    Definition,
    References,
    DocumentSymbol,
    Completion,
    PrepareRename,
    Rename,
    CodeAction,
    CodeLens,
}

impl DocRequest {
    const ALL: [DocRequest; 9] = [
        DocRequest::Hover,
        DocRequest::Definition,
        DocRequest::References,
        DocRequest::DocumentSymbol,
        DocRequest::Completion,
        DocRequest::PrepareRename,
        DocRequest::Rename,
        DocRequest::CodeAction,
        DocRequest::CodeLens,
    ];

    fn method(self) -> &'static str {
        match self {
            DocRequest::Hover => "textDocument/hover",
            DocRequest::Definition => "textDocument/definition",
            DocRequest::References => "textDocument/references",
            DocRequest::DocumentSymbol => "textDocument/documentSymbol",
            DocRequest::Completion => "textDocument/completion",
            DocRequest::PrepareRename => "textDocument/prepareRename",
            DocRequest::Rename => "textDocument/rename",
            DocRequest::CodeAction => "textDocument/codeAction",
            DocRequest::CodeLens => "textDocument/codeLens",
        }
    }

    fn of(method: &str) -> Option<DocRequest> {
        DocRequest::ALL.into_iter().find(|r| r.method() == method)
    }

    /// The answer about a document outside every model: nothing to
    /// navigate.
    fn empty(self) -> Value {
        match self {
            DocRequest::References | DocRequest::DocumentSymbol | DocRequest::CodeAction | DocRequest::CodeLens => {
                json!([])
            }
            DocRequest::Hover
            | DocRequest::Definition
            | DocRequest::Completion
            | DocRequest::PrepareRename
            | DocRequest::Rename => Value::Null,
        }
    }
}

struct Server {
    connection: Connection,
    encoding: Encoding,
    folders: Vec<PathBuf>,
    docs: HashMap<PathBuf, Document>,
    uris: HashMap<PathBuf, Uri>,
    projects: HashMap<PathBuf, Project>,
    /// The project each open document was found to belong to (`None`: no
    /// model could be found for it).
    membership: HashMap<PathBuf, Option<PathBuf>>,
    /// Open documents that no model includes: they get syntax diagnostics.
    orphans: BTreeSet<PathBuf>,
    dirty_orphans: BTreeSet<PathBuf>,
    /// Open documents that are no file (`untitled:` buffers, never saved),
    /// by URI: syntax diagnostics and formatting, as for an orphan.
    untitled: HashMap<Uri, Document>,
    dirty_untitled: HashSet<Uri>,
    deadline: Option<Instant>,
    jobs: mpsc::Sender<Job>,
    deferred: Vec<Deferred>,
    shutdown: bool,
}

/// Runs the protocol on a connection until the client says `exit`; the
/// exit code follows the protocol (0 after `shutdown`, 1 without).
pub fn run(connection: Connection) -> Result<u8, String> {
    let Some((id, params)) = initialize_start(&connection)? else {
        // `exit` before `initialize`: a client that left without
        // `shutdown`, as the protocol says (it exited 2, a failure).
        return Ok(1);
    };
    let encoding = negotiate(&params);
    let result = json!({
        "capabilities": super::capabilities(encoding),
        "serverInfo": { "name": "dddc", "version": env!("CARGO_PKG_VERSION") },
    });
    // The client's `initialized` notification comes in the main loop with
    // the rest (lsp-server's `initialize_finish` waited for it and failed
    // the server on anything else first: a request sent right away).
    connection.sender.send(Message::from(Response::new_ok(id, result)).into()).map_err(|e| e.to_string())?;

    let (events, inbox) = mpsc::channel::<Event>();
    let forward = events.clone();
    let receiver = connection.receiver.clone();
    std::thread::Builder::new()
        .name("dddc-lsp-reader".into())
        .spawn(move || {
            for m in receiver {
                if forward.send(Event::Message(m)).is_err() {
                    return;
                }
            }
            let _ = forward.send(Event::Disconnected);
        })
        .map_err(|e| e.to_string())?;
    let (jobs, job_inbox) = mpsc::channel::<Job>();
    // The front end recurses over nested declarations and expressions: the
    // same generous stack as the command line's.
    std::thread::Builder::new()
        .name("dddc-lsp-worker".into())
        .stack_size(256 << 20)
        .spawn(move || worker(job_inbox, events))
        .map_err(|e| e.to_string())?;

    let mut server = Server {
        connection,
        encoding,
        folders: workspace_folders(&params),
        docs: HashMap::new(),
        uris: HashMap::new(),
        projects: HashMap::new(),
        membership: HashMap::new(),
        orphans: BTreeSet::new(),
        dirty_orphans: BTreeSet::new(),
        untitled: HashMap::new(),
        dirty_untitled: HashSet::new(),
        deadline: None,
        jobs,
        deferred: Vec::new(),
        shutdown: false,
    };
    loop {
        let event = match server.deadline {
            Some(d) => match inbox.recv_timeout(d.saturating_duration_since(Instant::now())) {
                Ok(e) => e,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    server.flush();
                    continue;
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => return Ok(1),
            },
            None => match inbox.recv() {
                Ok(e) => e,
                Err(_) => return Ok(1),
            },
        };
        match event {
            Event::Message(Message::Request(r)) => server.request(r),
            Event::Message(Message::Notification(n)) if n.method == "exit" => {
                return Ok(if server.shutdown { 0 } else { 1 });
            }
            Event::Message(Message::Notification(n)) => server.notification(n),
            Event::Message(Message::Response(_)) => {}
            Event::Analyzed { key, generation, result } => server.analyzed(key, generation, result),
            Event::Disconnected => return Ok(1),
        }
    }
}

/// Waits for `initialize`: its id and parameters, or `None` when the client
/// says `exit` first. A request before it is answered `-32002` (server not
/// initialized) in words (lsp-server's own answer held a Rust debug dump
/// of the request); a notification before it is dropped, as the protocol
/// says.
fn initialize_start(connection: &Connection) -> Result<Option<(RequestId, Value)>, String> {
    loop {
        match connection.receiver.recv() {
            Ok(Message::Request(r)) if r.method == "initialize" => return Ok(Some((r.id, r.params))),
            Ok(Message::Request(r)) => {
                let m = format!("`{}` before `initialize`: send `initialize` first", r.method);
                let answer = Response::new_err(r.id, ErrorCode::ServerNotInitialized as i32, m);
                connection.sender.send(Message::from(answer).into()).map_err(|e| e.to_string())?;
            }
            Ok(Message::Notification(n)) if n.method == "exit" => return Ok(None),
            Ok(_) => {}
            Err(_) => return Err("the client left before `initialize`".into()),
        }
    }
}

/// The position encoding: UTF-8 when the client offers it (no conversion
/// at all), else the protocol's default UTF-16.
fn negotiate(params: &Value) -> Encoding {
    let offered = params.pointer("/capabilities/general/positionEncodings").and_then(Value::as_array);
    let offers = |e: &str| offered.is_some_and(|o| o.iter().any(|x| x.as_str() == Some(e)));
    if offers("utf-8") {
        Encoding::Utf8
    } else {
        Encoding::Utf16
    }
}

fn workspace_folders(params: &Value) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = params
        .get("workspaceFolders")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|f| f.get("uri")?.as_str()?.parse::<Uri>().ok())
        .filter_map(|u| uri_to_path(&u))
        .collect();
    if out.is_empty() {
        if let Some(root) = params.get("rootUri").and_then(Value::as_str).and_then(|u| u.parse::<Uri>().ok()) {
            out.extend(uri_to_path(&root));
        }
    }
    out.into_iter().map(|p| absolute(&p)).collect()
}

/// Runs full analyses, newest first: jobs that a newer one for the same
/// project replaced while it worked are skipped.
fn worker(jobs: mpsc::Receiver<Job>, events: mpsc::Sender<Event>) {
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while let Ok(job) = jobs.try_recv() {
            match batch.iter_mut().find(|j| j.key == job.key) {
                Some(slot) => *slot = job,
                None => batch.push(job),
            }
        }
        for job in batch {
            let overlay = Overlay { buffers: &job.buffers, cache: &job.cache };
            let result = catch_unwind(AssertUnwindSafe(|| analysis::full(&job.spec, &overlay)))
                .map(Box::new)
                .map_err(|p| panic_message(&p));
            let event = Event::Analyzed { key: job.key, generation: job.generation, result };
            if events.send(event).is_err() {
                return;
            }
        }
    }
}

fn panic_message(p: &Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string())
}

/// The parameters of a request or notification, or the error to answer.
fn params<P: serde::de::DeserializeOwned>(value: Value) -> Result<P, ResponseError> {
    serde_json::from_value(value).map_err(|e| ResponseError::invalid_params(e.to_string()))
}

/// An error answer.
pub struct ResponseError {
    code: ErrorCode,
    message: String,
}

impl ResponseError {
    pub fn invalid_params(message: String) -> ResponseError {
        ResponseError { code: ErrorCode::InvalidParams, message }
    }
    pub fn request_failed(message: String) -> ResponseError {
        ResponseError { code: ErrorCode::RequestFailed, message }
    }
}

impl Server {
    fn send(&self, m: Message) {
        // The client hung up: the loop ends when the reader sees it.
        let _ = self.connection.sender.send(m.into());
    }

    fn notify(&self, method: &str, params: impl serde::Serialize) {
        self.send(Notification::new(method.to_string(), params).into());
    }

    fn log(&self, message: String) {
        self.notify("window/logMessage", json!({ "type": 3, "message": message }));
    }

    // ------------------------------------------------------ notifications --

    fn notification(&mut self, n: Notification) {
        let result = match n.method.as_str() {
            "textDocument/didOpen" => params(n.params).map(|p| self.did_open(p)),
            "textDocument/didChange" => params(n.params).map(|p| self.did_change(p)),
            "textDocument/didClose" => params(n.params).map(|p| self.did_close(p)),
            "workspace/didChangeWatchedFiles" => params(n.params).map(|p| self.watched(p)),
            "$/cancelRequest" => {
                let id = n.params.get("id").cloned().and_then(|v| serde_json::from_value::<RequestId>(v).ok());
                if let Some(id) = id {
                    self.cancel(id);
                }
                Ok(())
            }
            _ => Ok(()),
        };
        if let Err(e) = result {
            self.log(format!("dddc: ignored `{}`: {}", n.method, e.message));
        }
    }

    fn did_open(&mut self, p: DidOpenTextDocumentParams) {
        let Some(path) = uri_to_path(&p.text_document.uri).map(|p| absolute(&p)) else {
            // A buffer never saved has no path and no extension: only its
            // language says it is a model.
            if p.text_document.language_id == "ddd" {
                let uri = p.text_document.uri;
                self.dirty_untitled.insert(uri.clone());
                self.untitled.insert(uri, Document { text: p.text_document.text, version: p.text_document.version });
                self.deadline = Some(Instant::now());
            }
            return;
        };
        // Only models: an editor that sends every file it opens sent
        // `dddc.toml`, and got `E0001` on its first `#`. (Settings are
        // read from the disk, on `didChangeWatchedFiles`.)
        if p.text_document.language_id != "ddd" && path.extension().is_none_or(|x| x != "ddd") {
            return;
        }
        self.uris.insert(path.clone(), p.text_document.uri);
        self.docs.insert(path.clone(), Document { text: p.text_document.text, version: p.text_document.version });
        self.membership.remove(&path);
        self.touch(&path, false);
        self.deadline = Some(Instant::now());
    }

    fn did_change(&mut self, p: DidChangeTextDocumentParams) {
        let enc = self.encoding;
        let Some(path) = uri_to_path(&p.text_document.uri).map(|p| absolute(&p)) else {
            let Some(doc) = self.untitled.get_mut(&p.text_document.uri) else { return };
            for change in p.content_changes {
                apply_change(&mut doc.text, change.range, &change.text, enc);
            }
            doc.version = p.text_document.version;
            self.dirty_untitled.insert(p.text_document.uri);
            self.deadline = Some(Instant::now() + DEBOUNCE);
            return;
        };
        let Some(doc) = self.docs.get_mut(&path) else { return };
        for change in p.content_changes {
            apply_change(&mut doc.text, change.range, &change.text, enc);
        }
        doc.version = p.text_document.version;
        self.touch(&path, true);
        self.deadline = Some(Instant::now() + DEBOUNCE);
    }

    fn did_close(&mut self, p: DidCloseTextDocumentParams) {
        let Some(path) = uri_to_path(&p.text_document.uri).map(|p| absolute(&p)) else {
            let uri = p.text_document.uri;
            self.dirty_untitled.remove(&uri);
            if self.untitled.remove(&uri).is_some() {
                self.notify(
                    "textDocument/publishDiagnostics",
                    PublishDiagnosticsParams { uri, diagnostics: Vec::new(), version: None },
                );
            }
            return;
        };
        if self.docs.remove(&path).is_none() {
            return;
        }
        // The disk's text stands in for the buffer's from now on.
        self.touch(&path, true);
        if self.orphans.remove(&path) {
            self.publish(&path, Vec::new(), None);
        }
        self.membership.remove(&path);
        self.dirty_orphans.remove(&path);
        self.uris.remove(&path);
        self.deadline = Some(Instant::now());
    }

    fn watched(&mut self, p: DidChangeWatchedFilesParams) {
        let mut configs = false;
        for change in &p.changes {
            let Some(path) = uri_to_path(&change.uri) else { continue };
            if path.file_name().is_some_and(|n| n == "dddc.toml") {
                configs = true;
            }
        }
        if configs {
            // Where models are and how they are configured may have
            // changed: find every project again.
            let open: Vec<PathBuf> = self.docs.keys().cloned().collect();
            self.projects.clear();
            self.membership.clear();
            for path in open {
                self.touch(&path, false);
            }
        } else {
            // A file changed on disk (a lock written by `dddc build`, a
            // model file edited elsewhere): analyse again.
            for project in self.projects.values_mut() {
                project.generation += 1;
            }
        }
        self.deadline = Some(Instant::now());
    }

    /// A file changed: every project it belongs to must be analysed again.
    fn touch(&mut self, path: &Path, edited: bool) {
        let mut keys: Vec<PathBuf> =
            self.projects.iter().filter(|(_, p)| p.contains(path)).map(|(k, _)| k.clone()).collect();
        if let Some(key) = self.assign(path) {
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
        if self.orphans.contains(path) || (keys.is_empty() && self.docs.contains_key(path)) {
            self.dirty_orphans.insert(path.to_path_buf());
        }
        for key in keys {
            if let Some(p) = self.projects.get_mut(&key) {
                p.generation += 1;
                if edited {
                    p.edited.insert(path.to_path_buf());
                }
            }
        }
    }

    /// The project an open document was found to belong to, found once.
    fn assign(&mut self, path: &Path) -> Option<PathBuf> {
        if let Some(known) = self.membership.get(path) {
            return known.clone();
        }
        let text = self.docs.get(path)?.text.clone();
        let ceiling = self.folders.iter().filter(|f| path.starts_with(f)).max_by_key(|f| f.as_os_str().len());
        let key = project::discover(path, &text, ceiling.map(PathBuf::as_path)).map(|spec| {
            let key = spec.root.clone();
            self.projects.entry(key.clone()).or_insert_with(|| Project::new(spec));
            key
        });
        self.membership.insert(path.to_path_buf(), key.clone());
        key
    }

    fn cancel(&mut self, id: RequestId) {
        if let Some(i) = self.deferred.iter().position(|d| d.request.id == id) {
            let d = self.deferred.remove(i);
            self.send(Response::new_err(d.request.id, ErrorCode::RequestCanceled as i32, "canceled".into()).into());
        }
    }

    // ------------------------------------------------------------ analysis --

    /// The edits paused: quick diagnostics for what was edited, a full
    /// analysis for every project that changed.
    fn flush(&mut self) {
        self.deadline = None;
        let buffers: Arc<HashMap<PathBuf, String>> =
            Arc::new(self.docs.iter().map(|(k, d)| (k.clone(), d.text.clone())).collect());
        let keys: Vec<PathBuf> = self
            .projects
            .iter()
            .filter(|(_, p)| p.generation > p.requested && p.generation > p.snapshot_generation)
            .map(|(k, _)| k.clone())
            .collect();
        for key in keys {
            self.quick(&key);
            let Some(p) = self.projects.get_mut(&key) else { continue };
            p.requested = p.generation;
            let job = Job {
                key: key.clone(),
                generation: p.generation,
                spec: p.spec.clone(),
                buffers: buffers.clone(),
                cache: p.cache.clone(),
            };
            let _ = self.jobs.send(job);
        }
        for path in std::mem::take(&mut self.dirty_orphans) {
            self.publish_orphan(&path);
        }
        for uri in std::mem::take(&mut self.dirty_untitled) {
            self.publish_untitled(&uri);
        }
    }

    /// The quick pass over the files edited since the last full snapshot.
    fn quick(&mut self, key: &Path) {
        let Some(p) = self.projects.get(key) else { return };
        let Some(base) = p.snapshot.clone() else { return };
        let mut edited = Vec::new();
        for path in &p.edited {
            let (Some(file), Some(doc)) = (base.file_of(path), self.docs.get(path)) else { return };
            edited.push((file, doc.text.clone()));
        }
        if edited.is_empty() {
            return;
        }
        let outcome = catch_unwind(AssertUnwindSafe(|| analysis::quick(&base, &edited)));
        let Ok(Some(quick)) = outcome else { return };
        let overrides: Vec<(FileId, &str)> = edited.iter().map(|(f, t)| (*f, t.as_str())).collect();
        let view = View::with_texts(&base, self.encoding, &self.uris, &overrides);
        let mut out = Vec::new();
        for (file, diags) in &quick.files {
            let path = base.sources.get(*file).path.clone();
            let version = self.docs.get(&path).map(|d| d.version);
            out.push((path, diags.iter().map(|d| diagnostics::to_lsp(&view, d)).collect::<Vec<_>>(), version));
        }
        drop(view);
        for (path, diags, version) in out {
            self.publish(&path, diags, version);
        }
    }

    fn analyzed(&mut self, key: PathBuf, generation: u64, result: Result<Box<Snapshot>, String>) {
        let Some(p) = self.projects.get_mut(&key) else { return };
        if generation != p.generation {
            return; // a newer text is being analysed
        }
        let snapshot = match result {
            Ok(s) => Arc::new(*s),
            Err(panic) => {
                p.failed = generation;
                self.log(format!("dddc: the analysis of `{}` failed: {panic}", key.display()));
                self.fail_deferred(&key, &panic);
                return;
            }
        };
        // The snapshot it replaces is freed on a helper: 15-22 ms at 2,000
        // aggregates, before the diagnostics went out.
        let old = p.snapshot.replace(snapshot.clone());
        p.snapshot_generation = generation;
        p.edited.clear();
        self.publish_snapshot(&key, &snapshot);
        crate::threads::drop_beside(old);
        // Open documents found to belong here that the model does not
        // include are orphans; those it now includes are not.
        let open: Vec<PathBuf> = self.docs.keys().cloned().collect();
        for path in open {
            let member = snapshot.file_of(&path).is_some();
            if member {
                self.orphans.remove(&path);
            } else if self.membership.get(&path) == Some(&Some(key.clone())) && !self.orphans.contains(&path) {
                self.publish_orphan(&path);
            }
        }
        self.answer_deferred();
    }

    fn publish_snapshot(&mut self, key: &Path, snap: &Snapshot) {
        let view = View::new(snap, self.encoding, &self.uris);
        let root = snap.files.first().map(|(f, _)| *f);
        let mut by_file: HashMap<FileId, Vec<lsp_types::Diagnostic>> =
            snap.sources.iter().map(|(f, _)| (f, Vec::new())).collect();
        for d in &snap.diagnostics {
            let file = d.primary.as_ref().map(|p| p.span.file).or(root);
            if let Some(f) = file {
                by_file.entry(f).or_default().push(diagnostics::to_lsp(&view, d));
            }
        }
        let mut out: Vec<(PathBuf, Vec<lsp_types::Diagnostic>)> =
            by_file.into_iter().map(|(f, d)| (snap.sources.get(f).path.clone(), d)).collect();
        drop(view);
        if let Some(e) = &snap.root_error {
            out.push((
                snap.spec.root.clone(),
                vec![diagnostics::at_top(DiagnosticSeverity::ERROR, "E0004", e.clone())],
            ));
        }
        let new: BTreeSet<PathBuf> = out.iter().map(|(p, _)| p.clone()).collect();
        let old = self.projects.get_mut(key).map(|p| std::mem::replace(&mut p.published, new.clone()));
        for (path, diags) in out {
            let version = self.docs.get(&path).map(|d| d.version);
            self.publish(&path, diags, version);
        }
        for gone in old.unwrap_or_default().difference(&new) {
            self.publish(gone, Vec::new(), None);
        }
    }

    /// A document no model includes: its syntax errors, and why nothing
    /// more is checked.
    fn publish_orphan(&mut self, path: &Path) {
        let Some(doc) = self.docs.get(path) else { return };
        let why = match self.membership.get(path).cloned().flatten() {
            Some(root) => format!(
                "this file is not part of the model `{}`: only its syntax is checked; include it (`include \"…\"`) to check the rest",
                root.display()
            ),
            None => "no model found for this file (no `dddc.toml` or `model` block here or above): only its syntax is checked".to_string(),
        };
        let diags = syntax_only(&doc.text, self.encoding, why);
        let version = Some(doc.version);
        self.orphans.insert(path.to_path_buf());
        self.publish(path, diags, version);
    }

    /// A buffer that is no file: its syntax errors, and why nothing more
    /// is checked (no project to find its includes, settings and lock in).
    fn publish_untitled(&self, uri: &Uri) {
        let Some(doc) = self.untitled.get(uri) else { return };
        let why = "this buffer is not saved: only its syntax is checked; save it as a `.ddd` file of a project to check the rest";
        let diagnostics = syntax_only(&doc.text, self.encoding, why.to_string());
        let params = PublishDiagnosticsParams { uri: uri.clone(), diagnostics, version: Some(doc.version) };
        self.notify("textDocument/publishDiagnostics", params);
    }

    fn publish(&self, path: &Path, diagnostics: Vec<lsp_types::Diagnostic>, version: Option<i32>) {
        let Some(uri) = uri_for(&self.uris, path) else { return };
        self.notify("textDocument/publishDiagnostics", PublishDiagnosticsParams { uri, diagnostics, version });
    }

    // ------------------------------------------------------------ requests --

    fn request(&mut self, r: Request) {
        if self.shutdown {
            let m = "the server is shutting down".to_string();
            self.send(Response::new_err(r.id, ErrorCode::InvalidRequest as i32, m).into());
            return;
        }
        match r.method.as_str() {
            // Once only, says the protocol.
            "initialize" => {
                let m = "the server is already initialized".to_string();
                self.send(Response::new_err(r.id, ErrorCode::InvalidRequest as i32, m).into());
            }
            "shutdown" => {
                self.shutdown = true;
                self.send(Response::new_ok(r.id, Value::Null).into());
            }
            "textDocument/formatting" => {
                let result = self.formatting(r.params);
                self.respond(r.id, result);
            }
            _ => {
                let projects = self.projects_for(&r);
                let stale: Vec<PathBuf> = projects
                    .iter()
                    .filter(|k| self.projects.get(*k).is_some_and(|p| p.fresh().is_none()))
                    .cloned()
                    .collect();
                let failed = stale.iter().any(|k| self.projects.get(k).is_some_and(|p| p.failed == p.generation));
                if stale.is_empty() {
                    let result = self.guarded_answer(&r);
                    self.respond(r.id, result);
                } else if failed {
                    // Waiting would never end: no analysis runs until an edit.
                    let e =
                        ResponseError::request_failed("the analysis of this model failed; edit it to try again".into());
                    self.respond(r.id, Err(e));
                } else {
                    // Analyse now rather than after the pause.
                    self.deadline = Some(Instant::now());
                    let generations = stale.iter().map(|k| self.projects.get(k).map_or(0, |p| p.generation)).collect();
                    self.deferred.push(Deferred { request: r, projects: stale, generations });
                }
            }
        }
    }

    fn respond(&self, id: RequestId, result: Result<String, ResponseError>) {
        match result {
            Ok(json) => {
                let _ = self.connection.sender.send(Outgoing::Response(response_json(&id, &json)));
            }
            Err(e) => self.send(Response::new_err(id, e.code as i32, e.message).into()),
        }
    }

    /// The projects a request reads: the document's, or all for a
    /// workspace-wide one.
    fn projects_for(&mut self, r: &Request) -> Vec<PathBuf> {
        if r.method == "workspace/symbol" {
            return self.projects.keys().cloned().collect();
        }
        let Some(path) = request_path(&r.params) else { return Vec::new() };
        self.project_of(&path).into_iter().collect()
    }

    /// The project whose snapshot holds the file, else the one it was
    /// found to belong to.
    fn project_of(&mut self, path: &Path) -> Option<PathBuf> {
        let holding = self.projects.iter().find(|(_, p)| p.contains(path)).map(|(k, _)| k.clone());
        holding.or_else(|| self.assign(path))
    }

    fn answer_deferred(&mut self) {
        let waiting = std::mem::take(&mut self.deferred);
        for d in waiting {
            let ready = d.projects.iter().all(|k| self.projects.get(k).is_none_or(|p| p.fresh().is_some()));
            // Edited since the request came: answered from the newer text,
            // a hover named another field and a rename renamed it (the
            // request's position was in the older text). The protocol's
            // answer is ContentModified; the client asks again.
            let edited = d.request.method != "workspace/symbol"
                && d.projects
                    .iter()
                    .zip(&d.generations)
                    .any(|(k, g)| self.projects.get(k).is_some_and(|p| p.generation != *g));
            if edited {
                let m = "the document changed after the request was sent".to_string();
                self.send(Response::new_err(d.request.id.clone(), ErrorCode::ContentModified as i32, m).into());
            } else if ready {
                let result = self.guarded_answer(&d.request);
                self.respond(d.request.id.clone(), result);
            } else {
                self.deferred.push(d);
            }
        }
    }

    fn fail_deferred(&mut self, key: &Path, why: &str) {
        let waiting = std::mem::take(&mut self.deferred);
        for d in waiting {
            if d.projects.iter().any(|k| k == key) {
                let e = ResponseError::request_failed(format!("the analysis failed: {why}"));
                self.respond(d.request.id.clone(), Err(e));
            } else {
                self.deferred.push(d);
            }
        }
    }

    /// [`Self::answer`], with a panic in a handler (a rename lowers an
    /// edited model, for one) turned into an error response instead of
    /// ending the server, as the analyses on the worker are.
    fn guarded_answer(&mut self, r: &Request) -> Result<String, ResponseError> {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.answer(r))) {
            Ok(result) => result,
            Err(panic) => {
                let why = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a panic".into());
                self.log(format!("dddc: `{}` failed: {why}", r.method));
                Err(ResponseError::request_failed(format!("dddc failed to answer: {why}")))
            }
        }
    }

    /// Answers a request whose projects are fresh.
    fn answer(&mut self, r: &Request) -> Result<String, ResponseError> {
        let enc = self.encoding;
        if r.method == "workspace/symbol" {
            let p: lsp_types::WorkspaceSymbolParams = params(r.params.clone())?;
            let snaps: Vec<Arc<Snapshot>> = self.projects.values().filter_map(|p| p.fresh().cloned()).collect();
            let views: Vec<View<'_>> = snaps.iter().map(|s| View::new(s, enc, &self.uris)).collect();
            return to_json(navigation::workspace_symbols(&views, &p.query));
        }
        let Some(kind) = DocRequest::of(&r.method) else {
            return Err(ResponseError {
                code: ErrorCode::MethodNotFound,
                message: format!("unknown request `{}`", r.method),
            });
        };
        let Some(path) = request_path(&r.params) else {
            // About a document that is no file (an `untitled:` buffer): as
            // for a file outside every model, nothing to navigate.
            let uri = r.params.pointer("/textDocument/uri").and_then(Value::as_str);
            if uri.is_some_and(|u| u.parse::<Uri>().is_ok()) {
                return to_json(kind.empty());
            }
            return Err(ResponseError {
                code: ErrorCode::InvalidParams,
                message: format!("`{}` needs `textDocument.uri`", r.method),
            });
        };
        let snap = self.project_of(&path).and_then(|k| self.projects.get(&k)).and_then(|p| p.fresh().cloned());
        // A document no model includes: nothing to navigate.
        let Some(snap) = snap.filter(|s| s.file_of(&path).is_some()) else { return to_json(kind.empty()) };
        let view = View::new(&snap, enc, &self.uris);
        let Some(file) = snap.file_of(&path) else { return to_json(kind.empty()) };
        let pos = |v: &Value| -> Result<usize, ResponseError> {
            let p: lsp_types::Position = params(v.get("position").cloned().unwrap_or(Value::Null))?;
            Ok(view.offset(file, p))
        };
        match kind {
            DocRequest::Hover => to_json(hover::hover(&view, file, pos(&r.params)?)),
            DocRequest::Definition => to_json(navigation::definition(&view, file, pos(&r.params)?)),
            DocRequest::References => {
                let p: lsp_types::ReferenceParams = params(r.params.clone())?;
                let include = p.context.include_declaration;
                to_json(navigation::references(&view, file, pos(&r.params)?, include))
            }
            DocRequest::DocumentSymbol => to_json(navigation::document_symbols(&view, file)),
            DocRequest::Completion => to_json(completion::complete(&view, file, pos(&r.params)?)),
            DocRequest::PrepareRename => to_json(rename::prepare(&view, file, pos(&r.params)?)),
            DocRequest::Rename => {
                let p: lsp_types::RenameParams = params(r.params.clone())?;
                let edit = rename::rename(&view, file, pos(&r.params)?, &p.new_name);
                to_json(edit.map_err(ResponseError::request_failed)?)
            }
            DocRequest::CodeAction => {
                let p: lsp_types::CodeActionParams = params(r.params.clone())?;
                let start = view.offset(file, p.range.start);
                let end = view.offset(file, p.range.end);
                to_json(actions::code_actions(&view, file, start, end))
            }
            DocRequest::CodeLens => to_json(lens::code_lens(&view, file)),
        }
    }

    fn formatting(&self, value: Value) -> Result<String, ResponseError> {
        let p: lsp_types::DocumentFormattingParams = params(value)?;
        let Some(path) = uri_to_path(&p.text_document.uri).map(|p| absolute(&p)) else {
            let Some(doc) = self.untitled.get(&p.text_document.uri) else { return to_json(Value::Null) };
            return to_json(format::format(&doc.text, self.encoding));
        };
        let text = match self.docs.get(&path) {
            Some(d) => d.text.clone(),
            None => crate::files::read_regular(&path)
                .and_then(crate::loader::decode)
                .map_err(|e| ResponseError::request_failed(e.to_string()))?,
        };
        to_json(format::format(&text, self.encoding))
    }
}

/// A text's syntax errors, and one note (`model`) saying why nothing more
/// is checked: what a document outside every model gets.
fn syntax_only(text: &str, encoding: Encoding, why: String) -> Vec<lsp_types::Diagnostic> {
    let parsed = syntax::parse(FileId(0), text);
    let mut diags = diagnostics::to_lsp_in(text, encoding, &parsed.diagnostics);
    diags.push(diagnostics::at_top(DiagnosticSeverity::INFORMATION, "model", why));
    diags
}

/// The path of the document a request is about.
fn request_path(params: &Value) -> Option<PathBuf> {
    let uri: Uri = params.pointer("/textDocument/uri")?.as_str()?.parse().ok()?;
    uri_to_path(&uri).map(|p| absolute(&p))
}

/// An answer's JSON, written straight from its types (no `Value` tree
/// between: see [`Outgoing`]).
fn to_json(v: impl serde::Serialize) -> Result<String, ResponseError> {
    serde_json::to_string(&v).map_err(|e| ResponseError::request_failed(e.to_string()))
}

/// A response around an answer's JSON, as lsp-server writes one.
fn response_json(id: &RequestId, result: &str) -> String {
    // An id is a number or a string: its JSON cannot fail.
    let id = serde_json::to_string(id).unwrap_or_else(|_| "null".into());
    let mut body = String::with_capacity(result.len() + id.len() + 36);
    body.push_str(r#"{"jsonrpc":"2.0","id":"#);
    body.push_str(&id);
    body.push_str(r#","result":"#);
    body.push_str(result);
    body.push('}');
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `initialize` offers and what [`Server::answer`] answers are one
    /// list: each request about a document is offered, and each provider
    /// offered is answered (here, or by the two requests answered
    /// elsewhere: formatting and workspace symbols).
    /// The response the server writes around an answer's JSON is the one
    /// `lsp-server` writes (by value: a `Value` sorts keys), for a number
    /// id and a string id, a null answer and one with text to escape.
    #[test]
    fn a_response_written_as_text_is_lsp_servers() {
        let ids: [RequestId; 2] = [7.into(), "req-\"7\"".to_string().into()];
        for id in ids {
            for answer in [Value::Null, json!([{ "name": "ñ \"x\"", "kind": 2 }])] {
                let ours = response_json(&id, &to_json(&answer).ok().expect("JSON"));
                let mut theirs = Vec::new();
                Message::from(Response::new_ok(id.clone(), answer.clone())).write(&mut theirs).expect("written");
                let body = String::from_utf8(theirs).expect("UTF-8");
                let (_, body) = body.split_once("\r\n\r\n").expect("a header");
                let parse = |t: &str| serde_json::from_str::<Value>(t).expect("JSON");
                assert_eq!(parse(&ours), parse(body), "{id:?}, {answer}");
            }
        }
    }

    #[test]
    fn each_request_offered_is_answered_and_each_answered_is_offered() {
        let offered = serde_json::to_value(super::super::capabilities(Encoding::Utf16)).expect("JSON");
        let provider = |r: DocRequest| match r {
            DocRequest::Hover => "/hoverProvider",
            DocRequest::Definition => "/definitionProvider",
            DocRequest::References => "/referencesProvider",
            DocRequest::DocumentSymbol => "/documentSymbolProvider",
            DocRequest::Completion => "/completionProvider",
            DocRequest::PrepareRename => "/renameProvider/prepareProvider",
            DocRequest::Rename => "/renameProvider",
            DocRequest::CodeAction => "/codeActionProvider",
            DocRequest::CodeLens => "/codeLensProvider",
        };
        for r in DocRequest::ALL {
            assert_eq!(DocRequest::of(r.method()), Some(r), "{r:?}'s method names it");
            let p = offered.pointer(provider(r));
            assert!(p.is_some_and(|v| !v.is_null() && *v != json!(false)), "{r:?} is answered but not offered");
        }
        let answered: Vec<&str> = DocRequest::ALL.into_iter().map(provider).collect();
        let elsewhere = ["/workspaceSymbolProvider", "/documentFormattingProvider"];
        for key in offered.as_object().expect("an object").keys().filter(|k| k.ends_with("Provider")) {
            let key = format!("/{key}");
            assert!(
                answered.contains(&key.as_str()) || elsewhere.contains(&key.as_str()),
                "{key} is offered but not answered"
            );
        }
        assert_eq!(DocRequest::of("textDocument/signatureHelp"), None);
    }
}
