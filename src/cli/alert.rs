//! `--alert FILE`: open the cockpit on an alert's region, service, time and ids, from a
//! CloudWatch alarm notification (the SNS message, or the alarm JSON inside it) or a generic
//! webhook with `region`, `service`, `timestamp` and `correlation_id` / `message_id` /
//! `trace_id`.

use crate::model::Millis;
use serde_json::Value;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Alert {
    pub name: Option<String>,
    pub region: Option<String>,
    pub service: Option<String>,
    pub at: Option<Millis>,
    pub correlation_id: Option<String>,
    pub trace_id: Option<String>,
}

fn text(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `2026-03-12T09:06:00.000+0000` (CloudWatch) or RFC 3339 or epoch seconds/ms.
fn time_of(s: &str) -> Option<Millis> {
    let fixed = match s.len() {
        n if n > 5 && (s.ends_with("+0000") || s.ends_with("-0000")) => {
            format!("{}Z", &s[..n - 5])
        }
        _ => s.to_string(),
    };
    crate::model::logline::parse_time(&fixed)
}

/// Read an alert. Errors say what the file lacks.
pub fn parse_alert(raw: &str) -> Result<Alert, String> {
    let mut v: Value = serde_json::from_str(raw).map_err(|e| format!("not JSON: {e}"))?;
    // The SNS envelope carries the alarm as a JSON string in `Message`.
    if let Some(Value::String(m)) = v.get("Message")
        && let Ok(inner) = serde_json::from_str::<Value>(m)
    {
        v = inner;
    }
    let mut a = Alert::default();
    if v.get("AlarmName").is_some() {
        a.name = text(&v, "AlarmName");
        a.region = text(&v, "AlarmArn").and_then(|arn| arn.split(':').nth(3).map(str::to_string));
        a.at = text(&v, "StateChangeTime").and_then(|t| time_of(&t));
        if let Some(dims) = v.pointer("/Trigger/Dimensions").and_then(Value::as_array) {
            // The service is named by the dimension that names a resource.
            a.service = dims
                .iter()
                .filter(|d| {
                    let n = d.get("name").and_then(Value::as_str).unwrap_or("");
                    matches!(n, "FunctionName" | "ServiceName" | "ApiName" | "service" | "Service")
                })
                .find_map(|d| text(d, "value"));
        }
    } else {
        a.name = text(&v, "title").or_else(|| text(&v, "name"));
        a.region = text(&v, "region");
        a.service = text(&v, "service");
        a.at = text(&v, "timestamp").or_else(|| text(&v, "time")).and_then(|t| time_of(&t));
        a.correlation_id = text(&v, "correlation_id")
            .or_else(|| text(&v, "correlationId"))
            .or_else(|| text(&v, "message_id"));
        a.trace_id = text(&v, "trace_id").or_else(|| text(&v, "traceId"));
    }
    if a.region.is_none() && a.service.is_none() && a.correlation_id.is_none() {
        return Err("no region, service or correlation id in it".into());
    }
    Ok(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sns_alarm_and_webhook() {
        let alarm = serde_json::json!({
            "AlarmName": "invoice-approval-worker errors",
            "NewStateValue": "ALARM",
            "StateChangeTime": "2026-03-12T09:06:00.000+0000",
            "Region": "EU (Ireland)",
            "AlarmArn": "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:invoice-approval-worker errors",
            "Trigger": {"MetricName": "Errors", "Namespace": "AWS/Lambda",
                "Dimensions": [{"name": "FunctionName", "value": "invoice-approval-worker"}]}
        });
        let sns = serde_json::json!({"Type": "Notification", "Message": alarm.to_string()});
        let a = parse_alert(&sns.to_string()).unwrap();
        assert_eq!(a.region.as_deref(), Some("eu-west-1"));
        assert_eq!(a.service.as_deref(), Some("invoice-approval-worker"));
        assert_eq!(crate::model::format_hms(a.at.unwrap()), "09:06:00");
        assert_eq!(parse_alert(&alarm.to_string()).unwrap(), a);
        let hook = r#"{"region":"us-east-1","service":"message-processor","timestamp":"2026-03-12T14:55:00Z","message_id":"m-7c21e4b0"}"#;
        let a = parse_alert(hook).unwrap();
        assert_eq!(a.correlation_id.as_deref(), Some("m-7c21e4b0"));
        assert!(parse_alert("{}").unwrap_err().contains("no region"));
        assert!(parse_alert("nope").unwrap_err().starts_with("not JSON"));
    }
}
