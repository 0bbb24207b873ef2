"""Show dates and times in the signed-in user's time zone (a profile preference)."""

import contextlib
import zoneinfo

from django.utils import timezone

from automl_site.middleware import BothModes


class UserTimezoneMiddleware(BothModes):
    def before(self, request):
        user = getattr(request, "user", None)
        self._activate(getattr(user, "timezone", "") if user is not None and user.is_authenticated else "")

    async def _acall(self, request):
        # In async mode the user is loaded with `auser()`: `request.user` would query the database
        # from the event loop.
        user = await request.auser() if hasattr(request, "auser") else None
        self._activate(getattr(user, "timezone", "") if user is not None and user.is_authenticated else "")
        return await self.get_response(request)

    @staticmethod
    def _activate(zone: str) -> None:
        timezone.deactivate()
        # A zone no longer in the system's database falls back to UTC rather than failing the page.
        with contextlib.suppress(zoneinfo.ZoneInfoNotFoundError, ValueError):
            if zone:
                timezone.activate(zoneinfo.ZoneInfo(zone))
