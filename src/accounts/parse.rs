//! Reading the body of `GET /o/{org}/integrations/aws/config` (§4) into an [`AwsConfig`]: one
//! reader, for an answer just fetched (a JSON tree already) and for the local copy every warm
//! run reads (bytes, read straight into the few fields an account needs, with no tree built).
//!
//! It is lenient, as a reader of another party's JSON should be: any JSON value reads. A field
//! of another type than a well-formed answer gives it reads as absent (a label of `7` is no
//! label, an `iam-write` that is not an object names no account), and an item this client
//! cannot use is kept as unusable rather than failing the whole config. Unknown fields are
//! skipped unread; a key given twice takes its last value, as in a JSON tree. The rules are
//! those of the tree reading in this file's tests, which a fuzz test compares it with.

use super::model::{AccountLogin, AwsConfig, Item};
use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

impl AwsConfig {
    /// Reads a fetched body. Items this client cannot understand are kept as unusable.
    pub fn from_response(body: &serde_json::Value) -> AwsConfig {
        // `Body` reads any JSON value, so reading a tree cannot fail.
        Body::deserialize(body).unwrap_or_default().into_config()
    }
}

/// The config's body, read leniently, as a field of another document (the local copy).
#[derive(Default)]
pub(super) struct Body<'a> {
    config: ConfigFields<'a>,
}

impl Body<'_> {
    pub(super) fn into_config(self) -> AwsConfig {
        // A BTreeMap: sorted by id, ids unique.
        let installed = self
            .config
            .iam_write
            .0
            .into_iter()
            .filter(|(_, item)| item.state.as_str() == Some("installed"))
            .map(|(id, item)| Item {
                id: id.into_owned(),
                label: item.label.non_empty(),
                login: item.login.account_login(),
            })
            .collect();
        AwsConfig { installed }
    }
}

#[derive(Default)]
struct ConfigFields<'a> {
    iam_write: Items<'a>,
}

/// `iam-write`: account id -> item.
#[derive(Default)]
struct Items<'a>(BTreeMap<Cow<'a, str>, ItemFields<'a>>);

#[derive(Default)]
struct ItemFields<'a> {
    state: Text<'a>,
    label: Text<'a>,
    login: Login<'a>,
}

#[derive(Default)]
struct Login<'a> {
    kind: Text<'a>,
    provider: Provider<'a>,
    idc_region: Text<'a>,
    identity_store_id: Text<'a>,
}

#[derive(Default)]
struct Provider<'a> {
    kind: Text<'a>,
    app_id: Text<'a>,
    identity_provider: Text<'a>,
    method: Method<'a>,
}

#[derive(Default)]
struct Method<'a> {
    kind: Text<'a>,
}

impl Login<'_> {
    fn account_login(&self) -> Option<AccountLogin> {
        match self.kind.as_str() {
            Some("federated") => {
                let provider = &self.provider;
                let method = provider.method.kind.as_str().unwrap_or("saml");
                if provider.kind.as_str() != Some("okta") || method != "saml" {
                    return None;
                }
                Some(AccountLogin::OktaSaml {
                    app_id: provider.app_id.non_empty()?,
                    identity_provider: provider.identity_provider.non_empty()?,
                })
            }
            Some("idc") => Some(AccountLogin::IdentityCenter {
                region: self.idc_region.non_empty()?,
                identity_store_id: self.identity_store_id.non_empty()?,
            }),
            _ => None,
        }
    }
}

/// A JSON string, borrowed from the input unless it has escapes; `None` for any other value.
#[derive(Default)]
struct Text<'a>(Option<Cow<'a, str>>);

impl Text<'_> {
    fn as_str(&self) -> Option<&str> {
        self.0.as_deref()
    }

    fn non_empty(&self) -> Option<String> {
        self.as_str().filter(|s| !s.is_empty()).map(str::to_string)
    }
}

/// A type read from any JSON value: from an object by [`Lenient::object`], from a string by
/// [`Lenient::text`], from anything else (and by default from those too) as `Default`.
trait Lenient<'de>: Default {
    fn text(_text: Cow<'de, str>) -> Self {
        Self::default()
    }

    fn object<A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Self::default())
    }
}

