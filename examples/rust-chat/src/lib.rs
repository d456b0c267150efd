//! rust-chat: a page driven by universal-socket's Rust API alone.
//!
//! It connects to the reference server's `echo` service, sends typed notes with
//! `Socket::send_json`, decodes what comes back with `Payload::json`, and writes every event into
//! the page. The only JavaScript is the loader wasm-pack generates. See README.md to run it.

// The SDK's `web` module, and so this page, exist only on wasm32; elsewhere (the workspace's host
// builds and lints) the crate is empty.
#![cfg(target_arch = "wasm32")]

use futures::StreamExt;
use serde::{Deserialize, Serialize};
use universal_socket::web::options::SocketOptions;
use universal_socket::web::socket::{Socket, SocketError, SocketEvent};
use wasm_bindgen::prelude::*;
use web_sys::{Document, HtmlInputElement};

/// What the page sends; the echo service sends it back unchanged, as a JSON text message.
#[derive(Debug, Serialize, Deserialize)]
struct Note {
    from: String,
    text: String,
}

/// Runs when the wasm module is instantiated (`init()` in index.html).
#[wasm_bindgen(start)]
pub fn start() {
    wasm_bindgen_futures::spawn_local(async {
        if let Err(e) = run().await {
            status(&format!("error: {e}"));
        }
    });
}

fn document() -> Document {
    web_sys::window()
        .and_then(|w| w.document())
        .expect("a page with a document")
}

/// Appends one line to `#log` (as text, never as HTML: it may come from the network).
fn log(line: &str) {
    let document = document();
    let Some(list) = document.get_element_by_id("log") else {
        return;
    };
    if let Ok(item) = document.create_element("li") {
        item.set_text_content(Some(line));
        let _ = list.append_child(&item);
    }
}

fn status(text: &str) {
    if let Some(el) = document().get_element_by_id("status") {
        el.set_text_content(Some(text));
    }
}

/// The echo service of the server that served this page, or of `?server=<origin>`.
fn echo_url() -> String {
    let location = web_sys::window().expect("a window").location();
    let search = location.search().unwrap_or_default();
    let server = search
        .trim_start_matches('?')
        .split('&')
        .find_map(|pair| pair.strip_prefix("server="))
        .map(str::to_owned)
        .or_else(|| location.origin().ok())
        .unwrap_or_default();
    format!("{}/echo", server.trim_end_matches('/'))
}

async fn run() -> Result<(), SocketError> {
    let socket = Socket::new(&echo_url(), SocketOptions::default())?;
    // Taken before connecting, so that the first `Open` (and any `Fallback`) is seen too.
    let mut events = socket.events();
    status("connecting…");
    socket.connect().await?;
    listen_to_form(&socket);
    socket
        .send_json(&Note {
            from: "rust".into(),
            text: "hello from Rust".into(),
        })
        .await?;

    while let Some(event) = events.next().await {
        match event {
            SocketEvent::Open { transport } => status(&format!("open on {transport}")),
            SocketEvent::Message(payload) => match payload.json::<Note>() {
                Ok(note) => log(&format!("{}: {}", note.from, note.text)),
                Err(e) => log(&format!("not a note ({e}): {payload:?}")),
            },
            SocketEvent::Fallback { from, to, reason } => {
                log(&format!("{from} failed ({reason}); trying {to}"))
            }
            SocketEvent::Reconnecting { attempt, delay_ms } => status(&format!(
                "reconnecting (attempt {attempt} in {delay_ms} ms)"
            )),
            SocketEvent::Close(info) => {
                status(&format!("closed ({} {})", info.code, info.reason));
                break;
            }
            _ => {}
        }
    }
    Ok(())
}

/// Sends the text box's content as a note on every submit of `#send-form`.
fn listen_to_form(socket: &Socket) {
    let document = document();
    let (Some(form), Some(input)) = (
        document.get_element_by_id("send-form"),
        document
            .get_element_by_id("text")
            .and_then(|el| el.dyn_into::<HtmlInputElement>().ok()),
    ) else {
        return;
    };
    let socket = socket.clone();
    let on_submit = Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
        event.prevent_default();
        let note = Note {
            from: "you".into(),
            text: input.value(),
        };
        input.set_value("");
        let socket = socket.clone();
        wasm_bindgen_futures::spawn_local(async move {
            if let Err(e) = socket.send_json(&note).await {
                log(&format!("not sent: {e}"));
            }
        });
    });
    let _ = form.add_event_listener_with_callback("submit", on_submit.as_ref().unchecked_ref());
    // The form lives as long as the page.
    on_submit.forget();
}
