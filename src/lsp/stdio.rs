//! The server's end of stdin and stdout: `lsp_server::Connection::stdio`
//! (lsp-server 0.7.9) made again with its threads' spawn errors returned
//! instead of unwrapped, so that a process that may start no more threads
//! (a container's limit) gets a message and exit code 2, not a panic. A
//! reader turns stdin into messages until `exit` or the end of the input;
//! a writer writes the server's messages to stdout until the server drops
//! its sender. Both hand messages over one at a time, as lsp-server's do.

use std::io;
use std::thread::JoinHandle;

use crossbeam_channel::{bounded, Receiver, Sender};
use lsp_server::Message;

/// What the server hands the writer: a message, or a response whose JSON
/// the server wrote itself. A large answer (the outline of a model
/// written as one file is 7.7 MB at 2,000 aggregates) was built as a
/// `serde_json::Value` tree of maps, walked again to be written and
/// dropped on each side: 250–340 ms on the server's loop and its writer.
pub(super) enum Outgoing {
    Message(Message),
    /// `{"jsonrpc":"2.0","id":…,"result":…}`, written as it is.
    Response(String),
}

impl From<Message> for Outgoing {
    fn from(m: Message) -> Outgoing {
        Outgoing::Message(m)
    }
}

/// The server's end of the two threads: what it sends the writer, and the
/// messages the reader read.
pub(super) struct Connection {
    pub sender: Sender<Outgoing>,
    pub receiver: Receiver<Message>,
}

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
    let (to_writer, writer_inbox) = bounded::<Outgoing>(0);
    let writer = std::thread::Builder::new().name("dddc-lsp-stdout".into()).spawn(move || {
        let stdout = io::stdout();
        let mut stdout = stdout.lock();
        writer_inbox.into_iter().try_for_each(|outgoing| write_frame(&mut stdout, outgoing))
    })?;
    let (from_reader, reader_outbox) = bounded::<Message>(0);
    let reader = std::thread::Builder::new().name("dddc-lsp-stdin".into()).spawn(move || {
        let stdin = io::stdin();
        let mut stdin = stdin.lock();
        while let Some(message) = read_message(&mut stdin)? {
            // A body that is not a message, its frame whole: skipped, and
            // said on stderr (the editor's log), as the next frame can be
            // read. It ended the server (exit 2). A parse error's answer
            // (-32700) would need the id `null`, which lsp-server's
            // responses cannot carry.
            let message = match message {
                Ok(m) => m,
                Err(why) => {
                    eprintln!("dddc lsp: skipped a {why}");
                    continue;
                }
            };
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

/// One frame on the output, as lsp-server's `Message::write` writes it:
/// `Content-Length`, a blank line, the JSON, flushed.
fn write_frame(out: &mut impl io::Write, outgoing: Outgoing) -> io::Result<()> {
    match outgoing {
        Outgoing::Message(m) => m.write(out),
        Outgoing::Response(body) => {
            write!(out, "Content-Length: {}\r\n\r\n", body.len())?;
            out.write_all(body.as_bytes())?;
            out.flush()
        }
    }
}

/// The largest message read: a model of 50 MB is sent whole on open, as
/// JSON (escaped, perhaps twice its size). lsp-server's reader allocated
/// the size a header said before any of the body came: a header of 1 TiB
/// took the machine's memory until the kernel killed the server.
const MAX_MESSAGE: usize = 256 << 20;

/// One message, framed as lsp-server's `Message::read` frames it (headers,
/// a blank line, `Content-Length` bytes of JSON), its body read as it
/// comes; `None` at the end of the input before a message, `Some(Err)`
/// for a whole frame whose body is not a message.
fn read_message(input: &mut impl io::BufRead) -> io::Result<Option<Result<Message, String>>> {
    let invalid = |why: String| io::Error::new(io::ErrorKind::InvalidData, why);
    let mut length: Option<usize> = None;
    let mut line = String::new();
    let mut first = true;
    loop {
        line.clear();
        if input.read_line(&mut line)? == 0 {
            return if first { Ok(None) } else { Err(io::ErrorKind::UnexpectedEof.into()) };
        }
        first = false;
        let header = line.strip_suffix("\r\n").ok_or_else(|| invalid(format!("malformed header: {line:?}")))?;
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(": ").ok_or_else(|| invalid(format!("malformed header: {header:?}")))?;
        if name.eq_ignore_ascii_case("Content-Length") {
            length = Some(value.trim().parse().map_err(|_| invalid(format!("bad Content-Length: {value:?}")))?);
        }
    }
    let length = length.ok_or_else(|| invalid("no Content-Length".into()))?;
    if length > MAX_MESSAGE {
        return Err(invalid(format!(
            "a message of {length} bytes is larger than the {} MiB dddc reads",
            MAX_MESSAGE >> 20
        )));
    }
    let mut body = Vec::with_capacity(length.min(1 << 20));
    io::Read::read_to_end(&mut io::Read::take(&mut *input, length as u64), &mut body)?;
    if body.len() < length {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    Ok(Some(serde_json::from_slice(&body).map_err(|e| format!("malformed message: {e}"))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_is_read_as_it_comes_and_a_huge_length_is_refused() {
        let body = r#"{"jsonrpc":"2.0","method":"exit"}"#;
        let framed = format!("Content-Length: {}\r\n\r\n{body}", body.len());
        let mut input = io::Cursor::new(framed.into_bytes());
        let m = read_message(&mut input).unwrap().unwrap().unwrap();
        assert!(matches!(m, Message::Notification(n) if n.method == "exit"));
        assert!(read_message(&mut input).unwrap().is_none(), "the end of the input");
        // Refused before any allocation of its size.
        let mut huge = io::Cursor::new(b"Content-Length: 1099511627776\r\n\r\n{}".to_vec());
        let e = read_message(&mut huge).unwrap_err();
        assert!(e.to_string().contains("larger than"), "{e}");
        // A body shorter than its header says.
        let mut short = io::Cursor::new(b"Content-Length: 10\r\n\r\n{}".to_vec());
        assert_eq!(read_message(&mut short).unwrap_err().kind(), io::ErrorKind::UnexpectedEof);
        // A whole frame that holds no message, then a message: the first is
        // said, the second read.
        let framed = format!("Content-Length: 5\r\n\r\n{{nop}}Content-Length: {}\r\n\r\n{body}", body.len());
        let mut input = io::Cursor::new(framed.into_bytes());
        let e = read_message(&mut input).unwrap().unwrap().unwrap_err();
        assert!(e.contains("malformed message"), "{e}");
        assert!(read_message(&mut input).unwrap().unwrap().is_ok());
    }
}
