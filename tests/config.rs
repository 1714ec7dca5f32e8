//! The config file: `config.example.toml` is valid and complete, and every kind of mistake is
//! reported with the file, the line (where toml knows it) and the key or value at fault.
//!
//! Files are loaded by paths relative to the crate root (cargo runs integration tests there),
//! so the messages, and their snapshots, are the same on every machine.

use std::collections::BTreeMap;
use std::path::Path;
use warroom::app::{Action, Key, Keymap};
use warroom::config::{Config, ConfigError, SourceKind, parse};
use warroom::model::{Boundary, parse_hms};

const EXAMPLE_PATH: &str = "config.example.toml";
const EXAMPLE: &str = include_str!("../config.example.toml");
const DEFAULT_KEYS: &str = include_str!("../src/app/keys.toml");

fn fixture(name: &str) -> String {
    format!("tests/fixtures/config/{name}.toml")
}

/// The message of loading a fixture that must not load.
fn load_error(name: &str) -> String {
    let path = fixture(name);
    match Config::load(Some(Path::new(&path))) {
        Ok(_) => panic!("{path} loaded but should be rejected"),
        Err(e @ ConfigError::Invalid { .. }) => e.to_string(),
        Err(e) => panic!("{path}: expected an invalid-config error, got: {e}"),
    }
}

/// Assert that `msg` contains every one of `parts`, showing the message when it does not.
fn assert_mentions(msg: &str, parts: &[&str]) {
    for p in parts {
        assert!(msg.contains(p), "error message lacks {p:?}:\n{msg}");
    }
}

// --- the example --------------------------------------------------------------------------

#[test]
fn example_parses() {
    let file = parse(EXAMPLE).unwrap_or_else(|e| panic!("config.example.toml: {e}"));
    assert_eq!(file.source, Some(SourceKind::Demo), "the example must run without AWS");
    assert_eq!(file.services.len(), 3);
    let boundary = file.boundary.expect("the example has a [[boundary]]");
    assert_eq!(boundary.len(), 3);
    assert!(file.keys.is_some(), "the example has a [keys] table");
}

#[test]
fn example_loads_with_its_values() {
    let cfg = Config::load(Some(Path::new(EXAMPLE_PATH)))
        .unwrap_or_else(|e| panic!("config.example.toml: {e}"));
    assert_eq!(cfg.path.as_deref(), Some(Path::new(EXAMPLE_PATH)));
    assert_eq!(cfg.source, SourceKind::Demo);
    assert_eq!(cfg.theme, "dark");
    assert_eq!(cfg.scenario, "invoice-approval-timeout");
    assert_eq!(cfg.speed, 1.0);
    assert_eq!(cfg.at, parse_hms("09:20"));
    assert_eq!(cfg.seed, Some(20260312));
    assert_eq!(cfg.aws_profile.as_deref(), Some("default"));
    assert_eq!(cfg.refresh, 60_000);
    assert_eq!(cfg.window, 15 * 60_000);
    assert_eq!(cfg.baseline, 24 * 3_600_000);
    assert_eq!(cfg.correlation_fields, ["correlationId", "correlation_id", "x-correlation-id"]);

    // The boundary is the three continents with their six regions, in order.
    let regions: Vec<(&str, &str)> = cfg.boundary.regions().collect();
    assert_eq!(regions, Boundary::global().regions().collect::<Vec<_>>());
    assert_eq!(
        regions,
        [
            ("EU", "eu-west-1"),
            ("EU", "eu-central-1"),
            ("US", "us-east-1"),
            ("US", "us-west-2"),
            ("APAC", "ap-southeast-1"),
            ("APAC", "ap-northeast-1"),
        ]
    );

    // Services: a Lambda function on the Lambda defaults, and an API Gateway API.
    let names: Vec<&str> = cfg.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["invoice-approval-worker", "notification-service", "invoice-api"]);
    let worker = &cfg.services[0];
    assert_eq!(worker.namespace, "AWS/Lambda");
    assert_eq!(
        worker.dimensions,
        BTreeMap::from([("FunctionName".to_string(), "invoice-approval-worker".to_string())])
    );
    assert_eq!(
        (
            worker.requests_metric.as_str(),
            worker.errors_metric.as_str(),
            worker.latency_metric.as_str()
        ),
        ("Invocations", "Errors", "Duration")
    );
    assert!(worker.regions.is_empty(), "no regions means every region of the boundary");
    assert_eq!(worker.log_groups, ["/aws/lambda/invoice-approval-worker"]);
    assert_eq!(cfg.services[1].regions, ["eu-west-1", "eu-central-1"]);
    let api = &cfg.services[2];
    assert_eq!(api.namespace, "AWS/ApiGateway");
    assert_eq!(
        (api.requests_metric.as_str(), api.errors_metric.as_str(), api.latency_metric.as_str()),
        ("Count", "5XXError", "Latency")
    );
    assert_eq!(api.operations.len(), 2);
    let approve = &api.operations[0];
    assert_eq!(approve.name, "POST /invoices/{id}/approve");
    assert_eq!(
        approve.dimensions,
        BTreeMap::from([
            ("Method".to_string(), "POST".to_string()),
            ("Resource".to_string(), "/invoices/{id}/approve".to_string()),
        ])
    );

    // Every region a service names is inside the boundary.
    for s in &cfg.services {
        for r in &s.regions {
            assert!(cfg.boundary.contains(r), "{}: {r} is outside the boundary", s.name);
        }
    }
}

