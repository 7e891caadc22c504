"""The OpenAI chat format read into an agent's inputs: parts, history, refusals."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
import soundfile as sf

from agentsdk import Audio, Image, Text
from agentsdk.serve.openai_api import ChatRequest, InputError, content_parts, request_inputs


def _wav() -> str:
    buffer = io.BytesIO()
    sf.write(
        buffer, np.sin(np.linspace(0, 800, 16000)).astype(np.float32) * 0.3, 16000, format="WAV"
    )
    return base64.b64encode(buffer.getvalue()).decode()


def test_the_last_message_is_the_turn_and_earlier_ones_the_history() -> None:
    request = ChatRequest(
        model="a",
        messages=[
            {"role": "system", "content": "dropped"},
            {"role": "user", "content": "first"},
            {"role": "assistant", "content": "reply"},
            {"role": "user", "content": [{"type": "text", "text": "now"}]},
        ],
    )
    parts, history = request_inputs(request)
    assert parts == [Text("now")]
    assert [(m.role, m.content) for m in history] == [("user", "first"), ("assistant", "reply")]


def test_audio_parts_become_audio_and_bad_ones_are_refused() -> None:
    [audio] = content_parts(
        [{"type": "input_audio", "input_audio": {"data": _wav(), "format": "wav"}}]
    )
    assert isinstance(audio, Audio) and abs(audio.duration - 1.0) < 0.01
    with pytest.raises(InputError, match="not valid base64"):
        content_parts([{"type": "input_audio", "input_audio": {"data": "%%%", "format": "wav"}}])
    with pytest.raises(InputError, match="content\\[0\\]"):
        content_parts([{"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}}])
    with pytest.raises(InputError, match="data URL"):
        content_parts([{"type": "image_url", "image_url": {"url": "https://example.com/x.png"}}])
    with pytest.raises(InputError, match="'text', 'image_url'"):
        content_parts([{"type": "file", "file": {}}])
    with pytest.raises(InputError, match="tool"):
        request_inputs(
            ChatRequest(
                model="a",
                messages=[
                    {"role": "tool", "content": "x", "tool_call_id": "1"},
                    {"role": "user", "content": "hi"},
                ],
            )
        )


def test_an_image_path_in_a_string_is_never_read() -> None:
    with pytest.raises(InputError, match="reads no paths"):
        content_parts([{"type": "image_url", "image_url": "/etc/hostname"}])
    [image] = content_parts(
        [{"type": "image_url", "image_url": {"url": "data:image/png;base64," + _png()}}]
    )
    assert isinstance(image, Image) and image.size == (4, 4)


def _png() -> str:
    from PIL import Image as PILImage

    buffer = io.BytesIO()
    PILImage.fromarray(np.zeros((4, 4, 3), np.uint8)).save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode()
