//! The long-polling adapter against the reference server (scenarios shared with `transport_sse`).

use crate::transport_sse::{
    buffered_is_reported, client_close_is_recorded, disabled_transport_fails,
    drop_releases_everything, echoes_in_order, hostile_big_message_closes_1009,
    hostile_close_reason_is_capped, hostile_invalid_close_code_is_a_protocol_error,
    hostile_session_id_fails, keeps_up_with_websocket,
    non_ascii_text_over_the_maximum_is_not_copied, nothing_vanishes_when_cut,
    reasons_carry_no_token, server_drop_is_closed, token_query_is_kept, too_big_closes_1009, Kind,
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

#[wasm_bindgen_test]
async fn transport_long_polling_token_query_is_kept() {
    let _server = crate::support::exclusive().await;
    token_query_is_kept(POLL).await;
}

#[wasm_bindgen_test]
async fn transport_long_polling_buffered_is_reported() {
    let _server = crate::support::exclusive().await;
    buffered_is_reported(POLL).await;
}

#[wasm_bindgen_test]
async fn transport_long_polling_nothing_vanishes_when_cut() {
    let _server = crate::support::exclusive().await;
    nothing_vanishes_when_cut(POLL).await;
}

#[wasm_bindgen_test]
async fn transport_long_polling_hostile_session_id_fails() {
    hostile_session_id_fails(POLL).await;
}

#[wasm_bindgen_test]
async fn transport_long_polling_hostile_big_message_closes_1009() {
    hostile_big_message_closes_1009(POLL).await;
}

#[wasm_bindgen_test]
async fn transport_long_polling_hostile_close_reason_is_capped() {
    hostile_close_reason_is_capped(POLL).await;
}

#[wasm_bindgen_test]
async fn transport_long_polling_hostile_invalid_close_code_is_a_protocol_error() {
    hostile_invalid_close_code_is_a_protocol_error(POLL).await;
}

#[wasm_bindgen_test]
async fn transport_long_polling_keeps_up_with_websocket() {
    let _server = crate::support::exclusive().await;
    keeps_up_with_websocket(POLL).await;
}

#[wasm_bindgen_test]
async fn transport_long_polling_reasons_carry_no_token() {
    let _server = crate::support::exclusive().await;
    reasons_carry_no_token(POLL).await;
}

/// A poll answer without `Content-Length` that never ends is given up at the size limit while
/// it is read (issue 7, defect 10), not read whole first.
#[wasm_bindgen_test]
async fn transport_long_polling_an_endless_answer_closes_1009_while_reading() {
    crate::transport_sse::hostile_endless_answer_closes_1009(POLL).await;
}

#[wasm_bindgen_test]
async fn transport_long_polling_non_ascii_text_over_the_maximum_is_not_copied() {
    non_ascii_text_over_the_maximum_is_not_copied(POLL).await;
}
