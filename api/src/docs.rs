//! The `/docs` page: the OpenAPI reference viewer, served with its scripts from the binary
//! (`api/assets/docs/`, see its README for what they are and where they come from).

use std::sync::OnceLock;

use actix_web::http::header::{self, CacheDirective};
use actix_web::{HttpResponse, web};
use sha2::{Digest as _, Sha256};

use crate::error::ErrorBody;

/// Served on the page and its assets. Scripts only from this origin, and nothing fetched from
/// anywhere else; the viewer injects its stylesheet as `<style>` elements and sets inline
/// styles, hence `'unsafe-inline'` for styles (never for scripts).
pub const POLICY: &str = "default-src 'none'; script-src 'self'; \
                          style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
                          font-src 'self' data:; connect-src 'self'; base-uri 'none'; \
                          form-action 'none'; frame-ancestors 'none'";

/// Where the assets are mounted; their names carry a hash of their content.
pub const ASSETS: &str = "/docs/assets";

struct Asset {
    stem: &'static str,
    extension: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

const JAVASCRIPT: &str = "text/javascript; charset=utf-8";

/// In the order the page loads them: the viewer defines `window.Scalar`, which `init.js` uses.
const FILES: [Asset; 2] = [
    Asset {
        stem: "scalar-api-reference",
        extension: "js",
        content_type: JAVASCRIPT,
        bytes: include_bytes!("../assets/docs/standalone.js"),
    },
    Asset {
        stem: "init",
        extension: "js",
        content_type: JAVASCRIPT,
        bytes: include_bytes!("../assets/docs/init.js"),
    },
];

/// Each asset under its served name (`<stem>.<hash>.<extension>`). A new release with a new
/// viewer or `init.js` gets new names, so an asset can be cached for a year without a
/// browser ever running a stale one.
fn named() -> &'static [(String, &'static Asset)] {
    static NAMED: OnceLock<Vec<(String, &'static Asset)>> = OnceLock::new();
    NAMED.get_or_init(|| {
        FILES
            .iter()
            .map(|asset| {
                let digest = Sha256::digest(asset.bytes);
                let hash: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
                (format!("{}.{hash}.{}", asset.stem, asset.extension), asset)
            })
            .collect()
    })
}

/// The page: a placeholder naming the document's address, then the scripts, all by URL.
fn page() -> &'static str {
    static PAGE: OnceLock<String> = OnceLock::new();
    PAGE.get_or_init(|| {
        let scripts: String = named()
            .iter()
            .map(|(name, _)| format!("    <script src=\"{ASSETS}/{name}\"></script>\n"))
            .collect();
        format!(
            "<!doctype html>\n\
             <html lang=\"en\">\n  \
             <head>\n    \
             <meta charset=\"utf-8\" />\n    \
             <title>SAFAPAC API</title>\n    \
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\" />\n  \
             </head>\n  \
             <body>\n    \
             <div id=\"safapac-docs\" data-openapi-url=\"/openapi.json\"></div>\n\
             {scripts}  \
             </body>\n\
             </html>\n"
        )
    })
}

pub async fn docs_page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, POLICY))
        // The page names the assets of this release: revalidated, so an upgrade shows at once.
        .insert_header(header::CacheControl(vec![CacheDirective::NoCache]))
        .body(page())
}

pub async fn asset(name: web::Path<String>) -> HttpResponse {
    let Some((_, asset)) = named().iter().find(|(served, _)| *served == *name) else {
        return HttpResponse::NotFound().json(ErrorBody {
            detail: "Not Found".into(),
        });
    };
    HttpResponse::Ok()
        .content_type(asset.content_type)
        .insert_header((header::CONTENT_SECURITY_POLICY, POLICY))
        .insert_header(header::CacheControl(vec![
            CacheDirective::Public,
            CacheDirective::MaxAge(365 * 24 * 3600),
            CacheDirective::Extension("immutable".into(), None),
        ]))
        .body(asset.bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_loads_every_asset_by_its_served_name_and_nothing_inline() {
        let page = page();
        for (name, _) in named() {
            assert!(page.contains(&format!("src=\"{ASSETS}/{name}\"")), "{page}");
        }
        assert_eq!(page.matches("<script").count(), FILES.len(), "{page}");
        assert!(!page.contains("http"), "{page}");
    }
}
