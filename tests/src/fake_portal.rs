//! A stand-in for the province's integration platform (LGSP) in front of the
//! national portal, speaking its protocol: sign in for a `session`; POST
//! `{session, madonvi, service, …}`; `DongBoHoSoMC` creates (`isUpdating`
//! "False", refused with "Hồ sơ đã tồn tại" when the dossier exists) or
//! updates ("True", refused when it does not); `CapNhatTienDoHoSoMC` appends
//! at most ten progress entries of known dossiers; `TraCuuHoSo` answers a
//! dossier with its progress. A refused call applies nothing.
//!
//! Its faults are the real platform's, on demand: sessions that expire, error
//! codes, answers slower than the client waits (applied all the same), and
//! connections dropped before or after the call is applied. Written on a bare
//! TCP listener so that a connection can be cut exactly there.
//!
//! Shared by the black-box tests and the server crash tests (which include
//! this file by path).

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the next service call meets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answered with this error code, nothing applied.
    Refuse(&'static str),
    /// Applied, then answered after this long.
    Slow(Duration),
    /// The connection is closed before anything is applied.
    DropBefore,
    /// Applied, then the connection is closed without an answer.
    DropAfter,
    /// Every session is forgotten before the call.
    ExpireSessions,
}

/// One service call as the platform took it.
#[derive(Debug, Clone)]
pub struct PortalCall {
    pub service: String,
    pub body: Value,
    /// Applied (answered success, or cut off after applying).
    pub applied: bool,
}

/// A dossier as the portal holds it.
#[derive(Debug, Clone)]
pub struct PortalDossier {
    pub record: Value,
    pub progress: Vec<Value>,
}

#[derive(Debug, Default)]
struct PortalState {
    sessions: Vec<String>,
    sign_ins: u32,
    faults: VecDeque<Fault>,
    calls: Vec<PortalCall>,
    dossiers: BTreeMap<String, PortalDossier>,
    /// Sessions expire after this many service calls each (0: never).
    calls_per_session: u32,
    session_calls: BTreeMap<String, u32>,
}

/// The platform at `auth_url` and `service_url`.
#[derive(Debug, Clone)]
pub struct FakePortal {
    pub auth_url: String,
    pub service_url: String,
    state: Arc<Mutex<PortalState>>,
}

/// The account the platform takes.
pub const USERNAME: &str = "motcua.h22";
pub const PASSWORD: &str = "mat-khau-lgsp";
pub const UNIT: &str = "000.00.00.H22";

impl FakePortal {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("cannot bind: {e}"));
        let port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
        let state = Arc::new(Mutex::new(PortalState::default()));
        let shared = state.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, shared.clone()));
            }
        });
        Self {
            auth_url: format!("http://127.0.0.1:{port}/lgsp/auth"),
            service_url: format!("http://127.0.0.1:{port}/lgsp/service"),
            state,
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut PortalState) -> T) -> T {
        f(&mut self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    /// Queues faults for the next service calls, one each.
    pub fn inject(&self, faults: impl IntoIterator<Item = Fault>) {
        self.with(|s| s.faults.extend(faults));
    }

    /// Forgets the faults not met yet.
    pub fn clear_faults(&self) {
        self.with(|s| s.faults.clear());
    }

    /// Sessions expire after `n` service calls each.
    pub fn expire_sessions_after(&self, n: u32) {
        self.with(|s| s.calls_per_session = n);
    }

    pub fn calls(&self) -> Vec<PortalCall> {
        self.with(|s| s.calls.clone())
    }

    pub fn sign_ins(&self) -> u32 {
        self.with(|s| s.sign_ins)
    }

    pub fn dossiers(&self) -> BTreeMap<String, PortalDossier> {
        self.with(|s| s.dossiers.clone())
    }

    /// Files a dossier at the portal as if an earlier sync had (a create of it
    /// is then answered "already exists").
    pub fn preload(&self, ma_ho_so: &str) {
        self.with(|s| {
            s.dossiers.insert(
                ma_ho_so.to_owned(),
                PortalDossier { record: json!({ "MaHoSo": ma_ho_so }), progress: Vec::new() },
            );
        });
    }

    /// Changes a field of a dossier's record behind the client's back.
    pub fn tamper(&self, ma_ho_so: &str, field: &str, value: Value) {
        self.with(|s| {
            if let Some(dossier) = s.dossiers.get_mut(ma_ho_so) {
                dossier.record[field] = value;
            }
        });
    }
}

/// A request: its path and JSON body.
async fn read_request(stream: &mut TcpStream) -> Option<(String, Value)> {
    let mut buffer = Vec::new();
    let mut chunk = [0_u8; 8192];
    let header_end = loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
    };
    let head = String::from_utf8_lossy(&buffer[..header_end]).to_string();
    let path = head.split_whitespace().nth(1)?.to_owned();
    let length: usize = head
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned()))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while buffer.len() < header_end + length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
    let body = serde_json::from_slice(&buffer[header_end..header_end + length]).unwrap_or(Value::Null);
    Some((path, body))
}

