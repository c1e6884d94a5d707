//! What each cache entry (and each lock in `~/.p0/locks/`) is, as one type: the providers, the
//! account config and the Identity Center token store build their keys with [`Entry::key`], and
//! `p0 status` reads them back with [`Entry::decode`]. The file names are the ones `p0` has
//! always written (a test pins them), so an upgrade keeps every cached entry.
//!
//! A key is its kind's words followed by its fields, joined as [`CacheKey::new`] does. A key
//! too long for a file name is shortened with a hash: its kind is still known
//! ([`Decoded::Shortened`]), its fields no longer are.

use super::CacheKey;
use crate::backend::Backend;

/// Every kind of entry `p0` keeps in its cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// AWS credentials, by where they come from.
    Credentials(Credentials),
    /// An Identity Center access token (and its refresh token) for one instance.
    IdcToken(IdcInstance),
    /// An Identity Center OIDC client registration for one instance.
    IdcRegistration(IdcInstance),
    /// The local copy of an org's account config from P0.
    AccountConfig { org: String },
    /// The roles seen offered per account of an org (completion memory).
    KnownRoles { org: String },
    /// Not an entry: the lock serializing `p0` processes that rewrite an AWS file
    /// (`~/.aws/config`, `~/.aws/credentials`) at `path`.
    AwsFile { path: String },
}

/// An Identity Center instance as the cache names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdcInstance {
    pub region: String,
    pub start_url: String,
}

/// Credentials, by their source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    /// An IAM role through P0 and Okta SAML federation.
    OktaSaml {
        org: String,
        account_id: String,
        role: String,
    },
    /// A permission set from an Identity Center instance, through P0 or directly (`--sso`):
    /// both get the same credentials from the same instance, so they share one entry.
    IdentityCenter {
        instance: IdcInstance,
        account_id: String,
        permission_set: String,
    },
    /// STS AssumeRoleWithWebIdentity: two CI jobs sharing a HOME with tokens in different
    /// files do not share credentials.
    WebIdentity {
        role_arn: String,
        session_name: String,
        token_file: String,
    },
    /// STS AssumeRole with the credentials of `source` (another credentials entry).
    Chain {
        role_arn: String,
        session_name: String,
        /// `None` and `Some("")` are one key.
        external_id: Option<String>,
        source: CacheKey,
    },
}

/// An entry's kind, without its fields: what is still known of a shortened key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Credentials(Source),
    IdcToken,
    IdcRegistration,
    AccountConfig,
    KnownRoles,
    AwsFile,
}

/// Where credentials come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Backend(Backend),
    WebIdentity,
    Chain,
}

impl Source {
    /// The word in `--json` output: `okta_saml`, `identity_center`, `web_identity`, `chain`.
    pub fn id(self) -> &'static str {
        match self {
            Source::Backend(Backend::OktaSaml) => "okta_saml",
            Source::Backend(Backend::IdentityCenter) => "identity_center",
            Source::WebIdentity => "web_identity",
            Source::Chain => "chain",
        }
    }

    /// For people: `Okta SAML`, `AWS IAM Identity Center`, `web identity`, `chained role`.
    pub fn name(self) -> String {
        match self {
            Source::Backend(backend) => backend.to_string(),
            Source::WebIdentity => "web identity".into(),
            Source::Chain => "chained role".into(),
        }
    }

    /// The words after `aws` in its keys.
    fn word(self) -> &'static str {
        match self {
            Source::Backend(backend) => backend.cache_key(),
            Source::WebIdentity => "web-identity",
            Source::Chain => "chain",
        }
    }

    const ALL: [Source; 4] = [
        Source::Backend(Backend::OktaSaml),
        Source::Backend(Backend::IdentityCenter),
        Source::WebIdentity,
        Source::Chain,
    ];
}

/// The first word of a credentials key.
const CREDENTIALS: &str = "aws";
const IDC_TOKEN: &str = "aws-idc-token";
const IDC_REGISTRATION: &str = "aws-idc-client";
const ACCOUNT_CONFIG: &str = "aws-config";
const KNOWN_ROLES: &str = "aws-roles";
const AWS_FILE: &str = "aws-file";

/// What a key read back says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    Whole(Entry),
    /// Shortened with a hash: the kind is known, the fields are not.
    Shortened(Kind),
    /// A name this cache does not write.
    Unknown,
}

