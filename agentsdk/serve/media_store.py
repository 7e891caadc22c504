"""The images and clips of runs the server started, kept by content hash so a reviewer
sees what the agent saw (`GET /v1/media/{sha256}`, review scope). A folder, so several
server processes can share it; a name is only ever a 64-digit hash, never a path a
request chose."""

from __future__ import annotations

import mimetypes
import os
import re
import tempfile
from pathlib import Path

from agentsdk.media import MediaPart

__all__ = ["MediaStore"]

_HASH = re.compile(r"^[0-9a-f]{64}$")
_SUFFIXES = {"audio/wav": ".wav", "audio/x-wav": ".wav"}
"""MIME types `mimetypes` has no extension for."""


class MediaStore:
    """Media parts by `sha256`, in `folder` (default: a new temporary folder)."""

    def __init__(self, folder: str | os.PathLike[str] | None = None) -> None:
        self.folder = Path(folder) if folder is not None else Path(tempfile.mkdtemp("-media"))
        self.folder.mkdir(parents=True, exist_ok=True)

    def put(self, part: MediaPart) -> None:
        """Keep `part` (once per content)."""
        if any(self.folder.glob(f"{part.sha256}.*")):
            return
        data, mime = part.payload()
        suffix = _SUFFIXES.get(mime) or mimetypes.guess_extension(mime) or ".bin"
        final = self.folder / f"{part.sha256}{suffix}"
        scratch = final.with_suffix(final.suffix + f".{os.getpid()}.tmp")
        scratch.write_bytes(data)
        scratch.replace(final)  # whole or absent, whoever reads it

    def get(self, sha256: str) -> tuple[bytes, str] | None:
        """The bytes and MIME type of a kept part; None for an unknown or malformed hash."""
        if not _HASH.match(sha256):
            return None
        for path in self.folder.glob(f"{sha256}.*"):
            if path.name.endswith(".tmp"):
                continue
            mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return path.read_bytes(), mime
        return None
