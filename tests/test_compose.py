"""docker-compose.yml and the Dockerfile against the settings the worker reads (there is no
Docker engine here, so the files are parsed and checked, not run)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import yaml

from guardstream.streams.admin import topic_specs
from guardstream.streams.settings import load_settings
from guardstream.streams.worker_pool import for_process

ROOT = Path(__file__).resolve().parent.parent


def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_services_and_images() -> None:
    services = compose()["services"]
    assert set(services) == {"kafka", "kafka-init", "worker", "prometheus"}
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert services["kafka-init"]["image"] == services["kafka"]["image"]
    assert services["worker"]["build"] == "."
    assert services["prometheus"]["profiles"] == ["metrics"]  # optional
    env = services["kafka"]["environment"]
    assert "controller" in env["KAFKA_PROCESS_ROLES"]  # KRaft: no ZooKeeper service
    assert not any("zookeeper" in name for name in services)


def test_worker_environment_is_valid_settings_and_points_at_kafka() -> None:
    services = compose()["services"]
    env = {k: str(v) for k, v in services["worker"]["environment"].items()}
    settings = load_settings(env=env)  # an unknown or bad key raises ConfigError naming it
    advertised = services["kafka"]["environment"]["KAFKA_ADVERTISED_LISTENERS"]
    assert f"PLAINTEXT://{settings.bootstrap_servers}" in advertised.split(",")
    assert settings.worker.processes >= 1
    metrics_ports = [
        for_process(settings, i).metrics.port for i in range(settings.worker.processes)
    ]
    published = services["worker"]["ports"]
    low, high = re.fullmatch(r"127\.0\.0\.1:(\d+)-(\d+):\1-\2", published[0]).groups()  # type: ignore[union-attr]
    assert metrics_ports == list(range(int(low), int(high) + 1))  # loopback only on the host
    scrape = yaml.safe_load((ROOT / "deploy" / "prometheus.yml").read_text())
    targets = scrape["scrape_configs"][0]["static_configs"][0]["targets"]
    assert targets == [f"worker:{port}" for port in metrics_ports]


def test_topics_created_are_the_topics_the_worker_uses() -> None:
    services = compose()["services"]
    settings = load_settings(env={k: str(v) for k, v in services["worker"]["environment"].items()})
    script = services["kafka-init"]["command"][0]
    created = {}
    for line in script.splitlines():
        if match := re.match(r"\s*create --topic (\S+) --partitions (\d+)(.*)$", line):
            name, partitions, rest = match.groups()
            compacted = "cleanup.policy=compact" in rest
            created[name] = (int(partitions), compacted)
    expected = {
        spec.name: (
            spec.num_partitions,
            (spec.topic_configs or {}).get("cleanup.policy") == "compact",
        )
        for spec in topic_specs(settings)
    }
    assert created == expected


def test_dockerfile_runs_the_worker_and_ships_every_package() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'CMD ["guardstream", "worker"]' in dockerfile
    assert "EXPOSE 9464" in dockerfile
    assert load_settings(env={}).metrics.port == 9464
    ignored = (ROOT / ".dockerignore").read_text().split()
    package_dirs = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-dir"
    ]
    for directory in package_dirs.values():
        assert (ROOT / directory).is_dir() and directory not in ignored
