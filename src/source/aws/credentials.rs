//! Credentials the way the AWS CLI resolves them, and what to tell the user when they fail.
//!
//! # Precedence
//!
//! * An explicit profile (`--profile NAME` or `[aws] profile`) wins over everything, the
//!   environment's `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY` included, as `aws --profile NAME`
//!   does: the SDK's default chain would take the environment's keys first and sign every
//!   request for whatever account they belong to.
//! * Without one, the SDK's default chain: environment keys, then `AWS_PROFILE` (or
//!   `default`) from `~/.aws/config` and `~/.aws/credentials`, SSO, web identity, container
//!   and instance roles.
//!
//! A profile that is named but defined in neither file is an error before any call is made
//! ([`check_profile`]).
//!
//! # Failures
//!
//! [`explain_credentials`] and [`explain_service_code`] turn a failure into one short line and
//! the fix (`aws sso login --profile X`, the IAM action to allow); the SDK's full error goes to
//! the log file (see [`super::error`]).

use std::sync::RwLock;

/// The explicitly chosen profile, for the hints of later errors.
static EXPLICIT_PROFILE: RwLock<Option<String>> = RwLock::new(None);

/// Where the SDK looks for profiles: `AWS_CONFIG_FILE` and `AWS_SHARED_CREDENTIALS_FILE`, or
/// `~/.aws/config` and `~/.aws/credentials`.
fn profile_files_shown() -> String {
    let config = std::env::var("AWS_CONFIG_FILE").unwrap_or_else(|_| "~/.aws/config".into());
    let creds = std::env::var("AWS_SHARED_CREDENTIALS_FILE")
        .unwrap_or_else(|_| "~/.aws/credentials".into());
    format!("{config} or {creds}")
}

/// The profile whose credentials are used: the explicit one, else `AWS_PROFILE`, else none.
pub fn active_profile() -> Option<String> {
    let explicit = EXPLICIT_PROFILE.read().ok().and_then(|p| p.clone());
    explicit.or_else(|| std::env::var("AWS_PROFILE").ok().filter(|p| !p.trim().is_empty()))
}

/// `aws sso login --profile X` (or without `--profile` when none is chosen).
fn sso_login(profile: Option<&str>) -> String {
    match profile {
        Some(p) => format!("run `aws sso login --profile {p}`"),
        None => "run `aws sso login`".into(),
    }
}

/// Check that `name` is defined in the profile files (`[profile NAME]` in the config file or
/// `[NAME]` in the credentials file). The error names the files and the profiles they define.
#[allow(deprecated)] // `ProfileFiles` is the type `aws_config::profile::load` takes
pub async fn check_profile(name: &str) -> Result<(), String> {
    use aws_config::profile::profile_file::ProfileFiles;
    use aws_types::os_shim_internal::{Env, Fs};

    let set = aws_config::profile::load(&Fs::real(), &Env::real(), &ProfileFiles::default(), None)
        .await
        .map_err(|e| {
            format!("cannot read the AWS profile files ({}): {e}", profile_files_shown())
        })?;
    if set.get_profile(name).is_some() {
        return Ok(());
    }
    let mut known: Vec<&str> = set.profiles().collect();
    known.sort_unstable();
    let known = if known.is_empty() {
        "none defined".to_string()
    } else {
        format!("defined: {}", known.join(", "))
    };
    Err(format!(
        "AWS profile `{name}` is not in {} ({known}); fix --profile / [aws] profile, or run `aws configure --profile {name}`",
        profile_files_shown()
    ))
}

/// The shared SDK configuration: credentials as the AWS CLI resolves them (see the module
/// documentation), `profile` winning when given, adaptive retries.
pub async fn load_sdk_config(profile: Option<&str>) -> aws_config::SdkConfig {
    use aws_config::BehaviorVersion;
    use aws_config::profile::ProfileFileCredentialsProvider;
    use aws_config::provider_config::ProviderConfig;
    use aws_config::retry::RetryConfig;

    if let Ok(mut p) = EXPLICIT_PROFILE.write() {
        *p = profile.map(str::to_string);
    }
    let mut loader =
        aws_config::defaults(BehaviorVersion::latest()).retry_config(RetryConfig::adaptive());
    if let Some(p) = profile {
        // The profile's region (for STS when the profile assumes a role); every client sets
        // its own region of the boundary anyway.
        let region = aws_config::default_provider::region::DefaultRegionChain::builder()
            .profile_name(p)
            .build()
            .region()
            .await;
        let creds = ProfileFileCredentialsProvider::builder()
            .configure(&ProviderConfig::default().with_region(region))
            .profile_name(p)
            .build();
        loader = loader.profile_name(p).credentials_provider(creds);
    }
    loader.load().await
}