impl Entry {
    /// The entry's name in the cache (and its lock's).
    pub fn key(&self) -> CacheKey {
        match self {
            Entry::Credentials(credentials) => credentials.key(),
            Entry::IdcToken(instance) => instance.key(IDC_TOKEN),
            Entry::IdcRegistration(instance) => instance.key(IDC_REGISTRATION),
            Entry::AccountConfig { org } => CacheKey::new(&[ACCOUNT_CONFIG, org]),
            Entry::KnownRoles { org } => CacheKey::new(&[KNOWN_ROLES, org]),
            Entry::AwsFile { path } => CacheKey::new(&[AWS_FILE, path]),
        }
    }

    /// What `key` names: the inverse of [`Entry::key`].
    pub fn decode(key: &CacheKey) -> Decoded {
        if let Some(parts) = key.parts() {
            return Entry::from_parts(&parts).map_or(Decoded::Unknown, Decoded::Whole);
        }
        match key.shortened_prefix().as_deref().and_then(kind_of) {
            Some(kind) => Decoded::Shortened(kind),
            None => Decoded::Unknown,
        }
    }

    fn from_parts(parts: &[String]) -> Option<Entry> {
        let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
        let owned = |s: &str| s.to_string();
        Some(match (kind_of_words(&parts)?, parts.as_slice()) {
            (Kind::IdcToken, [_, region, start_url]) => Entry::IdcToken(IdcInstance {
                region: owned(region),
                start_url: owned(start_url),
            }),
            (Kind::IdcRegistration, [_, region, start_url]) => {
                Entry::IdcRegistration(IdcInstance {
                    region: owned(region),
                    start_url: owned(start_url),
                })
            }
            (Kind::AccountConfig, [_, org]) => Entry::AccountConfig { org: owned(org) },
            (Kind::KnownRoles, [_, org]) => Entry::KnownRoles { org: owned(org) },
            (Kind::AwsFile, [_, path]) => Entry::AwsFile { path: owned(path) },
            (Kind::Credentials(source), [_, _, fields @ ..]) => {
                Entry::Credentials(match (source, fields) {
                    (Source::Backend(Backend::OktaSaml), [org, account_id, role]) => {
                        Credentials::OktaSaml {
                            org: owned(org),
                            account_id: owned(account_id),
                            role: owned(role),
                        }
                    }
                    (
                        Source::Backend(Backend::IdentityCenter),
                        [region, start_url, account_id, permission_set],
                    ) => Credentials::IdentityCenter {
                        instance: IdcInstance {
                            region: owned(region),
                            start_url: owned(start_url),
                        },
                        account_id: owned(account_id),
                        permission_set: owned(permission_set),
                    },
                    (Source::WebIdentity, [role_arn, session_name, token_file]) => {
                        Credentials::WebIdentity {
                            role_arn: owned(role_arn),
                            session_name: owned(session_name),
                            token_file: owned(token_file),
                        }
                    }
                    (Source::Chain, [role_arn, session_name, external_id, source]) => {
                        Credentials::Chain {
                            role_arn: owned(role_arn),
                            session_name: owned(session_name),
                            external_id: (!external_id.is_empty()).then(|| owned(external_id)),
                            source: CacheKey(owned(source)),
                        }
                    }
                    _ => return None,
                })
            }
            _ => return None,
        })
    }
}

/// The kind named by a key's leading words (a shortened key keeps them).
fn kind_of(parts: &[String]) -> Option<Kind> {
    let words: Vec<&str> = parts.iter().take(2).map(String::as_str).collect();
    kind_of_words(&words)
}

fn kind_of_words(words: &[&str]) -> Option<Kind> {
    Some(match *words.first()? {
        CREDENTIALS => {
            let word = *words.get(1)?;
            Kind::Credentials(Source::ALL.into_iter().find(|s| s.word() == word)?)
        }
        IDC_TOKEN => Kind::IdcToken,
        IDC_REGISTRATION => Kind::IdcRegistration,
        ACCOUNT_CONFIG => Kind::AccountConfig,
        KNOWN_ROLES => Kind::KnownRoles,
        AWS_FILE => Kind::AwsFile,
        _ => return None,
    })
}

impl IdcInstance {
    fn key(&self, kind: &str) -> CacheKey {
        CacheKey::new(&[kind, &self.region, &self.start_url])
    }
}

