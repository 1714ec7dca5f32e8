//! CloudWatch Logs source against a local moto server: real HTTP round trips for
//! `FilterLogEvents`, `DescribeLogGroups` and Live Tail (through [`StripHostPrefix`]).
//!
//! moto evaluates quoted terms as CloudWatch does (and ignores JSON patterns): the correlation
//! pattern is shown to select the JSON and the plain-text lines of a request on the server,
//! and the local filtering to narrow them to exactly that request's lines. Seeding uses the mutating APIs; the
//! source itself never does.

mod moto;

use aws_sdk_cloudwatchlogs::Client;
use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use moto::Moto;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use warroom::config::ServiceConfig;
use warroom::model::logline::LineParser;
use warroom::model::logstore::LogFilter;
use warroom::model::{Boundary, Clock, Continent, Level, LogEvent, Millis};
use warroom::source::aws::{CloudWatchLogs, FollowTiming, StripHostPrefix, correlation_pattern};
use warroom::source::{LogBatch, LogQuery, LogSource, LogUpdate, SourceErrorKind};

const ESC_LINE: &str = "WARN \u{1b}[31mretrying payment\u{1b}[0m for c-1";

fn service(name: &str, regions: &[&str], groups: &[&str]) -> ServiceConfig {
    ServiceConfig {
        name: name.into(),
        namespace: "AWS/Lambda".into(),
        dimensions: Default::default(),
        requests_metric: "Invocations".into(),
        errors_metric: "Errors".into(),
        latency_metric: "Duration".into(),
        regions: regions.iter().map(|r| r.to_string()).collect(),
        log_groups: groups.iter().map(|g| g.to_string()).collect(),
        operations: vec![],
    }
}

fn services() -> Vec<ServiceConfig> {
    vec![
        service("api", &[], &["/warroom/api"]),
        service("worker", &[], &["/warroom/worker"]),
        service("billing", &["us-west-2"], &["/warroom/billing"]),
    ]
}

fn eu_west_1_only() -> Boundary {
    Boundary {
        continents: vec![Continent { name: "EU".into(), regions: vec!["eu-west-1".into()] }],
    }
}