#[test]
fn example_keys_build_a_keymap() {
    let cfg = Config::load(Some(Path::new(EXAMPLE_PATH))).expect("example loads");
    assert_eq!(cfg.keys.len(), 1, "one active override: {:?}", cfg.keys);
    let help = &cfg.keys[0];
    assert_eq!(help.action, "help");
    assert_eq!(help.keys, ["?", "f1"]);
    let line =
        EXAMPLE.lines().position(|l| l.starts_with("help = ")).expect("the example binds help") + 1;
    assert_eq!(help.place, format!("{EXAMPLE_PATH}:{line}"));

    let keymap = Keymap::load(&cfg.keys).unwrap_or_else(|e| panic!("example [keys]: {e}"));
    let defaults = Keymap::load(&[]).expect("built-in keys");
    for a in Action::ALL {
        assert_eq!(keymap.keys(*a), defaults.keys(*a), "{}", a.name());
    }
    assert_eq!(keymap.action(Key::parse("?").unwrap()), Some(Action::Help));
    assert_eq!(keymap.action(Key::parse("f1").unwrap()), Some(Action::Help));
}

#[test]
fn example_sets_up_the_cockpit() {
    // What `warroom --config config.example.toml` does before it opens the terminal.
    let args =
        warroom::cli::CockpitArgs { config: Some(EXAMPLE_PATH.into()), ..Default::default() };
    let setup = warroom::cli::setup(&args).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(setup.config.source, SourceKind::Demo);
    assert_eq!(setup.theme.name, "dark");
    warroom::source::sim::Scenario::load(&setup.config.scenario).expect("the example's scenario");
}

#[test]
fn example_commented_key_override_is_valid_too() {
    // The commented-out example must also work when a user uncomments it.
    let line = EXAMPLE
        .lines()
        .find(|l| l.starts_with("# refresh = "))
        .expect("the example shows a refresh override");
    let text = format!("[keys]\n{}\n", &line[2..]);
    let path = std::env::temp_dir().join(format!("warroom-keys-{}.toml", std::process::id()));
    std::fs::write(&path, &text).expect("write temp config");
    let cfg = Config::load(Some(&path));
    let _ = std::fs::remove_file(&path);
    let cfg = cfg.expect("uncommented override loads");
    let keymap = Keymap::load(&cfg.keys).unwrap_or_else(|e| panic!("{text}: {e}"));
    for k in ["r", "ctrl-r", "f5"] {
        assert_eq!(keymap.action(Key::parse(k).unwrap()), Some(Action::Refresh), "{k}");
    }
}

#[test]
fn example_documents_every_action_with_its_default_keys() {
    let defaults: BTreeMap<String, Vec<String>> =
        toml::from_str(DEFAULT_KEYS).expect("src/app/keys.toml");
    assert_eq!(defaults.len(), Action::ALL.len());
    for (name, keys) in &defaults {
        let action = Action::from_name(name).expect("known action");
        let listed = format!("= {keys:?}");
        let documented = EXAMPLE.lines().any(|l| {
            l.strip_prefix("#   ")
                .and_then(|rest| rest.strip_prefix(name.as_str()))
                .is_some_and(|rest| rest.starts_with(' ') && rest.trim_start().starts_with(&listed))
        });
        assert!(documented, "config.example.toml does not document `{name} {listed}`");
        let first_words: String =
            action.describe().split_whitespace().take(3).collect::<Vec<_>>().join(" ");
        assert!(
            EXAMPLE.contains(&first_words),
            "config.example.toml does not describe `{name}` ({})",
            action.describe()
        );
    }
}