/// Reads an object's fields: `$field` gets the value of the last `$key` seen; other keys are
/// skipped.
macro_rules! object_fields {
    ($ty:ident { $($key:literal => $field:ident),+ $(,)? }) => {
        impl<'de: 'a, 'a> Lenient<'de> for $ty<'a> {
            fn object<A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
                let mut read = Self::default();
                while let Some(key) = map.next_key::<Text<'de>>()? {
                    match key.as_str() {
                        $(Some($key) => read.$field = map.next_value()?,)+
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(read)
            }
        }
    };
}

object_fields!(Body { "config" => config });
object_fields!(ConfigFields { "iam-write" => iam_write });
object_fields!(ItemFields { "state" => state, "label" => label, "login" => login });
object_fields!(Login {
    "type" => kind,
    "provider" => provider,
    "idcRegion" => idc_region,
    "identityStoreId" => identity_store_id,
});
object_fields!(Provider {
    "type" => kind,
    "appId" => app_id,
    "identityProvider" => identity_provider,
    "method" => method,
});
object_fields!(Method { "type" => kind });

impl<'de: 'a, 'a> Lenient<'de> for Items<'a> {
    fn object<A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
        let mut items = BTreeMap::new();
        while let Some(Text(id)) = map.next_key::<Text<'de>>()? {
            let item = map.next_value()?;
            items.insert(id.unwrap_or_default(), item);
        }
        Ok(Items(items))
    }
}

impl<'de: 'a, 'a> Lenient<'de> for Text<'a> {
    fn text(text: Cow<'de, str>) -> Self {
        Text(Some(text))
    }
}

macro_rules! deserialize_leniently {
    ($($ty:ident),+) => {
        $(impl<'de: 'a, 'a> Deserialize<'de> for $ty<'a> {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_any(AnyValue(PhantomData))
            }
        })+
    };
}

deserialize_leniently!(
    Body,
    ConfigFields,
    Items,
    ItemFields,
    Login,
    Provider,
    Method,
    Text
);

/// The visitor behind every [`Lenient`] type: it takes any JSON value.
struct AnyValue<T>(PhantomData<T>);

