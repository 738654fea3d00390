//! What the server does for the browsers and proxies in front of it: CORS for
//! an allow-list of origins, HEAD on every GET, entity tags on catalog reads,
//! and the client's address behind trusted reverse proxies.
//!
//! CORS is written here rather than taken from `actix-cors`: that crate answers
//! a request from an origin off the list with an error, where a browser only
//! needs the headers left out (a same-origin form post carries `Origin` too,
//! and must keep working whatever the list holds).

use std::net::IpAddr;
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpRequest, HttpResponse, ResponseError as _, web};
use ipnet::IpNet;
use sha2::{Digest, Sha256};

use crate::methods::MethodTable;
use crate::problem::Problem;

/// The settings behind this module, from `ONESTOP_CORS_ORIGINS` and
/// `ONESTOP_TRUSTED_PROXIES`.
#[derive(Debug, Clone, Default)]
pub struct EdgeSettings {
    /// Origins (`scheme://host[:port]`) whose pages may call the API.
    pub cors_origins: Vec<String>,
    /// Peers whose forwarding header is believed.
    pub trusted_proxies: Vec<IpNet>,
    /// Which header the trusted proxies write.
    pub forwarded_header: ForwardedHeader,
}

/// The forwarding header the proxies in front of the server write
/// (`ONESTOP_FORWARDED_HEADER`). Only that one is read: a proxy passes the
/// other through as the client sent it, so reading it would believe a forgery.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ForwardedHeader {
    /// `X-Forwarded-For`, what nginx, HAProxy and most balancers append.
    #[default]
    XForwardedFor,
    /// `Forwarded` (RFC 7239).
    Forwarded,
}

/// Request headers a cross-origin page may send.
const ALLOWED_HEADERS: &str =
    "authorization, content-type, if-match, if-none-match, idempotency-key, x-correlation-id, x-request-id";
/// Response headers a cross-origin page may read.
const EXPOSED_HEADERS: &str = "etag, location, retry-after, x-request-id";
/// How long a browser may keep a preflight's answer.
const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(600);

/// The reads whose answers carry an entity tag: the catalog, which clients
/// cache and poll.
pub const TAGGED_READS: [&str; 5] =
    ["/api/v1/units", "/api/v1/procedures", "/api/v1/calendar", "/api/v1/users", "/api/v1/holiday-rules"];

/// Whether `path` is one of [`TAGGED_READS`] or below one. A unit's queue
/// is not catalog but live (its stream of calls never ends), so it is not.
pub fn is_tagged_read(path: &str) -> bool {
    let live = path.starts_with("/api/v1/units/") && path.contains("/queue");
    !live
        && TAGGED_READS
            .iter()
            .any(|prefix| path.strip_prefix(prefix).is_some_and(|rest| rest.is_empty() || rest.starts_with('/')))
}

fn settings(req: &ServiceRequest) -> Option<&EdgeSettings> {
    req.app_data::<web::Data<EdgeSettings>>().map(actix_web::web::Data::get_ref)
}

/// CORS (Fetch standard): preflights from an allowed origin are answered here;
/// answers to an allowed origin carry `Access-Control-Allow-Origin`; an origin
/// off the list gets no CORS header at all, so the browser keeps the answer
/// from the page.
pub async fn cors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let origin = req.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok()).map(str::to_owned);
    // Answers differ by origin wherever CORS is on: caches must know.
    let cors_on = settings(&req).is_some_and(|s| !s.cors_origins.is_empty());
    let Some(origin) = origin else {
        let mut response = next.call(req).await?.map_into_boxed_body();
        if cors_on {
            response.headers_mut().append(header::VARY, HeaderValue::from_static("Origin"));
        }
        return Ok(response);
    };
    let allowed = settings(&req).is_some_and(|s| s.cors_origins.contains(&origin));
    let preflight =
        req.method() == Method::OPTIONS && req.headers().contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if preflight {
        let Some(methods) = MethodTable::of_service_request(&req).and_then(|t| t.allowed(req.path())) else {
            return Ok(next.call(req).await?.map_into_boxed_body());
        };
        let response = if allowed {
            HttpResponse::NoContent()
                .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, origin))
                .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, methods.join(", ")))
                .insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, ALLOWED_HEADERS))
                .insert_header((header::ACCESS_CONTROL_MAX_AGE, PREFLIGHT_MAX_AGE.as_secs().to_string()))
                .insert_header((header::VARY, "Origin"))
                .finish()
        } else {
            Problem::forbidden("this origin may not call the API from a browser").error_response()
        };
        return Ok(req.into_response(response));
    }
    let mut response = next.call(req).await?.map_into_boxed_body();
    let headers = response.headers_mut();
    if cors_on {
        headers.append(header::VARY, HeaderValue::from_static("Origin"));
    }
    if allowed && let Ok(value) = HeaderValue::from_str(&origin) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        headers.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static(EXPOSED_HEADERS));
    }
    Ok(response)
}

