//! Credentials as the AWS CLI resolves them, with the real providers of the SDK reading real
//! files: an explicit profile wins over environment keys, an unknown profile is refused
//! before any call, and every credential failure is one line naming its fix (short enough
//! for the status line of a 160-column terminal, hint included).
//!
//! The process environment is shared by the tests of this file, so each takes `ENV` first
//! and sets the variables it needs from a clean slate. No test reaches the network: the
//! endpoint is a closed port on 127.0.0.1 and credentials fail before a request is sent.

use aws_sdk_cloudwatchlogs::Client;
use aws_sdk_cloudwatchlogs::error::ErrorMetadata;
use aws_sdk_cloudwatchlogs::operation::filter_log_events::FilterLogEventsError;
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use warroom::config::ServiceConfig;
use warroom::model::logline::LineParser;
use warroom::model::{Boundary, Continent};
use warroom::source::aws::{CloudWatchLogs, LogGroups, check_profile, load_sdk_config};
use warroom::source::{LogQuery, LogSource, SourceError, SourceErrorKind};

static ENV: Mutex<()> = Mutex::new(());

const VARS: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_ENDPOINT_URL",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_EC2_METADATA_DISABLED",
    "HOME",
];

/// A scratch folder with `files` written into it (paths relative to it).
fn scratch(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("warroom-creds-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (path, text) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().expect("a file has a folder")).expect("mkdir");
        std::fs::write(&p, text).expect("write fixture");
    }
    std::fs::create_dir_all(&dir).expect("mkdir");
    dir
}

/// Run `body` with exactly `vars` set among the AWS variables (HOME is `home`).
fn with_env<T>(home: &Path, vars: &[(&str, String)], body: impl FnOnce() -> T) -> T {
    let _guard = ENV.lock().unwrap_or_else(|e| e.into_inner());
    // SAFETY: every test of this binary holds `ENV` while it touches or reads the environment,
    // and sets it before its runtime (and any thread reading it) starts.
    unsafe {
        for v in VARS {
            std::env::remove_var(v);
        }
        std::env::set_var("HOME", home);
        std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
        std::env::set_var("AWS_CONFIG_FILE", home.join(".aws/config"));
        std::env::set_var("AWS_SHARED_CREDENTIALS_FILE", home.join(".aws/credentials"));
        std::env::set_var("AWS_ENDPOINT_URL", "http://127.0.0.1:9");
        for (k, v) in vars {
            std::env::set_var(k, v);
        }
    }
    body()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime")
}

fn eu() -> Boundary {
    Boundary {
        continents: vec![Continent { name: "EU".into(), regions: vec!["eu-west-1".into()] }],
    }
}

fn worker() -> ServiceConfig {
    ServiceConfig {
        name: "invoice-approval-worker".into(),
        namespace: "AWS/Lambda".into(),
        dimensions: BTreeMap::new(),
        requests_metric: "Invocations".into(),
        errors_metric: "Errors".into(),
        latency_metric: "Duration".into(),
        regions: vec![],
        log_groups: vec!["/aws/lambda/invoice-approval-worker".into()],
        operations: vec![],
    }
}

fn query() -> LogQuery {
    LogQuery {
        region: "eu-west-1".into(),
        correlation_id: None,
        from: 1_700_000_000_000,
        to: 1_700_000_060_000,
        limit: 100,
    }
}

/// The error of one `FilterLogEvents` made through the SDK config `profile` resolves to.
async fn fetch_error(profile: Option<&str>) -> SourceError {
    let shared = load_sdk_config(profile).await;
    let logs = CloudWatchLogs::from_sdk_config(&shared, &eu(), &[worker()], LineParser::default())
        .expect("clients");
    logs.fetch(query()).await.expect_err("the credentials cannot work")
}

