//! The token endpoints: user tokens under `/v4/tokens` and pipeline tokens
//! under `/v4/pipelines/{id}/tokens`, plus the API-token exchange and the
//! server's public key.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{ApiError, Client, Retry};
use crate::auth::Session;
use crate::secret::Secret;

/// Whose tokens a command works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    User,
    Pipeline(u64),
}

impl Owner {
    fn collection(self) -> String {
        match self {
            Owner::User => "tokens".to_string(),
            Owner::Pipeline(id) => format!("pipelines/{id}/tokens"),
        }
    }

    fn item(self, id: u64) -> String {
        format!("{}/{id}", self.collection())
    }

    /// "user tokens" or "the tokens of pipeline 42".
    pub fn describe(self) -> String {
        match self {
            Owner::User => "your user tokens".to_string(),
            Owner::Pipeline(id) => format!("the tokens of pipeline {id}"),
        }
    }
}

/// A token as the API returns it, without its value.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Token {
    pub id: u64,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// An ISO 8601 time, or empty when the token was never exchanged.
    #[serde(default)]
    pub last_used: String,
    #[serde(default)]
    pub user_id: Option<u64>,
    #[serde(default)]
    pub pipeline_id: Option<u64>,
}

/// A token together with its value, as create and refresh return it.
#[derive(Debug)]
pub struct WithValue {
    pub token: Token,
    pub value: Secret,
}

#[derive(Deserialize)]
struct ValueField {
    value: Option<String>,
}

impl WithValue {
    fn from_reply(reply: &super::Reply) -> Result<WithValue, ApiError> {
        let token: Token = reply.json()?;
        let value =
            reply.json::<ValueField>()?.value.filter(|v| !v.is_empty()).ok_or_else(|| ApiError::InvalidResponse {
                method: reply.method.clone(),
                path: reply.path.clone(),
                detail: "the response has no token value".to_string(),
            })?;
        Ok(WithValue { token, value: Secret::new(value) })
    }
}

/// Lists the owner's tokens. The server leaves `pipelineId` out of list
/// items, so pipeline tokens get it from `owner`.
pub fn list(session: &Session, owner: Owner) -> anyhow::Result<Vec<Token>> {
    let reply = session.send(Method::GET, &owner.collection(), None, Retry::Idempotent)?;
    let mut tokens: Vec<Token> = reply.json()?;
    if let Owner::Pipeline(id) = owner {
        for token in &mut tokens {
            token.pipeline_id.get_or_insert(id);
        }
    }
    Ok(tokens)
}

pub fn create(session: &Session, owner: Owner, name: &str, description: Option<&str>) -> anyhow::Result<WithValue> {
    let mut body = json!({ "name": name });
    if let Some(description) = description {
        body["description"] = Value::String(description.to_string());
    }
    let reply = session.send(Method::POST, &owner.collection(), Some(&body), Retry::Never)?;
    Ok(WithValue::from_reply(&reply)?)
}

pub fn update(
    session: &Session,
    owner: Owner,
    id: u64,
    name: Option<&str>,
    description: Option<&str>,
) -> anyhow::Result<Token> {
    let mut body = json!({});
    if let Some(name) = name {
        body["name"] = Value::String(name.to_string());
    }
    if let Some(description) = description {
        body["description"] = Value::String(description.to_string());
    }
    let reply = session.send(Method::PUT, &owner.item(id), Some(&body), Retry::Idempotent)?;
    Ok(reply.json()?)
}

pub fn refresh(session: &Session, owner: Owner, id: u64) -> anyhow::Result<WithValue> {
    let path = format!("{}/refresh", owner.item(id));
    let reply = session.send(Method::PUT, &path, None, Retry::Never)?;
    Ok(WithValue::from_reply(&reply)?)
}

/// Deletes one token. A retried DELETE that finds 404 counts as success,
/// because the first attempt may have deleted it.
pub fn delete(session: &Session, owner: Owner, id: u64) -> anyhow::Result<()> {
    session.send(Method::DELETE, &owner.item(id), None, Retry::Idempotent)?;
    Ok(())
}

#[derive(Deserialize)]
struct TokenReply {
    token: Option<String>,
}

/// Exchanges an API token for a JWT at `GET /v4/auth/token`. The API token
/// travels in the `Authorization` header, never in the URL, and no JWT is sent with it.
pub fn exchange(client: &Client, api_token: &Secret) -> Result<Secret, ApiError> {
    let reply = match client.send(Method::GET, "auth/token", Some(api_token), None, Retry::Idempotent) {
        Ok(reply) => reply,
        // Every Screwdriver API has this route, so a 404 means the URL points elsewhere.
        Err(ApiError::Status { method, path, status: 404, .. }) => {
            return Err(ApiError::InvalidResponse {
                method,
                path,
                detail: "404 Not Found: this URL does not serve the Screwdriver API".to_string(),
            });
        }
        Err(err) => return Err(err),
    };
    let token = reply.json::<TokenReply>()?.token.filter(|t| !t.is_empty());
    token.map(Secret::new).ok_or_else(|| ApiError::InvalidResponse {
        method: "GET".to_string(),
        path: "/v4/auth/token".to_string(),
        detail: "the response has no `token`".to_string(),
    })
}

#[derive(Deserialize)]
struct KeyReply {
    key: String,
}

/// Fetches the server's RS256 public key (PEM) from `GET /v4/auth/key`.
pub fn public_key(client: &Client) -> Result<String, ApiError> {
    let reply = client.send(Method::GET, "auth/key", None, None, Retry::Idempotent)?;
    Ok(reply.json::<KeyReply>()?.key)
}
