//! Signals and pastes from outside leave the terminal as it was: the cockpit runs in a
//! pseudo-terminal (tests/pty/signals.py, Python's pty module) and is sent SIGINT, SIGQUIT,
//! SIGTERM, SIGHUP and SIGTSTP/SIGCONT, and a bracketed paste holding `q`.

fn run(signal: &str) -> serde_json::Value {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/pty/signals.py");
    let out = std::process::Command::new("python3")
        .args([script, env!("CARGO_BIN_EXE_warroom"), signal])
        .env("WARROOM_DATA", std::env::temp_dir().join("warroom-test-signals"))
        .env_remove("WARROOM_CONFIG")
        .output()
        .expect("python3 runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("one JSON line")
}

fn assert_restored(r: &serde_json::Value, what: &str) {
    assert_eq!(r["entered"], true, "{what}: {r}");
    assert_eq!(r["raw_before"], true, "{what}: {r}");
    assert_eq!(r["exit"], 0, "{what}: {r}");
    assert_eq!(r["left"], true, "{what}: the alternate screen is left: {r}");
    assert_eq!(r["cursor_shown"], true, "{what}: the cursor is shown: {r}");
    assert_eq!(r["cooked_after"], true, "{what}: raw mode is off: {r}");
}

#[test]
fn every_quitting_signal_restores_the_terminal() {
    for s in ["INT", "QUIT", "TERM", "HUP"] {
        assert_restored(&run(s), s);
    }
}

#[test]
fn a_stop_gives_the_terminal_back_and_a_continue_takes_it_again() {
    let r = run("TSTP");
    assert_eq!(r["stopped"], true, "{r}");
    assert_eq!(r["left_on_stop"], true, "{r}");
    assert_eq!(r["cooked_while_stopped"], true, "{r}");
    assert_eq!(r["entered_again"], true, "{r}");
    assert_eq!(r["raw_again"], true, "{r}");
    assert_restored(&r, "TSTP then TERM");
}

#[test]
fn a_paste_is_text_not_keys() {
    let r = run("PASTE");
    assert_eq!(r["paste_enabled"], true, "{r}");
    assert_eq!(r["alive_after_paste"], true, "a pasted q did not quit: {r}");
    assert_restored(&r, "paste then TERM");
}
