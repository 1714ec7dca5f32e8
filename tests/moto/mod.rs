//! A local AWS for tests that need real HTTP round trips (CloudWatch Logs, X-Ray): a moto
//! server on a free port of 127.0.0.1, killed when the [`Moto`] is dropped.
//!
//! The harness sets itself up, because `cargo test --locked` must pass on a fresh machine that
//! only has the Rust toolchain, Python 3 and apt: when `<repo>/.venv` does not hold moto
//! [`MOTO_VERSION`] yet, it runs `python3 -m venv .venv` and
//! `.venv/bin/pip install 'moto[server]==5.2.5'` (needs PyPI once). Test binaries run in
//! parallel, so the setup holds an exclusive lock on `.venv/.warroom-setup.lock`
//! (`std::fs::File::lock`, an `flock` released by the OS even if the holder dies) and writes a
//! marker file when it completed; later runs only take the lock and see the marker.
//!
//! Use it with `mod moto;` from a test file:
//!
//! ```ignore
//! let moto = Moto::start();
//! let shared = moto.sdk_config("eu-west-1").await;
//! let logs = aws_sdk_cloudwatchlogs::Client::new(&shared);
//! ```
//!
//! Where moto needs a fix to be usable from the Rust SDK, [`Moto::start_patched`] starts it
//! through a Python launcher kept in this folder (`xray_server.py`: X-Ray summaries).
#![allow(dead_code)]

use std::fs::{self, File};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The moto release the tests are written against (see /work/shared/AWS-NOTES.md for what
/// it can and cannot do).
pub const MOTO_VERSION: &str = "5.2.5";
/// How long a started server may take to answer.
const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// A running moto server.
pub struct Moto {
    /// `http://127.0.0.1:<port>`, for `endpoint_url`.
    pub endpoint: String,
    port: u16,
    child: Child,
    /// The server's output, shown when it fails.
    log: PathBuf,
}

impl Moto {
    /// Install moto if needed, start a server on a free port and wait until it answers.
    /// Panics with what went wrong (and what to do about it) when that is not possible.
    pub fn start() -> Moto {
        Self::launch(&moto_server(), &[])
    }

    /// Like [`Moto::start`], but through a Python launcher kept next to this file (e.g.
    /// `xray_server.py`) that patches moto before serving. The launcher is run with the venv's
    /// Python and gets moto_server's arguments (`-H 127.0.0.1 -p PORT`).
    pub fn start_patched(launcher: &str) -> Moto {
        let bin = moto_server();
        let python = bin.with_file_name("python");
        let script = repo().join("tests").join("moto").join(launcher);
        assert!(script.exists(), "no launcher {}", script.display());
        Self::launch(&python, &[script.as_os_str()])
    }

    fn launch(program: &Path, first_args: &[&std::ffi::OsStr]) -> Moto {
        let mut failures = Vec::new();
        // The free port may be taken between probing and binding: try a few.
        for _ in 0..3 {
            let port = free_port();
            let log = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("moto-{port}.log"));
            let out =
                File::create(&log).unwrap_or_else(|e| panic!("create {}: {e}", log.display()));
            let err = out.try_clone().expect("log file handle");
            let child = Command::new(program)
                .args(first_args)
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .stdin(Stdio::null())
                .stdout(out)
                .stderr(err)
                .spawn()
                .unwrap_or_else(|e| panic!("start {}: {e}", program.display()));
            let mut moto = Moto { endpoint: format!("http://127.0.0.1:{port}"), port, child, log };
            match moto.wait_ready() {
                Ok(()) => return moto,
                Err(e) => failures.push(e),
            }
        }
        panic!("moto_server did not come up:\n{}", failures.join("\n---\n"));
    }

    /// Forget every resource of every region (`POST /moto-api/reset`).
    pub fn reset(&self) {
        let status = http(self.port, "POST", "/moto-api/reset")
            .unwrap_or_else(|e| panic!("reset moto: {e}\n{}", self.output()));
        assert!(status.contains(" 200 "), "reset moto: {status}");
    }

    /// An SDK config for this server: its endpoint, `region`, fixed test credentials and quick
    /// retries. Set on the loader only, so nothing leaks into the process environment.
    pub async fn sdk_config(&self, region: &str) -> aws_config::SdkConfig {
        use aws_config::retry::RetryConfig;
        use aws_config::{BehaviorVersion, Region};
        use aws_sdk_cloudwatchlogs::config::Credentials;

        aws_config::defaults(BehaviorVersion::latest())
            .endpoint_url(&self.endpoint)
            .region(Region::new(region.to_string()))
            .credentials_provider(Credentials::new("testing", "testing", None, None, "moto"))
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(2)
                    .with_initial_backoff(Duration::from_millis(10)),
            )
            .load()
            .await
    }

    /// What the server printed so far.
    pub fn output(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("moto_server exited ({status}):\n{}", self.output()));
            }
            match http(self.port, "GET", "/moto-api/") {
                Ok(status) if status.starts_with("HTTP/") => return Ok(()),
                _ if Instant::now() > deadline => {
                    return Err(format!(
                        "moto_server did not answer on port {} within {READY_TIMEOUT:?}:\n{}",
                        self.port,
                        self.output()
                    ));
                }
                _ => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = fs::remove_file(&self.log);
    }
}

