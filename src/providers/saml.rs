//! Reading what Okta hands back (protocol §5.3, §5.4): the `SAMLResponse` field of the HTML
//! auto-submit form, and the AWS roles named in the assertion inside it.
//!
//! Real parsers on both layers: html5ever's tokenizer for the HTML (entities in the attribute decoded as a
//! browser would) and quick-xml for the assertion (any namespace prefix, character and entity
//! references resolved), instead of P0's fixed `saml2p:`/`saml2:` prefixes.

use super::assume_role::RoleArn;
use crate::error::{Error, Result};
use crate::partition::Partition;
use crate::secret::Secret;
use base64::Engine;
use quick_xml::events::Event;
use quick_xml::Reader;

/// The attribute that lists the roles a SAML user may assume in AWS.
const ROLE_ATTRIBUTE: &str = "https://aws.amazon.com/SAML/Attributes/Role";

/// One role the assertion allows, e.g. `arn:aws:iam::123456789012:role/p0-grants/ReadOnly`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SamlRole {
    pub partition: Partition,
    pub account_id: String,
    /// The name after `role/`, path kept (`p0-grants/ReadOnly`).
    pub name: String,
    /// Where AssumeRoleWithSAML goes for it: the region of the SAML form's regional sign-in
    /// `action` when that is of the role's partition, else the partition's default region
    /// ([`Partition::sts_region`]).
    pub sts_region: String,
}

/// Okta's auto-submit form: the assertion, and where the form posts it (`action`), which
/// names the AWS sign-in endpoint the app is configured for, and so the partition and region.
pub struct SamlForm {
    pub response: Secret<String>,
    pub action: Option<String>,
}

/// The base64 `SAMLResponse` value of Okta's auto-submit form, or `No SAML assertion obtained
/// from Okta.` when the page has none (an error page, a sign-in page): the first
/// `<input name="SAMLResponse">` with a non-empty `value`, whitespace inside removed (Okta
/// wraps long values).
///
/// Only html5ever's tokenizer runs, not its tree builder: the tokenizer is linear in the page,
/// the tree builder's scope checks are quadratic in the nesting depth (100 000 nested `<div>`s,
/// 500 KB, took minutes of CPU, after the call's deadline and holding the role's lock;
/// RELIABILITY.md `Z1`). A form needs no tree. What the tree builder would decide for the
/// tokenizer is decided here: the text of `<script>`, `<style>`, `<textarea>`, `<title>` and the
/// like is text, not tags, as in a browser.
pub fn saml_response_from_html(html: &str) -> Result<Secret<String>> {
    saml_form_from_html(html).map(|form| form.response)
}