/// HEAD is GET without the body: the handler runs as for GET and the HTTP
/// layer, which knows the request was HEAD, sends the headers only.
pub async fn head_as_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    next.call(req).await
}

/// A weak entity tag on each catalog read, from the SHA-256 of its body, and
/// 304 Not Modified when `If-None-Match` names it. Weak: the same tag stands
/// for the body whatever its transfer compression.
pub async fn entity_tags(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    if req.method() != Method::GET || !is_tagged_read(req.path()) {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let response = next.call(req).await?;
    if response.status() != StatusCode::OK || response.headers().contains_key(header::ETAG) {
        return Ok(response.map_into_boxed_body());
    }
    let (request, response) = response.into_parts();
    let (mut head, body) = response.into_parts();
    let Ok(bytes) = actix_web::body::to_bytes(body).await else {
        return Ok(ServiceResponse::new(request, Problem::internal().error_response()));
    };
    let digest = Sha256::digest(&bytes);
    let tag = format!("W/\"{}\"", hex::encode(&digest[..16]));
    let unchanged = if_none_match_names(request.headers(), &tag);
    let Ok(tag) = HeaderValue::from_str(&tag) else {
        return Ok(ServiceResponse::new(request, head.set_body(BoxBody::new(bytes))));
    };
    if unchanged {
        let mut not_modified = HttpResponse::NotModified().finish();
        not_modified.headers_mut().insert(header::ETAG, tag);
        return Ok(ServiceResponse::new(request, not_modified));
    }
    head.headers_mut().insert(header::ETAG, tag);
    Ok(ServiceResponse::new(request, head.set_body(BoxBody::new(bytes))))
}

/// Whether `If-None-Match` lists `tag` (compared weakly, RFC 9110 §13.1.2) or is `*`.
pub fn if_none_match_names(headers: &HeaderMap, tag: &str) -> bool {
    let opaque = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    let wanted = opaque(tag);
    headers
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim() == "*" || opaque(t) == wanted)
}

/// The client's address: the socket's peer, unless that peer is a trusted
/// proxy, in which case the configured forwarding header is walked from the
/// nearest hop outwards and the first address that is not a trusted proxy is
/// the client. A forged header from anyone else changes nothing.
pub fn client_address(req: &HttpRequest) -> IpAddr {
    let peer = req.peer_addr().map(|a| a.ip()).unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
    match req.app_data::<web::Data<EdgeSettings>>() {
        Some(settings) => forwarded_client(peer, req.headers(), settings),
        None => peer,
    }
}

/// The key per-address limits count under: the address itself for IPv4, the
/// /64 network for IPv6 (what one subscriber is given, so that rotating
/// through it gains nothing).
pub fn rate_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => {
            let mut segments = v6.segments();
            segments[4..].fill(0);
            IpAddr::V6(segments.into())
        }
    }
}

/// [`client_address`] on its parts.
pub fn forwarded_client(peer: IpAddr, headers: &HeaderMap, edge: &EdgeSettings) -> IpAddr {
    let is_trusted = |ip: &IpAddr| edge.trusted_proxies.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let hops = forwarded_hops(headers, edge.forwarded_header);
    let mut client = peer;
    for hop in hops.iter().rev() {
        // An obfuscated or unknown hop ends what can be believed.
        let Some(ip) = hop else {
            return client;
        };
        client = *ip;
        if !is_trusted(ip) {
            return client;
        }
    }
    client
}

/// The addresses the forwarding header lists, nearest the client first;
/// `None` for a hop that names no address.
fn forwarded_hops(headers: &HeaderMap, which: ForwardedHeader) -> Vec<Option<IpAddr>> {
    if which == ForwardedHeader::Forwarded {
        return headers
            .get_all(header::FORWARDED)
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|element| {
                element
                    .split(';')
                    .filter_map(|pair| pair.split_once('='))
                    .find(|(key, _)| key.trim().eq_ignore_ascii_case("for"))
                    .and_then(|(_, value)| parse_node(value))
            })
            .collect();
    }
    headers
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(parse_node)
        .collect()
}

