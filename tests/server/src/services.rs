//! The services: `echo`, `chat` (guide §4), `metrics` (guide §6.2) and `soak` (PROTOCOL.md
//! §7.4, in `soak`). They see a [`Conn`], whatever carries it: in v2 a resumable session, which
//! outlives its links, so `on_close` runs when the session ends, not when a link is lost.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Map, Value};
use tokio::task::JoinHandle;

use crate::hub::{iso_now, lock, now_ms, Conn, Hub, Msg, Service};

pub fn on_open(hub: &Arc<Hub>, conn: &Arc<Conn>) {
    if conn.service == Service::Chat {
        let online = {
            let mut chat = lock(&hub.chat);
            chat.clients.insert(
                conn.id.clone(),
                ChatClient {
                    conn: conn.clone(),
                    room: None,
                },
            );
            chat.clients.len()
        };
        conn.send_json(&json!({
            "type": "welcome",
            "clientId": conn.id,
            "serverTime": iso_now(),
            "onlineCount": online,
        }));
    }
}

pub fn on_close(hub: &Arc<Hub>, conn: &Arc<Conn>) {
    match conn.service {
        Service::Echo => {}
        Service::Chat => {
            let mut chat = lock(&hub.chat);
            chat.leave_room(&conn.id);
            chat.clients.remove(&conn.id);
            let msg = json!({
                "type": "user_disconnected",
                "userId": conn.id,
                "timestamp": iso_now(),
                "onlineCount": chat.clients.len(),
            });
            chat.broadcast(&msg, Some(&conn.id));
        }
        Service::Metrics => {
            if let Some(subs) = lock(&hub.metrics.subs).remove(&conn.key) {
                for (_, task) in subs {
                    task.abort();
                }
            }
        }
        Service::Soak => crate::soak::on_close(hub, conn),
    }
}

pub fn on_message(hub: &Arc<Hub>, conn: &Arc<Conn>, msg: Msg) {
    match conn.service {
        Service::Echo => conn.send(msg),
        Service::Chat => {
            let value = match decode_chat(&msg) {
                Some(v) => v,
                None => return send_error(conn, "INVALID_MESSAGE_FORMAT"),
            };
            let mut chat = lock(&hub.chat);
            chat.handle(&conn.id, value);
        }
        Service::Metrics => {
            let value = match &msg {
                Msg::Text(t) => serde_json::from_str::<Value>(t).ok(),
                Msg::Binary(b) => serde_json::from_slice::<Value>(b).ok(),
            };
            match value {
                Some(v) => metrics_handle(hub, conn, v),
                None => send_error(conn, "INVALID_MESSAGE_FORMAT"),
            }
        }
        Service::Soak => crate::soak::on_message(hub, conn, msg),
    }
}

fn send_error(conn: &Conn, code: &str) {
    conn.send_json(&json!({"type": "error", "code": code, "timestamp": iso_now()}));
}

/// Text: JSON. Binary: the guide's binary codec (u32 BE type length, UTF-8 type, JSON data),
/// handled as `{type, ...data}` (a non-object `data` becomes `{type, data}`).
pub fn decode_chat(msg: &Msg) -> Option<Value> {
    match msg {
        Msg::Text(t) => serde_json::from_str(t).ok(),
        Msg::Binary(b) => {
            let (type_name, data) = decode_binary_codec(b)?;
            let mut obj = Map::new();
            obj.insert("type".into(), Value::String(type_name));
            match data {
                Value::Object(m) => {
                    for (k, v) in m {
                        if k != "type" {
                            obj.insert(k, v);
                        }
                    }
                }
                other => {
                    obj.insert("data".into(), other);
                }
            }
            Some(Value::Object(obj))
        }
    }
}

/// Decode the guide's binary codec: `u32 BE n`, `n` bytes UTF-8 type, rest JSON.
pub fn decode_binary_codec(b: &[u8]) -> Option<(String, Value)> {
    if b.len() < 4 {
        return None;
    }
    let n = u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize;
    let rest = &b[4..];
    if n > rest.len() {
        return None;
    }
    let type_name = std::str::from_utf8(&rest[..n]).ok()?.to_owned();
    let data = serde_json::from_slice(&rest[n..]).ok()?;
    Some((type_name, data))
}

/// Encode with the guide's binary codec.
pub fn encode_binary_codec(type_name: &str, data: &Value) -> Vec<u8> {
    let data = data.to_string();
    let mut out = Vec::with_capacity(4 + type_name.len() + data.len());
    out.extend_from_slice(&(type_name.len() as u32).to_be_bytes());
    out.extend_from_slice(type_name.as_bytes());
    out.extend_from_slice(data.as_bytes());
    out
}

pub struct ChatClient {
    pub conn: Arc<Conn>,
    pub room: Option<String>,
}

