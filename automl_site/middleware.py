"""Middleware of the site that must not cost a request a thread hop.

Under ASGI, Django runs a sync-only middleware in a worker thread and hands the rest of the
chain back to the event loop, once per such middleware, before the (sync) view gets its own
thread: every hop waits for the loop, which under load costs more than the request itself. So
every middleware here (and WhiteNoise's, adapted below) works in both modes."""

from __future__ import annotations

import time

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from whitenoise.middleware import WhiteNoiseMiddleware


class BothModes:
    """A middleware usable sync or async: `before`/`after` wrap the rest of the chain."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self._acall(request)
        state = self.before(request)
        return self.after(request, self.get_response(request), state)

    async def _acall(self, request):
        state = self.before(request)
        return self.after(request, await self.get_response(request), state)

    def before(self, request):
        return None

    def after(self, request, response, state):
        return response


class ServerTimingMiddleware(BothModes):
    """`Server-Timing: app;dur=<ms>` on every response: the time Django spent on the request
    (every middleware, the view and rendering), for the browser's dev tools and the benchmarks."""

    def before(self, request):
        return time.perf_counter()

    def after(self, request, response, started):
        if hasattr(response, "render") and not getattr(response, "is_rendered", True):
            response.render()
        response["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
        return response


class StaticFilesMiddleware(WhiteNoiseMiddleware):
    """WhiteNoise's static files, in both modes (its own middleware is sync only)."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response=None):
        super().__init__(get_response)
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request):
        static_file = self._static_file(request)
        if static_file is not None:
            response = self.serve(static_file, request)
            return self._done(response) if iscoroutinefunction(self) else response
        return self.get_response(request)

    async def _done(self, response):
        return response

    def _static_file(self, request):
        return self.find_file(request.path_info) if self.autorefresh else self.files.get(request.path_info)