fn json(cid_field: &str, cid: &str, msg: &str) -> String {
    format!(r#"{{"level":"info","{cid_field}":"{cid}","message":"{msg}"}}"#)
}

/// One line to seed: region, group, stream, offset from the base time, text.
type Seed = (&'static str, &'static str, &'static str, Millis, String);

fn seeds() -> Vec<Seed> {
    vec![
        ("eu-west-1", "/warroom/api", "i-1", 1_000, json("correlationId", "c-1", "GET /cart")),
        ("eu-west-1", "/warroom/api", "i-2", 2_000, "INFO health check ok".into()),
        ("eu-west-1", "/warroom/api", "i-1", 3_000, json("correlationId", "c-2", "GET /home")),
        (
            "eu-west-1",
            "/warroom/worker",
            "w-1",
            4_000,
            r#"{"service":"worker-v2","correlation_id":"c-1","msg":"approved"}"#.into(),
        ),
        ("eu-west-1", "/warroom/api", "i-1", 5_000, ESC_LINE.into()),
        ("eu-west-1", "/warroom/api", "i-2", 6_000, json("correlationId", "c-2", "saw c-1 once")),
        ("eu-west-1", "/warroom/api", "i-1", 7_000, json("correlationId", "c-1", "200 OK")),
        ("eu-west-1", "/warroom/worker", "w-1", 8_000, json("correlationId", "c-3", "idle")),
        // Outside the boundary: the same group name and the same request, and a group of a
        // service that runs only there.
        ("us-west-2", "/warroom/api", "i-9", 1_500, json("correlationId", "c-1", "WRONG REGION")),
        (
            "us-west-2",
            "/warroom/billing",
            "b-1",
            2_500,
            json("correlationId", "c-1", "WRONG REGION"),
        ),
    ]
}

/// Create the groups and streams and put the lines (test-only, mutating calls).
async fn seed(moto: &Moto, base: Millis, lines: &[Seed]) {
    let mut streams: BTreeSet<(&str, &str, &str)> = BTreeSet::new();
    let mut groups: BTreeSet<(&str, &str)> = BTreeSet::new();
    for (region, group, stream, _, _) in lines {
        groups.insert((region, group));
        streams.insert((region, group, stream));
    }
    for region in ["eu-west-1", "us-west-2"] {
        let c = Client::new(&moto.sdk_config(region).await);
        for (_, group) in groups.iter().filter(|(r, _)| *r == region) {
            c.create_log_group().log_group_name(*group).send().await.expect("create group");
        }
        for (_, group, stream) in streams.iter().filter(|(r, _, _)| *r == region) {
            c.create_log_stream()
                .log_group_name(*group)
                .log_stream_name(*stream)
                .send()
                .await
                .expect("create stream");
            let events: Vec<InputLogEvent> = lines
                .iter()
                .filter(|(r, g, s, _, _)| (r, g, s) == (&region, group, stream))
                .map(|(_, _, _, dt, line)| {
                    InputLogEvent::builder().timestamp(base + dt).message(line).build().unwrap()
                })
                .collect();
            c.put_log_events()
                .log_group_name(*group)
                .log_stream_name(*stream)
                .set_log_events(Some(events))
                .send()
                .await
                .expect("put events");
        }
    }
}

async fn source(moto: &Moto, services: &[ServiceConfig]) -> CloudWatchLogs {
    // The loader's region is not used: the source makes one client per boundary region.
    let shared = moto.sdk_config("us-west-2").await;
    CloudWatchLogs::from_sdk_config(&shared, &eu_west_1_only(), services, LineParser::default())
        .expect("source")
        .with_follow_timing(FollowTiming {
            poll_every: Duration::from_millis(100),
            backoff_min: Duration::from_millis(200),
            backoff_max: Duration::from_millis(400),
            ..FollowTiming::default()
        })
}

fn summary(events: &[LogEvent]) -> Vec<(Millis, String, String, String)> {
    events.iter().map(|e| (e.at, e.service.clone(), e.region.clone(), e.raw.clone())).collect()
}

/// The seeds at `indexes` as `summary` shows them when read back from eu-west-1.
fn expected(base: Millis, rows: &[(usize, &str)]) -> Vec<(Millis, String, String, String)> {
    let all = seeds();
    rows.iter()
        .map(|(i, svc)| (base + all[*i].3, svc.to_string(), "eu-west-1".into(), all[*i].4.clone()))
        .collect()
}

fn window(base: Millis, cid: Option<&str>) -> LogQuery {
    LogQuery {
        region: "eu-west-1".into(),
        correlation_id: cid.map(str::to_string),
        from: base,
        to: base + 60_000,
        limit: 100,
    }
}

async fn next_batch(rx: &mut mpsc::Receiver<LogUpdate>) -> LogBatch {
    loop {
        match tokio::time::timeout(Duration::from_secs(20), rx.recv()).await {
            Ok(Some(Ok(batch))) if !batch.events.is_empty() => return batch,
            Ok(Some(Ok(_))) => continue,
            Ok(Some(Err(e))) => panic!("follow reported {e:?}"),
            Ok(None) => panic!("follow stopped"),
            Err(_) => panic!("no lines from follow within 20 s"),
        }
    }
}

/// Follow `q` until the first batch with lines, then close the sink; the follow must end.
async fn follow_once(src: &Arc<CloudWatchLogs>, q: LogQuery) -> LogBatch {
    let (tx, mut rx) = mpsc::channel::<LogUpdate>(64);
    let follow = {
        let src = src.clone();
        tokio::spawn(async move { src.follow(q, Clock::Wall, tx).await })
    };
    let first = next_batch(&mut rx).await;
    drop(rx);
    tokio::time::timeout(Duration::from_secs(10), follow).await.expect("follow ended").unwrap();
    first
}

#[tokio::test]
async fn the_correlation_pattern_selects_json_and_plain_text_lines_on_the_server() {
    let moto = Moto::start();
    let base = Clock::Wall.now() - 10 * 60_000;
    seed(&moto, base, &seeds()).await;
    let c = Client::new(&moto.sdk_config("eu-west-1").await);
    let pattern = correlation_pattern("c-1").expect("a pattern");
    assert_eq!(pattern, r#""c-1""#);
    let mut raw: Vec<String> = Vec::new();
    for group in ["/warroom/api", "/warroom/worker"] {
        let out = c
            .filter_log_events()
            .log_group_name(group)
            .start_time(base)
            .end_time(base + 60_000)
            .filter_pattern(&pattern)
            .send()
            .await
            .expect("filter");
        raw.extend(out.events().iter().filter_map(|e| e.message().map(str::to_string)));
    }
    raw.sort();
    let all = seeds();
    let mut want: Vec<String> = [0, 3, 4, 5, 6].iter().map(|i| all[*i].4.clone()).collect();
    want.sort();
    // The JSON lines with the id in `correlationId` or `correlation_id`, the plain-text line
    // (a JSON pattern would miss it on AWS), and a line only mentioning the id (dropped by
    // the local filter); nothing without the id.
    assert_eq!(raw, want);
    assert!(raw.iter().any(|l| l == ESC_LINE), "the plain-text line is found");
}

#[tokio::test]
async fn fetch_returns_one_request_from_the_boundary_only() {
    let moto = Moto::start();
    let base = Clock::Wall.now() - 10 * 60_000;
    seed(&moto, base, &seeds()).await;
    let src = source(&moto, &services()).await;
    assert_eq!(src.regions(), ["eu-west-1"], "no client for us-west-2");

    let batch = src.fetch(window(base, Some("c-1"))).await.expect("fetch c-1");
    assert_eq!(
        summary(&batch.events),
        expected(base, &[(0, "api"), (3, "worker-v2"), (4, "api"), (6, "api")]),
        "exactly request c-1, in time order"
    );
    assert!(!batch.truncated && !batch.sampled);
    let filter = LogFilter { correlation_id: Some("c-1".into()), ..LogFilter::default() };
    assert!(batch.events.iter().all(|e| filter.matches(e)));
    let esc = &batch.events[2];
    assert_eq!(esc.raw, ESC_LINE, "the line is kept as written; the UI sanitizes it");
    assert_eq!(esc.level, Level::Warn);
    assert_eq!(batch.events[3].correlation_id.as_deref(), Some("c-1"));

    // Everything of the window: the eight eu-west-1 lines, none from us-west-2.
    let all = src.fetch(window(base, None)).await.expect("fetch all");
    assert_eq!(
        summary(&all.events),
        expected(
            base,
            &[
                (0, "api"),
                (1, "api"),
                (2, "api"),
                (3, "worker-v2"),
                (4, "api"),
                (5, "api"),
                (6, "api"),
                (7, "worker")
            ]
        )
    );
    let newest = src.fetch(LogQuery { limit: 3, ..window(base, None) }).await.unwrap();
    assert_eq!(newest.events, all.events[5..]);
    assert!(newest.truncated);

    let err = src
        .fetch(LogQuery { region: "us-west-2".into(), ..window(base, Some("c-1")) })
        .await
        .expect_err("us-west-2 is outside");
    assert_eq!(err.kind, SourceErrorKind::Invalid);
}

#[tokio::test]
async fn follow_uses_live_tail_within_the_boundary() {
    // moto 5.2.5 resolves every Live Tail ARN to the region's last created group, so this test
    // gives eu-west-1 a single group: the api lines.
    let moto = Moto::start();
    let base = Clock::Wall.now() - 10 * 60_000;
    let lines: Vec<Seed> =
        seeds().into_iter().filter(|s| s.0 == "us-west-2" || s.1 == "/warroom/api").collect();
    seed(&moto, base, &lines).await;
    let services: Vec<ServiceConfig> =
        services().into_iter().filter(|s| s.name != "worker").collect();
    let src = Arc::new(source(&moto, &services).await);
    assert_eq!(src.regions(), ["eu-west-1"], "no client for us-west-2");

    // Following from `base`: the lines since then come (the first poll of a session), Live
    // Tail replays them in one update and ends the stream; the session is started again and
    // moto replays them again. They are shown once: after the restarts only a new line comes,
    // once.
    let now = Clock::Wall.now();
    let q = LogQuery { from: base, to: base, ..window(base, None) };
    let (tx, mut rx) = mpsc::channel::<LogUpdate>(64);
    let follow = {
        let (src, q) = (src.clone(), q.clone());
        tokio::spawn(async move { src.follow(q, Clock::Wall, tx).await })
    };
    let first = next_batch(&mut rx).await;
    assert!(!first.sampled && !first.truncated);
    let api = [(0, "api"), (1, "api"), (2, "api"), (4, "api"), (5, "api"), (6, "api")];
    assert_eq!(summary(&first.events), expected(base, &api));
    let c = Client::new(&moto.sdk_config("eu-west-1").await);
    let fresh = json("correlationId", "c-4", "new after the restart");
    c.put_log_events()
        .log_group_name("/warroom/api")
        .log_stream_name("i-2")
        .log_events(
            InputLogEvent::builder().timestamp(base + 9_000).message(&fresh).build().unwrap(),
        )
        .send()
        .await
        .expect("put a new line");
    let second = next_batch(&mut rx).await;
    assert_eq!(
        summary(&second.events),
        [(base + 9_000, "api".to_string(), "eu-west-1".to_string(), fresh.clone())],
        "only the new line; the replayed ones are not repeated"
    );
    // Several more restarts (backoff 200-400 ms) replay everything again: nothing is shown.
    let quiet = tokio::time::timeout(Duration::from_millis(2_500), async {
        loop {
            match rx.recv().await {
                Some(Ok(b)) if b.events.is_empty() => continue,
                other => return other,
            }
        }
    })
    .await;
    assert!(quiet.is_err(), "no repeats after restarts, got {quiet:?}");
    drop(rx);
    tokio::time::timeout(Duration::from_secs(10), follow).await.expect("follow ended").unwrap();

    // One request: filtered like `fetch`.
    let q = LogQuery { correlation_id: Some("c-1".into()), ..q };
    let only = follow_once(&src, q.clone()).await;
    assert_eq!(summary(&only.events), expected(base, &[(0, "api"), (4, "api"), (6, "api")]));
    assert_eq!(only.events[1].raw, ESC_LINE);
    // Following from now: the replayed history is the caller's (read with `fetch`), not shown.
    let (tx, mut rx) = mpsc::channel::<LogUpdate>(64);
    let follow = {
        let (src, q) = (src.clone(), LogQuery { from: now, to: now, ..q.clone() });
        tokio::spawn(async move { src.follow(q, Clock::Wall, tx).await })
    };
    let replay = tokio::time::timeout(Duration::from_millis(1_500), async {
        loop {
            match rx.recv().await {
                Some(Ok(b)) if b.events.is_empty() => continue,
                other => return other,
            }
        }
    })
    .await;
    assert!(replay.is_err(), "history before `from` is not followed: {replay:?}");
    drop(rx);
    tokio::time::timeout(Duration::from_secs(10), follow).await.expect("follow ended").unwrap();

    // Outside the boundary: an error, no lines.
    let (tx, mut rx) = mpsc::channel::<LogUpdate>(4);
    let q = LogQuery { region: "us-west-2".into(), from: now, to: now, ..window(base, None) };
    let follow = {
        let src = src.clone();
        tokio::spawn(async move { src.follow(q, Clock::Wall, tx).await })
    };
    let first = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await.unwrap().unwrap();
    assert_eq!(first.unwrap_err().kind, SourceErrorKind::Invalid);
    drop(rx);
    tokio::time::timeout(Duration::from_secs(5), follow).await.expect("follow ended").unwrap();
}

#[tokio::test]
async fn live_tail_needs_the_host_prefix_stripped_on_a_local_endpoint() {
    let moto = Moto::start();
    let shared = moto.sdk_config("eu-west-1").await;
    let c = Client::new(&shared);
    c.create_log_group().log_group_name("/warroom/api").send().await.unwrap();
    let groups = c.describe_log_groups().send().await.unwrap();
    let arn = groups.log_groups()[0].log_group_arn().expect("ARN").to_string();

    // Without the interceptor the SDK sends Live Tail to `stream-127.0.0.1`.
    let plain = tokio::time::timeout(
        Duration::from_secs(10),
        Client::new(&shared).start_live_tail().log_group_identifiers(&arn).send(),
    )
    .await;
    assert!(!matches!(plain, Ok(Ok(_))), "stream-127.0.0.1 should not be reachable");

    let conf =
        aws_sdk_cloudwatchlogs::config::Builder::from(&shared).interceptor(StripHostPrefix).build();
    let mut out = Client::from_conf(conf)
        .start_live_tail()
        .log_group_identifiers(&arn)
        .send()
        .await
        .expect("Live Tail through the interceptor");
    let first = tokio::time::timeout(Duration::from_secs(10), out.response_stream.recv())
        .await
        .expect("an event")
        .expect("a good event");
    assert!(first.is_some());

    // A reset server has no groups: the source says which one is missing and what to check.
    moto.reset();
    let src = CloudWatchLogs::from_sdk_config(
        &shared,
        &eu_west_1_only(),
        &services(),
        LineParser::default(),
    )
    .expect("source");
    let now = Clock::Wall.now();
    let err = src
        .fetch(LogQuery {
            region: "eu-west-1".into(),
            correlation_id: None,
            from: now - 60_000,
            to: now,
            limit: 10,
        })
        .await
        .expect_err("no such group");
    assert!(err.message.contains("/warroom/api"), "{}", err.message);
    assert!(err.hint.as_deref().is_some_and(|h| h.contains("log-groups")), "{:?}", err.hint);
}
