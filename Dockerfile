# The guardstream worker. Build: docker build -t guardstream .   (see docker-compose.yml)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY . .
RUN pip install --quiet . && useradd --system --uid 10001 guardstream \
    && mkdir -p /data && chown guardstream /data
USER guardstream

# Metrics bind to all interfaces inside the container; publish the port on loopback only
# (compose does) unless Prometheus scrapes it from elsewhere.
ENV GUARDSTREAM_WORKER__DATA_DIR=/data \
    GUARDSTREAM_METRICS__HOST=0.0.0.0 \
    GUARDSTREAM_METRICS__PORT=9464
EXPOSE 9464
CMD ["guardstream", "worker"]
