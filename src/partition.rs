//! AWS partitions, and the hosts each one serves a role's credentials and sign-in from.
//!
//! One table, so STS, the sign-in federation endpoint (`p0 console`) and the console itself
//! never disagree about where a role lives. Hosts are AWS's own: "AWS Sign-In endpoints and
//! quotas" and "AWS Management Console endpoints and quotas" (docs.aws.amazon.com/general/latest/gr/
//! signin-service.html and mgmt-console.html), and the SDK's partition table for each DNS suffix.

// Its users (STS per partition, `p0 console`) land in the work that follows this table.
#![allow(dead_code)]

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
    /// region of its own goes.
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
            Partition::AwsEusc => "eusc-de-east-1.signin.amazonaws-eusc.eu",
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
}
