//! Small helpers: the repository root, running commands with clear errors,
//! timing and file sizes.

use std::ffi::OsStr;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

/// Every xtask error is a message for a human; `main` prints it and exits 1.
pub type Result<T = ()> = std::result::Result<T, String>;

/// The repository root (the parent of `xtask/`).
pub fn root() -> PathBuf {
    let xtask_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    xtask_dir.parent().unwrap_or(xtask_dir).to_path_buf()
}

/// `root()/rel`.
pub fn path(rel: &str) -> PathBuf {
    root().join(rel)
}

/// The cargo that runs us (`$CARGO`), else `cargo` from `PATH`.
pub fn cargo() -> Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root());
    cmd
}

/// A command run from the repository root.
pub fn command(program: impl AsRef<OsStr>) -> Command {
    let mut cmd = Command::new(program);
    cmd.current_dir(root());
    cmd
}

/// `program arg arg …` as a shell-like string, for messages.
pub fn describe(cmd: &Command) -> String {
    let mut s = String::new();
    for (key, value) in cmd.get_envs() {
        if let Some(value) = value {
            let _ = write!(s, "{}={} ", key.to_string_lossy(), value.to_string_lossy());
        }
    }
    let program = Path::new(cmd.get_program());
    if program.file_name() == Some(OsStr::new("cargo")) {
        s.push_str("cargo"); // not the long rustup toolchain path
    } else {
        s.push_str(&program.to_string_lossy());
    }
    for arg in cmd.get_args() {
        let arg = arg.to_string_lossy();
        if arg.is_empty() || arg.contains(' ') {
            let _ = write!(s, " '{arg}'");
        } else {
            let _ = write!(s, " {arg}");
        }
    }
    s
}

/// Runs `cmd` with inherited stdio; an error names the command and its status.
pub fn run(mut cmd: Command) -> Result {
    let shown = describe(&cmd);
    println!("$ {shown}");
    let status = cmd
        .status()
        .map_err(|e| format!("could not start `{shown}`: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{shown}` failed ({status})"))
    }
}

/// Runs `cmd` quietly and returns its trimmed stdout, or `None` if it could not
/// be started or failed. For probes such as `tool --version`.
pub fn probe(cmd: &mut Command) -> Option<String> {
    let out = cmd
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Runs `f`, returning its result and how long it took.
pub fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let value = f();
    (value, start.elapsed())
}

/// `1.2s`, `2m03s`.
pub fn fmt_duration(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs < 60.0 {
        format!("{secs:.1}s")
    } else {
        let whole = d.as_secs();
        format!("{}m{:02}s", whole / 60, whole % 60)
    }
}

/// `12.3 KB` (1 KB = 1000 bytes, like `ls -lh --si`).
pub fn fmt_size(bytes: u64) -> String {
    if bytes < 1000 {
        format!("{bytes} B")
    } else {
        format!("{:.1} KB", bytes as f64 / 1000.0)
    }
}

/// Size of `file` after `gzip -9`, if `gzip` is available.
pub fn gzip_size(file: &Path) -> Option<u64> {
    let out = Command::new("gzip")
        .args(["-9", "-c"])
        .arg(file)
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status.success().then_some(out.stdout.len() as u64)
}

/// `raw 12.3 KB, gzip 4.5 KB` for a file.
pub fn size_report(file: &Path) -> String {
    let raw = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    match gzip_size(file) {
        Some(gz) => format!("{} raw, {} gzip", fmt_size(raw), fmt_size(gz)),
        None => format!("{} raw", fmt_size(raw)),
    }
}

/// Modification time, or `None` if the file does not exist.
pub fn mtime(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// Files under `dir` (recursively, skipping `node_modules` and dot
/// directories) whose name ends with one of `suffixes`, sorted.
pub fn find_files(dir: &Path, suffixes: &[&str]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let p = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if p.is_dir() {
                if name != "node_modules" && !name.starts_with('.') {
                    stack.push(p);
                }
            } else if suffixes.iter().any(|s| name.ends_with(s)) {
                found.push(p);
            }
        }
    }
    found.sort();
    found
}

/// `path` relative to the repository root, for messages.
pub fn rel(path: &Path) -> String {
    let root = root();
    path.strip_prefix(&root)
        .unwrap_or(path)
        .to_string_lossy()
        .into_owned()
}

/// The directory `cargo install` puts binaries in: `$CARGO_HOME/bin`, else
/// `~/.cargo/bin`.
pub fn cargo_bin_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CARGO_HOME") {
        return PathBuf::from(home).join("bin");
    }
    let home = std::env::var_os("HOME").unwrap_or_else(|| ".".into());
    PathBuf::from(home).join(".cargo").join("bin")
}

/// A binary installed by `cargo install`: `$CARGO_HOME/bin/NAME` if it exists,
/// else `NAME` (looked up on `PATH`).
pub fn cargo_bin(name: &str) -> PathBuf {
    let p = cargo_bin_dir().join(name);
    if p.is_file() {
        p
    } else {
        PathBuf::from(name)
    }
}

/// Whether we run as root (for `apt-get`).
pub fn is_root() -> bool {
    probe(Command::new("id").arg("-u")).as_deref() == Some("0")
}
