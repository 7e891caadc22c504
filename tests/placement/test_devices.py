"""Devices: simulated machines from a spec, and this machine's own devices."""

from __future__ import annotations

import pytest

from agentsdk.errors import ConfigurationError
from agentsdk.placement import Device, discover_devices, parse_bytes, simulate_devices
from agentsdk.placement.devices import SIMULATED_DISK, SIMULATED_RAM, format_bytes

GIB = 2**30


def test_parse_bytes_reads_binary_and_decimal_units() -> None:
    assert parse_bytes("24GiB") == 24 * GIB
    assert parse_bytes("80GB") == 80 * 10**9
    assert parse_bytes("512 MiB") == 512 * 2**20
    assert parse_bytes("1.5gib") == int(1.5 * GIB)
    assert parse_bytes("1024") == 1024


@pytest.mark.parametrize("text", ["", "GiB", "24 parsecs", "-3GiB", "1e3GB"])
def test_parse_bytes_refuses_what_it_cannot_read(text: str) -> None:
    with pytest.raises(ConfigurationError, match="as a size"):
        parse_bytes(text)


def test_simulate_two_ampere_gpus() -> None:
    devices = simulate_devices("2x24GiB")
    assert [d.name for d in devices] == ["cuda:0", "cuda:1", "cpu", "disk"]
    gpu = devices[0]
    assert gpu.total == gpu.free == 24 * GIB
    assert gpu.capability == (8, 0) and gpu.supports_bf16 and gpu.dtype == "bfloat16"
    assert devices[2].total == SIMULATED_RAM and devices[2].dtype == "float32"
    assert devices[3].total == SIMULATED_DISK


def test_simulate_a_mixed_machine_with_capabilities_ram_and_disk() -> None:
    devices = simulate_devices("1x80GiB@9.0, 2x16GiB@7.0, cpu=256GiB, disk=2TiB")
    assert [(d.name, d.total // GIB, d.dtype) for d in devices] == [
        ("cuda:0", 80, "bfloat16"),
        ("cuda:1", 16, "float16"),
        ("cuda:2", 16, "float16"),
        ("cpu", 256, "float32"),
        ("disk", 2048, "float32"),
    ]
    assert devices[0].capability == (9, 0) and devices[1].capability == (7, 0)
    assert simulate_devices("80GB")[0].total == 80 * 10**9  # the count defaults to 1


@pytest.mark.parametrize("spec", ["", "0", "none", "cpu=32GiB"])
def test_simulate_a_machine_without_gpus(spec: str) -> None:
    assert [d.kind for d in simulate_devices(spec)] == ["cpu", "disk"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("2x", "as a size"),
        ("2xlots", "as a size"),
        ("2x24GiB+", "COUNTxSIZE"),
        ("2x24GiB@x", "COUNTxSIZE"),
        ("2x24 parsecs", "as a size"),
        ("ram=16GiB", "cpu=SIZE or disk=SIZE"),
        ("2x0GiB", "no memory"),
        ("65x1GiB", "at most 64"),
    ],
)
def test_bad_specs_say_what_to_write(spec: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        simulate_devices(spec)


def test_device_values_are_checked_and_round_trip() -> None:
    with pytest.raises(ConfigurationError, match="cuda:N"):
        Device("gpu0", 1, 1)
    with pytest.raises(ConfigurationError, match="free"):
        Device("cpu", 1, 2)
    device = Device("cuda:3", 16 * GIB, 10 * GIB, (7, 5), "T4")
    assert device.index == 3 and not device.supports_bf16
    assert Device.from_dict(device.to_dict()) == device


def test_this_machine_has_a_cpu_and_a_disk() -> None:
    devices = discover_devices()
    kinds = [d.kind for d in devices]
    assert kinds[-2:] == ["cpu", "disk"]
    assert all(kind == "cuda" for kind in kinds[:-2])
    cpu = devices[-2]
    assert 0 < cpu.free <= cpu.total


def test_format_bytes() -> None:
    assert format_bytes(512) == "512 B"
    assert format_bytes(1536 * 2**20) == "1.5 GiB"
    assert format_bytes(3 * 2**40) == "3.0 TiB"
