//! Finding the AWS IAM Identity Center instance for direct use (without P0), the way
//! aws-sso-util does: `--sso-start-url`/`--sso-region`, then `AWS_DEFAULT_SSO_START_URL`/
//! `AWS_DEFAULT_SSO_REGION`, then the `sso_start_url`/`sso_region` pairs of `~/.aws/config`
//! (profiles and `[sso-session]` sections). A start URL that is not a URL is a regex that
//! filters the configured instances; exactly one must remain.

use crate::aws_files;
use crate::env;
use crate::error::{Error, Result};
use crate::providers::identity_center::IdcInstance;
use regex::Regex;
use std::collections::BTreeSet;

/// Resolves the instance from flags, then the environment, then `~/.aws/config`.
pub fn resolve(start_url_flag: Option<&str>, region_flag: Option<&str>) -> Result<IdcInstance> {
    let start_url = start_url_flag
        .map(str::to_string)
        .or_else(|| env::get(env::read::AWS_DEFAULT_SSO_START_URL));
    let region = region_flag
        .map(str::to_string)
        .or_else(|| env::get(env::read::AWS_DEFAULT_SSO_REGION));
    if let (Some(url), Some(region)) = (&start_url, &region) {
        if is_url(url) {
            return Ok(IdcInstance {
                start_url: canonical_start_url(url),
                region: region.clone(),
            });
        }
    }
    let configured = match aws_files::FileKind::Config.path() {
        Ok(path) => aws_files::read(&path)?
            .map(|text| instances_in_config(&text))
            .unwrap_or_default(),
        Err(Error::NoHomeDirectory) => Vec::new(),
        Err(e) => return Err(e),
    };
    choose(start_url.as_deref(), region.as_deref(), configured)
}

/// The start URL as cache keys use it: `https://x.awsapps.com/start/` and `.../start` are one
/// instance, and the form P0's accounts produce (no trailing slash), so their tokens are shared.
fn canonical_start_url(url: &str) -> String {
    url.trim().trim_end_matches('/').to_string()
}

fn is_url(value: &str) -> bool {
    value.starts_with("https://") || value.starts_with("http://")
}

/// Every distinct (start URL, region) pair named in an AWS config file.
fn instances_in_config(text: &str) -> Vec<IdcInstance> {
    let mut found = BTreeSet::new();
    for section in aws_files::sections(text) {
        if let (Some(url), Some(region)) = (section.get("sso_start_url"), section.get("sso_region"))
        {
            found.insert(IdcInstance {
                start_url: canonical_start_url(url),
                region: region.trim().to_string(),
            });
        }
    }
    found.into_iter().collect()
}

/// Narrows the configured instances by the start URL (exact URL, or a regex) and region.
fn choose(
    start_url: Option<&str>,
    region: Option<&str>,
    configured: Vec<IdcInstance>,
) -> Result<IdcInstance> {
    let url_filter = match start_url {
        Some(url) if is_url(url) => Filter::Exact(url.to_string()),
        Some(pattern) => Filter::Regex(Regex::new(pattern).map_err(|e| {
            Error::Usage(format!(
                "--sso-start-url {pattern:?} is neither a URL nor a valid regex: {e}"
            ))
        })?),
        None => Filter::Any,
    };
    let matching: Vec<IdcInstance> = configured
        .into_iter()
        .filter(|i| url_filter.matches(&i.start_url))
        .filter(|i| region.is_none_or(|r| r == i.region))
        .collect();
    match matching.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(Error::SsoInstance(match (start_url, region) {
            (Some(url), None) if is_url(url) => format!(
                "No region for Identity Center start URL {url}: pass --sso-region or set AWS_DEFAULT_SSO_REGION"
            ),
            _ => "No AWS IAM Identity Center instance found: pass --sso-start-url and --sso-region, set AWS_DEFAULT_SSO_START_URL and AWS_DEFAULT_SSO_REGION, or configure sso_start_url and sso_region in ~/.aws/config".to_string(),
        })),
        many => Err(Error::SsoInstance(format!(
            "Several AWS IAM Identity Center instances match; choose one with --sso-start-url (a URL or a regex):\n{}",
            many.iter()
                .map(|i| format!("  {} ({})", i.start_url, i.region))
                .collect::<Vec<_>>()
                .join("\n")
        ))),
    }
}

enum Filter {
    Any,
    Exact(String),
    Regex(Regex),
}

impl Filter {
    fn matches(&self, url: &str) -> bool {
        match self {
            Filter::Any => true,
            Filter::Exact(exact) => canonical_start_url(exact) == url,
            Filter::Regex(re) => re.is_match(url),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = "\
[default]
region = eu-west-1

[profile dev]
sso_start_url = https://d-1111111111.awsapps.com/start
sso_region = us-west-2
sso_account_id = 111111111111

[profile dev-admin]
sso_start_url = https://d-1111111111.awsapps.com/start
sso_region = us-west-2

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = eu-central-1
";

    fn configured() -> Vec<IdcInstance> {
        instances_in_config(CONFIG)
    }

    #[test]
    fn collects_distinct_instances_from_profiles_and_sessions() {
        assert_eq!(configured().len(), 2);
    }

    #[test]
    fn a_regex_filters_and_exactly_one_must_remain() {
        let chosen = choose(Some("corp"), None, configured()).unwrap();
        assert_eq!(chosen.start_url, "https://corp.awsapps.com/start");
        assert_eq!(chosen.region, "eu-central-1");
        let err = choose(Some("awsapps"), None, configured())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("Several") && err.contains("d-1111111111") && err.contains("corp"),
            "{err}"
        );
        assert!(choose(Some("nothing-like-this"), None, configured()).is_err());
    }

    #[test]
    fn an_exact_url_finds_its_region_in_the_config() {
        let chosen = choose(
            Some("https://d-1111111111.awsapps.com/start/"),
            None,
            configured(),
        )
        .unwrap();
        assert_eq!(chosen.region, "us-west-2");
    }

    #[test]
    fn a_single_configured_instance_needs_no_flag() {
        let one = vec![configured().remove(0)];
        assert!(choose(None, None, one).is_ok());
        assert!(choose(None, None, configured()).is_err());
    }
}
