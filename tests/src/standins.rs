//! Stand-ins for the services tests cannot reach, speaking their real
//! protocols: an HTTP SMS gateway (which fails on demand, is slow on demand,
//! and treats a repeated idempotency key as the same message, as brandname
//! gateways do) and an SMTP server that keeps every message it is given.
//!
//! Shared by the black-box tests and the server crash tests (which include
//! this file by path).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// An HTTP server on a free loopback port, run on this runtime: its port and
/// the handle that stops it.
fn serve(configure: impl Fn(&mut web::ServiceConfig) + Clone + Send + 'static) -> (u16, actix_web::dev::ServerHandle) {
    let server = HttpServer::new(move || App::new().configure(configure.clone()))
        .workers(1)
        .disable_signals()
        .bind("127.0.0.1:0")
        .unwrap_or_else(|e| panic!("a stand-in cannot bind: {e}"));
    let port = server.addrs()[0].port();
    let server = server.run();
    let handle = server.handle();
    tokio::spawn(server);
    (port, handle)
}

/// One request the gateway received.
#[derive(Debug, Clone)]
pub struct GatewayCall {
    pub key: Option<String>,
    pub body: String,
    /// Answered 2xx.
    pub accepted: bool,
}

#[derive(Debug, Default)]
struct GatewayState {
    /// Calls still to fail with a 503.
    failures_left: usize,
    /// Refuse everything while set.
    down: bool,
    /// How long each call takes: `delay`, plus `stagger` for each call before
    /// it (so that answers to calls sent together come one by one).
    delay: Duration,
    stagger: Duration,
    arrived: u32,
    calls: Vec<GatewayCall>,
    /// The message sent for each key: a repeated key is not sent again.
    sent: BTreeMap<String, String>,
}

/// An HTTP SMS gateway at `url` (POST).
#[derive(Debug)]
pub struct SmsGateway {
    pub url: String,
    state: Arc<Mutex<GatewayState>>,
    server: actix_web::dev::ServerHandle,
}

fn locked<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match mutex.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

async fn receive(request: HttpRequest, body: String, state: web::Data<Arc<Mutex<GatewayState>>>) -> HttpResponse {
    let key = request.headers().get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let delay = {
        let mut state = locked(&state);
        state.arrived += 1;
        state.delay + state.stagger * (state.arrived - 1)
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let mut state = locked(&state);
    let failing = state.down || state.failures_left > 0;
    if state.failures_left > 0 {
        state.failures_left -= 1;
    }
    state.calls.push(GatewayCall { key: key.clone(), body: body.clone(), accepted: !failing });
    if failing {
        return HttpResponse::ServiceUnavailable().json(serde_json::json!({ "error": "gateway busy" }));
    }
    let Some(key) = key else {
        return HttpResponse::BadRequest().json(serde_json::json!({ "error": "Idempotency-Key is required" }));
    };
    let duplicate = state.sent.contains_key(&key);
    state.sent.entry(key.clone()).or_insert(body);
    HttpResponse::Ok().json(serde_json::json!({ "status": "accepted", "id": key, "duplicate": duplicate }))
}

impl SmsGateway {
    /// A gateway that fails its first `fail_first` calls with 503.
    pub async fn start(fail_first: usize) -> Self {
        let state = Arc::new(Mutex::new(GatewayState { failures_left: fail_first, ..GatewayState::default() }));
        let data = web::Data::new(state.clone());
        let (port, server) = serve(move |config| {
            config.app_data(data.clone()).route("/sms", web::post().to(receive));
        });
        Self { url: format!("http://127.0.0.1:{port}/sms"), state, server }
    }

    pub fn set_down(&self, down: bool) {
        locked(&self.state).down = down;
    }

    /// Each call takes `delay`, plus `stagger` for every call before it.
    pub fn set_delay(&self, delay: Duration, stagger: Duration) {
        let mut state = locked(&self.state);
        (state.delay, state.stagger, state.arrived) = (delay, stagger, 0);
    }

    /// Every call, in the order received.
    pub fn calls(&self) -> Vec<GatewayCall> {
        locked(&self.state).calls.clone()
    }

    /// The messages sent to phones, by idempotency key.
    pub fn sent(&self) -> BTreeMap<String, String> {
        locked(&self.state).sent.clone()
    }
}

impl Drop for SmsGateway {
    fn drop(&mut self) {
        let handle = self.server.clone();
        tokio::spawn(async move { handle.stop(false).await });
    }
}

/// A message the SMTP server took.
#[derive(Debug, Clone)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    /// The message as sent, headers and body, dot-stuffing undone.
    pub data: String,
}

/// An SMTP server on `127.0.0.1:port` that accepts every message.
#[derive(Debug)]
pub struct SmtpSink {
    pub port: u16,
    mails: Arc<Mutex<Vec<Mail>>>,
    task: tokio::task::JoinHandle<()>,
}

