//! `reference-server [--host H] [--http-port N] [--wt-port N] [--static-dir DIR]
//! [--max-payload BYTES] [--session-idle-ms MS] [--session-grace-ms MS]`
//!
//! Prints exactly one JSON line (the `/config` document) on stdout, then serves until killed.
//! Logs go to stderr. `--session-idle-ms`: long-polling sessions expire after this long without
//! a poll (30000). `--session-grace-ms`: a v2 resumable session whose link was lost waits this
//! long for a resume (120000; PROTOCOL.md §7.3).

use std::io::Write;

use reference_server::{start, Options};

const USAGE: &str = "usage: reference-server [--host 127.0.0.1] [--http-port 0] [--wt-port 0] \
[--static-dir DIR] [--max-payload 16777216] [--session-idle-ms 30000] \
[--session-grace-ms 120000]";

fn parse_args() -> Result<Options, String> {
    let mut opts = Options::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) => (f.to_owned(), Some(v.to_owned())),
            None => (arg.clone(), None),
        };
        if flag == "--help" || flag == "-h" {
            println!("{USAGE}");
            std::process::exit(0);
        }
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--host" => opts.host = value()?,
            "--http-port" => {
                opts.http_port = value()?.parse().map_err(|e| format!("{flag}: {e}"))?
            }
            "--wt-port" => opts.wt_port = value()?.parse().map_err(|e| format!("{flag}: {e}"))?,
            "--static-dir" => opts.static_dir = Some(value()?.into()),
            "--max-payload" => {
                opts.max_payload = value()?.parse().map_err(|e| format!("{flag}: {e}"))?
            }
            "--session-idle-ms" => {
                let ms: u64 = value()?.parse().map_err(|e| format!("{flag}: {e}"))?;
                opts.session_idle = std::time::Duration::from_millis(ms);
            }
            "--session-grace-ms" => {
                let ms: u64 = value()?.parse().map_err(|e| format!("{flag}: {e}"))?;
                opts.session_grace = std::time::Duration::from_millis(ms);
            }
            _ => return Err(format!("unknown argument {arg}\n{USAGE}")),
        }
    }
    Ok(opts)
}

#[tokio::main]
async fn main() {
    let opts = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let server = match start(opts).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("reference-server: {e}");
            std::process::exit(1);
        }
    };
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", server.config);
        let _ = out.flush();
    }
    eprintln!(
        "reference-server: http {} webtransport udp {} cert sha256 {}",
        server.http_addr, server.wt_addr, server.certificate_sha256
    );
    let _ = tokio::signal::ctrl_c().await;
    eprintln!("reference-server: shutting down");
    server.shutdown();
}
