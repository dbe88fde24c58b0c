"""The HTTPS server (aiohttp): Graph under /beta and /v1.0, identity under /{tenant}/..., control under /_emulator."""

import asyncio
import ipaddress
import json
import logging
import sys
import traceback
import uuid
from urllib.parse import unquote

from aiohttp import web

from . import control
from .errors import GraphError
from .graph import Call, Drop

LOG = logging.getLogger("graph_emulator")
JSON_HEADERS = {"Content-Type": "application/json; charset=utf-8"}
AGS = '{"ServerInfo":{"DataCenter":"Local Emulator","Slice":"E","Ring":"0","ScaleUnit":"000","RoleInstance":"EMU"}}'


def _json(status, body, headers=None):
    out = dict(headers or {})
    if body is None:
        return web.Response(status=status, headers=out)
    out.setdefault("Content-Type", "application/json; charset=utf-8")
    return web.Response(status=status, body=json.dumps(body).encode("utf-8"), headers=out)


def _loopback(request):
    peer = request.transport.get_extra_info("peername") if request.transport else None
    try:
        return peer is not None and ipaddress.ip_address(peer[0]).is_loopback
    except ValueError:
        return False


def _drop(request):
    """Drop the connection without an answer, as a network fault would (the response is never written)."""
    if request.transport is not None:
        request.transport.abort()
    return web.Response(status=499)


async def _serve_time(call):
    """A dropped call still took its Bookings service time (mode bookings_service_ms) before the connection went."""
    if call.service_ms:
        await asyncio.sleep(call.service_ms / 1000.0)


class Handler:
    def __init__(self, emulator):
        self.emu = emulator

    async def __call__(self, request):
        raw_path = request.rel_url.raw_path
        try:
            if raw_path == "/_emulator" or raw_path.startswith("/_emulator/"):
                return await self.control(request, raw_path)
            latency = self.emu.modes["latency_ms"]
            if latency:
                await asyncio.sleep(latency / 1000.0)
            for version in ("beta", "v1.0"):
                prefix = "/" + version
                if raw_path == prefix or raw_path.startswith(prefix + "/"):
                    return await self.graph(request, version, raw_path[len(prefix):])
            return await self.identity(request, raw_path)
        except asyncio.CancelledError:
            raise
        except Exception:  # pylint: disable=broad-except
            # A bug in the emulator must still answer in Graph's shape (and be visible on stderr).
            traceback.print_exc(file=sys.stderr)
            request_id = str(uuid.uuid4())
            err = GraphError(500, "generalException", "Emulator internal error.")
            client_request_id = request.headers.get("client-request-id", "")
            return _json(500, err.body(request_id, client_request_id),
                         {"request-id": request_id, "client-request-id": client_request_id})

    async def graph(self, request, version, path):
        body = await request.read()
        headers = {k.lower(): v for k, v in request.headers.items()}
        client_request_id = headers.get("client-request-id") or str(uuid.uuid4())
        call = Call(request.method, path or "/", dict(request.query), headers, None, version, client_request_id,
                    raw_body=body)
        try:
            response = self.emu.graph.dispatch(call)
        except Drop:
            await _serve_time(call)
            return _drop(request)
        if call.drop:  # an item of a $batch dropped the connection
            await _serve_time(call)
            return _drop(request)
        if call.delay_ms or call.service_ms:
            await asyncio.sleep((call.delay_ms + call.service_ms) / 1000.0)
        headers = response.headers
        headers["x-ms-ags-diagnostic"] = AGS
        headers["Cache-Control"] = "no-cache"
        if response.body is not None:
            headers["Content-Type"] = ("application/json;odata.metadata=minimal;odata.streaming=true;"
                                       "IEEE754Compatible=false;charset=utf-8")
        return _json(response.status, response.body, headers)

    async def identity(self, request, raw_path):
        segments = [unquote(s) for s in raw_path.strip("/").split("/")]
        form = dict(await request.post()) if request.method == "POST" else {}
        headers = {k.lower(): v for k, v in request.headers.items()}
        base_url = "%s://%s" % (request.scheme, request.host)
        result = self.emu.identity.handle(request.method, segments, dict(request.query), form, headers, base_url)
        if result is None:
            err = GraphError(404, "NotFound",
                             "Resource not found for the segment '%s'." % (segments[0] if segments else ""))
            request_id = str(uuid.uuid4())
            return _json(404, err.body(request_id, headers.get("client-request-id", "")), {"request-id": request_id})
        status, body, extra, route = result
        self.emu.record_identity(request.method, raw_path, route, status, form.get("grant_type"))
        extra.setdefault("client-request-id", headers.get("client-request-id", str(uuid.uuid4())))
        extra["x-ms-request-id"] = str(uuid.uuid4())
        return _json(status, body, extra)

    async def control(self, request, raw_path):
        if not _loopback(request):
            return _json(403, {"error": "the control API answers on loopback only"})
        name = raw_path[len("/_emulator"):].strip("/")
        body = None
        if request.can_read_body:
            try:
                body = await request.json()
            except ValueError:
                return _json(400, {"error": "the control API takes a JSON body"})
        try:
            status, out = control.handle(self.emu, request.method, name, dict(request.query), body)
        except control.ControlError as exc:
            return _json(exc.status, {"error": str(exc)})
        return _json(status, out)


def make_app(emulator):
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_route("*", "/{tail:.*}", Handler(emulator))
    return app
