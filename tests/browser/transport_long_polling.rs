//! The long-polling adapter against the reference server (scenarios shared with `transport_sse`).

use crate::transport_sse::{
    client_close_is_recorded, disabled_transport_fails, drop_releases_everything, echoes_in_order,
    server_drop_is_closed, too_big_closes_1009, Kind,
};
use universal_socket::core::TransportKind;
use wasm_bindgen_test::wasm_bindgen_test;

const POLL: Kind = Kind {
    kind: TransportKind::LongPolling,
    config: "poll",
    server_name: "long-polling",
};

#[wasm_bindgen_test]
async fn transport_long_polling_echoes_in_order() {
    let _server = crate::support::exclusive().await;
    echoes_in_order(POLL).await;
}

#[wasm_bindgen_test]
async fn transport_long_polling_client_close_is_recorded() {
    let _server = crate::support::exclusive().await;
    client_close_is_recorded(POLL).await;
}

#[wasm_bindgen_test]
async fn transport_long_polling_server_drop_is_closed() {
    let _server = crate::support::exclusive().await;
    server_drop_is_closed(POLL).await;
}

#[wasm_bindgen_test]
async fn transport_long_polling_disabled_fails() {
    let _server = crate::support::exclusive().await;
    disabled_transport_fails(POLL).await;
}

#[wasm_bindgen_test]
async fn transport_long_polling_too_big_closes_1009() {
    let _server = crate::support::exclusive().await;
    too_big_closes_1009(POLL).await;
}

#[wasm_bindgen_test]
async fn transport_long_polling_drop_releases_everything() {
    let _server = crate::support::exclusive().await;
    drop_releases_everything(POLL).await;
}
