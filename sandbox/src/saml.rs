//! The SAML 2.0 Response Okta's AWS app posts to AWS, and the HTML page that carries it
//! (protocol §5.3, §5.4), in Okta's own shape: `saml2p`/`saml2` prefixes, a signature element,
//! attribute values HTML-encoded in the form.

use crate::tokens;

pub struct Assertion<'a> {
    /// The sign-in endpoint the response is for (its `Destination` and `Recipient`).
    pub destination: &'a str,
    pub issuer_app: &'a str,
    pub email: &'a str,
    /// `(provider ARN, role ARN)` pairs, one Role attribute value each.
    pub roles: Vec<(String, String)>,
    pub session_duration_secs: u64,
}

/// AWS sign-in's global SAML endpoint (the commercial partition's).
pub const AWS_SAML_ENDPOINT: &str = "https://signin.aws.amazon.com/saml";

pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// HTML attribute encoding as Okta does it (OWASP ESAPI): everything but alphanumerics and
/// `,.-_` becomes `&#xHH;`, so base64's `+`, `/` and `=` appear as `&#x2b;`, `&#x2f;`, `&#x3d;`.
pub fn html_attr_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, ',' | '.' | '-' | '_') {
            out.push(c);
        } else {
            out.push_str(&format!("&#x{:x};", c as u32));
        }
    }
    out
}

fn attribute(name: &str, values: &[String]) -> String {
    let values: String = values
        .iter()
        .map(|value| {
            format!(
                "<saml2:AttributeValue xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" \
                 xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
                 xsi:type=\"xs:string\">{}</saml2:AttributeValue>",
                xml_escape(value)
            )
        })
        .collect();
    format!(
        "<saml2:Attribute Name=\"{name}\" \
         NameFormat=\"urn:oasis:names:tc:SAML:2.0:attrname-format:uri\">{values}</saml2:Attribute>"
    )
}

fn signature(reference: &str) -> String {
    format!(
        "<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:SignedInfo>\
         <ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>\
         <ds:SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256\"/>\
         <ds:Reference URI=\"#{reference}\"><ds:Transforms>\
         <ds:Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/>\
         <ds:Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\">\
         <ec:InclusiveNamespaces xmlns:ec=\"http://www.w3.org/2001/10/xml-exc-c14n#\" PrefixList=\"xs\"/>\
         </ds:Transform></ds:Transforms>\
         <ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/>\
         <ds:DigestValue>{digest}</ds:DigestValue></ds:Reference></ds:SignedInfo>\
         <ds:SignatureValue>{value}</ds:SignatureValue><ds:KeyInfo><ds:X509Data>\
         <ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></ds:Signature>",
        digest = tokens::base64_standard(tokens::random_hex(16).as_bytes()),
        value = tokens::base64_standard(tokens::random_hex(128).as_bytes()),
        cert = tokens::base64_standard(tokens::random_hex(300).as_bytes()),
    )
}

/// The Response XML. The Role attribute is left out when no role is assigned, as Okta does.
/// A Response whose assertion is encrypted (XML Encryption, as Okta's "Assertion Encryption"
/// setting sends it): an AES key wrapped for the service provider's certificate, and the
/// assertion as cipher text. Nothing of the roles is readable without that key.
pub fn encrypted_response_xml(issuer_app: &str) -> String {
    let issued = tokens::iso8601(tokens::now_secs());
    let issuer = format!(
        "http://www.okta.com/exk{}",
        tokens::stable_hex16(issuer_app)
    );
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <saml2p:Response xmlns:saml2p=\"urn:oasis:names:tc:SAML:2.0:protocol\" \
         Destination=\"{AWS_SAML_ENDPOINT}\" ID=\"id{id}\" IssueInstant=\"{issued}\" Version=\"2.0\">\
         <saml2:Issuer xmlns:saml2=\"urn:oasis:names:tc:SAML:2.0:assertion\">{issuer}</saml2:Issuer>\
         <saml2p:Status><saml2p:StatusCode Value=\"urn:oasis:names:tc:SAML:2.0:status:Success\"/>\
         </saml2p:Status>\
         <saml2:EncryptedAssertion xmlns:saml2=\"urn:oasis:names:tc:SAML:2.0:assertion\">\
         <xenc:EncryptedData xmlns:xenc=\"http://www.w3.org/2001/04/xmlenc#\" \
         Type=\"http://www.w3.org/2001/04/xmlenc#Element\">\
         <xenc:EncryptionMethod Algorithm=\"http://www.w3.org/2009/xmlenc11#aes256-gcm\"/>\
         <ds:KeyInfo xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><xenc:EncryptedKey>\
         <xenc:EncryptionMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p\"/>\
         <xenc:CipherData><xenc:CipherValue>{key}</xenc:CipherValue></xenc:CipherData>\
         </xenc:EncryptedKey></ds:KeyInfo>\
         <xenc:CipherData><xenc:CipherValue>{data}</xenc:CipherValue></xenc:CipherData>\
         </xenc:EncryptedData></saml2:EncryptedAssertion></saml2p:Response>",
        id = tokens::random_hex(16),
        key = tokens::base64_standard(tokens::random_hex(128).as_bytes()),
        data = tokens::base64_standard(tokens::random_hex(1200).as_bytes()),
    )
}

