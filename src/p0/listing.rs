//! What `p0 ls` lists (§9): the answer of `POST /o/{org}/command/` with `ls` argv, as one type
//! for every command that reads it (`p0 ls`, `p0 aws configure populate`).

use super::{P0Client, Replay};
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Listing {
    #[serde(default)]
    pub items: Vec<Item>,
    #[serde(default)]
    pub is_truncated: bool,
    #[serde(default)]
    pub term: Option<String>,
    #[serde(default)]
    pub arg: Option<String>,
    /// Everything else the server sent, kept for `--json`.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    /// The resource: a role or permission set for `ls aws role|permission-set`.
    pub key: String,
    /// For AWS roles, the account's name.
    #[serde(default)]
    pub value: String,
    /// For AWS roles, the account id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_preexisting: Option<bool>,
}

impl P0Client {
    /// `ls` with these words (the admin listing, `--all`/`--principal`, on its own endpoint).
    /// Listing changes nothing, so any failed attempt may be repeated.
    pub async fn list(&self, argv: Vec<String>, admin: bool) -> Result<Listing> {
        let endpoint = if admin { "command/ls" } else { "command/" };
        let answer = self.run_command(argv, endpoint, Replay::Idempotent).await?;
        serde_json::from_value(answer).map_err(|e| {
            tracing::debug!(
                "unexpected ls answer: {}",
                crate::secret::describe_json_error(&e)
            );
            Error::InvalidResponse
        })
    }
}
