//! The README's IAM policy lists exactly the AWS actions warroom's code calls, and every one
//! of them is a read. The calls are found in the source of `src/source/aws/` (the only place
//! the SDK is used): each statement that sends a request (`.send()`) starts with the
//! operation's method on a client (`client.get_metric_data()`, `rc.logs\n.start_query()`).

use std::collections::BTreeSet;

/// The SDK client methods warroom may call and their IAM actions. A call not in this table
/// fails the test: add it here and to the README's policy.
const ACTIONS: &[(&str, &str)] = &[
    ("get_metric_data", "cloudwatch:GetMetricData"),
    ("filter_log_events", "logs:FilterLogEvents"),
    ("start_live_tail", "logs:StartLiveTail"),
    ("describe_log_groups", "logs:DescribeLogGroups"),
    ("start_query", "logs:StartQuery"),
    ("get_query_results", "logs:GetQueryResults"),
    ("get_trace_summaries", "xray:GetTraceSummaries"),
    ("batch_get_traces", "xray:BatchGetTraces"),
    ("lookup_events", "cloudtrail:LookupEvents"),
    ("list_services", "application-signals:ListServices"),
    ("list_service_operations", "application-signals:ListServiceOperations"),
    ("list_functions", "lambda:ListFunctions"),
];

/// Verbs of read-only AWS actions.
const READ_VERBS: &[&str] =
    &["Get", "List", "Describe", "Filter", "Lookup", "BatchGet", "StartLiveTail", "StartQuery"];

/// The SDK operations the code under `src/source/aws` sends.
fn operations_called() -> BTreeSet<String> {
    let dir = std::path::Path::new("src/source/aws");
    let mut ops = BTreeSet::new();
    for entry in std::fs::read_dir(dir).expect("src/source/aws") {
        let path = entry.expect("entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read source");
        // Unit tests build fixtures, they call nothing.
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        // Comments may hold `;` and words: out.
        let code: String = code
            .lines()
            .map(|l| l.split_once("//").map_or(l, |(c, _)| c))
            .collect::<Vec<_>>()
            .join("\n");
        for statement in code.split(';').filter(|s| s.contains(".send()")) {
            let compact: String = statement.split_whitespace().collect::<Vec<_>>().join("");
            // The first argument-less method call of the statement is the operation.
            let Some(op) = compact.split('.').find_map(|part| {
                let name = part.strip_suffix("()")?;
                (!name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
                    .then(|| name.to_string())
            }) else {
                panic!("{}: no operation in a statement that sends:\n{statement}", path.display())
            };
            ops.insert(op);
        }
    }
    ops
}

/// The actions of the README's IAM policy (the JSON block after "A minimal IAM policy").
fn policy_actions() -> BTreeSet<String> {
    let readme = std::fs::read_to_string("README.md").expect("README.md");
    let start = readme.find("A minimal IAM policy").expect("the README has the IAM policy");
    let json_start = start + readme[start..].find("```json").expect("a json block") + 7;
    let json_end = json_start + readme[json_start..].find("```").expect("the block ends");
    let policy: serde_json::Value =
        serde_json::from_str(&readme[json_start..json_end]).expect("the policy is JSON");
    policy["Statement"]
        .as_array()
        .expect("statements")
        .iter()
        .flat_map(|s| s["Action"].as_array().expect("actions").iter())
        .map(|a| a.as_str().expect("an action is a string").to_string())
        .collect()
}

#[test]
fn the_readme_policy_lists_every_action_the_code_calls() {
    let called = operations_called();
    assert!(called.len() >= 10, "the scan found the calls: {called:?}");
    let mut actions = BTreeSet::new();
    for op in &called {
        let Some((_, action)) = ACTIONS.iter().find(|(m, _)| m == op) else {
            panic!(
                "the code calls `{op}`, which is not in the table: add its IAM action here and to the README"
            )
        };
        actions.insert(action.to_string());
    }
    let policy = policy_actions();
    let missing: Vec<&String> = actions.difference(&policy).collect();
    let unused: Vec<&String> = policy.difference(&actions).collect();
    assert!(missing.is_empty(), "called but not in the README's policy: {missing:?}");
    assert!(unused.is_empty(), "in the README's policy but never called: {unused:?}");
    // The list in the README's table too.
    let readme = std::fs::read_to_string("README.md").unwrap();
    for a in &actions {
        assert!(readme.matches(&format!("`{a}`")).count() >= 1, "{a} is not in the README's table");
    }
}

#[test]
fn every_action_is_a_read() {
    for (_, action) in ACTIONS {
        let (_, name) = action.split_once(':').expect("service:Action");
        assert!(READ_VERBS.iter().any(|v| name.starts_with(v)), "{action} is not a read");
    }
    for a in policy_actions() {
        assert!(!a.contains('*'), "no wildcard actions: {a}");
    }
}
