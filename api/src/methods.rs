//! Which methods the API answers at a path, read off the OpenAPI document once
//! at start-up: the 405 answer's `Allow`, and the methods a CORS preflight may
//! ask for. Built by [`crate::startup`] and kept as application data, so the
//! middleware and the fallback handler need not know the routes.

use actix_web::HttpRequest;
use actix_web::dev::ServiceRequest;
use actix_web::web;

/// The methods of every path template of the document.
#[derive(Debug, Clone, Default)]
pub struct MethodTable {
    /// Per template: its segments (`{id}` matches any non-empty segment) and
    /// the methods its operations take.
    templates: Vec<(Vec<String>, Vec<&'static str>)>,
}

impl MethodTable {
    pub fn of_document(document: &utoipa::openapi::OpenApi) -> Self {
        let templates = document
            .paths
            .paths
            .iter()
            .map(|(template, item)| {
                let segments = template.split('/').map(str::to_owned).collect();
                // HEAD is answered wherever GET is (`edge::head_as_get`).
                let methods = [
                    ("GET", item.get.is_some()),
                    ("HEAD", item.get.is_some()),
                    ("PUT", item.put.is_some()),
                    ("POST", item.post.is_some()),
                    ("DELETE", item.delete.is_some()),
                    ("PATCH", item.patch.is_some()),
                ]
                .into_iter()
                .filter_map(|(method, present)| present.then_some(method))
                .collect();
                (segments, methods)
            })
            .collect();
        Self { templates }
    }

    /// The methods the API answers at `path`, or `None` when no operation has
    /// such a path.
    pub fn allowed(&self, path: &str) -> Option<Vec<&'static str>> {
        let segments: Vec<&str> = path.split('/').collect();
        let mut allowed: Vec<&'static str> = self
            .templates
            .iter()
            .filter(|(template, _)| {
                template.len() == segments.len()
                    && template
                        .iter()
                        .zip(&segments)
                        .all(|(t, s)| t == s || (t.starts_with('{') && t.ends_with('}') && !s.is_empty()))
            })
            .flat_map(|(_, methods)| methods.iter().copied())
            .collect();
        allowed.sort_unstable();
        allowed.dedup();
        (!allowed.is_empty()).then_some(allowed)
    }

    /// The table the server was built with.
    pub fn of_request(req: &HttpRequest) -> Option<&Self> {
        req.app_data::<web::Data<Self>>().map(actix_web::web::Data::get_ref)
    }

    /// The same, in a middleware.
    pub fn of_service_request(req: &ServiceRequest) -> Option<&Self> {
        req.app_data::<web::Data<Self>>().map(actix_web::web::Data::get_ref)
    }
}