/// The chat registry, shared by every transport.
#[derive(Default)]
pub struct ChatState {
    pub clients: HashMap<String, ChatClient>,
    /// Room → members in join order.
    pub rooms: HashMap<String, Vec<String>>,
}

impl ChatState {
    fn send_to(&self, id: &str, msg: &Value) -> bool {
        match self.clients.get(id) {
            Some(c) => {
                c.conn.send_json(msg);
                true
            }
            None => false,
        }
    }

    fn broadcast(&self, msg: &Value, exclude: Option<&str>) {
        let text = msg.to_string();
        for (id, c) in &self.clients {
            if Some(id.as_str()) != exclude {
                c.conn.send(Msg::Text(text.clone()));
            }
        }
    }

    fn broadcast_to_room(&self, room: &str, msg: &Value, exclude: Option<&str>) {
        let Some(members) = self.rooms.get(room) else {
            return;
        };
        let text = msg.to_string();
        for id in members {
            if Some(id.as_str()) != exclude {
                if let Some(c) = self.clients.get(id) {
                    c.conn.send(Msg::Text(text.clone()));
                }
            }
        }
    }

    fn leave_room(&mut self, id: &str) {
        let Some(room) = self.clients.get_mut(id).and_then(|c| c.room.take()) else {
            return;
        };
        if let Some(members) = self.rooms.get_mut(&room) {
            members.retain(|m| m != id);
            if members.is_empty() {
                self.rooms.remove(&room);
            } else {
                let msg = json!({
                    "type": "user_left",
                    "userId": id,
                    "room": room,
                    "timestamp": iso_now(),
                });
                self.broadcast_to_room(&room, &msg, None);
            }
        }
    }

    fn error(&self, id: &str, code: &str, extra: Option<(&str, Value)>) {
        let mut msg = json!({"type": "error", "code": code, "timestamp": iso_now()});
        if let Some((k, v)) = extra {
            msg[k] = v;
        }
        self.send_to(id, &msg);
    }

    pub fn handle(&mut self, id: &str, message: Value) {
        let Some(client) = self.clients.get(id) else {
            return;
        };
        let room = client.room.clone();
        let kind = message.get("type").and_then(Value::as_str).unwrap_or("");
        match kind {
            "chat" => {
                let msg = json!({
                    "type": "chat",
                    "from": id,
                    "text": message.get("text").cloned().unwrap_or(Value::Null),
                    "timestamp": iso_now(),
                    "room": room,
                });
                match &room {
                    Some(r) => self.broadcast_to_room(r, &msg, None),
                    None => self.broadcast(&msg, Some(id)),
                }
            }
            "join_room" => {
                let Some(new_room) = message.get("room").and_then(Value::as_str) else {
                    return self.error(id, "INVALID_MESSAGE_FORMAT", None);
                };
                let new_room = new_room.to_owned();
                self.leave_room(id);
                if let Some(c) = self.clients.get_mut(id) {
                    c.room = Some(new_room.clone());
                }
                let members = self.rooms.entry(new_room.clone()).or_default();
                if !members.iter().any(|m| m == id) {
                    members.push(id.to_owned());
                }
                let joined = json!({
                    "type": "user_joined",
                    "userId": id,
                    "room": new_room,
                    "timestamp": iso_now(),
                });
                self.broadcast_to_room(&new_room, &joined, Some(id));
                let members = self.rooms.get(&new_room).cloned().unwrap_or_default();
                self.send_to(
                    id,
                    &json!({"type": "room_joined", "room": new_room, "members": members}),
                );
            }
            "leave_room" => self.leave_room(id),
            "private_message" => {
                let target = message
                    .get("to")
                    .or_else(|| message.get("targetId"))
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                let Some(target) = target else {
                    return self.error(id, "INVALID_MESSAGE_FORMAT", None);
                };
                let msg = json!({
                    "type": "private_message",
                    "from": id,
                    "to": target,
                    "text": message.get("text").cloned().unwrap_or(Value::Null),
                    "timestamp": iso_now(),
                });
                if !self.send_to(&target, &msg) {
                    self.error(id, "USER_NOT_FOUND", Some(("to", Value::String(target))));
                }
            }
            "broadcast" => {
                let mut msg = match message {
                    Value::Object(m) => m,
                    _ => Map::new(),
                };
                msg.insert("type".into(), "broadcast".into());
                msg.insert("from".into(), id.into());
                msg.insert("timestamp".into(), iso_now().into());
                self.broadcast(&Value::Object(msg), Some(id));
            }
            "batch" => {
                let Some(items) = message.get("messages").and_then(Value::as_array) else {
                    return self.error(id, "INVALID_MESSAGE_FORMAT", None);
                };
                for item in items.clone() {
                    let item = match item {
                        // An element may itself be a JSON text.
                        Value::String(s) => match serde_json::from_str::<Value>(&s) {
                            Ok(v) => v,
                            Err(_) => {
                                self.error(id, "INVALID_MESSAGE_FORMAT", None);
                                continue;
                            }
                        },
                        v => v,
                    };
                    self.handle(id, item);
                }
            }
            other => eprintln!("[chat] {id}: unknown message type {other:?} ignored"),
        }
    }
}

