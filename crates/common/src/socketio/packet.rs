//! The wire format: Engine.IO v4 packets over websocket text frames, with Socket.IO v5 packets
//! inside Engine.IO `message` (`4`) packets. Text only: binary packets are refused.
//!
//! Engine.IO: one frame is one packet, `<type><data>`: `0` open, `1` close, `2` ping, `3` pong,
//! `4` message, `5` upgrade, `6` noop. Socket.IO (inside a message):
//! `<type>[<namespace>,][<ack id>][<json>]` with `0` CONNECT, `1` DISCONNECT, `2` EVENT, `3` ACK,
//! `4` CONNECT_ERROR, `5` BINARY_EVENT, `6` BINARY_ACK.

use serde_json::Value;

use super::settings::SocketSettings;

/// The namespace every fba-rs socket lives in.
pub const ROOT_NAMESPACE: &str = "/";

/// The longest acknowledgement id accepted, in digits (Socket.IO's ids are JavaScript numbers).
const MAX_ID_DIGITS: usize = 15;

/// Why a frame is not a packet this server takes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PacketError {
    /// An empty frame.
    #[error("empty packet")]
    Empty,
    /// A packet type this side does not know or does not accept.
    #[error("unexpected packet type {0:?}")]
    UnexpectedType(char),
    /// A binary Socket.IO packet (BINARY_EVENT / BINARY_ACK): refused.
    #[error("binary packets are not supported")]
    Binary,
    /// A namespace without its closing comma.
    #[error("malformed namespace")]
    Namespace,
    /// An acknowledgement id that is too long, or an ACK without one.
    #[error("malformed acknowledgement id")]
    AckId,
    /// A payload that is not the JSON the packet type needs.
    #[error("malformed payload: {0}")]
    Payload(String),
}

/// One Engine.IO packet received from a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnginePacket<'a> {
    /// `1`: the client closes the connection.
    Close,
    /// `2`: a ping (Engine.IO v3 clients; answered with a pong).
    Ping,
    /// `3`: the answer to the server's ping.
    Pong,
    /// `4…`: a Socket.IO packet.
    Message(&'a str),
    /// `5`, `6`: transport upgrade and no-op (ignored: websocket is the only transport).
    Noop,
}

/// Parses one text frame as an Engine.IO packet.
///
/// # Errors
/// [`PacketError::Empty`], or [`PacketError::UnexpectedType`] for `0` (open) and unknown types.
pub fn parse_engine(frame: &str) -> Result<EnginePacket<'_>, PacketError> {
    let mut chars = frame.chars();
    let kind = chars.next().ok_or(PacketError::Empty)?;
    let rest = chars.as_str();
    match kind {
        '1' => Ok(EnginePacket::Close),
        '2' => Ok(EnginePacket::Ping),
        '3' => Ok(EnginePacket::Pong),
        '4' => Ok(EnginePacket::Message(rest)),
        '5' | '6' => Ok(EnginePacket::Noop),
        other => Err(PacketError::UnexpectedType(other)),
    }
}

/// One Socket.IO packet received from a client.
#[derive(Debug, Clone, PartialEq)]
pub enum SocketPacket {
    /// CONNECT to `namespace` with an optional auth payload.
    Connect {
        /// The namespace (`/` by default).
        namespace: String,
        /// The `auth` object of the client, if any.
        auth: Option<Value>,
    },
    /// DISCONNECT from `namespace`.
    Disconnect {
        /// The namespace.
        namespace: String,
    },
    /// EVENT `name` with `args`, acknowledged when `id` is set.
    Event {
        /// The namespace.
        namespace: String,
        /// The acknowledgement id the client waits for, if any.
        id: Option<u64>,
        /// The event name (the first element of the array).
        name: String,
        /// The arguments after the name.
        args: Vec<Value>,
    },
    /// ACK `id` of an event the server sent (the server asks none; ignored).
    Ack {
        /// The namespace.
        namespace: String,
        /// The acknowledged id.
        id: u64,
        /// The client's answer.
        args: Vec<Value>,
    },
}

