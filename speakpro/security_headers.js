// SpeakPro's security headers on the frontend dev and preview servers (written into .web by
// speakpro/security_headers.py, which fills in the policy below).
// Each HTML page is held until it is complete, then sent with a Content-Security-Policy that lists the
// SHA-256 of each of its own inline scripts; every other response gets the same headers without hashing.
import { createHash } from "node:crypto";

const POLICY = __SPEAKPRO_POLICY__;
const INLINE_SCRIPT = /<script\b([^>]*)>([\s\S]*?)<\/script\s*>/gi;

export function inlineScriptHashes(html) {
  const found = new Set();
  for (const [, attributes, body] of html.matchAll(INLINE_SCRIPT)) {
    if (/\bsrc\s*=/i.test(attributes) || !body) continue;
    found.add(`'sha256-${createHash("sha256").update(body, "utf8").digest("base64")}'`);
  }
  return [...found];
}

function withHashes(csp, hashes) {
  return csp.replace(POLICY.placeholder, hashes.join(" ")).replace(/ {2,}/g, " ").replace(/ ;/g, ";");
}

function isPageRequest(req) {
  return req.method === "GET" && String(req.headers.accept || "").includes("text/html");
}

function securityHeaders(req, res, next) {
  for (const [name, value] of Object.entries(POLICY.headers)) res.setHeader(name, value);
  if (!isPageRequest(req)) {
    res.setHeader("Content-Security-Policy", withHashes(POLICY.headers["Content-Security-Policy"], []));
    return next();
  }
  // Hold the page: its policy depends on its whole body.
  const chunks = [];
  const originalWriteHead = res.writeHead.bind(res);
  const originalWrite = res.write.bind(res);
  const originalEnd = res.end.bind(res);
  let head = null;
  res.writeHead = (...args) => {
    head = args;
    return res;
  };
  res.write = (chunk, encoding, callback) => {
    if (chunk) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk, encoding || "utf8"));
    if (typeof encoding === "function") encoding();
    else if (typeof callback === "function") callback();
    return true;
  };
  res.end = (chunk, encoding, callback) => {
    if (typeof chunk === "function") {
      callback = chunk;
      chunk = undefined;
    }
    if (chunk) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk, encoding || "utf8"));
    const body = Buffer.concat(chunks);
    const csp = withHashes(POLICY.headers["Content-Security-Policy"], inlineScriptHashes(body.toString("utf8")));
    res.setHeader("Content-Security-Policy", csp);
    res.removeHeader("Content-Length");
    if (head) {
      const [status, ...rest] = head;
      const headers = rest.find((item) => item && typeof item === "object");
      if (headers) {
        for (const name of Object.keys(headers)) {
          if (name.toLowerCase() === "content-length" || name.toLowerCase() === "content-security-policy") {
            delete headers[name];
          }
        }
      }
      originalWriteHead(status, ...rest);
    }
    if (!res.headersSent) res.setHeader("Content-Length", body.length);
    return originalEnd(body, typeof callback === "function" ? callback : undefined);
  };
  return next();
}

export default function speakproSecurityHeaders() {
  return {
    name: "speakpro-security-headers",
    configureServer(server) {
      server.middlewares.use(securityHeaders);
    },
    configurePreviewServer(server) {
      server.middlewares.use(securityHeaders);
    },
  };
}
