//! Fuzz target: the MCP gateway's framing and message parsing (newline
//! frames read in arbitrary chunks with a size bound, JSON-RPC
//! classification, the request `_meta` and server revision checks, SSE
//! events) never panic or hang, whatever a peer sends (see docs/FUZZING.md).

use cordon_mcp::frame::{read_frame, Frame};
use cordon_mcp::{jsonrpc, revision, sse};
use std::io::BufReader;

const CORPUS: &[&[u8]] = &[
    b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"x\",\"arguments\":{}}}\n",
    b"{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"result\":{\"tools\":[{\"name\":\"t\",\"description\":\"d\"}]}}\r\n",
    b"{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n\n   \n",
    b"[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]\n{\"id\":null}\n",
    b"{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\",\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\"}}}\n",
    b"{\"jsonrpc\":\"2.0\",\"id\":3,\"error\":{\"code\":-32600,\"message\":\"m\"}}\n",
    b"event: message\nid: 4\ndata: {\"jsonrpc\":\"2.0\",\"id\":4,\"result\":{}}\n\n: comment\nretry: 10\ndata: a\ndata: b\n\n",
    b"{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":{\"inputRequests\":{\"r\":{\"method\":\"sampling/createMessage\"}}}}",
];

const DICT: &[&[u8]] = &[
    b"\n",
    b"\r\n",
    b"\r",
    b"{",
    b"}",
    b"[",
    b"]",
    b"\"",
    b":",
    b",",
    b"\"id\":",
    b"\"method\":",
    b"\"params\":",
    b"\"result\":",
    b"\"error\":",
    b"\"jsonrpc\":\"2.0\"",
    b"null",
    b"1e999",
    b"-0",
    b"\\u0000",
    b"\\ud800",
    b"data: ",
    b"event: ",
    b"id: ",
    b"\n\n",
    b"\xff",
    b"\0",
    b"\"_meta\":{",
    b"\"protocolVersion\":",
    b"\"2026-07-28\"",
];

#[test]
fn the_gateway_framing_never_crashes() {
    let mut g = cordon_fuzz::Gen::new(7);
    cordon_fuzz::run("mcp-frame", CORPUS, DICT, |bytes| {
        let max = *g.pick(&[16usize, 256, 4096, 1 << 20]);
        let chunk = 1 + g.below(64);
        let mut r = BufReader::with_capacity(chunk, bytes);
        while let Ok(Some(frame)) = read_frame(&mut r, max) {
            let Frame::Line(line) = frame else { continue };
            let Ok(v) = serde_json::from_slice::<serde_json::Value>(&line) else {
                continue;
            };
            if let jsonrpc::Kind::Request { id, method } = jsonrpc::classify(&v) {
                let _ = jsonrpc::id_key(&id);
                let _ = revision::check_request_meta(v.get("params"), Some("2025-06-18"));
                let _ = revision::check_request_meta(v.get("params"), None);
                let _ = revision::unknown_server_revision(&method, &v["params"]);
            }
            if let Some(result) = v.get("result") {
                let _ = revision::unknown_server_revision("initialize", result);
            }
        }
        let mut r = BufReader::with_capacity(chunk, bytes);
        while let Ok(Some(ev)) = sse::read_event(&mut r, max) {
            let _ = ev.data();
            let _ = ev.to_bytes();
        }
    });
}
