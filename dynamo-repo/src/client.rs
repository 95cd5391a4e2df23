//! [`Client`]: one SDK client, shared by every repository.

use crate::entity::Entity;
use crate::repository::Repository;
use crate::retry::RetryPolicy;
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};

/// The entry point: one `aws_sdk_dynamodb::Client` (and so one pool of HTTP
/// connections) shared by every repository made from it. Cloning is cheap.
#[derive(Debug, Clone)]
pub struct Client {
    sdk: aws_sdk_dynamodb::Client,
    cursor_key: Option<crate::query::CursorKey>,
}

impl Client {
    /// A client for real AWS, configured from the environment the way every
    /// AWS SDK is (region, credentials, profiles), retrying with the default
    /// [`RetryPolicy`]: 5 attempts, exponential backoff with jitter, 20 s cap.
    pub async fn from_env() -> Self {
        Self::from_env_with(RetryPolicy::default()).await
    }

    /// Like [`Client::from_env`], with another retry policy.
    pub async fn from_env_with(retry: RetryPolicy) -> Self {
        let config = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(retry.to_sdk())
            .load()
            .await;
        Client::from_sdk(aws_sdk_dynamodb::Client::new(&config))
    }

    /// A client for a DynamoDB Local (or any compatible server) at `endpoint`,
    /// such as `http://localhost:8000`, with dummy credentials and the default
    /// retry policy.
    pub fn local(endpoint: impl Into<String>) -> Self {
        Client::from_sdk(aws_sdk_dynamodb::Client::from_conf(
            Self::local_config(endpoint).build(),
        ))
    }

    /// The SDK configuration [`Client::local`] uses, to extend (for example with
    /// an interceptor) before building a client with [`Client::from_sdk`].
    pub fn local_config(endpoint: impl Into<String>) -> aws_sdk_dynamodb::config::Builder {
        aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .endpoint_url(endpoint)
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new(
                "local",
                "local",
                None,
                None,
                "dynamo-repo-local",
            ))
            .retry_config(RetryPolicy::default().to_sdk())
    }

    /// Wraps an SDK client you configured yourself (its retry settings are kept).
    pub fn from_sdk(sdk: aws_sdk_dynamodb::Client) -> Self {
        Client {
            sdk,
            cursor_key: None,
        }
    }

    /// This client, signing (or encrypting) the page cursors of every query
    /// and scan with `key`, and accepting only cursors made with it: see
    /// [`CursorKey`](crate::query::CursorKey). Without a key, cursors carry
    /// a checksum anyone can recompute.
    pub fn with_cursor_key(mut self, key: crate::query::CursorKey) -> Self {
        self.cursor_key = Some(key);
        self
    }

    /// The key page cursors are signed with, if one was configured.
    pub fn cursor_key(&self) -> Option<&crate::query::CursorKey> {
        self.cursor_key.as_ref()
    }

    /// The underlying SDK client, for anything dynamo-repo does not cover.
    pub fn sdk(&self) -> &aws_sdk_dynamodb::Client {
        &self.sdk
    }

    /// A repository of `T` items in `T`'s table.
    pub fn repository<T: Entity>(&self) -> Repository<T> {
        Repository::new(self.clone(), T::SCHEMA.table.to_owned())
    }
}
