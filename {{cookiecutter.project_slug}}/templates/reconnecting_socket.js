/**
 * A websocket to `path` on this host that reconnects by itself after the server
 * goes away, waiting 0.5 s, 1 s, 2 s ... up to 8 s between tries, with jitter
 * so that a restarted server is not hit by every client at once. A socket the
 * server closed for sending too fast or too much (4008, 1009;
 * realtime_kit/close_codes.py) waits at least 10 s, the server's cooldown
 * (WEBSOCKET_CLIENT_COOLDOWN_SECONDS), during which it refuses this client;
 * one closed because its session logged out (4001) stays closed.
 * handlers.onmessage(event) gets each message; handlers.onstate(state, text)
 * gets the state, "connecting", "open", "reconnecting" or "closed", and a text for people
 * that says why the socket closed and counts down to the next try.
 * send() returns false while the socket is not open.
 */
function reconnectingSocket(path, handlers) {
  const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + path;
  // Why the server closed the socket, by close code; and how long to wait at least.
  const CLOSED_BECAUSE = {
    4001: { reason: 'logged out', final: true },
    4008: { reason: 'rate-limited', atLeast: 10000 },
    1009: { reason: 'message too big', atLeast: 10000 },
    4011: { reason: 'server error (channel layer unavailable)', atLeast: 0 },
  };
  const OTHERWISE = { reason: 'connection lost', atLeast: 0 };
  let socket = null;
  let failures = 0;

  function connect() {
    const state = failures === 0 ? 'connecting' : 'reconnecting';
    handlers.onstate(state, state);
    socket = new WebSocket(url);
    socket.onopen = function () {
      failures = 0;
      handlers.onstate('open', 'connected');
    };
    socket.onmessage = handlers.onmessage;
    socket.onclose = function (event) {
      const why = CLOSED_BECAUSE[event.code] || OTHERWISE;
      if (why.final) {
        handlers.onstate('closed', why.reason + ': reload the page to connect again');
        return;
      }
      const backoff = Math.min(8000, 500 * 2 ** failures) * (0.75 + Math.random() / 2);
      const least = why.atLeast * (1 + Math.random() / 2);  // jitter too, never less
      failures += 1;
      retry(Math.max(backoff, least), why.reason);
    };
  }

  // Wait `delay` ms, saying every second how many are left, then connect again.
  function retry(delay, reason) {
    const due = Date.now() + delay;
    (function tick() {
      const left = due - Date.now();
      if (left <= 0) {
        connect();
        return;
      }
      const seconds = Math.ceil(left / 1000);
      handlers.onstate('reconnecting', reason + ', reconnecting in ' + seconds + ' s');
      setTimeout(tick, left - (seconds - 1) * 1000);
    })();
  }

  connect();
  return {
    send(data) {
      if (socket.readyState !== WebSocket.OPEN) {
        return false;
      }
      socket.send(data);
      return true;
    },
  };
}
