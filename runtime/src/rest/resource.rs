//! One path and the methods it answers: a wrong method is a 405 with `Allow`, in the
//! server's error shape; a GET without side effects answers HEAD too.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::{FromRequest, Handler, HttpRequest, Responder, web};

use super::response::Flavour;

/// One path and the methods it answers; the 405 it gives for others lists them.
pub struct Resource {
    inner: actix_web::Resource,
    path: String,
    allow: Vec<&'static str>,
}

impl Resource {
    pub fn new(path: &str) -> Self {
        Self {
            inner: web::resource(path),
            path: path.to_owned(),
            allow: Vec::new(),
        }
    }

    /// The path and the methods it answers (HEAD included), for the API description's
    /// completeness test.
    #[cfg(test)]
    pub fn routes(&self) -> impl Iterator<Item = (String, &'static str)> + '_ {
        self.allow.iter().map(|method| (self.path.clone(), *method))
    }

    /// `method` answered by `handler` (the seed's state-changing GETs use this: no HEAD).
    pub fn on<F, Args>(mut self, method: Method, handler: F) -> Self
    where
        F: Handler<Args> + Clone,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        let name = match method {
            Method::GET => "GET",
            Method::HEAD => "HEAD",
            Method::POST => "POST",
            Method::PUT => "PUT",
            Method::DELETE => "DELETE",
            Method::PATCH => "PATCH",
            _ => "OPTIONS",
        };
        self.allow.push(name);
        self.inner = self.inner.route(web::method(method).to(handler));
        self
    }

    /// A GET without side effects, answered for HEAD too.
    pub fn get<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args> + Clone,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.on(Method::GET, handler.clone())
            .on(Method::HEAD, handler)
    }

    pub fn done(self) -> actix_web::Resource {
        let allow = self.allow.join(", ");
        let path = self.path;
        self.inner
            .default_service(web::to(move |request: HttpRequest| {
                let (allow, path) = (allow.clone(), path.clone());
                async move {
                    let mut response = Flavour::of(&request).error(
                        StatusCode::METHOD_NOT_ALLOWED,
                        &format!("method not allowed here; {path} answers {allow}"),
                    );
                    if let Ok(value) = HeaderValue::from_str(&allow) {
                        response.headers_mut().insert(header::ALLOW, value);
                    }
                    response
                }
            }))
    }
}