pub fn response_xml(assertion: &Assertion) -> String {
    let now = tokens::now_secs();
    let issued = tokens::iso8601(now);
    let not_before = tokens::iso8601(now.saturating_sub(300));
    let not_after = tokens::iso8601(now + 300);
    let response_id = format!("id{}", tokens::random_hex(16));
    let assertion_id = format!("id{}", tokens::random_hex(16));
    let issuer = format!(
        "http://www.okta.com/exk{}",
        tokens::stable_hex16(assertion.issuer_app)
    );
    let email = xml_escape(assertion.email);
    let mut attributes = String::new();
    if !assertion.roles.is_empty() {
        let values: Vec<String> = assertion
            .roles
            .iter()
            .map(|(provider, role)| format!("{provider},{role}"))
            .collect();
        attributes.push_str(&attribute(
            "https://aws.amazon.com/SAML/Attributes/Role",
            &values,
        ));
    }
    attributes.push_str(&attribute(
        "https://aws.amazon.com/SAML/Attributes/RoleSessionName",
        &[assertion.email.to_string()],
    ));
    attributes.push_str(&attribute(
        "https://aws.amazon.com/SAML/Attributes/SessionDuration",
        &[assertion.session_duration_secs.to_string()],
    ));
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <saml2p:Response xmlns:saml2p=\"urn:oasis:names:tc:SAML:2.0:protocol\" \
         Destination=\"{destination}\" ID=\"{response_id}\" IssueInstant=\"{issued}\" \
         Version=\"2.0\" xmlns:xs=\"http://www.w3.org/2001/XMLSchema\">\
         <saml2:Issuer xmlns:saml2=\"urn:oasis:names:tc:SAML:2.0:assertion\" \
         Format=\"urn:oasis:names:tc:SAML:2.0:nameid-format:entity\">{issuer}</saml2:Issuer>\
         <saml2p:Status><saml2p:StatusCode Value=\"urn:oasis:names:tc:SAML:2.0:status:Success\"/>\
         </saml2p:Status>\
         <saml2:Assertion xmlns:saml2=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"{assertion_id}\" \
         IssueInstant=\"{issued}\" Version=\"2.0\" xmlns:xs=\"http://www.w3.org/2001/XMLSchema\">\
         <saml2:Issuer Format=\"urn:oasis:names:tc:SAML:2.0:nameid-format:entity\">{issuer}</saml2:Issuer>\
         {signature}\
         <saml2:Subject><saml2:NameID Format=\"urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified\">\
         {email}</saml2:NameID><saml2:SubjectConfirmation Method=\"urn:oasis:names:tc:SAML:2.0:cm:bearer\">\
         <saml2:SubjectConfirmationData NotOnOrAfter=\"{not_after}\" Recipient=\"{destination}\"/>\
         </saml2:SubjectConfirmation></saml2:Subject>\
         <saml2:Conditions NotBefore=\"{not_before}\" NotOnOrAfter=\"{not_after}\">\
         <saml2:AudienceRestriction><saml2:Audience>urn:amazon:webservices</saml2:Audience>\
         </saml2:AudienceRestriction></saml2:Conditions>\
         <saml2:AuthnStatement AuthnInstant=\"{issued}\" SessionIndex=\"{assertion_id}\">\
         <saml2:AuthnContext><saml2:AuthnContextClassRef>\
         urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport\
         </saml2:AuthnContextClassRef></saml2:AuthnContext></saml2:AuthnStatement>\
         <saml2:AttributeStatement>{attributes}</saml2:AttributeStatement>\
         </saml2:Assertion></saml2p:Response>",
        signature = signature(&assertion_id),
        destination = xml_escape(assertion.destination),
    )
}

