//! Reading what Okta hands back (protocol §5.3, §5.4): the `SAMLResponse` field of the HTML
//! auto-submit form, and the AWS roles named in the assertion inside it.
//!
//! Real parsers on both layers: scraper for the HTML (entities in the attribute decoded as a
//! browser would) and quick-xml for the assertion (any namespace prefix, character and entity
//! references resolved), instead of P0's fixed `saml2p:`/`saml2:` prefixes.

use crate::error::{Error, Result};
use crate::secret::Secret;
use base64::Engine;
use quick_xml::events::Event;
use quick_xml::Reader;
use regex::Regex;
use std::sync::LazyLock;

/// The attribute that lists the roles a SAML user may assume in AWS.
const ROLE_ATTRIBUTE: &str = "https://aws.amazon.com/SAML/Attributes/Role";

/// `arn:{partition}:iam::{account}:role/{path and name}`.
static ROLE_ARN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^arn:(aws|aws-us-gov):iam::(\d{12}):role/(.+)$").expect("valid regex")
});

/// The AWS partition a role lives in; it decides the STS region (§5.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Partition {
    Aws,
    AwsUsGov,
}

impl Partition {
    pub fn as_str(self) -> &'static str {
        match self {
            Partition::Aws => "aws",
            Partition::AwsUsGov => "aws-us-gov",
        }
    }

    /// The region whose STS endpoint serves SAML federation in this partition.
    pub fn sts_region(self) -> &'static str {
        match self {
            Partition::Aws => "us-east-1",
            Partition::AwsUsGov => "us-gov-east-1",
        }
    }
}

/// One role the assertion allows, e.g. `arn:aws:iam::123456789012:role/p0-grants/ReadOnly`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SamlRole {
    pub partition: Partition,
    pub account_id: String,
    /// The name after `role/`, path kept (`p0-grants/ReadOnly`).
    pub name: String,
}

