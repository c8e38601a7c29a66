"""The HTTP/1.1 protocol the server runs: uvicorn's httptools one, with oversized heads answered.

uvicorn answers a request head its parser refuses with a 400 and closes at once; with a
1 MB header still arriving, the client sees a connection reset instead of any answer. Here a
head over ``MAX_HEAD`` bytes is answered ``431 Request Header Fields Too Large`` and the rest
of the request is read and dropped before the connection closes (a lingering close, as
nginx and Apache do), so the client reads the answer.
"""

from __future__ import annotations

import json

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

MAX_HEAD = 64 * 1024  # request line + headers
LINGER = 5.0  # seconds to drain a refused request before closing


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """httptools with a head-size limit answered by 431 and a lingering close."""

    def connection_made(self, transport) -> None:  # type: ignore[no-untyped-def]  # noqa: ANN001
        """Start counting the first request's head."""
        super().connection_made(transport)
        self._head_bytes = 0
        self._in_body = False
        self._draining = False

    def on_message_begin(self) -> None:
        """A new request: its head is counted from here."""
        super().on_message_begin()
        self._in_body = False

    def on_headers_complete(self) -> None:
        """The head is in: body bytes are not counted."""
        self._in_body = True
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        """The next request on this connection starts a new count."""
        super().on_message_complete()
        self._in_body = False
        self._head_bytes = 0

    def data_received(self, data: bytes) -> None:
        """Count head bytes; past the limit answer 431 and drain."""
        if self._draining:
            return
        if not self._in_body:
            self._head_bytes += len(data)
        super().data_received(data)
        if not self._draining and not self._in_body and self._head_bytes > MAX_HEAD:
            self._refuse(431, f"the request head is over {MAX_HEAD} bytes (a header or the URL is too long)")

    def send_400_response(self, msg: str) -> None:
        """What the parser refuses: 431 when the head is too long, else 400; both drain first."""
        if self._head_bytes > MAX_HEAD and not self._in_body:
            self._refuse(431, f"the request head is over {MAX_HEAD} bytes (a header or the URL is too long)")
        else:
            self._refuse(400, f"invalid HTTP request: {msg}")

    def _refuse(self, status: int, message: str) -> None:
        if self._draining or self.transport.is_closing():
            return
        self._draining = True
        body = json.dumps({"error": message, "status": status}).encode()
        reason = {400: "Bad Request", 431: "Request Header Fields Too Large"}[status]
        head = (
            f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
        ).encode()
        self.transport.write(head + body)
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(LINGER, self.transport.close)

    def eof_received(self) -> None:
        """The client finished sending: a draining connection can close now."""
        if self._draining:
            self.transport.close()
            return
        super().eof_received()
