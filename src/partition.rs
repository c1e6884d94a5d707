//! AWS partitions, and the hosts each one serves a role's credentials and sign-in from.
//!
//! One table, so STS, the sign-in federation endpoint (`p0 console`, the SAML form's `action`),
//! Identity Center's start URL and the console itself never disagree about where a role lives.
//!
//! Sources:
//! - partitions, their region name patterns, DNS suffixes and implicit global regions: the AWS
//!   SDK for Rust's partition table (`endpoint_lib.rs` of aws-sdk-sts 1.124, the same JSON in
//!   aws-sdk-sso and aws-sdk-ssooidc): `aws` `amazonaws.com`, `aws-us-gov` `amazonaws.com`,
//!   `aws-cn` `amazonaws.com.cn`, `aws-eusc` `amazonaws.eu` (regions `^eusc-(de)-\w+-\d+$`);
//! - sign-in hosts: "AWS Sign-In endpoints and quotas"
//!   (docs.aws.amazon.com/general/latest/gr/signin-service.html): `signin.aws.amazon.com` for
//!   us-east-1 and `{region}.signin.aws.amazon.com` for every other commercial region; IAM's
//!   "Configure your SAML 2.0 IdP with relying party trust" names `https://signin.aws.amazon.com/saml`
//!   and `https://{region}.signin.aws.amazon.com/saml` as the SAML endpoints; GovCloud's
//!   `signin.amazonaws-us-gov.com` and China's `signin.amazonaws.cn` are those partitions' user
//!   guides' SAML endpoints;
//! - console hosts: "AWS Management Console endpoints and quotas" (mgmt-console.html).

/// An AWS partition, as named in an ARN (`arn:{partition}:...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Partition {
    /// The commercial regions.
    Aws,
    /// AWS GovCloud (US).
    AwsUsGov,
    /// The China regions (operated by Sinnet and NWCD).
    AwsCn,
    /// The AWS European Sovereign Cloud.
    AwsEusc,
}

impl Partition {
    pub const ALL: [Partition; 4] = [
        Partition::Aws,
        Partition::AwsUsGov,
        Partition::AwsCn,
        Partition::AwsEusc,
    ];

