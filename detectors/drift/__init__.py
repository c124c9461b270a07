"""Quality drift per (app_id, model): per-event metrics, two-sample tests, change points and the
windowed monitor that turns them into model-scope findings. Pure: no Kafka here."""