#[test]
fn no_file_means_the_defaults() {
    let cfg = Config::load(None).expect("defaults");
    assert!(cfg.path.is_none());
    assert_eq!(cfg.source, SourceKind::Demo);
    assert_eq!(cfg.theme, "dark");
    assert_eq!(cfg.window, 15 * 60_000);
    assert_eq!(cfg.baseline, 24 * 3_600_000);
    assert_eq!(cfg.refresh, 60_000);
    assert!(cfg.services.is_empty());
    assert!(cfg.keys.is_empty());
}

#[test]
fn empty_file_is_valid() {
    let file = parse("").expect("an empty file is valid");
    assert!(file.source.is_none() && file.services.is_empty() && file.keys.is_none());
}

#[test]
fn missing_file_names_the_path() {
    let path = fixture("does-not-exist");
    let err = Config::load(Some(Path::new(&path))).expect_err("missing file");
    assert!(matches!(err, ConfigError::Read { .. }), "{err:?}");
    assert_mentions(&err.to_string(), &["cannot read config file", &path]);
}

// --- mistakes ---------------------------------------------------------------------------

#[test]
fn unknown_top_level_key() {
    let msg = load_error("unknown-top-level-key");
    assert_mentions(
        &msg,
        &["tests/fixtures/config/unknown-top-level-key.toml", "line 3", "thme", "unknown field"],
    );
    insta::assert_snapshot!("unknown_top_level_key", msg);
}

#[test]
fn unknown_key_in_services() {
    let msg = load_error("unknown-service-key");
    assert_mentions(
        &msg,
        &["tests/fixtures/config/unknown-service-key.toml", "line 5", "dimension", "unknown field"],
    );
    insta::assert_snapshot!("unknown_key_in_services", msg);
}

#[test]
fn bad_region_name_in_boundary() {
    let msg = load_error("bad-region");
    assert_mentions(
        &msg,
        &["tests/fixtures/config/bad-region.toml", "line 4", "regions", "`europe-1`"],
    );
    insta::assert_snapshot!("bad_region_name_in_boundary", msg);
}

#[test]
fn region_typo_in_a_service_names_the_nearest_region() {
    let msg = load_error("service-region-typo");
    assert_mentions(
        &msg,
        &[
            "tests/fixtures/config/service-region-typo.toml",
            "line 10",
            "`regions`",
            "`eu-centrl-1`",
            "did you mean `eu-central-1`?",
        ],
    );
    insta::assert_snapshot!("service_region_typo", msg);
}

#[test]
fn region_typo_in_the_boundary_names_the_nearest_region() {
    let msg = load_error("boundary-region-typo");
    assert_mentions(
        &msg,
        &[
            "tests/fixtures/config/boundary-region-typo.toml",
            "line 4",
            "`eu-wset-1`",
            "did you mean `eu-west-1`?",
        ],
    );
    insta::assert_snapshot!("boundary_region_typo", msg);
}

#[test]
fn a_service_outside_the_boundary_is_an_error() {
    let msg = load_error("service-outside-boundary");
    assert_mentions(
        &msg,
        &[
            "tests/fixtures/config/service-outside-boundary.toml",
            "line 15",
            "services[1].regions",
            "invoice-approval-worker",
            "us-east-1 is outside the boundary (eu-west-1, eu-central-1)",
        ],
    );
    insta::assert_snapshot!("service_outside_boundary", msg);
}

#[test]
fn discovery_is_chosen_under_aws() {
    use warroom::config::Discover;
    let file = parse("[aws]\ndiscover = \"application-signals\"\n").expect("parses");
    assert_eq!(file.aws.and_then(|a| a.discover), Some(Discover::ApplicationSignals));
    let file = parse("[aws]\ndiscover = \"lambda\"\n").expect("parses");
    assert_eq!(file.aws.and_then(|a| a.discover), Some(Discover::Lambda));
    let err = parse("[aws]\ndiscover = \"appsignals\"\n").expect_err("a typo");
    assert_mentions(&err, &["line 2", "discover", "application-signals", "lambda"]);
}

