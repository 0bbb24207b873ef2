"""What the training app tells others without depending on them: `prediction_made` is sent after
every answered prediction request (the monitoring app logs it), with `version`, `rows` (the
inputs as sent), `result` (the response body), `source` ("api", "form", "project", …), `actor`
and `alias` (for requests routed by an alias)."""

from django.dispatch import Signal

prediction_made = Signal()
