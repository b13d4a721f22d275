//! The service's connections, served by hyper with what `axum::serve` leaves out: a timer.
//!
//! A client that has not sent a whole request header within [`HEADER_TIMEOUT`] (a slow
//! client, a stalled half-request, or a kept-alive connection left idle) is disconnected, so
//! a few hundred idle sockets cannot use up the file descriptors the readers need. When
//! accepting fails (out of file descriptors), the loop waits a moment rather than spinning.
//! On shutdown, no new connection is accepted and those open finish their request in flight.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tower::ServiceExt as _;

/// How long a client has to send a request's header, from the moment its connection is
/// ready for one.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// How long shutting down waits for requests in flight.
const DRAIN: Duration = Duration::from_secs(15);

/// Serves `app` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()>,
) {
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    say_err!("warning: cannot accept a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            let mut request = request.map(axum::body::Body::new);
            request
                .extensions_mut()
                .insert(ConnectInfo::<SocketAddr>(peer));
            app.clone().oneshot(request)
        });
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(HEADER_TIMEOUT)
            .keep_alive(true);
        let connection = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            let _ = connection.await;
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN, graceful.shutdown())
        .await
        .is_err()
    {
        say_err!(
            "warning: requests still in flight after {} s were cut off",
            DRAIN.as_secs()
        );
    }
}
