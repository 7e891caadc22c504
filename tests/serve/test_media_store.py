"""Media kept for reviewers: by content hash only, never by a name a request chose."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from agentsdk import Audio, Image
from agentsdk.serve.media_store import MediaStore


def test_parts_are_kept_by_hash_and_read_back(tmp_path: Path) -> None:
    store = MediaStore(tmp_path)
    image = Image(np.zeros((4, 4, 3), np.uint8), name="receipt.png")
    clip = Audio(np.sin(np.linspace(0, 100, 1600)).astype(np.float32) * 0.3, sample_rate=16000)
    store.put(image)
    store.put(image)  # once per content
    store.put(clip)
    data, mime = store.get(image.sha256) or (b"", "")
    assert mime.startswith("image/") and Image(data).size == (4, 4)
    assert (store.get(clip.sha256) or (b"", ""))[1] in ("audio/wav", "audio/x-wav")
    assert len(list(tmp_path.iterdir())) == 2


def test_anything_but_a_known_hash_is_nothing(tmp_path: Path) -> None:
    store = MediaStore(tmp_path / "kept")
    (tmp_path / "secret.txt").write_text("no")
    for name in ("../secret.txt", "secret", "*", "a" * 64, "A" * 64, ""):
        assert store.get(name) is None