/// An address as forwarding headers write it: `192.0.2.1`, `"192.0.2.1:4711"`,
/// `"[2001:db8::1]:4711"`, `2001:db8::1`.
fn parse_node(text: &str) -> Option<IpAddr> {
    let text = text.trim().trim_matches('"');
    if let Ok(ip) = text.parse() {
        return Some(ip);
    }
    if let Some(rest) = text.strip_prefix('[') {
        return rest.split_once(']').and_then(|(ip, _)| ip.parse().ok());
    }
    text.rsplit_once(':').and_then(|(ip, _)| ip.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(header::HeaderName::from_bytes(name.as_bytes()).unwrap(), HeaderValue::from_str(value).unwrap());
        }
        map
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn behind(which: ForwardedHeader) -> EdgeSettings {
        EdgeSettings {
            trusted_proxies: vec!["10.0.0.0/8".parse().unwrap()],
            forwarded_header: which,
            ..Default::default()
        }
    }

    #[test]
    fn forwarding_headers_count_only_from_a_trusted_peer() {
        let edge = behind(ForwardedHeader::XForwardedFor);
        let forged = headers(&[("x-forwarded-for", "203.0.113.9")]);
        let client = |peer: &str, edge: &EdgeSettings| forwarded_client(ip(peer), &forged, edge);
        assert_eq!(client("198.51.100.7", &edge), ip("198.51.100.7"));
        assert_eq!(client("10.0.0.2", &edge), ip("203.0.113.9"));
        assert_eq!(client("10.0.0.2", &EdgeSettings::default()), ip("10.0.0.2"));
    }

    #[test]
    fn the_first_untrusted_hop_from_the_right_is_the_client() {
        let edge = behind(ForwardedHeader::XForwardedFor);
        // The client put a forged address in front; the proxies appended theirs.
        let chain = headers(&[("x-forwarded-for", "1.2.3.4, 203.0.113.9, 10.0.0.5")]);
        assert_eq!(forwarded_client(ip("10.0.0.2"), &chain, &edge), ip("203.0.113.9"));
        let edge = behind(ForwardedHeader::Forwarded);
        let rfc = headers(&[("forwarded", "for=1.2.3.4, for=\"[2001:db8::7]:4711\";proto=https, for=10.0.0.5")]);
        assert_eq!(forwarded_client(ip("10.0.0.2"), &rfc, &edge), ip("2001:db8::7"));
        let hidden = headers(&[("forwarded", "for=_hidden, for=10.0.0.5")]);
        assert_eq!(forwarded_client(ip("10.0.0.2"), &hidden, &edge), ip("10.0.0.5"));
    }

    #[test]
    fn only_the_configured_header_is_read() {
        // nginx appends X-Forwarded-For and passes the client's own Forwarded on.
        let both = headers(&[("forwarded", "for=198.51.100.1"), ("x-forwarded-for", "203.0.113.9")]);
        let edge = behind(ForwardedHeader::XForwardedFor);
        assert_eq!(forwarded_client(ip("10.0.0.2"), &both, &edge), ip("203.0.113.9"));
        let edge = behind(ForwardedHeader::Forwarded);
        assert_eq!(forwarded_client(ip("10.0.0.2"), &both, &edge), ip("198.51.100.1"));
    }

    #[test]
    fn ipv6_clients_are_limited_by_their_64_block() {
        assert_eq!(rate_key(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_eq!(rate_key(ip("2001:db8:1:2:bbbb::9")), ip("2001:db8:1:2::"));
        assert_eq!(rate_key(ip("203.0.113.9")), ip("203.0.113.9"));
    }

    #[test]
    fn tags_compare_weakly_and_star_matches_any() {
        let sent = headers(&[("if-none-match", "\"abc\", W/\"def\"")]);
        assert!(if_none_match_names(&sent, "W/\"abc\""));
        assert!(if_none_match_names(&sent, "W/\"def\""));
        assert!(!if_none_match_names(&sent, "W/\"xyz\""));
        assert!(if_none_match_names(&headers(&[("if-none-match", "*")]), "W/\"q\""));
    }

    #[test]
    fn only_the_catalog_is_tagged() {
        assert!(is_tagged_read("/api/v1/units"));
        assert!(is_tagged_read("/api/v1/units/000.00.01.H22"));
        assert!(is_tagged_read("/api/v1/calendar/2026"));
        assert!(!is_tagged_read("/api/v1/unitsx"));
        assert!(!is_tagged_read("/api/v1/cases"));
    }
}
