//! The application in process for HTTP-level tests: a fresh database, the real actix
//! application with its own queue and Redis key prefix, an in-memory outbox, and the
//! fixtures most tests start from (a signed-in user, a project).

use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_http::Request;
use actix_web::body::MessageBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::header::{self, HeaderMap};
use actix_web::http::{Method, StatusCode};
use actix_web::test::{self, TestRequest};
use futures_util::future::LocalBoxFuture;
use safapac_api::config::Config;
use safapac_api::limits::{Policy, Quota};
use safapac_api::mail::{Mailer, SentMail};
use safapac_api::{AppState, build_app};
use serde_json::{Value, json};

use crate::database::TestDatabase;
use crate::redis::RedisKeys;

/// Signing key of every test app, so tests can forge tokens with it.
pub const TEST_SECRET: &str = "test-secret-key-that-is-long-enough-0123456789";
pub const PASSWORD: &str = "correct horse battery";

pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `detail` as a string, for handled errors.
    pub fn detail(&self) -> &str {
        self.body["detail"].as_str().unwrap_or_default()
    }
}

type Call = Box<dyn Fn(Request) -> LocalBoxFuture<'static, Response>>;

pub struct TestApp {
    pub state: AppState,
    pub outbox: Arc<Mutex<Vec<SentMail>>>,
    call: Call,
    /// The operator listener's application (`/metrics`, `/ready`, `/health`), in process.
    operator: Call,
    // Held for their Drop, which drops the database and the app's Redis keys (declared
    // last: dropped after the pool). Shared by the replicas of one test.
    _db: Rc<TestDatabase>,
    _keys: Rc<RedisKeys>,
}

/// A signed-in user.
pub struct Session {
    pub user_id: String,
    pub access: String,
    pub refresh: String,
}

impl TestApp {
    pub async fn new() -> TestApp {
        TestApp::with_config(|_| {}).await
    }

    pub async fn with_config(adjust: impl FnOnce(&mut Config)) -> TestApp {
        let db = TestDatabase::create().await.unwrap();
        let url = db.url().to_owned();
        let mut config = Config::from_lookup(|name| match name {
            "DATABASE_URL" => Some(url.clone()),
            "SAFAPAC_SECRET_KEY" => Some(TEST_SECRET.into()),
            _ => None,
        })
        .unwrap();
        config.database.max_size = 5;
        // Each app gets its own queue and Redis key prefix on the local Redis.
        config.queue.queue = format!("test_{}", uuid::Uuid::new_v4().simple());
        config.queue.redis_prefix = format!("test_{}", uuid::Uuid::new_v4().simple());
        adjust(&mut config);
        let keys = RedisKeys::starting_with(
            &config.queue.redis_url,
            &[&config.queue.queue, &config.queue.redis_prefix],
        );
        TestApp::build(config, Rc::new(db), Rc::new(keys)).await
    }

    pub fn database(&self) -> &TestDatabase {
        &self._db
    }

    /// A second instance of the API on the same database and the same Redis keys, as another
    /// replica behind a load balancer would be.
    pub async fn replica(&self) -> TestApp {
        TestApp::build(
            (*self.state.config).clone(),
            self._db.clone(),
            self._keys.clone(),
        )
        .await
    }

    async fn build(config: Config, db: Rc<TestDatabase>, keys: Rc<RedisKeys>) -> TestApp {
        let pool = safapac_db::build_pool(&config.database).unwrap();
        let (mailer, outbox) = Mailer::in_memory(&config);
        let queue = safapac_queue::JobQueue::producer(&config.queue)
            .await
            .unwrap();
        let state = AppState::new(config, pool, mailer)
            .unwrap()
            .with_queue(queue);
        let call = in_process(test::init_service(build_app(state.clone())).await);
        let operator =
            in_process(test::init_service(safapac_api::operator::app(state.clone())).await);
        TestApp {
            state,
            outbox,
            call,
            operator,
            _db: db,
            _keys: keys,
        }
    }

