//! What `p0 aws eks get-token` prints: the `ExecCredential` a Kubernetes client reads from
//! its exec plugin, laid out as `aws eks get-token` prints it (awscli's
//! `customizations/eks/get_token.py`: its JSON formatter, four spaces, these keys in this
//! order, the formatter's newline and then the command's own), so a script that read the AWS
//! CLI's reads this.

use crate::error::Result;
use serde::Serialize;

/// The versions kubectl may ask for in `KUBERNETES_EXEC_INFO`, as the AWS CLI knows them.
pub const V1: &str = "client.authentication.k8s.io/v1";
pub const V1BETA1: &str = "client.authentication.k8s.io/v1beta1";
/// Deprecated: answered, with a warning.
pub const V1ALPHA1: &str = "client.authentication.k8s.io/v1alpha1";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExecCredential<'a> {
    kind: &'static str,
    api_version: &'a str,
    spec: Spec,
    status: Status<'a>,
}

#[derive(Serialize)]
struct Spec {}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Status<'a> {
    expiration_timestamp: &'a str,
    token: &'a str,
}

/// The JSON, with the AWS CLI's two final newlines.
pub fn json(api_version: &str, expiration_timestamp: &str, token: &str) -> String {
    let value = ExecCredential {
        kind: "ExecCredential",
        api_version,
        spec: Spec {},
        status: Status {
            expiration_timestamp,
            token,
        },
    };
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
    value.serialize(&mut serializer).expect("strings serialize");
    let mut text = String::from_utf8(out).expect("JSON is UTF-8");
    text.push_str("\n\n");
    text
}

/// Writes the JSON to stdout.
pub fn print(api_version: &str, expiration_timestamp: &str, token: &str) -> Result<()> {
    super::stdout(&json(api_version, expiration_timestamp, token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_json_is_laid_out_as_the_aws_cli_prints_it() {
        assert_eq!(
            json(V1BETA1, "2026-12-07T08:14:00Z", "k8s-aws-v1.aHR0cHM"),
            "{\n    \"kind\": \"ExecCredential\",\n    \"apiVersion\": \
             \"client.authentication.k8s.io/v1beta1\",\n    \"spec\": {},\n    \"status\": {\n        \
             \"expirationTimestamp\": \"2026-12-07T08:14:00Z\",\n        \"token\": \
             \"k8s-aws-v1.aHR0cHM\"\n    }\n}\n\n"
        );
    }
}
