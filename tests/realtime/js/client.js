// The official SignalR client against the emulator's /apiWsHub, as Sonoran's docs connect:
// skipNegotiation, WebSockets only. Usage: node client.js URL COMMUNITY KEY SERVER_ID
// Prints one JSON line per step; after "ready" it waits for one pushEvent, then closes.
const signalR = require("@microsoft/signalr");

const [url, community, key, serverId] = process.argv.slice(2);
const out = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");

async function main() {
  const connection = new signalR.HubConnectionBuilder()
    .withUrl(url + "/apiWsHub", {
      transport: signalR.HttpTransportType.WebSockets,
      skipNegotiation: true,
    })
    .configureLogging(signalR.LogLevel.Error)
    .build();
  const pushed = new Promise((resolve) => {
    connection.on("pushEvent", (payload) => {
      const event = typeof payload === "string" ? JSON.parse(payload) : payload;
      resolve(event);
    });
  });
  await connection.start();
  const auth = await connection.invoke("authenticatev2", community, key, Number(serverId));
  out({ step: "auth", auth });
  const sent = await connection.invoke("unitLocation", [
    { apiId: "js-unit", location: "Route 68", coordinates: { x: 1.5, y: 2.5, z: 3, w: 90 } },
  ]);
  out({ step: "unitLocation", sent });
  const tooFast = await connection.invoke("unitLocation", [{ apiId: "js-unit", location: "x" }]);
  out({ step: "tooFast", tooFast });
  out({ step: "ready" });
  const event = await pushed;
  out({ step: "pushEvent", type: event.type, data: event.data });
  await connection.stop();
  out({ step: "closed" });
}

main().catch((err) => {
  out({ step: "error", error: String(err) });
  process.exit(1);
});