impl Credentials {
    pub fn key(&self) -> CacheKey {
        let word = self.source().word();
        match self {
            Credentials::OktaSaml {
                org,
                account_id,
                role,
            } => CacheKey::new(&[CREDENTIALS, word, org, account_id, role]),
            Credentials::IdentityCenter {
                instance,
                account_id,
                permission_set,
            } => CacheKey::new(&[
                CREDENTIALS,
                word,
                &instance.region,
                &instance.start_url,
                account_id,
                permission_set,
            ]),
            Credentials::WebIdentity {
                role_arn,
                session_name,
                token_file,
            } => CacheKey::new(&[CREDENTIALS, word, role_arn, session_name, token_file]),
            Credentials::Chain {
                role_arn,
                session_name,
                external_id,
                source,
            } => CacheKey::new(&[
                CREDENTIALS,
                word,
                role_arn,
                session_name,
                external_id.as_deref().unwrap_or(""),
                source.file_stem(),
            ]),
        }
    }

    pub fn source(&self) -> Source {
        match self {
            Credentials::OktaSaml { .. } => Source::Backend(Backend::OktaSaml),
            Credentials::IdentityCenter { .. } => Source::Backend(Backend::IdentityCenter),
            Credentials::WebIdentity { .. } => Source::WebIdentity,
            Credentials::Chain { .. } => Source::Chain,
        }
    }

    /// The role ARN the credentials are for, where the key holds one (web identity, chain).
    pub fn role_arn(&self) -> Option<&str> {
        match self {
            Credentials::WebIdentity { role_arn, .. } | Credentials::Chain { role_arn, .. } => {
                Some(role_arn)
            }
            _ => None,
        }
    }