#[test]
fn every_known_region_is_accepted_and_near_misses_are_corrected() {
    use warroom::config::{AWS_REGIONS, nearest_region, region_problem};
    for r in AWS_REGIONS {
        assert_eq!(region_problem(r), None, "{r}");
        assert_eq!(nearest_region(r), *r);
    }
    for r in Boundary::global().regions().map(|(_, r)| r) {
        assert!(AWS_REGIONS.contains(&r), "{r}");
    }
    for (typo, meant) in [
        ("eu-centrl-1", "eu-central-1"),
        ("us-east1", "us-east-1"),
        ("EU-WEST-1", "eu-west-1"),
        ("ap-southest-1", "ap-southeast-1"),
        ("us-west-3", "us-west-1"),
    ] {
        assert_eq!(nearest_region(typo), meant, "{typo}");
        assert!(region_problem(typo).is_some_and(|p| p.contains(meant)), "{typo}");
    }
}

#[test]
fn bad_window() {
    let msg = load_error("bad-window");
    assert_mentions(
        &msg,
        &["tests/fixtures/config/bad-window.toml", "line 3", "default", "`7m`", "15m, 1h, 6h, 24h"],
    );
    insta::assert_snapshot!("bad_window", msg);
}

#[test]
fn refresh_too_short() {
    let msg = load_error("refresh-too-short");
    assert_mentions(
        &msg,
        &["tests/fixtures/config/refresh-too-short.toml", "line 3", "refresh", "\"1s\"", "10s"],
    );
    insta::assert_snapshot!("refresh_too_short", msg);
}

#[test]
fn wrong_type() {
    let msg = load_error("wrong-type");
    assert_mentions(
        &msg,
        &["tests/fixtures/config/wrong-type.toml", "line 3", "speed", "\"fast\""],
    );
    insta::assert_snapshot!("wrong_type", msg);
}

#[test]
fn malformed_toml() {
    let msg = load_error("malformed");
    assert_mentions(&msg, &["tests/fixtures/config/malformed.toml", "line 2", "[boundary"]);
    insta::assert_snapshot!("malformed_toml", msg);
}

#[test]
fn duplicate_region_in_boundary() {
    let msg = load_error("duplicate-region");
    // Checked while the boundary is parsed, so toml reports the line of `[[boundary]]`.
    assert_mentions(
        &msg,
        &[
            "tests/fixtures/config/duplicate-region.toml",
            "line 2",
            "boundary",
            "eu-west-1",
            "twice",
        ],
    );
    insta::assert_snapshot!("duplicate_region_in_boundary", msg);
}

#[test]
fn key_binding_conflict() {
    let path = fixture("key-conflict");
    // The file itself is well-formed; the conflict shows when the keymap is built.
    let cfg = Config::load(Some(Path::new(&path))).expect("key-conflict.toml loads");
    let msg = Keymap::load(&cfg.keys).expect_err("j is bound to down and to help");
    assert_mentions(
        &msg,
        &["`j`", "`down` (built-in keys)", "`help` (tests/fixtures/config/key-conflict.toml:3)"],
    );
    insta::assert_snapshot!("key_binding_conflict", msg);
}

// --- the README ---------------------------------------------------------------------------

#[test]
fn readme_lists_every_action_command_and_flag() {
    let readme = include_str!("../README.md");
    let defaults: BTreeMap<String, Vec<String>> =
        toml::from_str(DEFAULT_KEYS).expect("src/app/keys.toml");
    for (name, keys) in &defaults {
        let action = Action::from_name(name).expect("known action");
        let row = readme
            .lines()
            .find(|l| l.starts_with(&format!("| `{name}`")))
            .unwrap_or_else(|| panic!("README.md has no row for the action `{name}`"));
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let listed: Vec<String> =
            cells[2].split(", ").map(|k| k.trim_matches('`').to_string()).collect();
        assert_eq!(&listed, keys, "README.md keys of `{name}`");
        assert!(cells[3].starts_with(action.describe()), "README.md describes `{name}`: {row}");
    }
    for (command, _) in warroom::ui::COMMANDS {
        let cell = format!("`{}`", command.replace('|', "\\|"));
        assert!(readme.contains(&cell), "README.md lacks the command {command}");
    }
    // The keys of a prompt and the mouse, as help lists them: a row each, same words.
    for (keys, what) in warroom::ui::PROMPT_KEYS.iter().chain(warroom::ui::MOUSE) {
        let row = readme
            .lines()
            .find(|l| l.starts_with(&format!("| `{keys}`")))
            .unwrap_or_else(|| panic!("README.md has no row for `{keys}`"));
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        assert_eq!(cells[2], *what, "README.md describes `{keys}`: {row}");
    }
    let cli =
        <warroom::cli::CockpitArgs as clap::Args>::augment_args(clap::Command::new("warroom"));
    for arg in cli.get_arguments() {
        if let Some(long) = arg.get_long() {
            assert!(readme.contains(&format!("`--{long}")), "README.md lacks the flag --{long}");
        }
    }
}

