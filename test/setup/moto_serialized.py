"""moto_server with its requests handled one at a time.

moto 5.x checks S3's If-Match / If-None-Match and then writes the object as two separate steps with
no lock, while `moto_server` serves requests on many threads: two writers racing on one key can
both pass the check, and one update is lost (seen with eight processes incrementing one counter).
S3 itself makes a conditional write atomic. This launcher runs moto's own application (the same
one `moto_server` runs) behind a lock, so each request is checked and applied before the next one
starts. Connections are still served on threads, so an idle keep-alive connection blocks nobody.

Usage: python moto_serialized.py -H 127.0.0.1 -p PORT
"""

import argparse
import io
import signal
import sys
import threading

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple
from werkzeug.wsgi import get_input_stream


class Serialized:
    """WSGI middleware: one request at a time through the wrapped app; the response is built inside the lock."""

    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        # Read the request body first, outside the lock: a slow client must not hold up the others.
        body = get_input_stream(environ).read()
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ["wsgi.input_terminated"] = True
        with self.lock:
            result = self.app(environ, start_response)
            try:
                return [b"".join(result)]
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    app = Serialized(DomainDispatcherApplication(create_backend_app))
    run_simple(args.host, args.port, app, threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
