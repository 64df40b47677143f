// Reference, Node only: the baseline's code over node:http with a keep-alive Agent instead
// of fetch — what the same careful developer writes when fetch's cost matters.
import { Agent, request } from "node:http";
import { refusal } from "./refusal.mjs";

export function create({ tokenEndpoint, errorEndpoint, clientId, clientSecret, scope }) {
  const agent = new Agent({ keepAlive: true });
  const authorization = "Basic " + Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString("base64");
  const post = (url) =>
    new Promise((resolve, reject) => {
      const body = new URLSearchParams({ grant_type: "client_credentials", scope }).toString();
      const req = request(url, {
        method: "POST",
        agent,
        headers: {
          Accept: "application/json",
          "Content-Type": "application/x-www-form-urlencoded",
          "Content-Length": Buffer.byteLength(body),
          Authorization: authorization,
        },
      }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk) => (text += chunk));
        res.on("end", () => {
          try {
            const json = JSON.parse(text);
            if (res.statusCode < 200 || res.statusCode > 299 || typeof json.access_token !== "string") {
              const err = new Error(`token request failed: ${json.error ?? res.statusCode}`);
              err.error = json.error;
              err.status = res.statusCode;
              reject(err);
            } else resolve(json);
          } catch (err) {
            reject(err);
          }
        });
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end(body);
    });
  return {
    token: async () => (await post(tokenEndpoint)).access_token,
    error: () => refusal(() => post(errorEndpoint), (err) => err.error),
  };
}