/// Okta's auto-submitting page that posts the SAMLResponse to AWS's sign-in endpoint `action`.
pub fn post_form_page(saml_response_b64: Option<&str>, action: &str) -> String {
    let input = saml_response_b64
        .map(|value| {
            format!(
                "<input name=\"SAMLResponse\" type=\"hidden\" value=\"{}\"/>",
                html_attr_encode(value)
            )
        })
        .unwrap_or_default();
    format!(
        "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Strict//EN\" \
         \"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd\">\n\
         <html xmlns=\"http://www.w3.org/1999/xhtml\" xml:lang=\"en\" lang=\"en\">\n\
         <head>\n<meta http-equiv=\"Content-Type\" content=\"text/html; charset=UTF-8\" />\n\
         <meta name=\"robots\" content=\"noindex,nofollow\" />\n\
         <title>Signing in to Amazon Web Services</title>\n</head>\n\
         <body>\n<div><noscript><p><strong>Note:</strong> Since your browser does not support \
         JavaScript, you must press the button below once to proceed.</p></noscript></div>\n\
         <form id=\"appForm\" action=\"{action}\" method=\"POST\">\n    {input}\n    \
         <input name=\"RelayState\" type=\"hidden\" value=\"\"/>\n    \
         <noscript><button type=\"submit\">Continue</button></noscript>\n</form>\n\
         <script type=\"text/javascript\">document.getElementById('appForm').submit();</script>\n\
         </body>\n</html>\n",
        action = html_attr_encode(action),
    )
}

/// Okta's sign-in page: where an invalid or used token lands, with no SAMLResponse on it.
pub fn sign_in_page() -> String {
    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\" />\n\
     <title>Sign In</title>\n</head>\n<body class=\"auth okta-container\">\n\
     <div id=\"okta-sign-in\" class=\"auth-container main-container\">\n\
     <form method=\"POST\" action=\"/api/v1/authn\" data-se=\"o-form\">\n\
     <h2 class=\"okta-form-title o-form-head\">Sign In</h2>\n\
     <input type=\"text\" name=\"username\" autocomplete=\"username\"/>\n\
     <input type=\"password\" name=\"password\" autocomplete=\"current-password\"/>\n\
     <input class=\"button button-primary\" type=\"submit\" value=\"Sign In\"/>\n\
     </form>\n</div>\n</body>\n</html>\n"
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_values_are_encoded_as_okta_does() {
        assert_eq!(html_attr_encode("ab+/=9"), "ab&#x2b;&#x2f;&#x3d;9");
        assert_eq!(html_attr_encode("https://x"), "https&#x3a;&#x2f;&#x2f;x");
    }

    #[test]
    fn the_response_carries_every_role_and_the_session_attributes() {
        let xml = response_xml(&Assertion {
            destination: AWS_SAML_ENDPOINT,
            issuer_app: "0oa1",
            email: "a&b@example.com",
            roles: vec![
                (
                    "arn:aws:iam::1:saml-provider/P".into(),
                    "arn:aws:iam::1:role/A".into(),
                ),
                (
                    "arn:aws:iam::1:saml-provider/P".into(),
                    "arn:aws:iam::1:role/x/B".into(),
                ),
            ],
            session_duration_secs: 900,
        });
        assert!(xml.contains(">arn:aws:iam::1:saml-provider/P,arn:aws:iam::1:role/x/B<"));
        assert_eq!(xml.matches("<saml2:AttributeValue").count(), 4);
        assert!(xml.contains("a&amp;b@example.com"));
        assert!(xml.contains(">900</saml2:AttributeValue>"));
        assert!(xml.contains("<saml2:Audience>urn:amazon:webservices</saml2:Audience>"));
        let without_roles = response_xml(&Assertion {
            destination: AWS_SAML_ENDPOINT,
            issuer_app: "0oa1",
            email: "a@example.com",
            roles: vec![],
            session_duration_secs: 900,
        });
        assert!(!without_roles.contains("Attributes/Role\""));
    }
}
