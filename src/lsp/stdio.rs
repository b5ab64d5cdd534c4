//! The server's end of stdin and stdout: `lsp_server::Connection::stdio`
//! (lsp-server 0.7.9) made again with its threads' spawn errors returned
//! instead of unwrapped, so that a process that may start no more threads
//! (a container's limit) gets a message and exit code 2, not a panic. A
//! reader turns stdin into messages until `exit` or the end of the input;
//! a writer writes the server's messages to stdout until the server drops
//! its sender. Both hand messages over one at a time, as lsp-server's do.

use std::io;
use std::thread::JoinHandle;

use crossbeam_channel::bounded;
use lsp_server::{Connection, Message};

/// The reader's and the writer's threads.
pub(super) struct Transport {
    reader: JoinHandle<io::Result<()>>,
    writer: JoinHandle<io::Result<()>>,
}

impl Transport {
    /// Waits for both threads: the reader's error first, then the
    /// writer's; a panic on either goes on here.
    pub(super) fn join(self) -> io::Result<()> {
        let reader = self.reader.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
        let writer = self.writer.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
        reader.and(writer)
    }
}

/// A connection over stdin and stdout, or why its threads could not be
/// started (a thread started before the failure ends once the connection
/// it would serve is dropped).
pub(super) fn connection() -> io::Result<(Connection, Transport)> {
    let (to_writer, writer_inbox) = bounded::<Message>(0);
    let writer = std::thread::Builder::new().name("dddc-lsp-stdout".into()).spawn(move || {
        let stdout = io::stdout();
        let mut stdout = stdout.lock();
        writer_inbox.into_iter().try_for_each(|message| message.write(&mut stdout))
    })?;
    let (from_reader, reader_outbox) = bounded::<Message>(0);
    let reader = std::thread::Builder::new().name("dddc-lsp-stdin".into()).spawn(move || {
        let stdin = io::stdin();
        let mut stdin = stdin.lock();
        while let Some(message) = Message::read(&mut stdin)? {
            let exit = matches!(&message, Message::Notification(n) if n.method == "exit");
            from_reader.send(message).map_err(io::Error::other)?;
            if exit {
                break;
            }
        }
        Ok(())
    })?;
    Ok((Connection { sender: to_writer, receiver: reader_outbox }, Transport { reader, writer }))
}