impl<'de, T: Lenient<'de>> Visitor<'de> for AnyValue<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<T, E> {
        Ok(T::default())
    }

    fn visit_i64<E>(self, _: i64) -> Result<T, E> {
        Ok(T::default())
    }

    fn visit_u64<E>(self, _: u64) -> Result<T, E> {
        Ok(T::default())
    }

    fn visit_i128<E>(self, _: i128) -> Result<T, E> {
        Ok(T::default())
    }

    fn visit_u128<E>(self, _: u128) -> Result<T, E> {
        Ok(T::default())
    }

    fn visit_f64<E>(self, _: f64) -> Result<T, E> {
        Ok(T::default())
    }

    fn visit_unit<E>(self) -> Result<T, E> {
        Ok(T::default())
    }

    fn visit_none<E>(self) -> Result<T, E> {
        Ok(T::default())
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<T, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_borrowed_str<E>(self, text: &'de str) -> Result<T, E> {
        Ok(T::text(Cow::Borrowed(text)))
    }

    fn visit_str<E>(self, text: &str) -> Result<T, E> {
        Ok(T::text(Cow::Owned(text.to_string())))
    }

    fn visit_string<E>(self, text: String) -> Result<T, E> {
        Ok(T::text(Cow::Owned(text)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<T, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(T::default())
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::object(map)
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use serde_json::{json, Value};

    /// The config read as a JSON tree, the way the lenient reader's rules are written down:
    /// the reference the tests and the fuzz test compare it with.
    pub(in crate::accounts) fn reference(body: &Value) -> AwsConfig {
        let text = |v: &Value, key: &str| {
            v.get(key)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let login_of = |login: &Value| match login.get("type").and_then(Value::as_str) {
            Some("federated") => {
                let provider = login.get("provider").unwrap_or(&Value::Null);
                let is_okta = provider.get("type").and_then(Value::as_str) == Some("okta");
                let method = provider
                    .pointer("/method/type")
                    .and_then(Value::as_str)
                    .unwrap_or("saml");
                match (
                    is_okta && method == "saml",
                    text(provider, "appId"),
                    text(provider, "identityProvider"),
                ) {
                    (true, Some(app_id), Some(identity_provider)) => Some(AccountLogin::OktaSaml {
                        app_id,
                        identity_provider,
                    }),
                    _ => None,
                }
            }
            Some("idc") => match (text(login, "idcRegion"), text(login, "identityStoreId")) {
                (Some(region), Some(identity_store_id)) => Some(AccountLogin::IdentityCenter {
                    region,
                    identity_store_id,
                }),
                _ => None,
            },
            _ => None,
        };
        let empty = serde_json::Map::new();
        let items = body
            .pointer("/config/iam-write")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let mut installed: Vec<Item> = items
            .iter()
            .filter(|(_, item)| item.get("state").and_then(Value::as_str) == Some("installed"))
            .map(|(id, item)| Item {
                id: id.clone(),
                label: text(item, "label"),
                login: login_of(item.get("login").unwrap_or(&Value::Null)),
            })
            .collect();
        installed.sort_by(|a, b| a.id.cmp(&b.id));
        AwsConfig { installed }
    }

    pub(in crate::accounts) fn shown(config: &AwsConfig) -> String {
        format!("{:?}", config.installed)
    }

    /// The body's text read as bytes are (the local copy).
    pub(in crate::accounts) fn from_text(body: &str) -> Option<AwsConfig> {
        serde_json::from_str::<Body>(body)
            .ok()
            .map(Body::into_config)
    }

    /// Well-formed answers, and fields of every wrong type, read as the tree reads them, from a
    /// tree and from text alike.
    #[test]
    fn reads_as_the_tree_reference() {
        let bodies = [
            json!({"config": {"iam-write": {
                "210987654321": {"label": "dev", "state": "installed",
                    "login": {"type": "idc", "parent": "o-1", "idcRegion": "us-west-2",
                              "identityStoreId": "d-1234567890"}},
                "123456789012": {"label": "pr\"od", "state": "installed",
                    "login": {"type": "federated", "provider": {"type": "okta",
                              "appId": "0oa", "identityProvider": "OktaP0",
                              "method": {"type": "saml"}}}},
                "1": {"state": "installed", "label": "", "login": {"type": "iam"}},
                "2": {"state": "installed", "login": {"type": "federated",
                      "provider": {"type": "okta", "appId": "a", "identityProvider": "p",
                                   "method": {"type": "oidc"}}}},
                "3": {"state": "installed", "login": {"type": "idc", "idcRegion": ""}},
                "4": {"state": "pending", "label": "later"},
                "5": {"state": "installed", "label": null, "extra": [1, {"x": 2}]},
                "6": {"state": "installed", "login": {"type": "federated",
                      "provider": {"type": "okta", "appId": "a", "identityProvider": "p",
                                   "method": "saml"}}},
                "7": {"state": "installed", "login": {"type": "federated",
                      "provider": ["okta"]}},
                "8": "installed",
                "9": {"state": ["installed"]}
            }}}),
            json!({"config": {}}),
            json!({}),
            json!({"config": {"iam-write": "not a map"}}),
            json!({"config": {"iam-write": {"1": {"state": "installed", "label": 7}}}}),
            json!({"config": {"iam-write": {"1": {"state": "installed",
                "login": {"type": "idc", "idcRegion": {"r": 1}, "identityStoreId": "d"}}}}}),
            json!({"config": [1, 2]}),
            json!([{"config": {}}]),
            json!("config"),
            json!(null),
            json!(1.5),
        ];
        for body in &bodies {
            let reference = shown(&reference(body));
            assert_eq!(shown(&AwsConfig::from_response(body)), reference, "{body}");
            let read = from_text(&body.to_string()).expect("any JSON reads");
            assert_eq!(shown(&read), reference, "{body}");
        }
    }

    /// What a tree cannot show: escapes in keys, and a key given twice (the last one counts).
    #[test]
    fn reads_text_as_a_tree_would() {
        let body = r#"{"config": {"iam\u002dwrite": {
            "1\u0032": {"state": "installed", "state": "pending"},
            "3": {"label": "first", "state": "installed", "label": "l\u00e4st",
                  "login": {"type": "idc", "idcRegion": "r", "identityStoreId": "d"}},
            "3": {"label": "again", "state": "installed"}
        }}}"#;
        let tree: Value = serde_json::from_str(body).unwrap();
        let read = from_text(body).unwrap();
        assert_eq!(shown(&read), shown(&reference(&tree)));
        assert_eq!(read.installed.len(), 1);
        assert_eq!(read.installed[0].label.as_deref(), Some("again"));
        assert!(from_text("{\"config\": ").is_none(), "not JSON");
    }
}
