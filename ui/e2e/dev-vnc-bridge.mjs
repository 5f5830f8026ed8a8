#!/usr/bin/env node
// Development only: a WebSocket endpoint for /1.0/instances/NAME/vnc that relays to RUN_DIR/instances/NAME/vnc.sock,
// standing in for the daemon's own until a daemon that serves it runs here. Binary frames both ways, as the
// daemon's endpoint does. Usage: node e2e/dev-vnc-bridge.mjs RUN_DIR [PORT]; then start vite with
// VESSEL_DEV_VNC_BRIDGE=http://127.0.0.1:PORT.
import { createHash } from "node:crypto";
import { createServer } from "node:http";
import { connect } from "node:net";
import { join } from "node:path";

const [runDir, port = "18490"] = process.argv.slice(2);
if (!runDir) throw new Error("usage: dev-vnc-bridge.mjs RUN_DIR [PORT]");

function frame(payload, opcode = 2) {
  const length = payload.length;
  const head = length < 126 ? Buffer.from([0x80 | opcode, length]) : length < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  if (length >= 126 && length < 65536) {
    head[0] = 0x80 | opcode;
    head[1] = 126;
    head.writeUInt16BE(length, 2);
  } else if (length >= 65536) {
    head[0] = 0x80 | opcode;
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(length), 2);
  }
  return Buffer.concat([head, payload]);
}

const server = createServer((_, response) => response.writeHead(426).end());
server.on("upgrade", (request, client) => {
  const match = /^\/1\.0\/instances\/([^/?]+)\/vnc/.exec(request.url ?? "");
  if (!match) return client.end("HTTP/1.1 404 Not Found\r\n\r\n");
  const vnc = connect(join(runDir, "instances", decodeURIComponent(match[1]), "vnc.sock"));
  vnc.on("error", () => client.end("HTTP/1.1 404 Not Found\r\nX-Vessel-Error: no VNC socket\r\n\r\n"));
  vnc.on("connect", () => {
    const accept = createHash("sha1").update(`${request.headers["sec-websocket-key"]}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest("base64");
    client.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    vnc.on("data", (data) => client.write(frame(data)));
    vnc.on("close", () => client.end(frame(Buffer.alloc(0), 8)));
    let pending = Buffer.alloc(0);
    client.on("data", (data) => {
      pending = Buffer.concat([pending, data]);
      while (pending.length >= 2) {
        const opcode = pending[0] & 15;
        let length = pending[1] & 127;
        let offset = 2;
        if (length === 126) [length, offset] = [pending.readUInt16BE(2), 4];
        else if (length === 127) [length, offset] = [Number(pending.readBigUInt64BE(2)), 10];
        const masked = pending[1] & 128;
        const start = offset + (masked ? 4 : 0);
        if (pending.length < start + length) break;
        const payload = Buffer.from(pending.subarray(start, start + length));
        if (masked) for (let i = 0; i < payload.length; i++) payload[i] ^= pending[offset + (i % 4)];
        pending = pending.subarray(start + length);
        if (opcode === 8) return vnc.end(), client.end(frame(Buffer.alloc(0), 8));
        if (opcode === 9) client.write(frame(payload, 10));
        else if (opcode === 0 || opcode === 1 || opcode === 2) vnc.write(payload);
      }
    });
    client.on("close", () => vnc.destroy());
    client.on("error", () => vnc.destroy());
  });
});
server.listen(Number(port), "127.0.0.1", () => console.log(`dev VNC bridge on 127.0.0.1:${port} for ${runDir}`));
