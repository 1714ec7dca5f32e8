//! `warroom logs` against the local AWS server, as a user runs it: over several regions, one
//! of which fails, it prints what the healthy region returned, names the failing region on
//! stderr and exits 3 (partial); when every region fails it exits 2 naming each.

mod moto;

use aws_sdk_cloudwatchlogs::Client;
use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use moto::Moto;
use warroom::model::{Clock, Millis};

const CONFIG: &str = r#"
source = "aws"

[[boundary]]
continent = "EU"
regions = ["eu-west-1", "eu-central-1"]

[[services]]
name = "invoice-approval-worker"
namespace = "AWS/Lambda"
dimensions = { FunctionName = "invoice-approval-worker" }
log-groups = ["/aws/lambda/invoice-approval-worker"]
"#;

const GROUP: &str = "/aws/lambda/invoice-approval-worker";

/// The worker's lines in eu-west-1 only: eu-central-1 has no such log group.
async fn seed(moto: &Moto, base: Millis) {
    let c = Client::new(&moto.sdk_config("eu-west-1").await);
    c.create_log_group().log_group_name(GROUP).send().await.expect("create group");
    c.create_log_stream()
        .log_group_name(GROUP)
        .log_stream_name("2026/03/12/[$LATEST]abc")
        .send()
        .await
        .expect("create stream");
    let lines = [
        (1_000, r#"{"level":"INFO","correlationId":"c-9f3a6e1d","message":"approving invoice"}"#),
        (2_000, "2026-03-12T09:11:42.120Z\tc-9f3a6e1d\tERROR\tdownstream timed out"),
        (3_000, r#"{"level":"INFO","correlationId":"c-other","message":"approving invoice"}"#),
    ];
    let events = lines
        .iter()
        .map(|(dt, m)| InputLogEvent::builder().timestamp(base + dt).message(*m).build().unwrap())
        .collect();
    c.put_log_events()
        .log_group_name(GROUP)
        .log_stream_name("2026/03/12/[$LATEST]abc")
        .set_log_events(Some(events))
        .send()
        .await
        .expect("put events");
}

fn run(moto: &Moto, config: &std::path::Path, args: &[&str]) -> (String, String, i32) {
    let home = std::env::temp_dir().join(format!("warroom-headless-home-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(args)
        .arg("--config")
        .arg(config)
        .env("WARROOM_DATA", std::env::temp_dir().join("warroom-test-data"))
        .env_remove("WARROOM_CONFIG")
        .env_remove("AWS_PROFILE")
        .env("HOME", &home)
        .env("AWS_CONFIG_FILE", home.join("none"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("none"))
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_ENDPOINT_URL", &moto.endpoint)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .expect("run warroom");
    (
        String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

#[tokio::test]
async fn logs_over_regions_print_the_healthy_ones_and_name_the_failing_one() {
    let moto = Moto::start();
    let base = Clock::Wall.now() - 10 * 60_000;
    seed(&moto, base).await;
    let dir = std::env::temp_dir().join(format!("warroom-headless-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("config.toml");
    std::fs::write(&config, CONFIG).unwrap();

    let (out, err, rc) =
        run(&moto, &config, &["logs", "--correlation-id", "c-9f3a6e1d", "--since", "1h"]);
    assert_eq!(rc, 3, "partial result\nstdout:\n{out}\nstderr:\n{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines[0].contains("approving invoice") && lines[0].contains("eu-west-1"), "{out}");
    assert!(lines[1].contains("downstream timed out"), "the plain-text line too: {out}");
    assert!(err.contains("eu-central-1: "), "the failing region is named: {err}");
    assert!(err.contains("partial result: 1 of 2 regions failed"), "{err}");
    assert!(!err.contains("eu-west-1: "), "the healthy region is not blamed: {err}");

    // Only the failing region: an error naming it.
    let (out, err, rc) = run(
        &moto,
        &config,
        &["logs", "--correlation-id", "c-9f3a6e1d", "--since", "1h", "--region", "eu-central-1"],
    );
    assert_eq!(rc, 2, "stdout:\n{out}\nstderr:\n{err}");
    assert!(out.is_empty());
    assert!(err.contains("every region failed: eu-central-1: "), "{err}");

    // Only the healthy region: complete.
    let (out, err, rc) = run(
        &moto,
        &config,
        &["logs", "--correlation-id", "c-9f3a6e1d", "--since", "1h", "--region", "eu-west-1"],
    );
    assert_eq!(rc, 0, "stdout:\n{out}\nstderr:\n{err}");
    assert_eq!(out.lines().count(), 2);
}
