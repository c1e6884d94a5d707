//! The families of AWS access P0 offers, and every word that differs between them, in one
//! table: a new backend is one variant and one row here (plus its provider and its login
//! settings in `accounts`).

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Backend {
    /// IAM roles through Okta SAML federation (`p0 aws role assume`).
    OktaSaml,
    /// Permission sets through AWS IAM Identity Center (`p0 aws permission-set assume`).
    IdentityCenter,
}

/// The words of one backend.
struct Words {
    /// In cache keys.
    cache_key: &'static str,
    /// The resource word of P0's request argv (§3.5), and of `p0 ls aws ...`.
    request: &'static str,
    /// The `p0 aws` subcommand.
    subcommand: &'static str,
}

impl Backend {
    pub const ALL: [Backend; 2] = [Backend::OktaSaml, Backend::IdentityCenter];

    const fn words(self) -> Words {
        match self {
            Backend::OktaSaml => Words {
                cache_key: "okta",
                request: "role",
                subcommand: "role",
            },
            Backend::IdentityCenter => Words {
                cache_key: "idc",
                request: "permission-set",
                subcommand: "permission-set",
            },
        }
    }

    pub fn cache_key(self) -> &'static str {
        self.words().cache_key
    }

    pub fn request_word(self) -> &'static str {
        self.words().request
    }

    pub fn subcommand(self) -> &'static str {
        self.words().subcommand
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::OktaSaml => "Okta SAML",
            Backend::IdentityCenter => "AWS IAM Identity Center",
        })
    }
}

/// A set of backends (the families an org's accounts use).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Families(u8);

impl Families {
    fn bit(backend: Backend) -> u8 {
        1 << backend as u8
    }

    pub fn insert(&mut self, backend: Backend) {
        self.0 |= Self::bit(backend);
    }

    pub fn contains(self, backend: Backend) -> bool {
        self.0 & Self::bit(backend) != 0
    }
}

impl FromIterator<Backend> for Families {
    fn from_iter<I: IntoIterator<Item = Backend>>(backends: I) -> Self {
        let mut families = Families::default();
        for backend in backends {
            families.insert(backend);
        }
        families
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_backend_has_distinct_words() {
        let words = |f: fn(Backend) -> &'static str| {
            let mut all: Vec<_> = Backend::ALL.iter().map(|b| f(*b)).collect();
            all.sort();
            all.dedup();
            all.len()
        };
        assert_eq!(words(Backend::cache_key), Backend::ALL.len());
        assert_eq!(words(Backend::request_word), Backend::ALL.len());
        assert_eq!(words(Backend::subcommand), Backend::ALL.len());
    }

    #[test]
    fn families_are_a_set() {
        let families: Families = [Backend::OktaSaml, Backend::OktaSaml].into_iter().collect();
        assert!(families.contains(Backend::OktaSaml));
        assert!(!families.contains(Backend::IdentityCenter));
        assert_eq!(Families::default(), Families::from_iter([]));
    }
}
