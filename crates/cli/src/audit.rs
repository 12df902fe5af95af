//! `keyward audit`: offline tools for the audit log of a data dir (see `keyward_server::audit`).
//! `verify` checks the hash chain (every rotated file in order, then the live one) and names the
//! first broken line; `tail` prints the newest events readably, and with `--follow` keeps
//! printing new ones (across rotations).

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Subcommand;
use keyward_server::audit;
use serde_json::Value;

#[derive(Subcommand)]
pub(crate) enum AuditCommand {
    /// Check the hash chain; exits non-zero at the first broken line.
    Verify {
        /// One log file, checked alone (its first line's `prev` is taken as given).
        file: Option<PathBuf>,
        /// Data directory whose `audit/` chain is checked from the genesis line [default: ./keyward-data].
        #[arg(long, conflicts_with = "file")]
        data_dir: Option<PathBuf>,
    },
    /// Print the newest events readably.
    Tail {
        /// How many events.
        #[arg(short = 'n', long = "lines", default_value_t = 20)]
        lines: usize,
        /// Keep printing new events.
        #[arg(short, long)]
        follow: bool,
        /// Data directory [default: ./keyward-data].
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
}

fn audit_dir(data_dir: Option<PathBuf>) -> PathBuf {
    data_dir.unwrap_or_else(|| PathBuf::from("keyward-data")).join("audit")
}

pub(crate) async fn run(command: AuditCommand) -> anyhow::Result<()> {
    match command {
        AuditCommand::Verify { file, data_dir } => {
            let result = match file {
                Some(f) => audit::verify_files(std::slice::from_ref(&f), false),
                None => {
                    let dir = audit_dir(data_dir);
                    if !dir.is_dir() {
                        anyhow::bail!("no audit log at {}", dir.display());
                    }
                    audit::verify_dir(&dir)
                }
            };
            match result {
                Ok(v) => {
                    println!("ok: {} lines in {} file(s), chain intact", v.lines, v.files);
                    Ok(())
                }
                Err(b) => anyhow::bail!("audit chain broken at {b}"),
            }
        }
        AuditCommand::Tail { lines, follow, data_dir } => {
            let dir = audit_dir(data_dir);
            tail(&dir, lines, follow).await
        }
    }
}

/// One event as a line of text.
pub(crate) fn readable(line: &str) -> String {
    let Ok(v) = serde_json::from_str::<Value>(line) else {
        return format!("(unreadable line) {line}");
    };
    let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("-").to_string();
    let who = match (v.get("principal").and_then(Value::as_str), v.get("access_key_id").and_then(Value::as_str)) {
        (Some(p), Some(ak)) => format!("{p}/{ak}"),
        _ => "(unauthenticated)".into(),
    };
    let resources: Vec<&str> = v
        .get("resources")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let status = v.get("status").and_then(Value::as_u64).unwrap_or(0);
    format!(
        "{} {:<7} {:<24} {} {} {} from {} req {}{}",
        s("time"),
        s("protocol"),
        s("action"),
        status,
        s("result"),
        who,
        s("source"),
        s("request_id"),
        if resources.is_empty() { String::new() } else { format!(" on {}", resources.join(",")) }
    )
}

async fn tail(dir: &Path, n: usize, follow: bool) -> anyhow::Result<()> {
    let files = audit::chain_files(dir).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", dir.display()))?;
    // The newest `n` lines, reading files from the newest back.
    let mut last: Vec<String> = Vec::new();
    for f in files.iter().rev() {
        let text = std::fs::read_to_string(f)?;
        let mut these: Vec<String> = text.lines().map(str::to_string).collect();
        these.append(&mut last);
        last = these;
        if last.len() >= n {
            break;
        }
    }
    let skip = last.len().saturating_sub(n);
    for l in &last[skip..] {
        println!("{}", readable(l));
    }
    if !follow {
        return Ok(());
    }
    let live = dir.join(audit::LIVE_FILE);
    let mut offset = std::fs::metadata(&live).map(|m| m.len()).unwrap_or(0);
    let mut partial = String::new();
    loop {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let Ok(meta) = std::fs::metadata(&live) else { continue };
        if meta.len() < offset {
            // Rotated: the live file is new. (Lines written to the old file between our last read
            // and the rotation are in the newest rotated file.)
            offset = 0;
            partial.clear();
        }
        if meta.len() == offset {
            continue;
        }
        let mut f = std::fs::File::open(&live)?;
        f.seek(SeekFrom::Start(offset))?;
        let mut buf = String::new();
        let read = f.read_to_string(&mut buf)?;
        offset += read as u64;
        partial.push_str(&buf);
        while let Some(pos) = partial.find('\n') {
            let line: String = partial.drain(..=pos).collect();
            println!("{}", readable(line.trim_end()));
        }
    }
}