    /// The name in ARNs.
    pub fn as_str(self) -> &'static str {
        match self {
            Partition::Aws => "aws",
            Partition::AwsUsGov => "aws-us-gov",
            Partition::AwsCn => "aws-cn",
            Partition::AwsEusc => "aws-eusc",
        }
    }

    /// The partition an ARN names, `None` for one `p0` does not know.
    pub fn from_name(name: &str) -> Option<Partition> {
        Partition::ALL.into_iter().find(|p| p.as_str() == name)
    }

    /// The partition of an ARN (`arn:{partition}:...`), `None` when it is not an ARN of a
    /// known partition.
    pub fn from_arn(arn: &str) -> Option<Partition> {
        let rest = arn.strip_prefix("arn:")?;
        Partition::from_name(rest.split(':').next()?)
    }

    /// The partition a region belongs to, by its name's prefix as the SDK's partition table
    /// matches it (`cn-*`, `us-gov-*`, `eusc-*`); every other region is the commercial one.
    pub fn from_region(region: &str) -> Partition {
        if region.starts_with("cn-") {
            Partition::AwsCn
        } else if region.starts_with("us-gov-") {
            Partition::AwsUsGov
        } else if region.starts_with("eusc-") {
            Partition::AwsEusc
        } else {
            Partition::Aws
        }
    }

    /// The region of the partition's global (or first) STS endpoint, where a call with no
    /// region of its own goes (AssumeRoleWithSAML from the global sign-in endpoint, a chained
    /// AssumeRole). The SDK's `implicitGlobalRegion` for aws, aws-us-gov and aws-eusc. For aws-cn
    /// Beijing (cn-north-1), which `p0`'s chained roles used before; the SDK names Ningxia
    /// (cn-northwest-1), and both serve STS. GovCloud: us-gov-west-1 (the SDK's); P0's CLI uses
    /// us-gov-east-1 (docs/protocol.md §5.5), and both serve STS.
    pub fn default_region(self) -> &'static str {
        match self {
            Partition::Aws => "us-east-1",
            Partition::AwsUsGov => "us-gov-west-1",
            Partition::AwsCn => "cn-north-1",
            Partition::AwsEusc => "eusc-de-east-1",
        }
    }

    /// The DNS suffix of the partition's regional service endpoints.
    pub fn dns_suffix(self) -> &'static str {
        match self {
            Partition::Aws | Partition::AwsUsGov => "amazonaws.com",
            Partition::AwsCn => "amazonaws.com.cn",
            Partition::AwsEusc => "amazonaws.eu",
        }
    }

    /// The sign-in federation endpoint's host (`/federation`, `/saml`). The European Sovereign
    /// Cloud has only regional ones.
    pub fn signin_host(self) -> &'static str {
        match self {
            Partition::Aws => "signin.aws.amazon.com",
            Partition::AwsUsGov => "signin.amazonaws-us-gov.com",
            Partition::AwsCn => "signin.amazonaws.cn",
            // No global host: the SDK's signin endpoint rules give only
            // `https://{Region}.signin.amazonaws-eusc.eu` for aws-eusc.
            Partition::AwsEusc => "eusc-de-east-1.signin.amazonaws-eusc.eu",
        }
    }

    /// The sign-in host of `region` in this partition: the global one for the partition's
    /// default region (`signin.aws.amazon.com` is us-east-1's), else `{region}.signin....`.
    // Only tests use it yet: `p0 console` signs in at the partition's global host, which AWS
    // documents for federation; a `--signin-region` would be its first user.
    #[allow(dead_code)]
    pub fn regional_signin_host(self, region: &str) -> String {
        if region == self.default_region() {
            self.signin_host().to_string()
        } else {
            format!("{region}.{}", self.signin_domain())
        }
    }

    /// The domain under which every sign-in host of the partition lies.
    fn signin_domain(self) -> &'static str {
        match self {
            Partition::Aws => "signin.aws.amazon.com",
            Partition::AwsUsGov => "signin.amazonaws-us-gov.com",
            Partition::AwsCn => "signin.amazonaws.cn",
            Partition::AwsEusc => "signin.amazonaws-eusc.eu",
        }
    }

    /// Where a SAML form's `action` (`https://{region}.signin.aws.amazon.com/saml`,
    /// `https://signin.amazonaws.cn/saml`, ...) sends the assertion: the partition, and the
    /// region when the host names one. `None` for a URL on no partition's sign-in host (an
    /// IdP configured with some other ACS): then the role ARN alone decides.
    pub fn from_signin_url(url: &str) -> Option<(Partition, Option<String>)> {
        let parsed = url::Url::parse(url).ok()?;
        if parsed.scheme() != "https" {
            return None;
        }
        let host = parsed.host_str()?.to_ascii_lowercase();
        Partition::ALL.into_iter().find_map(|partition| {
            let domain = partition.signin_domain();
            if host == domain {
                return Some((partition, None));
            }
            let region = host.strip_suffix(domain)?.strip_suffix('.')?;
            let valid = !region.is_empty()
                && region
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && Partition::from_region(region) == partition;
            valid.then(|| (partition, Some(region.to_string())))
        })
    }

    /// The STS region for a role of this partition whose assertion goes to `signin`
    /// ([`Partition::from_signin_url`] of the form's action): the action's region when it is
    /// regional and of the role's own partition, else the partition's default region.
    pub fn sts_region(self, signin: Option<&(Partition, Option<String>)>) -> String {
        match signin {
            Some((partition, Some(region))) if *partition == self => region.clone(),
            _ => self.default_region().to_string(),
        }
    }

    /// The AWS access portal (Identity Center start URL) of an identity store in `region`,
    /// by the region's partition:
    /// - aws: `https://{id}.awsapps.com/start`;
    /// - aws-us-gov: `https://start.us-gov-home.awsapps.com/directory/{id}` (as P0's CLI builds
    ///   it, src/plugins/aws/idc/index.ts);
    /// - aws-cn: `https://start.{region}.home.awsapps.cn/directory/{id}` (the AWS SDK for .NET's
    ///   `SSOEndpointResolver` tests name this China form, regional, for both China regions);
    /// - aws-eusc: `https://{id}.{region}.portal.amazonaws.eu` (no global portal host; the
    ///   regional portal form on the partition's DNS suffix, as aws-sso-cli's partition table
    ///   has it). Neither of the last two was checked against a real instance.
    pub fn start_url(identity_store_id: &str, region: &str) -> String {
        match Partition::from_region(region) {
            Partition::Aws => format!("https://{identity_store_id}.awsapps.com/start"),
            Partition::AwsUsGov => {
                format!("https://start.us-gov-home.awsapps.com/directory/{identity_store_id}")
            }
            Partition::AwsCn => {
                format!("https://start.{region}.home.awsapps.cn/directory/{identity_store_id}")
            }
            Partition::AwsEusc => format!(
                "https://{identity_store_id}.{region}.portal.{}",
                Partition::AwsEusc.dns_suffix()
            ),
        }
    }

    /// The AWS Management Console's host.
    pub fn console_host(self) -> &'static str {
        match self {
            Partition::Aws => "console.aws.amazon.com",
            Partition::AwsUsGov => "console.amazonaws-us-gov.com",
            Partition::AwsCn => "console.amazonaws.cn",
            Partition::AwsEusc => "console.amazonaws-eusc.eu",
        }
    }
}