/// A failure to get credentials, as one line and its fix, from the text of the error chain.
pub fn explain_credentials(chain: &str, profile: Option<&str>) -> (String, String) {
    let text = chain.to_ascii_lowercase();
    let of = profile.map(|p| format!(" of profile {p}")).unwrap_or_default();
    if text.contains("sso") || (text.contains("token") && text.contains("cache")) {
        if text.contains("expired") {
            return (format!("the SSO session{of} has expired"), sso_login(profile));
        }
        return (format!("no SSO session{of} (not logged in)"), sso_login(profile));
    }
    if text.contains("was not defined") || text.contains("could not find source profile") {
        let p = profile.unwrap_or("default");
        return (
            format!("AWS profile {p} is not defined"),
            format!("fix --profile / [aws] profile, or run `aws configure --profile {p}`"),
        );
    }
    if text.contains("expired") {
        let fix = match profile {
            Some(p) => format!("renew them: `aws sso login --profile {p}` or new session keys"),
            None => "renew them: `aws sso login` or new session keys".into(),
        };
        return (format!("the AWS credentials{of} have expired"), fix);
    }
    let fix = match profile {
        Some(p) => format!("add keys: `aws configure --profile {p}`"),
        None => "choose one with --profile NAME or AWS_PROFILE, or run `aws configure`".into(),
    };
    match profile {
        Some(p) => (format!("no AWS credentials for profile {p}"), fix),
        None => ("no AWS credentials found".into(), fix),
    }
}

/// The IAM action behind an operation name such as `CloudWatch Logs FilterLogEvents`.
pub fn iam_action(operation: &str) -> Option<String> {
    const PREFIXES: &[(&str, &str)] = &[
        ("CloudWatch Logs ", "logs"),
        ("CloudWatch ", "cloudwatch"),
        ("X-Ray ", "xray"),
        ("CloudTrail ", "cloudtrail"),
        ("Application Signals ", "application-signals"),
        ("Lambda ", "lambda"),
    ];
    let (rest, service) =
        PREFIXES.iter().find_map(|(p, s)| Some((operation.strip_prefix(p)?, s)))?;
    let action = rest.split_whitespace().next()?;
    action.bytes().all(|b| b.is_ascii_alphanumeric()).then(|| format!("{service}:{action}"))
}

/// An authentication or authorization error code of `operation`, as one line and its fix.
/// `None` for codes that are not about credentials.
pub fn explain_service_code(
    operation: &str,
    code: &str,
    profile: Option<&str>,
) -> Option<(String, String)> {
    let of = profile.map(|p| format!(" of profile {p}")).unwrap_or_default();
    let action = iam_action(operation);
    // `CloudWatch Logs FilterLogEvents on /aws/lambda/x` → the call only: credentials are not
    // about one log group, and the line must leave room for the fix.
    let operation = operation.split(" on ").next().unwrap_or(operation);
    let explained = if code.starts_with("AccessDenied")
        || code.starts_with("NotAuthorized")
        || code.starts_with("UnauthorizedOperation")
        || code == "AuthFailure"
    {
        let a = action.as_deref().unwrap_or(operation);
        (
            format!(
                "{operation}: access denied{}",
                if of.is_empty() { String::new() } else { format!(" to the identity{of}") }
            ),
            format!("allow {a} in the identity's IAM policy (README: Permissions)"),
        )
    } else if code.starts_with("ExpiredToken") || code == "RequestExpired" {
        let (line, fix) = explain_credentials("expired", profile);
        (format!("{operation}: {line}"), fix)
    } else if matches!(code, "UnrecognizedClientException" | "InvalidClientTokenId")
        || code.starts_with("InvalidAccessKeyId")
    {
        (
            format!("{operation}: the access key{of} is not known to AWS"),
            "check AWS_ACCESS_KEY_ID or the profile's keys (`aws sts get-caller-identity`)".into(),
        )
    } else if code.starts_with("SignatureDoesNotMatch") || code.starts_with("IncompleteSignature") {
        (
            format!("{operation}: the secret key{of} does not match its access key"),
            "check AWS_SECRET_ACCESS_KEY or the profile's secret".into(),
        )
    } else if code.starts_with("MissingAuthenticationToken") {
        let (line, fix) = explain_credentials("", profile);
        (format!("{operation}: {line}"), fix)
    } else {
        return None;
    };
    Some(explained)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iam_actions_of_operations() {
        assert_eq!(
            iam_action("CloudWatch GetMetricData").as_deref(),
            Some("cloudwatch:GetMetricData")
        );
        assert_eq!(
            iam_action("CloudWatch Logs FilterLogEvents").as_deref(),
            Some("logs:FilterLogEvents")
        );
        assert_eq!(iam_action("X-Ray BatchGetTraces").as_deref(), Some("xray:BatchGetTraces"));
        assert_eq!(
            iam_action("CloudTrail LookupEvents").as_deref(),
            Some("cloudtrail:LookupEvents")
        );
        assert_eq!(iam_action("something else"), None);
    }

    #[test]
    fn credential_chains_are_explained() {
        let sso = explain_credentials(
            "dispatch failure: other: the credential provider was not enabled: an error occurred \
             while loading credentials: failed to load a token for profile prod: the SSO token has \
             expired and cannot be refreshed",
            Some("prod"),
        );
        assert_eq!(sso.0, "the SSO session of profile prod has expired");
        assert_eq!(sso.1, "run `aws sso login --profile prod`");
        let none = explain_credentials(
            "dispatch failure: other: no credentials in the property bag: the credential \
             provider was not enabled: no providers in chain provided credentials",
            None,
        );
        assert_eq!(none.0, "no AWS credentials found");
        assert!(none.1.contains("aws configure"), "{none:?}");
    }
}
