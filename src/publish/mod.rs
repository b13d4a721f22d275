//! Turning validated issues into files: what templates see ([`view`]), the template
//! environment ([`templates`]), the renderers ([`render`]), and the two places outputs go,
//! the disk ([`write`](mod@write)) and the preview server ([`serve`](mod@serve)).
//!
//! Imports `content` below it; never `audience`, `mail` or `service`.

pub mod render;
pub mod serve;
pub mod templates;
pub mod view;
pub mod write;