/// Per-connection metric subscriptions.
#[derive(Default)]
pub struct MetricsState {
    pub subs: Mutex<HashMap<u64, HashMap<String, JoinHandle<()>>>>,
}

pub const METRICS: [&str; 5] = [
    "cpu_usage",
    "memory_usage",
    "memory_rss",
    "connections",
    "uptime",
];

fn metrics_handle(hub: &Arc<Hub>, conn: &Arc<Conn>, v: Value) {
    let kind = v.get("type").and_then(Value::as_str).unwrap_or("");
    let metric = v.get("metric").and_then(Value::as_str).unwrap_or("");
    match kind {
        "subscribe" | "unsubscribe" => {}
        _ => return send_error(conn, "UNKNOWN_MESSAGE_TYPE"),
    }
    if !METRICS.contains(&metric) {
        conn.send_json(&json!({
            "type": "error",
            "code": "UNKNOWN_METRIC",
            "metric": metric,
            "timestamp": iso_now(),
        }));
        return;
    }
    let mut subs = lock(&hub.metrics.subs);
    // `on_close` runs after the connection is marked closed: it cannot miss an entry made here.
    if conn.is_closed() {
        return;
    }
    let mine = subs.entry(conn.key).or_default();
    if let Some(old) = mine.remove(metric) {
        old.abort();
    }
    if kind == "subscribe" {
        let interval = v
            .get("intervalMs")
            .and_then(Value::as_u64)
            .unwrap_or(1000)
            .clamp(10, 3_600_000);
        let task = tokio::spawn(metric_task(
            hub.clone(),
            conn.clone(),
            metric.to_owned(),
            Duration::from_millis(interval),
        ));
        mine.insert(metric.to_owned(), task);
    }
}

async fn metric_task(hub: Arc<Hub>, conn: Arc<Conn>, metric: String, interval: Duration) {
    // CPU: process ticks (utime+stime) since the previous sample, over wall time.
    let mut prev = (cpu_ticks().unwrap_or(0), hub.started);
    loop {
        if conn.is_closed() {
            return;
        }
        let value: f64 = match metric.as_str() {
            "cpu_usage" => {
                let now = (cpu_ticks().unwrap_or(prev.0), std::time::Instant::now());
                let secs = now.1.duration_since(prev.1).as_secs_f64();
                let pct = if secs > 0.0 {
                    (now.0.saturating_sub(prev.0)) as f64 / CLOCK_TICKS / secs * 100.0
                } else {
                    0.0
                };
                prev = now;
                (pct * 100.0).round() / 100.0
            }
            "memory_usage" => match (rss_bytes(), mem_total_bytes()) {
                (Some(r), Some(t)) if t > 0 => ((r as f64 / t as f64) * 10000.0).round() / 100.0,
                _ => 0.0,
            },
            "memory_rss" => rss_bytes().unwrap_or(0) as f64,
            "connections" => hub.live_count() as f64,
            _ => hub.started.elapsed().as_secs_f64().round(),
        };
        conn.send_json(&json!({"metric": metric, "value": value, "timestamp": now_ms()}));
        tokio::time::sleep(interval).await;
    }
}

const CLOCK_TICKS: f64 = 100.0;

fn cpu_ticks() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    // After "pid (comm) ", field 3 (state) is index 0; utime is field 14 → index 11.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

fn kb_field(file: &str, key: &str) -> Option<u64> {
    let text = std::fs::read_to_string(file).ok()?;
    let line = text.lines().find(|l| l.starts_with(key))?;
    let kb: u64 = line[key.len()..].split_whitespace().next()?.parse().ok()?;
    Some(kb * 1024)
}

fn rss_bytes() -> Option<u64> {
    kb_field("/proc/self/status", "VmRSS:")
}

fn mem_total_bytes() -> Option<u64> {
    kb_field("/proc/meminfo", "MemTotal:")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_codec_roundtrip() {
        let b = encode_binary_codec("chat", &json!({"text": "hi"}));
        let (t, d) = decode_binary_codec(&b).unwrap();
        assert_eq!(t, "chat");
        assert_eq!(d, json!({"text": "hi"}));
        assert!(decode_binary_codec(&[0, 0, 0, 9, b'a']).is_none());
        assert!(decode_binary_codec(&[0, 0]).is_none());
        let v = decode_chat(&Msg::Binary(b.into())).unwrap();
        assert_eq!(v, json!({"type": "chat", "text": "hi"}));
    }

    #[test]
    fn proc_readings() {
        assert!(cpu_ticks().is_some());
        assert!(rss_bytes().unwrap() > 0);
    }
}
