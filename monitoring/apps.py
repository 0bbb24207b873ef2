from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"

    def ready(self) -> None:
        from training.signals import prediction_made

        from .receivers import log_prediction

        prediction_made.connect(log_prediction, dispatch_uid="monitoring.log_prediction")