/// One HTTP/1.1 request without a body; the status line of the answer.
fn http(port: u16, method: &str, path: &str) -> Result<String, String> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut s =
        TcpStream::connect_timeout(&addr, Duration::from_secs(1)).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(10))).map_err(|e| e.to_string())?;
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    s.write_all(request.as_bytes()).map_err(|e| e.to_string())?;
    let mut answer = Vec::new();
    s.read_to_end(&mut answer).map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&answer);
    Ok(text.lines().next().unwrap_or_default().to_string())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

// ---------------------------------------------------------------------------------------------
// Installation

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `<repo>/.venv/bin/moto_server`, installed first if needed (once per test binary).
pub fn moto_server() -> PathBuf {
    static READY: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    READY.get_or_init(|| install(&repo().join(".venv"))).clone().unwrap_or_else(|e| panic!("{e}"))
}

fn install(venv: &Path) -> Result<PathBuf, String> {
    let bin = venv.join("bin").join("moto_server");
    let marker = venv.join(format!(".warroom-moto-{MOTO_VERSION}"));
    fs::create_dir_all(venv).map_err(|e| format!("create {}: {e}", venv.display()))?;
    let lock_path = venv.join(".warroom-setup.lock");
    let lock = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| format!("open {}: {e}", lock_path.display()))?;
    // Waits while another test binary installs; released when `lock` is dropped.
    lock.lock().map_err(|e| format!("lock {}: {e}", lock_path.display()))?;
    if marker.exists() && bin.exists() {
        return Ok(bin);
    }

    let pip = venv.join("bin").join("pip");
    if !pip.exists() {
        eprintln!("moto harness: creating {} (python3 -m venv)", venv.display());
        let make_venv = || {
            Command::new("python3")
                .args(["-m", "venv", "--clear"])
                .arg(venv)
                .output()
                .map_err(|e| format!("cannot run python3 ({e}); the moto tests need Python 3"))
        };
        let mut out = make_venv()?;
        // Debian's python3 keeps the venv module in python3-venv: as root, install it.
        if (!out.status.success() || !pip.exists()) && is_root() {
            eprintln!("moto harness: installing python3-venv with apt-get");
            let apt = |args: &[&str]| {
                Command::new("apt-get")
                    .args(args)
                    .env("DEBIAN_FRONTEND", "noninteractive")
                    .output()
                    .is_ok_and(|o| o.status.success())
            };
            if apt(&["update", "-qq"]) && apt(&["install", "-y", "-qq", "python3-venv"]) {
                out = make_venv()?;
            }
        }
        if !out.status.success() || !pip.exists() {
            return Err(format!(
                "`python3 -m venv {}` failed. On Debian/Ubuntu the venv module needs the \
                 python3-venv package: `sudo apt-get install python3-venv`, then run the tests \
                 again.\n{}{}",
                venv.display(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }

    let requirement = format!("moto[server]=={MOTO_VERSION}");
    eprintln!("moto harness: pip install '{requirement}' into {}", venv.display());
    let out = Command::new(&pip)
        .args(["install", "--disable-pip-version-check", "--quiet", &requirement])
        .output()
        .map_err(|e| format!("cannot run {}: {e}", pip.display()))?;
    if !out.status.success() || !bin.exists() {
        return Err(format!(
            "`{} install '{requirement}'` failed (is PyPI reachable?)\n{}{}",
            pip.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    fs::write(&marker, format!("{requirement}\n"))
        .map_err(|e| format!("write {}: {e}", marker.display()))?;
    Ok(bin)
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}