impl std::fmt::Display for Partition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for partition in Partition::ALL {
            assert_eq!(Partition::from_name(partition.as_str()), Some(partition));
            assert_eq!(
                Partition::from_region(partition.default_region()),
                partition,
                "{partition}'s default region is its own"
            );
        }
        assert_eq!(Partition::from_name("aws-iso"), None);
    }

    #[test]
    fn partition_of_arns_and_regions() {
        assert_eq!(
            Partition::from_arn("arn:aws-cn:iam::123456789012:role/Admin"),
            Some(Partition::AwsCn)
        );
        assert_eq!(
            Partition::from_arn("arn:aws-eusc:iam::123456789012:role/Admin"),
            Some(Partition::AwsEusc)
        );
        assert_eq!(Partition::from_arn("aws:iam::1:role/x"), None);
        assert_eq!(Partition::from_region("us-west-2"), Partition::Aws);
        assert_eq!(Partition::from_region("us-gov-east-1"), Partition::AwsUsGov);
        assert_eq!(Partition::from_region("cn-northwest-1"), Partition::AwsCn);
        assert_eq!(Partition::from_region("eusc-de-east-1"), Partition::AwsEusc);
    }

    #[test]
    fn saml_form_actions_name_partition_and_region() {
        let of = Partition::from_signin_url;
        assert_eq!(
            of("https://signin.aws.amazon.com/saml"),
            Some((Partition::Aws, None))
        );
        assert_eq!(
            of("https://eu-west-1.signin.aws.amazon.com/saml"),
            Some((Partition::Aws, Some("eu-west-1".into())))
        );
        assert_eq!(
            of("https://signin.amazonaws-us-gov.com/saml"),
            Some((Partition::AwsUsGov, None))
        );
        assert_eq!(
            of("https://us-gov-east-1.signin.amazonaws-us-gov.com/saml"),
            Some((Partition::AwsUsGov, Some("us-gov-east-1".into())))
        );
        assert_eq!(
            of("https://signin.amazonaws.cn/saml"),
            Some((Partition::AwsCn, None))
        );
        assert_eq!(
            of("https://cn-northwest-1.signin.amazonaws.cn/saml"),
            Some((Partition::AwsCn, Some("cn-northwest-1".into())))
        );
        assert_eq!(
            of("https://eusc-de-east-1.signin.amazonaws-eusc.eu/saml"),
            Some((Partition::AwsEusc, Some("eusc-de-east-1".into())))
        );
        for other in [
            "http://signin.aws.amazon.com/saml",
            "https://evil.example/saml",
            "https://signin.aws.amazon.com.evil.example/saml",
            "https://cn-north-1.signin.aws.amazon.com/saml",
            "https://a.b.signin.aws.amazon.com/saml",
            "not a url",
        ] {
            assert_eq!(of(other), None, "{other}");
        }
    }

    #[test]
    fn sts_region_follows_a_regional_action_of_the_same_partition() {
        let regional = Partition::from_signin_url("https://eu-west-1.signin.aws.amazon.com/saml");
        assert_eq!(Partition::Aws.sts_region(regional.as_ref()), "eu-west-1");
        assert_eq!(Partition::Aws.sts_region(None), "us-east-1");
        let global = Partition::from_signin_url("https://signin.amazonaws-us-gov.com/saml");
        assert_eq!(
            Partition::AwsUsGov.sts_region(global.as_ref()),
            "us-gov-west-1"
        );
        // A role of another partition than the action's keeps its own partition's region.
        assert_eq!(Partition::AwsCn.sts_region(regional.as_ref()), "cn-north-1");
        for partition in Partition::ALL {
            let host = partition.regional_signin_host(partition.default_region());
            assert_eq!(host, partition.signin_host());
            let url = format!("https://{host}/saml");
            assert_eq!(
                Partition::from_signin_url(&url).map(|(p, _)| p),
                Some(partition),
                "{url}"
            );
        }
        assert_eq!(
            Partition::Aws.regional_signin_host("us-west-2"),
            "us-west-2.signin.aws.amazon.com"
        );
    }
}
