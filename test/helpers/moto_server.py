"""moto's S3 server as the tests and bench/s3.mjs run it (test/helpers/moto.ts says why):

  python3 moto_server.py -H 127.0.0.1 -p PORT     (in the sid chroot: scripts/sid-chroot.sh run)

ZARRIFY_MOTO_SERIALISE=1 runs object-changing requests one at a time; ZARRIFY_MOTO_SWITCH_INTERVAL
sets Python's thread switch interval. The server exits when its stdin closes.
"""
import io, os, sys, threading
# The test process holds our stdin: when it ends (however it ends), so does this server.
threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()
si = os.environ.get("ZARRIFY_MOTO_SWITCH_INTERVAL")
if si:
    sys.setswitchinterval(float(si))
if os.environ.get("ZARRIFY_MOTO_SERIALISE") == "1":
    from moto.moto_server import werkzeug_app
    lock = threading.Lock()
    original = werkzeug_app.DomainDispatcherApplication.__call__
    def serialised(self, environ, start_response):
        if environ.get("REQUEST_METHOD") not in ("PUT", "POST", "DELETE"):
            return original(self, environ, start_response)
        length = environ.get("CONTENT_LENGTH")
        stream = environ["wsgi.input"]
        if length:
            body = stream.read(int(length))
        elif environ.get("wsgi.input_terminated"):
            body = stream.read()  # chunked: werkzeug ends the stream at the last chunk
        else:
            body = b""
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        with lock:
            result = original(self, environ, start_response)
            try:
                return [b"".join(result)]
            finally:
                getattr(result, "close", lambda: None)()
    werkzeug_app.DomainDispatcherApplication.__call__ = serialised
from moto.server import main
main()