/// Parses the Socket.IO packet inside an Engine.IO message.
///
/// # Errors
/// [`PacketError::Binary`] for binary packets; the other [`PacketError`]s for malformed ones and
/// for types only a server sends (CONNECT_ERROR).
pub fn parse_socket(text: &str) -> Result<SocketPacket, PacketError> {
    let mut chars = text.chars();
    let kind = chars.next().ok_or(PacketError::Empty)?;
    let mut rest = chars.as_str();
    match kind {
        '0'..='3' => {}
        '5' | '6' => return Err(PacketError::Binary),
        other => return Err(PacketError::UnexpectedType(other)),
    }
    let namespace = if rest.starts_with('/') {
        let (ns, after) = rest.split_once(',').ok_or(PacketError::Namespace)?;
        rest = after;
        ns.to_owned()
    } else {
        ROOT_NAMESPACE.to_owned()
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let id = if digits == 0 {
        None
    } else if digits > MAX_ID_DIGITS {
        return Err(PacketError::AckId);
    } else {
        let (id, after) = rest.split_at(digits);
        rest = after;
        Some(id.parse::<u64>().map_err(|_| PacketError::AckId)?)
    };
    let payload = if rest.is_empty() {
        None
    } else {
        Some(serde_json::from_str::<Value>(rest).map_err(|e| PacketError::Payload(e.to_string()))?)
    };
    match kind {
        '0' => match payload {
            None | Some(Value::Object(_)) => Ok(SocketPacket::Connect {
                namespace,
                auth: payload,
            }),
            Some(_) => Err(PacketError::Payload("CONNECT needs an object".into())),
        },
        '1' => Ok(SocketPacket::Disconnect { namespace }),
        '2' => {
            let Some(Value::Array(mut items)) = payload else {
                return Err(PacketError::Payload("EVENT needs an array".into()));
            };
            if items.is_empty() {
                return Err(PacketError::Payload("EVENT needs a name".into()));
            }
            let Value::String(name) = items.remove(0) else {
                return Err(PacketError::Payload(
                    "the event name must be a string".into(),
                ));
            };
            Ok(SocketPacket::Event {
                namespace,
                id,
                name,
                args: items,
            })
        }
        _ => {
            let id = id.ok_or(PacketError::AckId)?;
            let Some(Value::Array(args)) = payload else {
                return Err(PacketError::Payload("ACK needs an array".into()));
            };
            Ok(SocketPacket::Ack {
                namespace,
                id,
                args,
            })
        }
    }
}

/// The Engine.IO open packet: `0{"sid","upgrades":[],"pingInterval","pingTimeout","maxPayload"}`.
pub fn open(sid: &str, settings: &SocketSettings) -> String {
    let body = serde_json::json!({
        "sid": sid,
        "upgrades": [],
        "pingInterval": millis(settings.ping_interval),
        "pingTimeout": millis(settings.ping_timeout),
        "maxPayload": settings.max_payload,
    });
    format!("0{body}")
}

/// The Engine.IO ping: `2`.
pub const PING: &str = "2";

/// The Engine.IO pong: `3`.
pub const PONG: &str = "3";

/// CONNECT accepted: `40{"sid":"…"}` (`40/ns,{…}` in another namespace).
pub fn connect_ok(namespace: &str, sid: &str) -> String {
    let body = serde_json::json!({ "sid": sid });
    format!("40{}{body}", namespace_prefix(namespace))
}

/// CONNECT refused: `44{"message":"…"}` (`44/ns,{…}` in another namespace).
pub fn connect_error(namespace: &str, message: &str) -> String {
    let body = serde_json::json!({ "message": message });
    format!("44{}{body}", namespace_prefix(namespace))
}

/// DISCONNECT from the root namespace: `41`.
pub const DISCONNECT: &str = "41";

/// EVENT in the root namespace: `42["name",args…]`.
pub fn event(name: &str, args: &[Value]) -> String {
    let mut out = String::from("42[");
    out.push_str(&Value::from(name).to_string());
    for arg in args {
        out.push(',');
        out.push_str(&arg.to_string());
    }
    out.push(']');
    out
}

/// ACK of the client's event `id` in the root namespace: `43<id>[args…]`.
pub fn ack(id: u64, args: &[Value]) -> String {
    format!("43{id}{}", Value::from(args.to_vec()))
}

fn namespace_prefix(namespace: &str) -> String {
    if namespace == ROOT_NAMESPACE {
        String::new()
    } else {
        format!("{namespace},")
    }
}

fn millis(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn engine_packets_parse_by_their_first_character() {
        assert_eq!(parse_engine("3"), Ok(EnginePacket::Pong));
        assert_eq!(parse_engine("2"), Ok(EnginePacket::Ping));
        assert_eq!(parse_engine("1"), Ok(EnginePacket::Close));
        assert_eq!(parse_engine("6"), Ok(EnginePacket::Noop));
        assert_eq!(
            parse_engine("42[\"a\"]"),
            Ok(EnginePacket::Message("2[\"a\"]"))
        );
        assert_eq!(parse_engine(""), Err(PacketError::Empty));
        assert_eq!(parse_engine("0{}"), Err(PacketError::UnexpectedType('0')));
        assert_eq!(parse_engine("x"), Err(PacketError::UnexpectedType('x')));
    }

    #[test]
    fn connect_carries_the_auth_object_and_namespace() {
        assert_eq!(
            parse_socket(r#"0{"token":"t","session_uuid":"s"}"#),
            Ok(SocketPacket::Connect {
                namespace: "/".into(),
                auth: Some(json!({"token": "t", "session_uuid": "s"})),
            })
        );
        assert_eq!(
            parse_socket("0"),
            Ok(SocketPacket::Connect {
                namespace: "/".into(),
                auth: None
            })
        );
        assert_eq!(
            parse_socket(r#"0/ws,{"token":"t"}"#),
            Ok(SocketPacket::Connect {
                namespace: "/ws".into(),
                auth: Some(json!({"token": "t"})),
            })
        );
        assert_eq!(parse_socket("0/ws"), Err(PacketError::Namespace));
        assert!(matches!(parse_socket("0[1]"), Err(PacketError::Payload(_))));
    }

    #[test]
    fn events_split_name_args_and_ack_id() {
        assert_eq!(
            parse_socket(r#"2["task_worker_status"]"#),
            Ok(SocketPacket::Event {
                namespace: "/".into(),
                id: None,
                name: "task_worker_status".into(),
                args: vec![],
            })
        );
        assert_eq!(
            parse_socket(r#"212["echo",{"a":1},2]"#),
            Ok(SocketPacket::Event {
                namespace: "/".into(),
                id: Some(12),
                name: "echo".into(),
                args: vec![json!({"a": 1}), json!(2)],
            })
        );
        assert_eq!(
            parse_socket(r#"2/admin,3["x"]"#),
            Ok(SocketPacket::Event {
                namespace: "/admin".into(),
                id: Some(3),
                name: "x".into(),
                args: vec![],
            })
        );
        for bad in [
            "2",
            "2[]",
            "2[1]",
            "2{}",
            "2[\"a\"",
            "21234567890123456[\"a\"]",
        ] {
            assert!(parse_socket(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn binary_and_server_only_packets_are_refused() {
        assert_eq!(
            parse_socket(r#"51-["a",{"_placeholder":true,"num":0}]"#),
            Err(PacketError::Binary)
        );
        assert_eq!(parse_socket("61-0[]"), Err(PacketError::Binary));
        assert_eq!(
            parse_socket(r#"4{"message":"x"}"#),
            Err(PacketError::UnexpectedType('4'))
        );
        assert_eq!(parse_socket(""), Err(PacketError::Empty));
    }

    #[test]
    fn acks_and_disconnects_parse() {
        assert_eq!(
            parse_socket("35[1]"),
            Ok(SocketPacket::Ack {
                namespace: "/".into(),
                id: 5,
                args: vec![json!(1)],
            })
        );
        assert_eq!(parse_socket("3[1]"), Err(PacketError::AckId));
        assert_eq!(
            parse_socket("1"),
            Ok(SocketPacket::Disconnect {
                namespace: "/".into()
            })
        );
    }

    #[test]
    fn server_packets_encode_as_socket_io_clients_expect() {
        let s = SocketSettings::default();
        let open: Value = serde_json::from_str(&super::open("abc", &s)[1..]).unwrap();
        assert_eq!(
            open,
            json!({"sid": "abc", "upgrades": [], "pingInterval": 25000, "pingTimeout": 20000, "maxPayload": 100000})
        );
        assert!(super::open("abc", &s).starts_with('0'));
        assert_eq!(connect_ok("/", "s1"), r#"40{"sid":"s1"}"#);
        assert_eq!(
            connect_error("/ws", "Invalid namespace"),
            r#"44/ws,{"message":"Invalid namespace"}"#
        );
        assert_eq!(
            event("task_notification", &[json!({"msg": "任务 1 开始执行"})]),
            r#"42["task_notification",{"msg":"任务 1 开始执行"}]"#
        );
        assert_eq!(event("e\"q", &[]), r#"42["e\"q"]"#);
        assert_eq!(ack(7, &[]), "437[]");
        assert_eq!(ack(7, &[json!("ok"), json!(1)]), r#"437["ok",1]"#);
    }
}