    /// This app behind the real HTTP server (the production builder, connection time limits
    /// included) and its operator listener, each on a free loopback port, for tests that
    /// need real sockets.
    pub fn serve(&self) -> TestServer {
        let loopback = ([127, 0, 0, 1], 0).into();
        let (server, addr) = safapac_api::http_server(self.state.clone(), loopback).unwrap();
        let (operator, operator_addrs) =
            safapac_api::operator::server(self.state.clone(), &[loopback]).unwrap();
        let handles = [server.handle(), operator.handle()];
        actix_web::rt::spawn(server);
        actix_web::rt::spawn(operator);
        TestServer {
            addr,
            operator_addr: operator_addrs[0],
            handles,
        }
    }

    pub async fn request(&self, request: TestRequest) -> Response {
        (self.call)(request.to_request()).await
    }

    /// A `GET` of the operator listener (`/metrics`, `/ready`, `/health`), in process.
    pub async fn operator(&self, path: &str) -> Response {
        (self.operator)(TestRequest::get().uri(path).to_request()).await
    }

    pub async fn request_raw(&self, request: Request) -> Response {
        (self.call)(request).await
    }

    /// A JSON request with an optional bearer token.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Response {
        let mut request = TestRequest::default().method(method).uri(path);
        if let Some(token) = token {
            request = request.insert_header((header::AUTHORIZATION, format!("Bearer {token}")));
        }
        if let Some(body) = body {
            request = request.set_json(body);
        }
        self.request(request).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.send(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Response {
        self.send(Method::POST, path, token, Some(body)).await
    }

    pub async fn register(&self, name: &str, email: &str, password: &str) -> Response {
        self.post(
            "/api/v1/auth/register",
            None,
            json!({"name": name, "email": email, "password": password, "occupation": "researcher"}),
        )
        .await
    }

    /// The token from the last verification link mailed to `email`.
    pub fn verification_token(&self, email: &str) -> Option<String> {
        let outbox = self.outbox.lock().unwrap();
        outbox
            .iter()
            .rev()
            .filter(|mail| mail.to == email)
            .find_map(|mail| {
                let start = mail.text.find("token=")? + "token=".len();
                let token: String = mail.text[start..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                    .collect();
                Some(token)
            })
    }

    pub fn mails_to(&self, email: &str) -> Vec<SentMail> {
        let outbox = self.outbox.lock().unwrap();
        outbox.iter().filter(|m| m.to == email).cloned().collect()
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.post(
            "/api/v1/auth/login",
            None,
            json!({"email": email, "password": password}),
        )
        .await
    }

    /// Registers, verifies and logs in a new user.
    pub async fn sign_up(&self, email: &str) -> Session {
        let registered = self.register("Test User", email, PASSWORD).await;
        assert_eq!(
            registered.status,
            StatusCode::CREATED,
            "{}",
            registered.text
        );
        let token = self.verification_token(email).unwrap();
        let verified = self
            .post("/api/v1/auth/verify-email", None, json!({"token": token}))
            .await;
        assert_eq!(verified.status, StatusCode::OK, "{}", verified.text);
        let login = self.login(email, PASSWORD).await;
        assert_eq!(login.status, StatusCode::OK, "{}", login.text);
        Session {
            user_id: login.body["user"]["id"].as_str().unwrap().to_owned(),
            access: login.body["accessToken"].as_str().unwrap().to_owned(),
            refresh: login.body["refreshToken"].as_str().unwrap().to_owned(),
        }
    }

    /// Creates a project and returns its id.
    pub async fn create_project(&self, token: &str, name: &str) -> String {
        let created = self
            .post(
                "/api/v1/projects",
                Some(token),
                json!({"project_name": name}),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
        created.body["id"].as_str().unwrap().to_owned()
    }

    /// The settings of a worker for this app's queue: the defaults, four jobs at once.
    pub fn worker_settings(&self) -> safapac_worker::WorkerSettings {
        let mut settings = safapac_worker::WorkerSettings::from_lookup(|_| None).unwrap();
        settings.queue = self.state.config.queue.clone();
        settings.concurrency = 4;
        settings
    }

    /// Runs the calculation worker (consumer and sweeper) for this app until stopped, as the
    /// API's embedded worker does: on the app's pool, registry and reference-data cache.
    pub fn start_worker(&self) -> RunningWorker {
        self.start_worker_with(self.worker_settings())
    }

    /// [`TestApp::start_worker`] with other settings.
    pub fn start_worker_with(&self, settings: safapac_worker::WorkerSettings) -> RunningWorker {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let shared = safapac_worker::run::Shared {
            metrics: self.state.metrics.clone(),
            master: self.state.master_cache.engine.clone(),
        };
        let handle = tokio::spawn(safapac_worker::run::run_sharing(
            self.state.pool.clone(),
            settings,
            shared,
            async {
                let _ = stopped.await;
            },
        ));
        RunningWorker { stop, handle }
    }

    /// Deletes this app's queue keys from Redis (never the whole database: it is shared).
    pub async fn clear_queue(&self) {
        let queue = &self.state.config.queue;
        RedisKeys::starting_with(&queue.redis_url, &[&queue.queue])
            .delete()
            .await
            .unwrap();
    }

    /// The scenarios of a project, by order.
    pub async fn scenarios(&self, token: &str, project_id: &str) -> Vec<Value> {
        let listed = self
            .get(&format!("/api/v1/projects/{project_id}/scenarios"), token)
            .await;
        assert_eq!(listed.status, StatusCode::OK, "{}", listed.text);
        listed.body.as_array().unwrap().clone()
    }
}

/// A running HTTP server and its operator listener; both stopped (without waiting for their
/// connections) when dropped.
pub struct TestServer {
    pub addr: std::net::SocketAddr,
    /// Where `/metrics` is served (`SAFAPAC_METRICS_ADDR` in production).
    pub operator_addr: std::net::SocketAddr,
    handles: [actix_web::dev::ServerHandle; 2],
}

impl Drop for TestServer {
    fn drop(&mut self) {
        // The stop command is sent at once; the returned future only waits for completion.
        for handle in &self.handles {
            drop(handle.stop(false));
        }
    }
}

/// Calls into an initialised in-process service, reading the whole answer.
fn in_process<S, B>(service: S) -> Call
where
    S: actix_web::dev::Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>
        + 'static,
    B: MessageBody + 'static,
{
    let service = Rc::new(service);
    Box::new(move |request| {
        let service = service.clone();
        Box::pin(async move {
            let response = test::call_service(&*service, request).await;
            let status = response.status();
            let headers = response.headers().clone();
            let bytes = test::read_body(response).await;
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            Response {
                status,
                headers,
                body,
                text,
            }
        })
    })
}

pub struct RunningWorker {
    stop: tokio::sync::oneshot::Sender<()>,
    handle: tokio::task::JoinHandle<Result<(), safapac_worker::run::RunError>>,
}

impl RunningWorker {
    /// Stops it as SIGTERM would and asserts it shut down cleanly.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        self.handle.await.unwrap().unwrap();
    }
}

/// For tests that register or calculate more often than one client may (the default
/// limits stay in force everywhere else): every policy raised far above what a test sends.
pub fn generous_limits(config: &mut Config) {
    for policy in Policy::ALL {
        *config.rate_limits.quota_mut(policy) = Quota::new(1_000, Duration::from_secs(60));
    }
}

/// Asserts a 422 whose `detail` list names `field` in a `loc`.
pub fn assert_validation_error(response: &Response, field: &str) {
    assert_eq!(
        response.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        response.text
    );
    let errors = response.body["detail"]
        .as_array()
        .expect("detail is a list");
    assert!(
        errors.iter().any(|e| {
            e["loc"]
                .as_array()
                .is_some_and(|loc| loc.iter().any(|p| p == field))
                && e["msg"].is_string()
                && e["type"].is_string()
        }),
        "no error at {field}: {}",
        response.text
    );
}
