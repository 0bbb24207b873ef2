"""Open the platform's WebSockets in tests the way a browser would: the real ASGI application,
the session cookie of a signed-in user, and the site's origin.

(channels.testing.WebsocketCommunicator is the same thing, but importing channels.testing needs
daphne, which the platform does not use.)"""

from asgiref.testing import ApplicationCommunicator
from django.test import Client


def ws_headers(user) -> list:
    headers = [(b"origin", b"http://testserver")]
    if user is not None:
        client = Client()
        client.force_login(user)
        headers.append((b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()))
    return headers


async def connect(path: str, headers):
    """(communicator, accepted?, close code) for a socket opened at `path` (which may carry a
    query string)."""
    from automl_site.asgi import application

    path, _, query = path.partition("?")
    scope = {
        "type": "websocket",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "headers": headers,
    }
    communicator = ApplicationCommunicator(application, {**scope, "subprotocols": [], "client": ("127.0.0.1", 1)})
    await communicator.send_input({"type": "websocket.connect"})
    answer = await communicator.receive_output(timeout=5)
    return communicator, answer["type"] == "websocket.accept", answer.get("code")


async def receive_text(communicator) -> str:
    message = await communicator.receive_output(timeout=5)
    assert message["type"] == "websocket.send", message
    return message["text"]


async def disconnect(communicator) -> None:
    await communicator.send_input({"type": "websocket.disconnect", "code": 1000})
    await communicator.wait(timeout=5)