/// What the status line shows of an error: `⚠ source: message — hint`, one line that fits
/// in 160 columns with room for the age.
fn assert_fits(e: &SourceError) {
    let line = format!(
        "⚠ cloudwatch: {} (failed 12s ago) — {}",
        e.message,
        e.hint.as_deref().unwrap_or("")
    );
    assert!(!line.contains('\n'), "{line}");
    assert!(line.chars().count() <= 160, "{} columns: {line}", line.chars().count());
}

const PROFILES: &str = "[default]\nregion = eu-west-1\n\n[profile ops]\nregion = eu-west-1\n";
const CREDENTIALS: &str = "[default]\naws_access_key_id = AKIADEFAULT000000000\naws_secret_access_key = default-secret\n\n[ops]\naws_access_key_id = AKIAOPSPROFILE000000\naws_secret_access_key = ops-secret\n";

async fn access_key(profile: Option<&str>) -> String {
    use aws_sdk_cloudwatchlogs::config::ProvideCredentials;
    let shared = load_sdk_config(profile).await;
    let provider = shared.credentials_provider().expect("a credentials provider");
    provider.provide_credentials().await.expect("credentials").access_key_id().to_string()
}

#[test]
fn an_explicit_profile_wins_over_environment_keys() {
    let home =
        scratch("precedence", &[(".aws/config", PROFILES), (".aws/credentials", CREDENTIALS)]);
    let env = [
        ("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENT00000".to_string()),
        ("AWS_SECRET_ACCESS_KEY", "env-secret".to_string()),
    ];
    with_env(&home, &env, || {
        runtime().block_on(async {
            // `--profile ops`: the profile's key, as `aws --profile ops` uses.
            assert_eq!(access_key(Some("ops")).await, "AKIAOPSPROFILE000000");
            // No profile: the environment's keys come first, as for the AWS CLI.
            assert_eq!(access_key(None).await, "AKIAENVIRONMENT00000");
        })
    });
    // AWS_PROFILE without keys in the environment selects the profile.
    with_env(&home, &[("AWS_PROFILE", "ops".to_string())], || {
        runtime().block_on(async {
            assert_eq!(access_key(None).await, "AKIAOPSPROFILE000000");
        })
    });
}

#[test]
fn an_unknown_profile_is_refused_before_any_call() {
    let home = scratch("unknown", &[(".aws/config", PROFILES), (".aws/credentials", CREDENTIALS)]);
    with_env(&home, &[], || {
        runtime().block_on(async {
            assert_eq!(check_profile("ops").await, Ok(()));
            assert_eq!(check_profile("default").await, Ok(()));
            let err = check_profile("does-not-exist").await.expect_err("not defined");
            assert!(err.contains("AWS profile `does-not-exist` is not in"), "{err}");
            assert!(err.contains(".aws/config"), "{err}");
            assert!(err.contains("defined: default, ops"), "{err}");
            assert!(err.contains("aws configure --profile does-not-exist"), "{err}");
            assert!(!err.contains('\n'), "{err}");
        })
    });
}

/// The SSO session `corp`'s cached token (`~/.aws/sso/cache/<sha1 of "corp">.json`), expired
/// and without a refresh token, as `aws sso login` leaves it hours later.
const SSO_CONFIG: &str = "[profile sso-dev]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = ReadOnly\nregion = eu-west-1\n\n[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\nsso_registration_scopes = sso:account:access\n";
const SSO_TOKEN: &str = r#"{"startUrl": "https://corp.awsapps.com/start", "region": "eu-west-1", "accessToken": "aoa-expired", "expiresAt": "2024-01-01T00:00:00Z"}"#;