/// As [`saml_response_from_html`], with the `action` of the `<form>` the field is in (the
/// last `<form>` opened before it, as a browser would submit it).
pub fn saml_form_from_html(html: &str) -> Result<SamlForm> {
    use html5ever::tokenizer::{BufferQueue, Tokenizer, TokenizerOpts};
    let tokenizer = Tokenizer::new(FormValue::default(), TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(html5ever::tendril::StrTendril::from_slice(html));
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    let sink = tokenizer.sink;
    let action = sink.action_of_found.into_inner();
    sink.found
        .into_inner()
        .map(|value| SamlForm {
            response: Secret::new(value),
            action,
        })
        .ok_or(Error::NoSamlAssertion)
}

/// The token sink of [`saml_form_from_html`]: keeps the first non-empty `SAMLResponse`, and
/// the action of the form open at that point.
#[derive(Default)]
struct FormValue {
    found: std::cell::RefCell<Option<String>>,
    /// The `action` of the last `<form>` start tag seen.
    action: std::cell::RefCell<Option<String>>,
    action_of_found: std::cell::RefCell<Option<String>>,
}

impl html5ever::tokenizer::TokenSink for FormValue {
    type Handle = ();

    fn process_token(
        &self,
        token: html5ever::tokenizer::Token,
        _line_number: u64,
    ) -> html5ever::tokenizer::TokenSinkResult<()> {
        use html5ever::tokenizer::states::RawKind;
        use html5ever::tokenizer::{TagKind, Token, TokenSinkResult};
        let Token::TagToken(tag) = token else {
            return TokenSinkResult::Continue;
        };
        if tag.kind != TagKind::StartTag {
            return TokenSinkResult::Continue;
        }
        let attr = |name: &str| {
            tag.attrs
                .iter()
                .find(|a| a.name.ns.is_empty() && &*a.name.local == name)
                .map(|a| &*a.value)
        };
        match &*tag.name {
            "form" => {
                *self.action.borrow_mut() = attr("action").map(|a| a.trim().to_string());
                TokenSinkResult::Continue
            }
            "input" => {
                if attr("name") == Some("SAMLResponse") {
                    let value: String = attr("value")
                        .unwrap_or_default()
                        .split_whitespace()
                        .collect();
                    let mut found = self.found.borrow_mut();
                    if found.is_none() && !value.is_empty() {
                        *found = Some(value);
                        *self.action_of_found.borrow_mut() = self.action.borrow().clone();
                    }
                }
                TokenSinkResult::Continue
            }
            // As the tree builder switches the tokenizer in the "in body" insertion mode.
            "script" => TokenSinkResult::RawData(RawKind::ScriptData),
            "style" | "xmp" | "iframe" | "noembed" | "noframes" | "noscript" => {
                TokenSinkResult::RawData(RawKind::Rawtext)
            }
            "textarea" | "title" => TokenSinkResult::RawData(RawKind::Rcdata),
            "plaintext" => TokenSinkResult::Plaintext,
            _ => TokenSinkResult::Continue,
        }
    }
}

/// Every role listed in the assertion's Role attribute, in document order.
pub fn roles_in_assertion(saml_response: &Secret<String>) -> Result<Vec<SamlRole>> {
    let xml = base64::engine::general_purpose::STANDARD
        .decode(saml_response.expose().as_bytes())
        .map_err(|_| Error::MalformedSaml("the SAMLResponse is not base64".into()))?;
    let xml = String::from_utf8(xml)
        .map_err(|_| Error::MalformedSaml("the assertion is not UTF-8 text".into()))?;
    let values = role_attribute_values(&xml)?;
    if values.is_empty() && has_encrypted_assertion(&xml) {
        // Its roles are there, but only AWS's key could read them: no wait makes them appear.
        return Err(Error::EncryptedSamlAssertion);
    }
    Ok(values
        .iter()
        .filter_map(|value| role_from_attribute_value(value))
        .collect())
}

/// Every role of the form's assertion, each with the STS region its form's `action` and its
/// own partition decide (§5.5).
pub fn roles_in_form(form: &SamlForm) -> Result<Vec<SamlRole>> {
    let signin = form.action.as_deref().and_then(Partition::from_signin_url);
    let mut roles = roles_in_assertion(&form.response)?;
    for role in &mut roles {
        role.sts_region = role.partition.sts_region(signin.as_ref());
    }
    Ok(roles)
}

/// Whether the response carries an `EncryptedAssertion` element (any prefix).
fn has_encrypted_assertion(xml: &str) -> bool {
    xml.match_indices("EncryptedAssertion").any(|(at, _)| {
        let before = &xml[..at];
        before.ends_with('<')
            || (before.ends_with(':')
                && before.rfind('<').is_some_and(|open| {
                    before.rfind('>').is_none_or(|close| close < open)
                        && before[open + 1..at - 1]
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
                }))
    })
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
/// A role is `arn:{partition}:iam::{account}:role/{path and name}` in any partition `p0`
/// knows, read by the one ARN reader ([`RoleArn::parse`]).
fn role_from_attribute_value(value: &str) -> Option<SamlRole> {
    value.split(',').map(str::trim).find_map(|part| {
        let role = RoleArn::parse(part, "SAML role").ok()?;
        let target = role.target();
        let partition = role.partition();
        Some(SamlRole {
            partition,
            account_id: target.account_id,
            name: target.role,
            sts_region: partition.default_region().to_string(),
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
    fn fields_in_scripts_comments_and_text_areas_are_text_not_forms() {
        let html = r#"<html><head><title><input name="SAMLResponse" value="t"></title>
            <script>var s = '<input name="SAMLResponse" value="script">';</script>
            <style>/* <input name="SAMLResponse" value="style"> */</style></head><body>
            <!-- <input name="SAMLResponse" value="comment"> -->
            <textarea><input name="SAMLResponse" value="textarea"></textarea>
            <input name="samlresponse" value="other-case">
            <input name="SAMLResponse" value="  ">
            <form><input name="SAMLResponse" value="real"></form>
            <input name="SAMLResponse" value="second"></body></html>"#;
        assert_eq!(saml_response_from_html(html).unwrap().expose(), "real");
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
        assert_eq!(roles[2].sts_region, "us-gov-west-1");
        assert_eq!(roles[0].sts_region, "us-east-1");
        assert_eq!(roles[2].account_id, "111122223333");
        assert_eq!(roles[0].partition, Partition::Aws);

        let prod = roles_for_account(&roles, "123456789012");
        assert_eq!(names(&prod), ["Admin", "p0-grants/P0GrantsRole1"]);
        assert!(roles_for_account(&roles, "000000000000").is_empty());
    }

    #[test]
    fn every_partition_is_read_and_the_form_action_decides_the_sts_region() {
        let value = |partition: &str| {
            format!(
                "arn:{partition}:iam::123456789012:saml-provider/P,arn:{partition}:iam::123456789012:role/R"
            )
        };
        let response = assertion(&[
            &value("aws"),
            &value("aws-us-gov"),
            &value("aws-cn"),
            &value("aws-eusc"),
            &value("aws-iso"),
        ]);
        let form = |action: &str| {
            format!(
                r#"<html><body><form action="{}"><input name="RelayState" value=""></form>
                <form method="post" action="{action}"><input name="SAMLResponse" value="{response}"></form>
                <form action="https://eu-west-1.signin.aws.amazon.com/saml"></form></body></html>"#,
                "https://other.example/"
            )
        };
        let partitions = |roles: &[SamlRole]| roles.iter().map(|r| r.partition).collect::<Vec<_>>();
        let regions = |roles: &[SamlRole]| {
            roles
                .iter()
                .map(|r| r.sts_region.clone())
                .collect::<Vec<_>>()
        };

        // aws-cn and aws-eusc roles are kept (P0's CLI drops them); an unknown partition is not.
        let global = saml_form_from_html(&form("https://signin.aws.amazon.com/saml")).unwrap();
        assert_eq!(
            global.action.as_deref(),
            Some("https://signin.aws.amazon.com/saml")
        );
        let roles = roles_in_form(&global).unwrap();
        assert_eq!(partitions(&roles), Partition::ALL);
        assert_eq!(
            regions(&roles),
            ["us-east-1", "us-gov-west-1", "cn-north-1", "eusc-de-east-1"]
        );

        // A regional action moves its own partition's roles to that region's STS.
        let regional =
            saml_form_from_html(&form("https://ap-southeast-2.signin.aws.amazon.com/saml"))
                .unwrap();
        assert_eq!(
            roles_in_form(&regional).unwrap()[0].sts_region,
            "ap-southeast-2"
        );
        let china =
            saml_form_from_html(&form("https://cn-northwest-1.signin.amazonaws.cn/saml")).unwrap();
        assert_eq!(
            regions(&roles_in_form(&china).unwrap()),
            [
                "us-east-1",
                "us-gov-west-1",
                "cn-northwest-1",
                "eusc-de-east-1"
            ]
        );
        let gov = saml_form_from_html(&form(
            "https://us-gov-east-1.signin.amazonaws-us-gov.com/saml",
        ))
        .unwrap();
        assert_eq!(roles_in_form(&gov).unwrap()[1].sts_region, "us-gov-east-1");

        // An action on no sign-in host (or none at all) leaves the ARN to decide.
        let elsewhere = saml_form_from_html(&form("https://idp.example/acs")).unwrap();
        assert_eq!(regions(&roles_in_form(&elsewhere).unwrap())[0], "us-east-1");
        let bare = format!(r#"<input name="SAMLResponse" value="{response}">"#);
        assert_eq!(saml_form_from_html(&bare).unwrap().action, None);
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
    fn an_encrypted_assertion_is_named_as_such() {
        let encrypted = |xml: &str| {
            let response = Secret::new(base64::engine::general_purpose::STANDARD.encode(xml));
            roles_in_assertion(&response)
        };
        for xml in [
            "<saml2p:Response xmlns:saml2p=\"p\" xmlns:saml2=\"a\"><saml2:EncryptedAssertion>\
             <xenc:EncryptedData xmlns:xenc=\"x\"/></saml2:EncryptedAssertion></saml2p:Response>",
            "<Response><EncryptedAssertion><EncryptedData/></EncryptedAssertion></Response>",
        ] {
            assert!(
                matches!(encrypted(xml), Err(Error::EncryptedSamlAssertion)),
                "{xml}"
            );
        }
        // The word in text is not the element.
        let text = "<Response><Status>EncryptedAssertion: none</Status></Response>";
        assert!(encrypted(text).unwrap().is_empty());
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

/// What Okta's SSO page hands `p0`, fuzzed (RELIABILITY.md `Z1`, `Z2`): any page yields an
/// assertion or `NoSamlAssertion`, never a panic, in bounded time; a form's value comes back
/// whole; any assertion bytes yield roles or `MalformedSaml`; role values round-trip. Longer:
/// `PROPTEST_CASES=100000 cargo test --release fuzz::`.
#[cfg(test)]
mod fuzz {
    use super::*;
    use crate::fuzzing::{config, BOUND};
    use proptest::prelude::*;
    use std::time::{Duration, Instant};

    /// Pieces of HTML, as an error page, a sign-in page or a broken proxy would send them.
    fn html() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("<html>".to_string()),
            Just("<form method=\"POST\" action=\"https://aws/saml\">".to_string()),
            Just("<input type=\"hidden\" name=\"SAMLResponse\" value=\"".to_string()),
            Just("<input name=SAMLResponse value=>".to_string()),
            Just("\">".to_string()),
            Just("</form>".to_string()),
            Just("<div>".repeat(50)),
            Just("<!--".to_string()),
            Just("-->".to_string()),
            Just("<script>".to_string()),
            Just("&amp;&#0;&#x110000;&bogus".to_string()),
            Just("\0".to_string()),
            Just("\u{feff}".to_string()),
            "[a-zA-Z0-9+/= <>\"'&;#\n\t-]{0,40}",
            any::<String>(),
        ];
        prop::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
    }

    fn xml() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just(format!("<saml2:Attribute Name=\"{ROLE_ATTRIBUTE}\">")),
            Just("<saml2:Attribute Name=\"&lt;&bogus;\">".to_string()),
            Just("<saml2:AttributeValue>".to_string()),
            Just("</saml2:AttributeValue>".to_string()),
            Just("</saml2:Attribute>".to_string()),
            Just("arn:aws:iam::123456789012:role/R".to_string()),
            Just("arn:aws:iam::123456789012:saml-provider/P,".to_string()),
            Just(",".to_string()),
            Just("&amp;&#x41;&#0;&#xD800;&unknown;".to_string()),
            Just("<![CDATA[".to_string()),
            Just("]]>".to_string()),
            Just("<?xml version=\"1.0\"?>".to_string()),
            Just("<!DOCTYPE x [<!ENTITY a \"aaaa\">]>".to_string()),
            Just("<a>".repeat(100)),
            Just("\0".to_string()),
            any::<String>(),
        ];
        prop::collection::vec(piece, 0..60).prop_map(|pieces| pieces.concat())
    }

    fn role_value() -> impl Strategy<Value = (String, (Partition, String, String))> {
        (
            prop::sample::select(Partition::ALL.to_vec()),
            "[0-9]{12}",
            // IAM role names and paths: [\w+=,.@-] and `/`.
            "[A-Za-z0-9+=.@_-]{1,20}(/[A-Za-z0-9+=.@_-]{1,10}){0,2}",
            any::<bool>(),
        )
            .prop_map(|(partition, account, name, provider_first)| {
                let role = format!("arn:{}:iam::{account}:role/{name}", partition.as_str());
                let provider = format!(
                    "arn:{}:iam::{account}:saml-provider/Okta",
                    partition.as_str()
                );
                let value = if provider_first {
                    format!("{provider},{role}")
                } else {
                    format!("{role},{provider}")
                };
                (value, (partition, account, name))
            })
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn any_page_yields_an_assertion_or_none(page in html()) {
            let started = Instant::now();
            match saml_response_from_html(&page) {
                Ok(value) => prop_assert!(!value.expose().is_empty()),
                Err(e) => prop_assert!(matches!(e, Error::NoSamlAssertion), "{e:?}"),
            }
            prop_assert!(started.elapsed() < BOUND);
        }

        #[test]
        fn a_forms_value_comes_back_whole(
            value in "[A-Za-z0-9+/]{1,400}={0,2}",
            breaks in prop::collection::vec((0usize..400, "[ \n\r\t]{1,3}"), 0..5),
            before in html(),
        ) {
            // Okta wraps long values; whitespace inside is not part of the base64.
            let mut wrapped = value.clone();
            for (at, space) in breaks {
                let at = at.min(wrapped.len());
                wrapped.insert_str(at, &space);
            }
            // Whatever comes before, closed off so the form is not inside an attribute or a
            // comment.
            let page = format!(
                "<html><body>{}\"'--></textarea></script></style>-->\
                 <form method=\"POST\"><input type=\"hidden\" name=\"SAMLResponse\" \
                 value=\"{wrapped}\"/></form></body></html>",
                before.replace("SAMLResponse", "x").replace("<!", "").replace("<plaintext", "")
                    .replace("<xmp", "").replace("<noscript", "").replace("<iframe", "")
                    .replace("<noembed", "").replace("<noframes", "").replace("<title", "")
                    .replace("<textarea", "").replace("<script", "").replace("<style", "")
            );
            let found = saml_response_from_html(&page);
            prop_assert!(found.is_ok(), "{page}");
            let found = found.unwrap();
            prop_assert_eq!(found.expose(), &value);
        }

        #[test]
        fn any_assertion_yields_roles_or_malformed(
            bytes in prop::collection::vec(any::<u8>(), 0..2000),
            text in xml(),
            raw in any::<String>(),
        ) {
            let started = Instant::now();
            let engine = base64::engine::general_purpose::STANDARD;
            for response in [engine.encode(&bytes), engine.encode(&text), raw] {
                match roles_in_assertion(&Secret::new(response)) {
                    Ok(_) => {}
                    Err(e) => prop_assert!(matches!(e, Error::MalformedSaml(_)), "{e:?}"),
                }
            }
            prop_assert!(started.elapsed() < BOUND);
        }

        #[test]
        fn role_values_round_trip(values in prop::collection::vec(role_value(), 0..12)) {
            let texts: Vec<&str> = values.iter().map(|(text, _)| text.as_str()).collect();
            let response = Secret::new(tests::assertion(&texts));
            let roles = roles_in_assertion(&response).unwrap();
            prop_assert_eq!(roles.len(), values.len());
            for (role, (_, (partition, account, name))) in roles.iter().zip(&values) {
                prop_assert_eq!(role.partition, *partition);
                prop_assert_eq!(&role.account_id, account);
                prop_assert_eq!(&role.name, name);
            }
        }
    }

    /// Inputs no generator reaches in a short run: deep nesting, a huge line, NULs.
    #[test]
    fn deep_nesting_and_huge_inputs_are_bounded() {
        let started = Instant::now();
        let deep = format!("{}{}", "<div>".repeat(100_000), "</div>".repeat(100_000));
        assert!(saml_response_from_html(&deep).is_err());
        let huge_value = "A".repeat(2 * 1024 * 1024);
        let page = format!("<input name=\"SAMLResponse\" value=\"{huge_value}\">");
        assert_eq!(
            saml_response_from_html(&page).unwrap().expose().len(),
            huge_value.len()
        );
        let nuls = "\0".repeat(1024 * 1024);
        assert!(saml_response_from_html(&nuls).is_err());
        let engine = base64::engine::general_purpose::STANDARD;
        let deep_xml = format!("{}{}", "<a>".repeat(100_000), "</a>".repeat(100_000));
        assert!(roles_in_assertion(&Secret::new(engine.encode(deep_xml)))
            .unwrap()
            .is_empty());
        let invalid_utf8 = engine.encode([0xff, 0xfe, 0x00, 0xc3]);
        assert!(roles_in_assertion(&Secret::new(invalid_utf8)).is_err());
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{:?}",
            started.elapsed()
        );
    }
}