    /// The account and role, where the key holds them apart (Okta SAML, Identity Center).
    pub fn account_and_role(&self) -> Option<(&str, &str)> {
        match self {
            Credentials::OktaSaml {
                account_id, role, ..
            } => Some((account_id, role)),
            Credentials::IdentityCenter {
                account_id,
                permission_set,
                ..
            } => Some((account_id, permission_set)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn okta() -> Credentials {
        Credentials::OktaSaml {
            org: "acme".into(),
            account_id: "123456789012".into(),
            role: "p0-grants/ReadOnly".into(),
        }
    }

    fn instance() -> IdcInstance {
        IdcInstance {
            region: "us-west-2".into(),
            start_url: "https://d-1.awsapps.com/start".into(),
        }
    }

    fn idc() -> Credentials {
        Credentials::IdentityCenter {
            instance: instance(),
            account_id: "123456789012".into(),
            permission_set: "Dev".into(),
        }
    }

    /// Every kind, with the file name `p0` wrote for it before this type existed (taken from
    /// the providers' and accounts' code of that time): upgrading must find every entry.
    fn every_kind() -> Vec<(Entry, &'static str)> {
        vec![
            (
                Entry::Credentials(okta()),
                "aws~okta~acme~123456789012~p0-grants%2FReadOnly",
            ),
            (
                Entry::Credentials(idc()),
                "aws~idc~us-west-2~https%3A%2F%2Fd-1.awsapps.com%2Fstart~123456789012~Dev",
            ),
            (
                Entry::Credentials(Credentials::WebIdentity {
                    role_arn: "arn:aws:iam::123456789012:role/ci".into(),
                    session_name: "p0".into(),
                    token_file: "/run/token".into(),
                }),
                "aws~web-identity~arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fci~p0~%2Frun%2Ftoken",
            ),
            (
                Entry::Credentials(Credentials::Chain {
                    role_arn: "arn:aws:iam::210987654321:role/X".into(),
                    session_name: "p0".into(),
                    external_id: None,
                    source: okta().key(),
                }),
                "aws~chain~arn%3Aaws%3Aiam%3A%3A210987654321%3Arole%2FX~p0~~aws%7Eokta%7Eacme%7E123456789012%7Ep0-grants%252FReadOnly",
            ),
            (
                Entry::Credentials(Credentials::Chain {
                    role_arn: "arn:aws:iam::210987654321:role/X".into(),
                    session_name: "deploy".into(),
                    external_id: Some("ext-42".into()),
                    source: okta().key(),
                }),
                "aws~chain~arn%3Aaws%3Aiam%3A%3A210987654321%3Arole%2FX~deploy~ext-42~aws%7Eokta%7Eacme%7E123456789012%7Ep0-grants%252FReadOnly",
            ),
            (
                Entry::IdcToken(instance()),
                "aws-idc-token~us-west-2~https%3A%2F%2Fd-1.awsapps.com%2Fstart",
            ),
            (
                Entry::IdcRegistration(instance()),
                "aws-idc-client~us-west-2~https%3A%2F%2Fd-1.awsapps.com%2Fstart",
            ),
            (
                Entry::AccountConfig { org: "acme".into() },
                "aws-config~acme",
            ),
            (Entry::KnownRoles { org: "acme".into() }, "aws-roles~acme"),
            (
                Entry::AwsFile {
                    path: "/home/u/.aws/config".into(),
                },
                "aws-file~%2Fhome%2Fu%2F.aws%2Fconfig",
            ),
        ]
    }

    #[test]
    fn file_names_are_the_ones_written_before() {
        for (entry, name) in every_kind() {
            assert_eq!(entry.key().file_stem(), name, "{entry:?}");
        }
        // The parts each was built from before, in the providers' own words.
        let url = "https://d-1.awsapps.com/start";
        let okta_parts = ["aws", "okta", "acme", "123456789012", "p0-grants/ReadOnly"];
        let before = [
            CacheKey::new(&okta_parts),
            CacheKey::new(&["aws", "idc", "us-west-2", url, "123456789012", "Dev"]),
            CacheKey::new(&[
                "aws",
                "web-identity",
                "arn:aws:iam::123456789012:role/ci",
                "p0",
                "/run/token",
            ]),
            CacheKey::new(&[
                "aws",
                "chain",
                "arn:aws:iam::210987654321:role/X",
                "p0",
                "",
                CacheKey::new(&okta_parts).file_stem(),
            ]),
            CacheKey::new(&[
                "aws",
                "chain",
                "arn:aws:iam::210987654321:role/X",
                "deploy",
                "ext-42",
                CacheKey::new(&okta_parts).file_stem(),
            ]),
            CacheKey::new(&["aws-idc-token", "us-west-2", url]),
            CacheKey::new(&["aws-idc-client", "us-west-2", url]),
            CacheKey::new(&["aws-config", "acme"]),
            CacheKey::new(&["aws-roles", "acme"]),
            CacheKey::new(&["aws-file", "/home/u/.aws/config"]),
        ];
        let names: Vec<&str> = every_kind().iter().map(|(_, name)| *name).collect();
        let before: Vec<&str> = before.iter().map(CacheKey::file_stem).collect();
        assert_eq!(before, names);
    }

    #[test]
    fn every_kind_decodes_to_itself() {
        for (entry, _) in every_kind() {
            assert_eq!(Entry::decode(&entry.key()), Decoded::Whole(entry.clone()));
        }
        let chain = Entry::Credentials(Credentials::Chain {
            role_arn: "arn:aws:iam::210987654321:role/X".into(),
            session_name: "p0".into(),
            external_id: None,
            source: idc().key(),
        });
        let Decoded::Whole(Entry::Credentials(Credentials::Chain { source, .. })) =
            Entry::decode(&chain.key())
        else {
            panic!("a chain");
        };
        assert_eq!(
            Entry::decode(&source),
            Decoded::Whole(Entry::Credentials(idc()))
        );
    }

    #[test]
    fn shortened_keys_keep_their_kind_and_strangers_are_unknown() {
        let long = Entry::Credentials(Credentials::Chain {
            role_arn: format!("arn:aws:iam::210987654321:role/{}", "p/".repeat(100)),
            session_name: "p0".into(),
            external_id: None,
            source: idc().key(),
        });
        assert_eq!(
            Entry::decode(&long.key()),
            Decoded::Shortened(Kind::Credentials(Source::Chain))
        );
        let long_file = Entry::AwsFile {
            path: "/d".repeat(200),
        };
        assert_eq!(
            Entry::decode(&long_file.key()),
            Decoded::Shortened(Kind::AwsFile)
        );
        for stranger in [
            CacheKey::new(&["aws", "saml2aws", "x"]),
            CacheKey::new(&["aws-config"]),
            CacheKey::new(&["aws", "okta", "acme", "1"]),
            CacheKey("not%zzdecodable".into()),
        ] {
            assert_eq!(Entry::decode(&stranger), Decoded::Unknown, "{stranger:?}");
        }
    }

    #[test]
    fn sources_have_distinct_words_and_names() {
        let ids: std::collections::BTreeSet<_> = Source::ALL.map(Source::id).into();
        let words: std::collections::BTreeSet<_> = Source::ALL.map(Source::word).into();
        assert_eq!(ids.len(), Source::ALL.len());
        assert_eq!(words.len(), Source::ALL.len());
    }
}
