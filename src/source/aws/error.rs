//! Turning AWS SDK errors into [`SourceError`]s the panes can show.

use super::credentials::{active_profile, explain_credentials, explain_service_code};
use crate::source::{SourceError, SourceErrorKind};
use aws_sdk_cloudwatch::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use std::error::Error;

pub(crate) const AUTH_HINT: &str = "check the AWS profile, or run `aws sso login`";
pub(crate) const THROTTLE_HINT: &str =
    "the API kept throttling after retries; try a slower refresh or a smaller boundary";

/// Error codes that mean "slow down".
const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottled",
    "RequestThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
];

/// Error code prefixes that mean the credentials are missing, expired or not allowed.
const AUTH_CODE_PREFIXES: &[&str] = &[
    "AccessDenied",
    "ExpiredToken",
    "UnrecognizedClient",
    "InvalidClientTokenId",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "MissingAuthenticationToken",
    "IncompleteSignature",
    "NotAuthorized",
    "AuthFailure",
];

/// Classify an error code returned by an AWS service.
pub(crate) fn kind_of_code(code: &str) -> SourceErrorKind {
    if THROTTLING_CODES.contains(&code) {
        SourceErrorKind::Throttled
    } else if AUTH_CODE_PREFIXES.iter().any(|p| code.starts_with(p)) {
        SourceErrorKind::Auth
    } else {
        SourceErrorKind::Other
    }
}

/// Does any error in the chain come from loading credentials (or an SSO token)?
fn is_credentials_problem(err: &(dyn Error + 'static)) -> bool {
    let mut cur: Option<&(dyn Error + 'static)> = Some(err);
    while let Some(e) = cur {
        let text = e.to_string().to_ascii_lowercase();
        if text.contains("credential") || text.contains("sso") {
            return true;
        }
        cur = e.source();
    }
    false
}

/// The innermost cause of an error, on one line and at most `max` characters: what the
/// pane shows of a network failure (the whole chain goes to the log file).
fn root_cause(err: &(dyn Error + 'static), max: usize) -> String {
    let mut cur: &(dyn Error + 'static) = err;
    while let Some(next) = cur.source() {
        cur = next;
    }
    let text: String = cur.to_string().split_whitespace().collect::<Vec<_>>().join(" ");
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text,
    }
}

/// Map an SDK error of `operation` (e.g. `CloudWatch GetMetricData`) to a [`SourceError`]:
/// one short line and, when known, the fix. The SDK's full error goes to the log file.
pub(crate) fn from_sdk<E, R>(operation: &str, err: &SdkError<E, R>) -> SourceError
where
    E: ProvideErrorMetadata + Error + 'static,
    R: std::fmt::Debug + 'static,
{
    tracing::warn!(operation, error = %DisplayErrorContext(err), "AWS call failed");
    let profile = active_profile();
    let (kind, detail) = match err {
        SdkError::ServiceError(ctx) => {
            let e = ctx.err();
            let code = e.code().unwrap_or("Unknown");
            if let Some((line, fix)) = explain_service_code(operation, code, profile.as_deref()) {
                return SourceError::new(SourceErrorKind::Auth, line).with_hint(fix);
            }
            let detail = match e.message() {
                Some(m) if !m.is_empty() => format!("{code}: {m}"),
                _ => code.to_string(),
            };
            (kind_of_code(code), detail)
        }
        SdkError::DispatchFailure(_) | SdkError::ConstructionFailure(_)
            if is_credentials_problem(err) =>
        {
            let chain = format!("{}", DisplayErrorContext(err));
            let (line, fix) = explain_credentials(&chain, profile.as_deref());
            let operation = operation.split(" on ").next().unwrap_or(operation);
            return SourceError::new(SourceErrorKind::Auth, format!("{operation}: {line}"))
                .with_hint(fix);
        }
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => {
            (SourceErrorKind::Network, root_cause(err, 100))
        }
        _ => (SourceErrorKind::Other, root_cause(err, 100)),
    };
    let prefix = match kind {
        SourceErrorKind::Throttled => "throttled",
        SourceErrorKind::Auth => "not authorized",
        SourceErrorKind::Network => "no answer",
        _ => "failed",
    };
    let error = SourceError::new(kind, format!("{operation} {prefix}: {detail}"));
    match kind {
        SourceErrorKind::Auth => error.with_hint(AUTH_HINT),
        SourceErrorKind::Throttled => error.with_hint(THROTTLE_HINT),
        _ => error,
    }
}