async fn answer(stream: &mut TcpStream, body: &Value) {
    let text = body.to_string();
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

fn refused(code: &str, message: &str) -> Value {
    json!({ "error_code": code, "message": message })
}

async fn serve(mut stream: TcpStream, state: Arc<Mutex<PortalState>>) {
    let Some((path, body)) = read_request(&mut stream).await else { return };
    let lock = || state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if path.ends_with("/auth") {
        let reply = {
            let mut s = lock();
            if body["username"] == USERNAME && body["password"] == PASSWORD {
                s.sign_ins += 1;
                let session = format!("phien-{}", s.sign_ins);
                s.sessions.push(session.clone());
                json!({ "error_code": 0, "session": session })
            } else {
                refused("01", "Sai tên đăng nhập hoặc mật khẩu")
            }
        };
        answer(&mut stream, &reply).await;
        return;
    }
    let fault = lock().faults.pop_front();
    if fault == Some(Fault::DropBefore) {
        return;
    }
    let (reply, applied) = {
        let mut s = lock();
        if fault == Some(Fault::ExpireSessions) {
            s.sessions.clear();
        }
        let (reply, applied) = match fault {
            Some(Fault::Refuse(code)) => (refused(code, "Lỗi hệ thống, vui lòng thử lại"), false),
            _ => handle(&mut s, &body),
        };
        let service = body["service"].as_str().unwrap_or_default().to_owned();
        s.calls.push(PortalCall { service, body: body.clone(), applied });
        (reply, applied)
    };
    match fault {
        Some(Fault::DropAfter) if applied => {}
        Some(Fault::Slow(delay)) => {
            tokio::time::sleep(delay).await;
            answer(&mut stream, &reply).await;
        }
        _ => answer(&mut stream, &reply).await,
    }
}

/// One service call, applied only when it succeeds.
fn handle(s: &mut PortalState, body: &Value) -> (Value, bool) {
    let session = body["session"].as_str().unwrap_or_default().to_owned();
    if !s.sessions.contains(&session) {
        return (refused("-1", "Phiên làm việc không hợp lệ hoặc đã hết hạn"), false);
    }
    let used = s.session_calls.entry(session.clone()).or_default();
    *used += 1;
    if s.calls_per_session > 0 && *used > s.calls_per_session {
        s.sessions.retain(|x| *x != session);
        return (refused("-1", "Phiên làm việc không hợp lệ hoặc đã hết hạn"), false);
    }
    if body["madonvi"] != UNIT {
        return (refused("05", "Mã đơn vị không đúng"), false);
    }
    let data = body["data"].as_array().cloned().unwrap_or_default();
    match body["service"].as_str() {
        Some("DongBoHoSoMC") => {
            let updating = match body["isUpdating"].as_str() {
                Some("True") => true,
                Some("False") => false,
                _ => return (refused("06", "isUpdating phải là True hoặc False"), false),
            };
            for record in &data {
                let Some(code) = record["MaHoSo"].as_str() else {
                    return (refused("07", "Thiếu MaHoSo"), false);
                };
                match (updating, s.dossiers.contains_key(code)) {
                    (false, true) => return (refused("02", &format!("Hồ sơ {code} đã tồn tại")), false),
                    (true, false) => return (refused("03", &format!("Hồ sơ {code} không tồn tại")), false),
                    _ => {}
                }
            }
            for record in data {
                let code = record["MaHoSo"].as_str().unwrap_or_default().to_owned();
                let dossier = s.dossiers.entry(code).or_insert(PortalDossier { record: Value::Null, progress: vec![] });
                dossier.record = record;
            }
            (json!({ "error_code": "00", "message": "Thành công" }), true)
        }
        Some("CapNhatTienDoHoSoMC") => {
            if data.len() > 10 {
                return (refused("04", "Tối đa 10 bản ghi mỗi lần"), false);
            }
            for entry in &data {
                if !entry["MaHoSo"].as_str().is_some_and(|code| s.dossiers.contains_key(code)) {
                    return (refused("03", "Hồ sơ không tồn tại"), false);
                }
            }
            for entry in data {
                let code = entry["MaHoSo"].as_str().unwrap_or_default().to_owned();
                if let Some(dossier) = s.dossiers.get_mut(&code) {
                    dossier.progress.push(entry);
                }
            }
            (json!({ "error_code": 0, "message": "Thành công" }), true)
        }
        Some("TraCuuHoSo") => {
            let code = body["mahoso"].as_str().unwrap_or_default();
            let result: Vec<Value> = s
                .dossiers
                .get(code)
                .map(|d| {
                    let mut record = d.record.clone();
                    record["QuaTrinhXuLy"] = Value::Array(d.progress.clone());
                    record
                })
                .into_iter()
                .collect();
            (json!({ "error_code": 0, "result": result }), false)
        }
        _ => (refused("08", "Dịch vụ không được hỗ trợ"), false),
    }
}