impl SmtpSink {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("SMTP cannot bind: {e}"));
        let port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
        let mails = Arc::new(Mutex::new(Vec::new()));
        let kept = mails.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(session(stream, kept.clone()));
            }
        });
        Self { port, mails, task }
    }

    /// `smtp://127.0.0.1:port`, for `ONESTOP_SMTP_URL`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn mails(&self) -> Vec<Mail> {
        locked(&self.mails).clone()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// One SMTP session (RFC 5321): greeting, EHLO, MAIL, RCPT, DATA, QUIT.
async fn session(stream: tokio::net::TcpStream, mails: Arc<Mutex<Vec<Mail>>>) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    let (mut from, mut to) = (String::new(), Vec::new());
    if write.write_all(b"220 sink.test ESMTP\r\n").await.is_err() {
        return;
    }
    let mut line = String::new();
    loop {
        line.clear();
        match lines.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let command = line.trim_end().to_owned();
        let verb = command.split_whitespace().next().unwrap_or_default().to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => b"250-sink.test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n",
            "HELO" | "NOOP" => b"250 OK\r\n",
            "RSET" => {
                (from, to) = (String::new(), Vec::new());
                b"250 OK\r\n"
            }
            "MAIL" => {
                from = command.get(10..).unwrap_or_default().to_owned();
                b"250 OK\r\n"
            }
            "RCPT" => {
                to.push(command.get(8..).unwrap_or_default().to_owned());
                b"250 OK\r\n"
            }
            "DATA" => {
                if write.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n").await.is_err() {
                    return;
                }
                let mut data = String::new();
                loop {
                    line.clear();
                    match lines.read_line(&mut line).await {
                        Ok(0) | Err(_) => return,
                        Ok(_) => {}
                    }
                    if line == ".\r\n" || line == ".\n" {
                        break;
                    }
                    data.push_str(line.strip_prefix('.').unwrap_or(&line));
                }
                locked(&mails).push(Mail { from: std::mem::take(&mut from), to: std::mem::take(&mut to), data });
                b"250 OK: queued\r\n"
            }
            "QUIT" => {
                let _ = write.write_all(b"221 Bye\r\n").await;
                return;
            }
            _ => b"502 Command not implemented\r\n",
        };
        if write.write_all(reply).await.is_err() {
            return;
        }
    }
}

/// A request the Zalo stand-in took.
#[derive(Debug, Clone)]
pub struct ZnsCall {
    pub access_token: Option<String>,
    pub body: serde_json::Value,
    /// Answered with `error` 0.
    pub accepted: bool,
}

#[derive(Debug, Default)]
struct ZnsState {
    failures_left: usize,
    calls: Vec<ZnsCall>,
}

/// Zalo's ZNS template message endpoint as it behaves: HTTP 200 always, the
/// outcome in `error` (0 success; -124 a wrong access token; -32 over the
/// rate limit, which it answers to the first `fail_first` calls).
#[derive(Debug)]
pub struct ZaloZns {
    pub url: String,
    pub access_token: String,
    state: Arc<Mutex<ZnsState>>,
    server: actix_web::dev::ServerHandle,
}

async fn zns(
    request: HttpRequest,
    body: web::Json<serde_json::Value>,
    data: web::Data<(Arc<Mutex<ZnsState>>, String)>,
) -> HttpResponse {
    let (state, expected) = data.get_ref();
    let token = request.headers().get("access_token").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let mut state = locked(state);
    let answer = if token.as_deref() != Some(expected.as_str()) {
        serde_json::json!({ "error": -124, "message": "Access token is invalid" })
    } else if state.failures_left > 0 {
        state.failures_left -= 1;
        serde_json::json!({ "error": -32, "message": "Out of quota per second" })
    } else {
        let msg_id = format!("zns-{}", state.calls.len());
        serde_json::json!({ "error": 0, "message": "Success", "data": { "msg_id": msg_id } })
    };
    let accepted = answer["error"] == 0;
    state.calls.push(ZnsCall { access_token: token, body: body.into_inner(), accepted });
    HttpResponse::Ok().json(answer)
}

impl ZaloZns {
    pub async fn start(fail_first: usize) -> Self {
        let state = Arc::new(Mutex::new(ZnsState { failures_left: fail_first, calls: Vec::new() }));
        let access_token = "zns-test-access-token".to_owned();
        let data = web::Data::new((state.clone(), access_token.clone()));
        let (port, server) = serve(move |config| {
            config.app_data(data.clone()).route("/message/template", web::post().to(zns));
        });
        Self { url: format!("http://127.0.0.1:{port}/message/template"), access_token, state, server }
    }

    pub fn calls(&self) -> Vec<ZnsCall> {
        locked(&self.state).calls.clone()
    }
}

impl Drop for ZaloZns {
    fn drop(&mut self) {
        let handle = self.server.clone();
        tokio::spawn(async move { handle.stop(false).await });
    }
}
