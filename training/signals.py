"""What the training app tells others without depending on them: `prediction_made` is sent after
every answered prediction request (the monitoring app logs it), with `version`, `rows` (the
inputs as sent), `result` (the response body), `source` ("api", "form", …) and `actor`."""

from django.dispatch import Signal

prediction_made = Signal()
