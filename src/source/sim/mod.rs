pub const DEFAULT_SCENARIO: &str = "invoice-approval-timeout";
