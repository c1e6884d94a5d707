//! The AWS tools' network settings `p0` honours for its own calls, as botocore and the AWS SDKs
//! read them: an environment variable first, else the key in the config file's profile in
//! effect.
//!
//! | Setting | Variable | Profile key |
//! |---|---|---|
//! | extra trusted roots (PEM) | `AWS_CA_BUNDLE` | `ca_bundle` |
//! | FIPS endpoints | `AWS_USE_FIPS_ENDPOINT` | `use_fips_endpoint` |
//! | dual-stack endpoints | `AWS_USE_DUALSTACK_ENDPOINT` | `use_dualstack_endpoint` |
//!
//! The profile in effect is the one botocore would use in `p0`'s environment: `AWS_PROFILE`,
//! else `default`. (`p0` has no `--profile` of its own for these; an SDK that runs `p0` as a
//! `credential_process` for `--profile X` does not pass X on, so `p0` reads `[default]` then,
//! unless `AWS_PROFILE` names X.) A boolean is `true` or `false`, any case; another value is
//! refused by the SDKs; `p0` takes it as `false`, with a warning in the debug log.
//!
//! Read once per process, and only when a network call is made: the warm path (credentials
//! from the cache) never opens the config file.

use super::{profile, read, FileKind};
use crate::env;
use std::path::PathBuf;
use std::sync::LazyLock;

/// What the variables and the profile say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetworkSettings {
    /// A PEM file of roots to trust in addition to the system's, and where it was named.
    pub ca_bundle: Option<(PathBuf, &'static str)>,
    pub use_fips: bool,
    pub use_dual_stack: bool,
}

/// The process's settings, read on first use.
pub fn network() -> &'static NetworkSettings {
    static SETTINGS: LazyLock<NetworkSettings> = LazyLock::new(|| {
        let text = FileKind::Config
            .path()
            .ok()
            .and_then(|path| read(&path).ok().flatten());
        resolve(env::get, text.as_deref())
    });
    &SETTINGS
}

/// The settings from `get` (the environment) and the config file's `text`.
pub fn resolve(get: impl Fn(&str) -> Option<String>, text: Option<&str>) -> NetworkSettings {
    let name = get(env::read::AWS_PROFILE).unwrap_or_else(|| "default".to_string());
    let section = text.and_then(|text| profile(text, FileKind::Config, &name));
    let key = |key: &str| {
        section
            .as_ref()
            .and_then(|s| s.get(key))
            .map(str::to_string)
    };
    let boolean = |variable: &'static str, key_name: &'static str| {
        let (value, from) = match get(variable) {
            Some(value) => (value, variable),
            None => match key(key_name) {
                Some(value) => (value, key_name),
                None => return false,
            },
        };
        match value.trim().to_ascii_lowercase().as_str() {
            "true" => true,
            "false" => false,
            _ => {
                tracing::warn!("{from}={value:?} is neither true nor false; ignored");
                false
            }
        }
    };
    let ca_bundle = match get(env::read::AWS_CA_BUNDLE) {
        Some(path) => Some((expand_home(&path), env::read::AWS_CA_BUNDLE)),
        None => key("ca_bundle")
            .filter(|path| !path.trim().is_empty())
            .map(|path| (expand_home(path.trim()), "ca_bundle in ~/.aws/config")),
    };
    NetworkSettings {
        ca_bundle,
        use_fips: boolean(env::read::AWS_USE_FIPS_ENDPOINT, "use_fips_endpoint"),
        use_dual_stack: boolean(
            env::read::AWS_USE_DUALSTACK_ENDPOINT,
            "use_dualstack_endpoint",
        ),
    }
}

/// `~/x` as botocore expands it.
fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), dirs::home_dir()) {
        (Some(rest), Some(home)) => home.join(rest),
        _ => PathBuf::from(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(vars: &[(&str, &str)], text: &str) -> NetworkSettings {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        resolve(|name| vars.get(name).cloned(), Some(text))
    }

    const CONFIG: &str = "[default]\nca_bundle = /etc/corp/default.pem\nuse_fips_endpoint = true\n\
        [profile gov]\nca_bundle = /etc/corp/gov.pem\nuse_dualstack_endpoint = TRUE\n\
        use_fips_endpoint = false\n";

    #[test]
    fn the_variable_wins_over_the_profile_in_effect() {
        let default = settings(&[], CONFIG);
        assert_eq!(
            default.ca_bundle,
            Some((
                PathBuf::from("/etc/corp/default.pem"),
                "ca_bundle in ~/.aws/config"
            ))
        );
        assert!(default.use_fips && !default.use_dual_stack);

        let gov = settings(&[("AWS_PROFILE", "gov")], CONFIG);
        assert_eq!(gov.ca_bundle.unwrap().0, PathBuf::from("/etc/corp/gov.pem"));
        assert!(!gov.use_fips && gov.use_dual_stack);

        let overridden = settings(
            &[
                ("AWS_PROFILE", "gov"),
                ("AWS_CA_BUNDLE", "/tmp/proxy.pem"),
                ("AWS_USE_FIPS_ENDPOINT", "true"),
                ("AWS_USE_DUALSTACK_ENDPOINT", "false"),
            ],
            CONFIG,
        );
        assert_eq!(
            overridden.ca_bundle,
            Some((PathBuf::from("/tmp/proxy.pem"), "AWS_CA_BUNDLE"))
        );
        assert!(overridden.use_fips && !overridden.use_dual_stack);

        assert_eq!(
            settings(&[("AWS_PROFILE", "missing")], CONFIG),
            NetworkSettings::default()
        );
        assert_eq!(
            resolve(|_| None, None),
            NetworkSettings::default(),
            "no config file"
        );
        let odd = settings(&[("AWS_USE_FIPS_ENDPOINT", "yes")], CONFIG);
        assert!(!odd.use_fips, "not a boolean: ignored, as not set");
    }
}