#[test]
fn bad_redaction_pattern_and_kind() {
    let msg = load_error("bad-redact-pattern");
    assert_mentions(
        &msg,
        &["tests/fixtures/config/bad-redact-pattern.toml", "line 6", "phone", "unclosed"],
    );
    let msg = load_error("bad-redact-kind");
    assert_mentions(
        &msg,
        &["tests/fixtures/config/bad-redact-kind.toml", "line 3", "Tenant Id", "lower-case"],
    );
}

#[test]
fn redaction_config_merges_over_the_defaults() {
    let cfg = Config::load(Some(Path::new(EXAMPLE_PATH))).expect("example");
    let kinds: Vec<&str> = cfg.redact.patterns.iter().map(|(k, _)| k.as_str()).collect();
    // The example adds `phone` and keeps the default kinds.
    assert!(kinds.contains(&"phone") && kinds.contains(&"email") && kinds.contains(&"secret"));
    let r = warroom::redact::Redactor::new(&cfg.redact).unwrap();
    assert_eq!(r.text("call +44 20 7946 0958 now"), "call phone-#1 now");
    assert_eq!(r.field("tenantId", "tenant-42"), "tenant-#1");
}

#[test]
fn durations_are_bounded() {
    // Too long for the clock: named with its file, line and key, never a panic.
    let msg = load_error("baseline-too-long");
    assert_mentions(
        &msg,
        &["tests/fixtures/config/baseline-too-long.toml", "line 2", "baseline", "500000000y"],
    );
    // A century: a valid duration, but not a baseline.
    let msg = load_error("baseline-a-century");
    assert_mentions(
        &msg,
        &[
            "tests/fixtures/config/baseline-a-century.toml",
            "line 3",
            "baseline",
            "36500d",
            "7 days",
        ],
    );
    assert!(warroom::config::parse_duration("500000000y").is_err());
    assert!(warroom::config::parse_duration("9223372036854775807ms").is_err());
    assert_eq!(warroom::config::parse_duration("30d"), Ok(30 * 86_400_000));
}

// --- service level objectives -------------------------------------------------------------

#[test]
fn slo_errors_name_the_file_line_and_key() {
    let msg = load_error("slo-bad-target");
    assert_mentions(
        &msg,
        &["tests/fixtures/config/slo-bad-target.toml", "line 2", "slo", "target 150"],
    );
    let msg = load_error("slo-latency-without-threshold");
    assert_mentions(&msg, &["slo-latency-without-threshold.toml", "line 6", "needs threshold"]);
    let msg = load_error("slo-region-outside");
    assert_mentions(
        &msg,
        &["slo-region-outside.toml", "line 5", "`slo.region`", "us-east-1", "approvals"],
    );
}

#[test]
fn example_slos_load() {
    use warroom::analysis::slo::Sli;
    let cfg = Config::load(Some(Path::new(EXAMPLE_PATH))).expect("example");
    assert!(cfg.slos.len() >= 2, "{:?}", cfg.slos);
    let a = &cfg.slos[0];
    assert_eq!(
        (a.service.as_str(), a.target, a.sli.clone()),
        ("invoice-approval-worker", 99.5, Sli::Availability)
    );
    assert_eq!(a.period, 30 * 24 * 3_600_000);
    assert!(a.origin.starts_with("config.example.toml:"), "{}", a.origin);
    assert!(
        cfg.slos
            .iter()
            .any(|o| matches!(o.sli, Sli::Latency { threshold_ms } if threshold_ms == 8000.0))
    );
}