#[test]
fn an_expired_sso_session_names_the_login_command() {
    let home = scratch(
        "sso",
        &[
            (".aws/config", SSO_CONFIG),
            (".aws/credentials", ""),
            (".aws/sso/cache/ee0bfd2552fbd840c02cc48b6e823320543c450f.json", SSO_TOKEN),
        ],
    );
    with_env(&home, &[], || {
        runtime().block_on(async {
            let e = fetch_error(Some("sso-dev")).await;
            assert_eq!(e.kind, SourceErrorKind::Auth);
            assert_eq!(
                e.message,
                "CloudWatch Logs FilterLogEvents: the SSO session of profile sso-dev has expired"
            );
            assert_eq!(e.hint.as_deref(), Some("run `aws sso login --profile sso-dev`"));
            assert_fits(&e);
        })
    });
    // Never logged in: no cached token at all.
    let home = scratch("sso-none", &[(".aws/config", SSO_CONFIG), (".aws/credentials", "")]);
    with_env(&home, &[("AWS_PROFILE", "sso-dev".to_string())], || {
        runtime().block_on(async {
            let e = fetch_error(None).await;
            assert_eq!(e.kind, SourceErrorKind::Auth);
            assert!(e.message.contains("SSO session of profile sso-dev"), "{}", e.message);
            assert_eq!(e.hint.as_deref(), Some("run `aws sso login --profile sso-dev`"));
            assert_fits(&e);
        })
    });
}

#[test]
fn missing_credentials_say_how_to_get_some() {
    let home = scratch("none", &[(".aws/config", ""), (".aws/credentials", "")]);
    with_env(&home, &[], || {
        runtime().block_on(async {
            let e = fetch_error(None).await;
            assert_eq!(e.kind, SourceErrorKind::Auth);
            assert_eq!(e.message, "CloudWatch Logs FilterLogEvents: no AWS credentials found");
            let hint = e.hint.as_deref().unwrap_or_default();
            assert!(hint.contains("aws configure") && hint.contains("--profile"), "{hint}");
            assert_fits(&e);
        })
    });
    // A profile without keys or a way to get them.
    let home = scratch(
        "keyless",
        &[(".aws/config", "[profile empty]\nregion = eu-west-1\n"), (".aws/credentials", "")],
    );
    with_env(&home, &[], || {
        runtime().block_on(async {
            let e = fetch_error(Some("empty")).await;
            assert_eq!(e.kind, SourceErrorKind::Auth);
            assert!(e.message.ends_with("no AWS credentials for profile empty"), "{}", e.message);
            assert!(e.hint.as_deref().unwrap_or_default().contains("--profile empty"), "{e:?}");
            assert_fits(&e);
        })
    });
}

fn denied() -> FilterLogEventsError {
    FilterLogEventsError::generic(
        ErrorMetadata::builder()
            .code("AccessDeniedException")
            .message(
                "User: arn:aws:sts::123456789012:assumed-role/ReadOnly/jane is not authorized to \
                 perform: logs:FilterLogEvents on resource: arn:aws:logs:eu-west-1:123456789012:\
                 log-group:/aws/lambda/invoice-approval-worker:log-stream: because no \
                 identity-based policy allows the logs:FilterLogEvents action",
            )
            .build(),
    )
}

#[test]
fn access_denied_names_the_missing_iam_action() {
    let home = scratch("denied", &[(".aws/config", ""), (".aws/credentials", "")]);
    with_env(&home, &[], || {
        runtime().block_on(async {
            load_sdk_config(None).await; // no explicit profile left from another test
            let rule = mock!(Client::filter_log_events).then_error(denied);
            let client = mock_client!(aws_sdk_cloudwatchlogs, RuleMode::MatchAny, &[&rule]);
            let logs = CloudWatchLogs::with_clients(
                BTreeMap::from([("eu-west-1".to_string(), client)]),
                LogGroups::plan(&eu(), &[worker()]),
                LineParser::default(),
            );
            let e = logs.fetch(query()).await.expect_err("denied");
            assert_eq!(e.kind, SourceErrorKind::Auth);
            assert_eq!(e.message, "CloudWatch Logs FilterLogEvents: access denied");
            assert_eq!(
                e.hint.as_deref(),
                Some(
                    "allow logs:FilterLogEvents in the identity's IAM policy (README: Permissions)"
                )
            );
            assert_fits(&e);
            assert_eq!(rule.num_calls(), 1, "access denied is not retried");
        })
    });
}
