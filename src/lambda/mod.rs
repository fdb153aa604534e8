//! The AWS Lambda function: the same engine behind Kinesis and SQS (S3 notification) triggers,
//! reading inputs from S3 and writing the lake to S3.

pub mod handler;
pub mod notifications;
pub mod report;
pub mod settings;
pub mod store;
pub mod trigger;

use std::sync::Arc;

use aws_config::BehaviorVersion;
use aws_config::sts::AssumeRoleProvider;
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::value::RawValue;

pub use handler::{BatchResponse, Handler, Invocation};
pub use settings::Settings;
use store::Store;

use crate::catalog::Catalog;

/// S3 clients from the standard AWS environment (credentials, region, `AWS_ENDPOINT_URL`), the
/// lake writer through the provider role when one is configured.
pub async fn store_from_env(settings: &Settings) -> Store {
    let sdk = aws_config::defaults(BehaviorVersion::latest()).load().await;
    let local_endpoint = std::env::var_os("AWS_ENDPOINT_URL").is_some()
        || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some();
    let s3_config = || aws_sdk_s3::config::Builder::from(&sdk).force_path_style(local_endpoint);
    let client = aws_sdk_s3::Client::from_conf(s3_config().build());
    let lake_client = match &settings.provider_role_arn {
        None => client.clone(),
        Some(arn) => {
            let mut role = AssumeRoleProvider::builder(arn.clone())
                .session_name("ocsf-transform")
                .configure(&sdk);
            if let Some(id) = &settings.provider_external_id {
                role = role.external_id(id.clone());
            }
            let provider = role.build().await;
            aws_sdk_s3::Client::from_conf(s3_config().credentials_provider(provider).build())
        }
    };
    Store {
        client,
        lake_client,
        handle: tokio::runtime::Handle::current(),
    }
}

pub fn load_catalog(settings: &Settings) -> Result<Catalog, crate::catalog::LoadError> {
    match &settings.config {
        Some(p) => Catalog::load(p),
        None => Catalog::embedded(),
    }
}

/// Logging as Lambda's advanced logging controls ask: JSON when `AWS_LAMBDA_LOG_FORMAT=JSON`,
/// the level from `AWS_LAMBDA_LOG_LEVEL` (else `RUST_LOG`, else INFO).
pub fn init_logging() {
    let level =
        std::env::var("AWS_LAMBDA_LOG_LEVEL")
            .ok()
            .map(|l| match l.to_ascii_uppercase().as_str() {
                "TRACE" => "trace",
                "DEBUG" => "debug",
                "WARN" => "warn",
                "ERROR" | "FATAL" => "error",
                _ => "info",
            });
    let filter = match level {
        Some(l) => tracing_subscriber::EnvFilter::new(l),
        None => tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
    };
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .without_time()
        .with_target(false);
    if json {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .init();
    } else {
        builder.init();
    }
}

/// The Lambda runtime loop: config, compiled mappings and clients are built once.
pub async fn run() -> Result<(), lambda_runtime::Error> {
    init_logging();
    let settings = Settings::from_env()?;
    let catalog = load_catalog(&settings)?;
    for n in &catalog.notes {
        tracing::warn!("{n}");
    }
    let store = store_from_env(&settings).await;
    tracing::info!(lake = %settings.lake, sources = catalog.sources.len(), "cold start");
    let handler = Arc::new(Handler {
        catalog,
        store,
        settings,
        emit_metrics: true,
    });
    // The payload stays raw JSON until the trigger is known, then becomes that trigger's type.
    lambda_runtime::run(service_fn(move |ev: LambdaEvent<Box<RawValue>>| {
        let handler = handler.clone();
        async move {
            let remaining = ev
                .context
                .deadline()
                .duration_since(std::time::SystemTime::now())
                .unwrap_or_default();
            let inv = Invocation::new(
                &ev.context.request_id,
                &ev.context.invoked_function_arn,
                remaining,
            );
            let payload = ev.payload;
            let (response, _) = tokio::task::spawn_blocking(move || {
                let raw: Box<str> = payload.into();
                handler.handle(raw.into_boxed_bytes().into_vec(), &inv)
            })
            .await??;
            Ok::<BatchResponse, lambda_runtime::Error>(response)
        }
    }))
    .await
}
