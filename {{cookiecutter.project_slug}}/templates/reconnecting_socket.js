/**
 * A websocket to `path` on this host that reconnects by itself after the server
 * goes away, waiting 0.5 s, 1 s, 2 s ... up to 8 s between tries, with jitter
 * so that a restarted server is not hit by every client at once.
 * handlers.onmessage(event) gets each message; handlers.onstate(state) gets
 * "connecting", "open" or "reconnecting". send() returns false while closed.
 */
function reconnectingSocket(path, handlers) {
  const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + path;
  let socket = null;
  let failures = 0;

  function connect() {
    handlers.onstate(failures === 0 ? 'connecting' : 'reconnecting');
    socket = new WebSocket(url);
    socket.onopen = function () {
      failures = 0;
      handlers.onstate('open');
    };
    socket.onmessage = handlers.onmessage;
    socket.onclose = function () {
      const delay = Math.min(8000, 500 * 2 ** failures) * (0.75 + Math.random() / 2);
      failures += 1;
      handlers.onstate('reconnecting');
      setTimeout(connect, delay);
    };
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
