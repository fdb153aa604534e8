//! A real S3 server for the Lambda tests: s3s-fs over HTTP on 127.0.0.1 with SigV4 checks,
//! behind a switchable fault layer (5xx, dropped connections, slow responses) on object GETs
//! and PUTs. Buckets are folders under a temp dir, so tests read the written objects from disk.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use hyper_util::rt::{TokioExecutor, TokioIo};
use ocsf_transform::catalog::Catalog;
use ocsf_transform::lambda::store::Store;
use ocsf_transform::lambda::{Handler, Settings};

const ACCESS_KEY: &str = "AKIAOCSFTESTKEY";
const SECRET_KEY: &str = "ocsf-transform-test-secret";

/// Faults injected on object GETs and PUTs while `on`: of every 5 such requests, one gets a
/// 503 SlowDown, one a dropped connection, one a slow (but correct) response.
#[derive(Default)]
pub struct Faults {
    pub on: AtomicBool,
    seen: AtomicU64,
    pub injected: AtomicU64,
}

#[derive(Clone)]
struct Faulty {
    inner: s3s::service::S3Service,
    faults: Arc<Faults>,
}

type BoxErr = Box<dyn std::error::Error + Send + Sync>;

impl hyper::service::Service<http::Request<hyper::body::Incoming>> for Faulty {
    type Response = http::Response<s3s::Body>;
    type Error = BoxErr;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxErr>> + Send>>;

    fn call(&self, req: http::Request<hyper::body::Incoming>) -> Self::Future {
        let object_op = matches!(*req.method(), http::Method::GET | http::Method::PUT)
            && req.uri().path().trim_matches('/').contains('/');
        let inner = self.inner.clone();
        let faults = self.faults.clone();
        Box::pin(async move {
            if object_op && faults.on.load(Ordering::SeqCst) {
                let n = faults.seen.fetch_add(1, Ordering::SeqCst);
                match n % 5 {
                    0 => {
                        faults.injected.fetch_add(1, Ordering::SeqCst);
                        let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SlowDown</Code><Message>injected fault</Message></Error>";
                        return Ok(http::Response::builder()
                            .status(503)
                            .header("content-type", "application/xml")
                            .body(s3s::Body::from(body.to_string()))
                            .expect("response"));
                    }
                    1 => {
                        faults.injected.fetch_add(1, Ordering::SeqCst);
                        return Err("injected: connection dropped".into());
                    }
                    2 => tokio::time::sleep(Duration::from_millis(20)).await,
                    _ => {}
                }
            }
            hyper::service::Service::call(&inner, req)
                .await
                .map_err(|e| -> BoxErr { format!("{e:?}").into() })
        })
    }
}

pub struct S3 {
    pub rt: tokio::runtime::Runtime,
    pub endpoint: String,
    pub root: tempfile::TempDir,
    pub faults: Arc<Faults>,
}

impl S3 {
    /// Start a server with these buckets.
    pub fn start(buckets: &[&str]) -> S3 {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let root = tempfile::tempdir().unwrap();
        for b in buckets {
            std::fs::create_dir_all(root.path().join(b)).unwrap();
        }
        let faults = Arc::new(Faults::default());
        let fs = s3s_fs::FileSystem::new(root.path()).unwrap();
        let mut b = s3s::service::S3ServiceBuilder::new(fs);
        b.set_auth(s3s::auth::SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY));
        let service = Faulty {
            inner: b.build(),
            faults: faults.clone(),
        };
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        rt.spawn(async move {
            let http = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    continue;
                };
                let conn = http
                    .serve_connection(TokioIo::new(socket), service.clone())
                    .into_owned();
                tokio::spawn(async move {
                    let _ = conn.await;
                });
            }
        });
        S3 {
            rt,
            endpoint: format!("http://{addr}"),
            root,
            faults,
        }
    }

    /// A client of this server; `attempts` = 1 lets every injected fault reach the handler.
    pub fn client(&self, attempts: u32) -> aws_sdk_s3::Client {
        let conf = aws_sdk_s3::config::Builder::new()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(&self.endpoint)
            .credentials_provider(Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "test"))
            .force_path_style(true)
            .retry_config(RetryConfig::standard().with_max_attempts(attempts))
            .timeout_config(
                TimeoutConfig::builder()
                    .operation_attempt_timeout(Duration::from_secs(10))
                    .build(),
            )
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    }

    pub fn put(&self, bucket: &str, key: &str, body: Vec<u8>) {
        let c = self.client(3);
        self.rt
            .block_on(
                c.put_object()
                    .bucket(bucket)
                    .key(key)
                    .body(body.into())
                    .send(),
            )
            .unwrap();
    }

    /// The folder holding a bucket's objects.
    pub fn bucket_dir(&self, bucket: &str) -> PathBuf {
        self.root.path().join(bucket)
    }

    /// A handler writing the lake to `s3://lake/`, dead letters to the default place.
    pub fn handler(&self, catalog: Catalog, attempts: u32, env: &[(&str, &str)]) -> Handler {
        let mut vars: Vec<(String, String)> = vec![(
            ocsf_transform::lambda::settings::LAKE_LOCATION.into(),
            "s3://lake/".into(),
        )];
        vars.extend(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let settings =
            Settings::from_lookup(|k| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()))
                .unwrap();
        let client = self.client(attempts);
        Handler {
            catalog,
            store: Store {
                client: client.clone(),
                lake_client: client,
                handle: self.rt.handle().clone(),
            },
            settings,
            emit_metrics: false,
        }
    }
}

/// Every file under a folder (relative paths), sorted; s3s-fs keeps some metadata files, which
/// are left out.
pub fn objects(dir: &Path) -> Vec<String> {
    if !dir.exists() {
        return Vec::new();
    }
    crate::support::files_under(dir)
        .into_iter()
        .map(|p| p.strip_prefix(dir).unwrap().display().to_string())
        .filter(|p| !p.rsplit('/').next().unwrap_or("").starts_with('.'))
        .collect()
}