/// The base64 `SAMLResponse` value of Okta's auto-submit form, or `No SAML assertion obtained
/// from Okta.` when the page has none (an error page, a sign-in page).
pub fn saml_response_from_html(html: &str) -> Result<Secret<String>> {
    static INPUT: LazyLock<scraper::Selector> = LazyLock::new(|| {
        scraper::Selector::parse(r#"input[name="SAMLResponse"]"#).expect("valid selector")
    });
    let document = scraper::Html::parse_document(html);
    document
        .select(&INPUT)
        .filter_map(|input| input.value().attr("value"))
        .map(|value| value.split_whitespace().collect::<String>())
        .find(|value| !value.is_empty())
        .map(Secret::new)
        .ok_or(Error::NoSamlAssertion)
}

/// Every role listed in the assertion's Role attribute, in document order.
pub fn roles_in_assertion(saml_response: &Secret<String>) -> Result<Vec<SamlRole>> {
    let xml = base64::engine::general_purpose::STANDARD
        .decode(saml_response.expose().as_bytes())
        .map_err(|_| Error::MalformedSaml("the SAMLResponse is not base64".into()))?;
    let xml = String::from_utf8(xml)
        .map_err(|_| Error::MalformedSaml("the assertion is not UTF-8 text".into()))?;
    Ok(role_attribute_values(&xml)?
        .iter()
        .filter_map(|value| role_from_attribute_value(value))
        .collect())
}

/// The roles of one account (§5.4). Each keeps its own partition, so no first match decides
/// it for the others as in P0's CLI.
pub fn roles_for_account(roles: &[SamlRole], account_id: &str) -> Vec<SamlRole> {
    roles
        .iter()
        .filter(|role| role.account_id == account_id)
        .cloned()
        .collect()
}

/// An attribute value is `provider-arn,role-arn` in either order; the provider is ignored.
fn role_from_attribute_value(value: &str) -> Option<SamlRole> {
    value.split(',').map(str::trim).find_map(|part| {
        let captures = ROLE_ARN.captures(part)?;
        let partition = match &captures[1] {
            "aws-us-gov" => Partition::AwsUsGov,
            _ => Partition::Aws,
        };
        Some(SamlRole {
            partition,
            account_id: captures[2].to_string(),
            name: captures[3].to_string(),
        })
    })
}

/// The text of each `AttributeValue` inside the `Attribute` named [`ROLE_ATTRIBUTE`], whatever
/// the namespace prefixes.
fn role_attribute_values(xml: &str) -> Result<Vec<String>> {
    let malformed = |e: &dyn std::fmt::Display| Error::MalformedSaml(format!("invalid XML: {e}"));
    let mut reader = Reader::from_str(xml);
    let mut in_role_attribute = false;
    let mut current_value: Option<String> = None;
    let mut values = Vec::new();
    loop {
        match reader.read_event().map_err(|e| malformed(&e))? {
            Event::Start(start) => match start.local_name().as_ref() {
                "Attribute" => {
                    let name = start
                        .try_get_attribute("Name")
                        .map_err(|e| malformed(&e))?
                        .map(|a| {
                            a.normalized_value(quick_xml::XmlVersion::default())
                                .map(|v| v.into_owned())
                        })
                        .transpose()
                        .map_err(|e| malformed(&e))?;
                    in_role_attribute = name.as_deref() == Some(ROLE_ATTRIBUTE);
                }
                "AttributeValue" if in_role_attribute => current_value = Some(String::new()),
                _ => {}
            },
            Event::Text(text) => {
                if let Some(value) = current_value.as_mut() {
                    value.push_str(&text.xml10_content());
                }
            }
            Event::CData(data) => {
                if let Some(value) = current_value.as_mut() {
                    value.push_str(&data.xml10_content());
                }
            }
            Event::GeneralRef(reference) => {
                if let Some(value) = current_value.as_mut() {
                    match reference.resolve_char_ref().map_err(|e| malformed(&e))? {
                        Some(c) => value.push(c),
                        None => value.push_str(
                            quick_xml::escape::resolve_predefined_entity(&reference)
                                .ok_or_else(|| malformed(&"unknown entity"))?,
                        ),
                    }
                }
            }
            Event::End(end) => match end.local_name().as_ref() {
                "AttributeValue" => values.extend(current_value.take()),
                "Attribute" => in_role_attribute = false,
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(values)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A SAML response as Okta shapes it, with the given Role attribute values.
    pub(crate) fn assertion(role_values: &[&str]) -> String {
        let values: String = role_values
            .iter()
            .map(|v| {
                format!(r#"<saml2:AttributeValue xsi:type="xs:string">{v}</saml2:AttributeValue>"#)
            })
            .collect();
        let xml = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<saml2p:Response xmlns:saml2p="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <saml2:Assertion xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion">
    <saml2:AttributeStatement>
      <saml2:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName">
        <saml2:AttributeValue>alice@example.com</saml2:AttributeValue>
      </saml2:Attribute>
      <saml2:Attribute Name="https://aws.amazon.com/SAML/Attributes/Role">{values}</saml2:Attribute>
    </saml2:AttributeStatement>
  </saml2:Assertion>
</saml2p:Response>"#
        );
        base64::engine::general_purpose::STANDARD.encode(xml)
    }

    fn names(roles: &[SamlRole]) -> Vec<&str> {
        roles.iter().map(|r| r.name.as_str()).collect()
    }

    #[test]
    fn reads_the_form_field_with_entities_decoded() {
        let html = r#"<!DOCTYPE html><html><body onload="document.forms[0].submit()">
            <form method="post" action="https://signin.aws.amazon.com/saml">
            <input name="RelayState" type="hidden" value=""/>
            <input name="SAMLResponse" type="hidden" value="PD94&#x62;WwgdmVy&#43;c2lvbj0i&#x3D;"/>
            </form></body></html>"#;
        assert_eq!(
            saml_response_from_html(html).unwrap().expose(),
            "PD94bWwgdmVy+c2lvbj0i="
        );
    }

    #[test]
    fn a_page_without_the_field_has_no_assertion() {
        let err = saml_response_from_html("<html><body><h1>Sign In</h1></body></html>");
        assert!(matches!(err, Err(Error::NoSamlAssertion)));
        assert_eq!(
            err.unwrap_err().to_string(),
            "No SAML assertion obtained from Okta."
        );
        let empty = r#"<form><input name="SAMLResponse" value=""></form>"#;
        assert!(matches!(
            saml_response_from_html(empty),
            Err(Error::NoSamlAssertion)
        ));
    }

    #[test]
    fn reads_roles_in_either_order_with_paths_and_partitions() {
        let response = Secret::new(assertion(&[
            "arn:aws:iam::123456789012:saml-provider/OktaP0,arn:aws:iam::123456789012:role/Admin",
            "arn:aws:iam::123456789012:role/p0-grants/P0GrantsRole1,arn:aws:iam::123456789012:saml-provider/OktaP0",
            "arn:aws-us-gov:iam::111122223333:saml-provider/Gov,arn:aws-us-gov:iam::111122223333:role/GovAdmin",
            "arn:aws:iam::999999999999:saml-provider/X, arn:aws:iam::999999999999:role/Other",
        ]));
        let roles = roles_in_assertion(&response).unwrap();
        assert_eq!(
            names(&roles),
            ["Admin", "p0-grants/P0GrantsRole1", "GovAdmin", "Other"]
        );
        assert_eq!(roles[2].partition, Partition::AwsUsGov);
        assert_eq!(roles[2].partition.sts_region(), "us-gov-east-1");
        assert_eq!(roles[0].partition.sts_region(), "us-east-1");
        assert_eq!(roles[2].account_id, "111122223333");
        assert_eq!(roles[0].partition, Partition::Aws);

        let prod = roles_for_account(&roles, "123456789012");
        assert_eq!(names(&prod), ["Admin", "p0-grants/P0GrantsRole1"]);
        assert!(roles_for_account(&roles, "000000000000").is_empty());
    }

    #[test]
    fn other_attributes_and_prefixes_do_not_matter() {
        let xml = r#"<Response><Assertion><AttributeStatement>
            <Attribute Name="https://aws.amazon.com/SAML/Attributes/SessionDuration"><AttributeValue>arn:aws:iam::123456789012:role/NotThis</AttributeValue></Attribute>
            <a:Attribute xmlns:a="x" Name="https://aws.amazon.com/SAML/Attributes/Role"><a:AttributeValue>arn:aws:iam::123456789012:role/R&amp;D,arn:aws:iam::123456789012:saml-provider/P</a:AttributeValue></a:Attribute>
            </AttributeStatement></Assertion></Response>"#;
        let response = Secret::new(base64::engine::general_purpose::STANDARD.encode(xml));
        assert_eq!(names(&roles_in_assertion(&response).unwrap()), ["R&D"]);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let not_base64 = Secret::new("%%%".to_string());
        assert!(matches!(
            roles_in_assertion(&not_base64),
            Err(Error::MalformedSaml(_))
        ));
        let not_xml = Secret::new(base64::engine::general_purpose::STANDARD.encode("<a><b></a>"));
        assert!(matches!(
            roles_in_assertion(&not_xml),
            Err(Error::MalformedSaml(_))
        ));
        let no_roles = Secret::new(base64::engine::general_purpose::STANDARD.encode("<a/>"));
        assert!(roles_in_assertion(&no_roles).unwrap().is_empty());
    }
}
